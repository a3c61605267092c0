"""Benchmark: ``rewards`` accuracy against TRL's ``accuracy_reward``, and batches with adversarial completions.

Data: synthetic but realistic GRPO batches, 128 prompts x 8 completions = 1,024 conversational completions per
round (quick: 16 x 8). Each prompt has a gold answer of one of nine kinds (integer, negative, fraction, decimal,
radical, interval, set, percentage, polynomial) written ``$...$`` so that both implementations parse it; each
completion is 3-10 steps of reasoning with arithmetic (600-2,500 characters) ending, as sampled completions do,
with the gold in the same form (40%), an equivalent form (15%), a wrong value (30%), a plain-text answer without a
box (10%) or no answer (truncated, 5%). Every round draws a fresh batch (both implementations grade the same one),
so no cache carries over between rounds.

Rows:

1. throughput ratio (TRL time / our time) on the realistic batch; interleaved rounds (TRL, ours, TRL, ours, ...),
   the first round discarded as warm-up, median and min-max of the per-round ratios. Our reward runs with its
   defaults (one worker per core, 5 s timeout). Agreement with TRL's scores is in the notes.
2. the same batch kind, but every boxed answer is made a distinct string by a prefix of LaTeX thin spaces
   (``\\,``, same value, same scores for both implementations): neither de-duplication nor the plain-number fast
   path applies, only parallel grading and the cheaper answer extraction remain.
3-4. wall time of a batch with 2 and 4 distinct adversarial completions (``\\boxed{9^{9^{9^{9^{9}}}}}`` and
   variants) mixed in, against the same batch without them: bounded by ``ceil(k / workers)`` timeouts.
5. (full mode) TRL's ``accuracy_reward`` on one adversarial completion, in the main thread and in a worker thread,
   each in its own process with a 30 s cap.

Run ``python -m benchmarks.bench_rewards [--quick]``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
from fractions import Fraction

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks.common import make_row, note_row, paired_ratios  # noqa: E402

logger = logging.getLogger(__name__)

G = 8
TIMEOUT = 5.0
ADVERSARIAL = [
    r"So the result is $\boxed{9^{9^{9^{9^{9}}}}}$",
    r"Hence $\boxed{8^{8^{8^{8^{8}}}}}$",
    r"Finally $\boxed{7^{7^{7^{7^{7}}}}}$",
    r"The answer: $\boxed{6^{6^{6^{6^{6}}}}}$",
]
FILLER = [
    "Let us think about this carefully.",
    "First we identify what is being asked.",
    "We can check this against the conditions of the problem.",
    "This matches the information given.",
    "Now substitute the known values.",
    "Simplifying the expression gives the following.",
    "We need to be careful with the signs here.",
    "Putting everything together we obtain the result.",
]


def _answer(rng: random.Random) -> tuple[str, str, str]:
    """(gold, equivalent form, wrong value) of one random kind, LaTeX without delimiters."""
    kind = rng.randrange(9)
    if kind == 0:
        n = rng.randint(2, 5000)
        return str(n), f"{n}.0", str(n + rng.choice([-2, -1, 1, 3, 10]))
    if kind == 1:
        n = -rng.randint(1, 500)
        return str(n), f"{n}", str(-n)
    if kind == 2:
        q = Fraction(rng.randint(1, 40), rng.randint(2, 41))
        while q.denominator == 1:
            q = Fraction(rng.randint(1, 40), rng.randint(2, 41))
        return rf"\frac{{{q.numerator}}}{{{q.denominator}}}", rf"\dfrac{{{q.numerator * 2}}}{{{q.denominator * 2}}}", (
            rf"\frac{{{q.denominator}}}{{{q.numerator}}}"
        )
    if kind == 3:
        q = Fraction(rng.randint(1, 99), rng.choice([2, 4, 5, 8, 10]))
        return str(float(q)), rf"\frac{{{q.numerator}}}{{{q.denominator}}}", str(float(q) + 0.5)
    if kind == 4:
        a, b = rng.randint(2, 9), rng.choice([2, 3, 5, 6, 7])
        return rf"{a}\sqrt{{{b}}}", rf"\sqrt{{{a * a * b}}}", rf"{a + 1}\sqrt{{{b}}}"
    if kind == 5:
        a = rng.randint(-10, 10)
        b = a + rng.randint(1, 10)
        return f"[{a}, {b})", f"[{a},{b})", f"({a}, {b}]"
    if kind == 6:
        items = rng.sample(range(1, 20), 3)
        shuffled = items[::-1]
        return (
            r"\{" + ", ".join(map(str, sorted(items))) + r"\}",
            r"\{" + ",".join(map(str, shuffled)) + r"\}",
            r"\{" + ", ".join(map(str, sorted(items)[:2] + [25])) + r"\}",
        )
    if kind == 7:
        p = rng.choice([5, 10, 12.5, 20, 25, 40, 50, 75])
        return f"{p}\\%", f"{p / 100}", f"{p + 5}\\%"
    a = rng.randint(1, 6)
    return f"(x+{a})^2", f"x^2 + {2 * a}x + {a * a}", f"x^2 + {a * a}"


def _reasoning(rng: random.Random) -> str:
    steps = []
    for k in range(rng.randint(3, 10)):
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        op, value = rng.choice([("+", a + b), ("-", a - b), ("\\times", a * b)])
        sentences = rng.sample(FILLER, 2)
        steps.append(f"Step {k + 1}: {sentences[0]} We compute ${a} {op} {b} = {value}$. {sentences[1]}")
    return "\n\n".join(steps)


def make_batch(prompts: int, seed: int, distinct: bool = False) -> tuple[list, list[str]]:
    """``prompts * G`` conversational completions and their gold solutions (one gold per group of G)."""
    rng = random.Random(seed)
    completions, solutions = [], []
    for p in range(prompts):
        gold, equivalent, wrong = _answer(rng)
        for g in range(G):
            text = _reasoning(rng)
            r = rng.random()
            pad = "\\," * (g + 1) if distinct else ""  # LaTeX thin spaces: same value, a distinct string
            if r < 0.40:
                text += f"\n\nTherefore the final answer is $\\boxed{{{pad}{gold}}}$."
            elif r < 0.55:
                text += f"\n\nTherefore the final answer is $\\boxed{{{pad}{equivalent}}}$."
            elif r < 0.85:
                text += f"\n\nTherefore the final answer is $\\boxed{{{pad}{wrong}}}$."
            elif r < 0.95:
                text += f"\n\nSo the answer is {gold}."
            else:
                text = text[: len(text) // 2]
            completions.append([{"role": "assistant", "content": text}])
            solutions.append(f"${gold}$")
    return completions, solutions


def _time(fn) -> tuple[float, list]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _cpu_seconds(pids) -> float:
    """User + system CPU time of the processes ``pids`` (Linux /proc; 0 where unavailable)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _timed_cpu(fn, pids=()) -> tuple[float, float, list]:
    """(wall s, CPU s of this process + ``pids``, result)."""
    cpu0, workers0 = time.process_time(), _cpu_seconds(pids)
    wall, out = _time(fn)
    return wall, time.process_time() - cpu0 + _cpu_seconds(pids) - workers0, out


