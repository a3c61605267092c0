"""Build the labelled completions of the ``accuracy_labels`` benchmark from public model outputs.

Nothing here ships data: the source files stay outside the repository (workplace rule), this script reads them from
a local directory and writes one JSONL file, by default ``/work/labelled_data/accuracy_labels.jsonl``::

    python -m benchmarks.accuracy_data --raw /work/labelled_data/raw --out /work/labelled_data/accuracy_labels.jsonl

Sources (``--raw`` holds one folder per source; every file is copied unchanged out of the named commit):

=====================  =====================================================================  =======================
folder                 repository @ commit : paths                                           licence
=====================  =====================================================================  =======================
``grade-school-math``  openai/grade-school-math @ 3101c7d5072418e28b9008a6636bde82a006892c     MIT
                       ``grade_school_math/data/example_model_solutions.jsonl`` (GPT-3 6B and
                       175B solutions of the 1,319 GSM8K test problems, four per problem,
                       each with the source's ``is_correct``), ``grade_school_math/data/
                       test.jsonl`` (the gold solutions, ``... #### x``)
``zero_shot_cot``      kojima-takeshi188/zero_shot_cot @ 5ef330fcdeec0cd26aee27943504f91f8ec1c33c  none stated (no licence
                       ``log/{gsm8k,multiarith,svamp,addsub,singleeq}_zero_shot{,_cot}.log``  file; used locally for
                       (text-davinci-002 "Let's think step by step" and direct answers ending  evaluation, not
                       "the answer (arabic numerals) is X", with the source's extracted         redistributed)
                       prediction and gold per sample)
``tora``               microsoft/ToRA @ 213c1c995038c73fab10343814df7a42f990f026              MIT
                       ``src/outputs/llm-agents/{tora-70b-v1.0,tora-code-34b-v1.0}/gsm8k/
                       test_tora_-1_seed0_t0.0_s0_e1319.{jsonl,metrics}`` (tool-integrated
                       GSM8K solutions ending in ``\\boxed{}``, with the source's extracted
                       prediction; the ``.metrics`` file holds the source's accuracy)
``cs336_rollouts``     ShibukiZero/assignment5-alignment @                                    none stated (no licence
                       108e9529efb4d32bd42ed5bf500bd9d6ae0911f8 ``artifacts/experiments/ch7/   file; used locally for
                       {grpo_baselines/runs/{no_baseline,reinforce_with_baseline},             evaluation, not
                       grpo_train_loop/runs/grpo_on_policy_lr1e-5}/grpo_step_*/               redistributed)
                       sample_rollouts.jsonl`` (Qwen2.5-Math-1.5B GRPO rollouts on MATH with
                       the R1-zero prompt, ``<think>…</think> <answer>…</answer>``, each with
                       the course grader's ``format_reward`` and ``answer_reward``); a file is
                       stored flattened as ``<experiment>__<run>__<step>__sample_rollouts.jsonl``
``rft-gsm8k``          RobbenRibery/rft-gsm8k @ 970e605fa3598d267a7e5e1fcd0a2a2e64fafa1b     none stated (no licence
                       ``results/*.csv`` (14 files: Phi-3.5-mini-instruct and 13 QLoRA        file; used locally for
                       rejection-sampling fine-tunes of it, each on 1,188 GSM8K test          evaluation, not
                       problems, prompted to end with a line ``#### x``, sampled at T=0.2;    redistributed)
                       columns ``questions``, ``sampled_completions``,
                       ``ground_truth_completions`` (the gold solution, ``... #### x``) and
                       the source's ``maj_1s``; two of the files are byte-identical)
``gsm8k-rft-llama7b``  Haskely/gsm8k-rft-llama7b-u13b_evaluation @                           none stated (no licence
                       2d123ff92f0943eecc4bf02221bfab124feddc9c ``output_*/{gen_datas.jsonl,  file; used locally for
                       correct.json,wrong.json}`` (5 greedy runs of OFA-Sys/gsm8k-rft-         evaluation, not
                       llama7b-u13b, a LLaMA-7B fine-tuned on GSM8K-format solutions that    redistributed)
                       end ``#### x``, on the 1,319 GSM8K test problems, in bf16 / fp32 and
                       several batch sizes; ``gen_datas.jsonl`` holds the completions,
                       ``correct.json`` / ``wrong.json`` the source's ``is_correct``)
=====================  =====================================================================  =======================

Labels are the sources' own: ``is_correct`` (grade-school-math); the source's extracted prediction equal to its
gold as a number (zero_shot_cot: the first number after the answer trigger, as its ``pred`` line; tora: its ``pred``
against ``gt`` with ToRA's tolerance, relative 1e-4, percent forms allowed, which reproduces the ``.metrics``
accuracy); ``answer_reward == 1`` among the rollouts whose ``format_reward`` is 1 (an unformatted rollout scores 0
whatever its answer, so its label says nothing about the answer; those rollouts are left out); rft-gsm8k: ``maj_1s
== 1`` (the source reads the completion's last line only, there the first number after ``####``, commas removed,
and compares it as a string with the gold's: ``#### 18.00`` for 18, and a right answer followed by a sentence on a
later line, are labelled wrong); gsm8k-rft-llama7b: ``is_correct`` (the completion's last number within 1e-3 of
the gold's, signs dropped; the ``output_bf16_bs32`` run was graded before the source handled thousands commas and
reads ``2,000`` as 0); the loader checks that ``correct.json`` and ``wrong.json`` grade every completion of
``gen_datas.jsonl`` once, with the same text). In the two ``####`` sources, a completion without ``####`` (cut off
at the token limit, or ending ``Final answer: 7``) is not in the style and is left out (counted in the log). Exact
duplicates (same gold and completion) are kept once (the first run's record, in the sorted order of the files).

Each output line: ``id``, ``source``, ``model``, ``style`` (``plain_text`` "…\\nA: 18", ``hash`` GSM8K's "…\\n####
18", ``answer_is`` "the answer (arabic numerals) is 18", ``boxed``, ``multi_box`` (two boxes or more), ``tagged``
``<answer>…</answer>``),
``completion``, ``solution`` (the gold, as a dataset column would hold it), ``label`` (the source's, bool),
``label_audited`` and ``audit_reason`` (from :mod:`benchmarks.accuracy_audits`: the label after reading the
completion where it disagreed with the reward, with the reason; equal to ``label`` elsewhere), and ``traps``: for a
completion labelled wrong, the lenient rules that would accept it, found by plain scanning independent of the
reward: ``gold_elsewhere`` (the gold's value is written somewhere in the completion, e.g. as an intermediate result
or one of several candidates), ``expression`` (the final answer is arithmetic whose value is the gold).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import math
import re
import sys
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

from benchmarks.accuracy_audits import AUDITS

logger = logging.getLogger(__name__)

DEFAULT_RAW = Path("/work/labelled_data/raw")
DEFAULT_OUT = Path("/work/labelled_data/accuracy_labels.jsonl")
STYLES = ("plain_text", "hash", "answer_is", "boxed", "multi_box", "tagged")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _float(text: str) -> float | None:
    text = text.replace(",", "").strip().rstrip(".")
    try:
        return float(text)
    except ValueError:
        return None


def _numbers(text: str) -> list[float]:
    values = []
    for match in _NUMBER.finditer(text):
        value = _float(match.group(0))
        if value is not None:
            values.append(value)
    return values


def _close(a: float, b: float, rel: float = 1e-4) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def _record(
    rid: str, source: str, model: str, style: str, completion: str, solution: str, label: bool, question: str
) -> dict:
    return {
        "id": rid,
        "source": source,
        "model": model,
        "style": style,
        "question": question,
        "completion": completion,
        "solution": solution,
        "label": bool(label),
    }


def grade_school_math(folder: Path) -> Iterator[dict]:
    """The four model solutions per GSM8K test problem, gold = the test split's ``... #### x`` solution."""
    golds = {}
    for line in (folder / "test.jsonl").read_text().splitlines():
        row = json.loads(line)
        golds[row["question"].strip()] = row["answer"]
    for k, line in enumerate((folder / "example_model_solutions.jsonl").read_text().splitlines()):
        row = json.loads(line)
        gold = golds[row["question"].strip()]
        for model in ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"):
            sample = row[model]
            yield _record(
                f"gsm-example/{model}/{k}", "openai/grade-school-math", f"GPT-3 {model}", "plain_text",
                sample["solution"], gold, sample["is_correct"], row["question"],
            )


def _kojima_entries(text: str) -> Iterator[tuple[str, str, str, str]]:
    """``(question, completion, pred, gt)`` per logged sample (the completion is the text after ``A:``)."""
    for block in text.split("*************************"):
        if "\nGT :" not in block or "\nA:" not in block:
            continue
        question = block[block.index("Q:") + 2 : block.index("\nA:")].strip() if "Q:" in block else ""
        body = block[block.index("\nA:") + 3 :]
        completion, _, tail = body.partition("\npred_before :")
        pred = re.search(r"^pred_mode : (.*)$", tail, re.MULTILINE)
        gt = re.search(r"^GT : (.*)$", tail, re.MULTILINE)
        if pred and gt:
            yield question, completion.strip(), pred.group(1).strip(), gt.group(1).strip()


def zero_shot_cot(folder: Path) -> Iterator[dict]:
    for path in sorted(folder.glob("*.log")):
        dataset, method = path.stem.split("_", 1)
        for k, (question, completion, pred, gt) in enumerate(_kojima_entries(path.read_text())):
            p, g = _float(pred), _float(gt)
            label = p is not None and g is not None and _close(p, g, rel=1e-9)
            gold = gt[:-2] if re.fullmatch(r"-?\d+\.0", gt) else gt
            yield _record(
                f"zero-shot-cot/{dataset}/{method}/{k}", "kojima-takeshi188/zero_shot_cot",
                f"text-davinci-002 {method}", "answer_is", completion, gold, label, question,
            )