def interleaved_rounds(name: str, batches, trl, ours) -> dict[str, list]:
    """Grade each ``(completions, solutions)`` batch with TRL's reward, then ours, timing both (wall and CPU, our
    workers' CPU included); the first batch is a warm-up left out. Returns per kept round: ``trl_times``,
    ``our_times``, ``trl_cpu``, ``our_cpu`` and ``rounds`` (completions, solutions, TRL's scores, our scores)."""
    kept: dict[str, list] = {"trl_times": [], "our_times": [], "trl_cpu": [], "our_cpu": [], "rounds": []}
    for r, (completions, solutions) in enumerate(batches):
        t_trl, c_trl, s_trl = _timed_cpu(lambda: trl(completions, solution=solutions))
        t_ours, c_ours, s_ours = _timed_cpu(lambda: ours(completions, solution=solutions), ours.pool.pids)
        logger.info("%s round %d: TRL %.2f s (CPU %.2f), ours %.2f s (CPU %.2f)", name, r, t_trl, c_trl, t_ours, c_ours)
        if r == 0:
            continue
        for key, value in zip(("trl_times", "our_times", "trl_cpu", "our_cpu"), (t_trl, t_ours, c_trl, c_ours)):
            kept[key].append(value)
        kept["rounds"].append((completions, solutions, s_trl, s_ours))
    return kept


def _throughput_row(name: str, prompts: int, rounds: int, distinct: bool, ours, trl) -> dict:
    from rewards.accuracy import extract_answer

    loads = [os.getloadavg()[0]]
    batches = (make_batch(prompts, seed=1000 * (r + 1) + distinct, distinct=distinct) for r in range(rounds + 1))
    kept = interleaved_rounds(name, batches, trl, ours)
    trl_times, our_times, trl_cpu, our_cpu = (kept[k] for k in ("trl_times", "our_times", "trl_cpu", "our_cpu"))
    agree = sum(a == b for _, _, s_trl, s_ours in kept["rounds"] for a, b in zip(s_trl, s_ours))
    total = sum(len(s_ours) for *_, s_ours in kept["rounds"])
    unique = [
        len({(g, extract_answer(c[0]["content"])) for g, c in zip(solutions, completions)}) / len(completions)
        for completions, solutions, _, _ in kept["rounds"]
    ]
    ratios = paired_ratios(trl_times, our_times)
    loads.append(os.getloadavg()[0])
    n = prompts * G
    median = statistics.median
    return make_row(
        name,
        f"trl.rewards.accuracy_reward, main thread: {median(trl_times):.2f} s / {n}",
        ratios,
        "× throughput",
        "≥ 1.5×",
        median(ratios) >= 1.5,
        f"{rounds} interleaved rounds after 1 warm-up, fresh batch each round; ours {min(our_times):.2f}–"
        f"{max(our_times):.2f} s / {n} on {ours.pool.size} workers; CPU s per batch (median): TRL "
        f"{median(trl_cpu):.2f}, ours {median(our_cpu):.2f} (trainer process + workers); load average "
        f"{loads[0]:.1f} → {loads[1]:.1f} on {os.cpu_count()} cores; same score as TRL on {agree}/{total}; "
        f"distinct (gold, answer) pairs {100 * sum(unique) / len(unique):.0f}%",
    )