def _tora_equal(pred: str, gt: str) -> bool:
    p, g = _float(pred), _float(gt)
    if p is None or g is None:
        return pred.strip() == gt.strip()
    return any(_close(p, v) for v in (g / 100, g, g * 100))


def tora(folder: Path) -> Iterator[dict]:
    for path in sorted(folder.glob("*.gsm8k.jsonl")):
        model = path.name.split(".gsm8k")[0]
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        labels = [_tora_equal(str(r["pred"][0]), str(r["gt"])) for r in rows]
        metrics = (folder / f"{model}.gsm8k.metrics").read_text()
        reported = float(re.search(r"Mean score: \[([\d.]+)\]", metrics).group(1))
        mine = round(100 * sum(labels) / len(labels), 1)
        if abs(mine - reported) > 0.05:
            raise ValueError(f"{path}: labels give {mine}% but the source reports {reported}%")
        for row, label in zip(rows, labels):
            completion = row["code"][0]
            style = "multi_box" if completion.count("\\boxed") >= 2 else "boxed"
            yield _record(
                f"tora/{model}/{row['idx']}", "microsoft/ToRA", model, style, completion, str(row["gt"]), label,
                row["question"],
            )


def cs336_rollouts(folder: Path) -> Iterator[dict]:
    for path in sorted(folder.glob("*.jsonl")):
        run = path.name.replace("__sample_rollouts.jsonl", "")
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["format_reward"] != 1.0:
                continue
            completion = row["response"]
            region = completion.rsplit("<answer>", 1)[-1]
            style = "multi_box" if region.count("\\boxed") >= 2 else "tagged"
            yield _record(
                f"cs336/{run}/{row['question_index']}/{row['rollout_index']}", "ShibukiZero/assignment5-alignment",
                "Qwen2.5-Math-1.5B (GRPO)", style, completion, str(row["ground_truth"]), row["answer_reward"] == 1.0,
                row["question"],
            )


def _file_tag(name: str) -> str:
    """A short stable tag for a source file with a long name (first 8 hex digits of its name's SHA-1)."""
    return hashlib.sha1(name.encode()).hexdigest()[:8]


def rft_gsm8k(folder: Path) -> Iterator[dict]:
    """Phi-3.5-mini-instruct and its QLoRA RFT fine-tunes on GSM8K test, completions ending ``#### x``."""
    skipped = 0
    for path in sorted(folder.glob("*.csv")):
        base = path.name == "results_microsoft-Phi-3.5-mini-instruct_.csv"
        model = "Phi-3.5-mini-instruct" if base else f"Phi-3.5-mini-instruct + QLoRA RFT ({path.stem})"
        tag = "base" if base else _file_tag(path.name)
        with open(path, newline="") as f:
            for k, row in enumerate(csv.DictReader(f)):
                if row["maj_1s"] not in ("0", "1"):
                    raise ValueError(f"{path}, row {k + 1}: maj_1s is {row['maj_1s']!r}, expected '0' or '1'")
                completion = row["sampled_completions"]
                if "####" not in completion:
                    skipped += 1
                    continue
                yield _record(
                    f"rft-gsm8k/{tag}/{k}", "RobbenRibery/rft-gsm8k", model, "hash", completion,
                    row["ground_truth_completions"], row["maj_1s"] == "1", row["questions"],
                )
    logger.info("rft-gsm8k: %d completions without '####' left out", skipped)


def gsm8k_rft_llama7b(folder: Path) -> Iterator[dict]:
    """Greedy runs of OFA-Sys/gsm8k-rft-llama7b-u13b on GSM8K test, labels from the run's correct/wrong files."""
    skipped = 0
    for run in sorted(p for p in folder.iterdir() if (p / "gen_datas.jsonl").is_file()):
        generations = [json.loads(line) for line in (run / "gen_datas.jsonl").read_text().splitlines()]
        graded = json.loads((run / "correct.json").read_text()) + json.loads((run / "wrong.json").read_text())
        labels = {g["index"]: (g["is_correct"], g["output_str"]) for g in graded}
        if len(labels) != len(graded) or set(labels) != {g["index"] for g in generations}:
            raise ValueError(f"{run}: correct.json + wrong.json do not grade every completion of gen_datas.jsonl once")
        for row in generations:
            label, text = labels[row["index"]]
            if text != row["output_str"]:
                raise ValueError(f"{run}: completion {row['index']} differs between gen_datas.jsonl and its grade")
            if "####" not in text:
                skipped += 1
                continue
            yield _record(
                f"gsm8k-rft-llama7b/{run.name}/{row['index']}", "Haskely/gsm8k-rft-llama7b-u13b_evaluation",
                f"OFA-Sys/gsm8k-rft-llama7b-u13b ({run.name})", "hash", text, row["gsm8k_data"]["answer"],
                label, row["gsm8k_data"]["question"],
            )
    logger.info("gsm8k-rft-llama7b: %d completions without '####' left out", skipped)


SOURCES = {
    "grade-school-math": grade_school_math,
    "zero_shot_cot": zero_shot_cot,
    "tora": tora,
    "cs336_rollouts": cs336_rollouts,
    "rft-gsm8k": rft_gsm8k,
    "gsm8k-rft-llama7b": gsm8k_rft_llama7b,
}


def _final_segment(completion: str) -> str:
    """The text a reader takes as the final answer: after the last ``####``, answer tag, box or answer phrase."""
    for marker in ("####", "<answer>", "\\boxed", "answer (arabic numerals) is", "\nA:", "answer is"):
        if marker in completion:
            return completion.rsplit(marker, 1)[1]
    return completion[-80:]