def _adversarial_row(ours, prompts: int, k: int, repeats: int) -> dict:
    completions, solutions = make_batch(prompts, seed=77)
    rng = random.Random(k)
    mixed, mixed_solutions = list(completions), list(solutions)
    for j in range(k):
        i = rng.randrange(len(mixed))
        mixed.insert(i, [{"role": "assistant", "content": ADVERSARIAL[j]}])
        mixed_solutions.insert(i, "$5$")
    clean_times, adv_times = [], []
    for _ in range(repeats):
        clean_times.append(_time(lambda: ours(completions, solution=solutions))[0])
        t, scores = _time(lambda: ours(mixed, solution=mixed_solutions))
        adv_times.append(t)
    workers = ours.pool.size
    clean = sorted(clean_times)[len(clean_times) // 2]
    bound = clean + math.ceil(k / workers) * ours.timeout + 1.0
    median = sorted(adv_times)[len(adv_times) // 2]
    return make_row(
        f"accuracy, {len(completions)} realistic + {k} adversarial completions",
        f"same batch without them: {clean:.2f} s",
        adv_times,
        "s",
        f"≤ clean + ⌈{k}/{workers}⌉·{ours.timeout:g} s timeout + 1 s = {bound:.1f} s",
        median <= bound,
        f"{repeats} runs; adversarial samples scored 0.0, the rest graded normally; killed workers replaced from "
        "the warm zygote",
    )


TRL_PROBE = textwrap.dedent(
    r"""
    import sys, threading, time
    from trl.rewards import accuracy_reward
    completion = [[{"role": "assistant", "content": sys.argv[2]}]]
    def grade():
        start = time.perf_counter()
        accuracy_reward(completion, solution=["$5$"])
        print(f"{time.perf_counter() - start:.2f}", flush=True)
    if sys.argv[1] == "thread":
        thread = threading.Thread(target=grade, daemon=True)
        thread.start()
        thread.join()
    else:
        grade()
    """
)


def _trl_adversarial_row(cap: float) -> dict:
    results = {}
    for mode in ("main", "thread"):
        start = time.perf_counter()
        try:
            out = subprocess.run(
                [sys.executable, "-c", TRL_PROBE, mode, ADVERSARIAL[0]],
                capture_output=True,
                text=True,
                timeout=cap,
            )
            results[mode] = f"returned after {out.stdout.strip() or '?'} s (process {time.perf_counter() - start:.0f} s)"
        except subprocess.TimeoutExpired:
            results[mode] = f"no result after {cap:.0f} s (killed)"
    return note_row(
        "trl.rewards.accuracy_reward on 1 adversarial completion",
        f"main thread: {results['main']}; worker thread (timeouts disabled there): {results['thread']}",
        reference="reference only",
    )


def run(quick: bool = False) -> list[dict]:
    """Table rows (see the module docstring). ``quick``: 16 prompts x 8, 2 rounds, 1 s timeout, no TRL probe."""
    from trl.rewards import accuracy_reward

    from rewards import get_reward

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    prompts, rounds = (16, 2) if quick else (128, 5)
    ours = get_reward("accuracy")
    ours.pool.warm_up()
    rows = [
        _throughput_row(f"accuracy throughput, {prompts * G} realistic completions", prompts, rounds, False, ours, accuracy_reward),
        _throughput_row(
            f"accuracy throughput, {prompts * G} completions, every answer a distinct string",
            prompts,
            rounds,
            True,
            ours,
            accuracy_reward,
        ),
    ]
    # allow_expressions: the copy-the-question guard would score these power towers 0 against the plain-number gold
    # before any worker runs them; the rows measure the worker-kill path
    adversarial = get_reward("accuracy", timeout=1.0 if quick else TIMEOUT, allow_expressions=True)
    for k in (2, 4):
        rows.append(_adversarial_row(adversarial, 8 if quick else 32, k, 1 if quick else 3))
    if not quick:
        rows.append(_trl_adversarial_row(30.0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small batches, 2 rounds: a smoke run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    rows = run(quick=args.quick)
    from benchmarks.run import emit_table

    emit_table(rows, "python -m benchmarks.bench_rewards" + (" --quick" if args.quick else ""))


if __name__ == "__main__":
    main()