def _arithmetic(text: str) -> Fraction | None:
    """Value of ``a op b op ...`` with + - * / and the usual precedence (digits only; None on division by zero)."""
    terms = re.split(r"\s*([-+])\s*", text.strip())
    total = Fraction(0)
    sign = 1
    for k, term in enumerate(terms):
        if k % 2:
            sign = 1 if term == "+" else -1
            continue
        factors = re.split(r"\s*([*/])\s*", term)
        value = Fraction(factors[0])
        for op, factor in zip(factors[1::2], factors[2::2]):
            if op == "*":
                value *= Fraction(factor)
            elif Fraction(factor) == 0:
                return None
            else:
                value /= Fraction(factor)
        total += sign * value
    return total


def traps(record: dict) -> list[str]:
    """Lenient rules that would accept a completion labelled wrong (empty for one labelled right)."""
    if record["label_audited"]:
        return []
    gold = _float(record["solution"].rsplit("####", 1)[-1])
    if gold is None:
        return []
    found = []
    completion = re.sub(r"<<[^<>]*>>", " ", record["completion"])
    if any(_close(v, gold) for v in _numbers(completion)):
        found.append("gold_elsewhere")
    final = _final_segment(completion)[:80]
    expression = re.search(r"\d+(?:\.\d+)?(?:\s*(?:[-+*/x×]|\\times|\\cdot)\s*\d+(?:\.\d+)?)+", final)
    if expression:
        value = _arithmetic(re.sub(r"\\times|\\cdot|×|x", "*", expression.group(0)))
        if value is not None and _close(float(value), gold):
            found.append("expression")
    return found


def build(raw: Path, sources=None, audits=None, find_traps=None) -> list[dict]:
    """All labelled records from the source folders under ``raw`` that exist (missing ones are logged).

    ``sources`` / ``audits`` / ``find_traps`` default to this module's GSM8K-style :data:`SOURCES`, :data:`AUDITS` and
    :func:`traps`; another labelled set (:mod:`benchmarks.accuracy_math_data`) passes its own.
    """
    sources = SOURCES if sources is None else sources
    audits = AUDITS if audits is None else audits
    find_traps = traps if find_traps is None else find_traps
    records, seen = [], set()
    for name, reader in sources.items():
        folder = raw / name
        if not folder.is_dir():
            logger.warning("source folder %s is missing: skipped", folder)
            continue
        for record in reader(folder):
            key = (record["solution"], record["completion"])
            if key in seen:
                continue
            seen.add(key)
            audited = audits.get(record["id"])
            record["label_audited"] = record["label"] if audited is None else audited[0]
            record["audit_reason"] = None if audited is None else audited[1]
            record["traps"] = find_traps(record)
            records.append(record)
    unknown = set(audits) - {r["id"] for r in records}
    if unknown:
        logger.warning("%d audited ids are not in the data (sources missing?): %s", len(unknown), sorted(unknown)[:5])
    return records


def main(argv: list[str] | None = None, *, description: str | None = None, default_raw: Path = DEFAULT_RAW,
         default_out: Path = DEFAULT_OUT, styles=STYLES, build_records=None) -> int:
    """Build the labelled JSONL file (``--raw`` folder in, ``--out`` file out) and log the counts per style; another
    labelled set passes its own defaults, styles and ``build_records(raw)``."""
    parser = argparse.ArgumentParser(description=description or __doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=default_raw, help="folder holding one sub-folder per source")
    parser.add_argument("--out", type=Path, default=default_out, help="labelled JSONL file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    records = (build_records or build)(args.raw)
    if not records:
        logger.error("no source found under %s (see the module docstring for the expected folders)", args.raw)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    counts = Counter((r["style"], r["label_audited"]) for r in records)
    width = max(len(style) for style in styles)
    for style in styles:
        logger.info("%-*s right %5d  wrong %5d", width, style, counts[(style, True)], counts[(style, False)])
    logger.info("wrote %d records to %s", len(records), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
