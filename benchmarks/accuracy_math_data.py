"""Build the labelled completions of the ``accuracy_math_labels`` benchmark (competition-level answers).

Nothing here ships data: the source files stay outside the repository (workplace rule), this script reads them from a
local directory and writes one JSONL file, by default ``/work/labelled_data/accuracy_math_labels.jsonl``::

    python -m benchmarks.accuracy_math_data --raw /work/labelled_data/raw_math --out \\
        /work/labelled_data/accuracy_math_labels.jsonl

Source (``--raw`` holds one folder per source; every file is copied unchanged out of the named commit):

===================  ======================================================================  ==========================
folder               repository @ commit : paths                                             licence
===================  ======================================================================  ==========================
``rl-sft``           XinghanLi66/rl-sft @ c981ccd10c5db8fd32c7c6b21680ff0f272bb49c           none stated for
                     ``one-shot-em/results/<run>/{math500,olympiadbench}/test_<prompt>_      ``one-shot-em/`` (no
                     -1_seed0_t0.0_s0_e-1.jsonl`` (greedy solutions of Qwen2.5-Math-1.5B     licence file there; used
                     and -7B and of their one-shot entropy-minimisation / RLVR fine-tunes,   locally for evaluation,
                     26 runs on the 500 MATH-500 problems and 20 runs on the 675             not redistributed);
                     OlympiadBench problems, under boxed and "no box" prompts, written by    harness folder: MIT;
                     the Qwen2.5-Math evaluation harness with its ``pred`` and ``score``);   OlympiadBench: Apache-2.0
                     a file is stored flattened as ``<run>__<dataset>__<file name>``;
                     ``one-shot-em/Qwen2.5-Eval/evaluation/data/olympiadbench/test.jsonl``
                     (the harness's copy of OlympiadBench, with the original
                     ``final_answer``) stored as ``olympiadbench_test.jsonl``
``simple-evals-ru``  kuk/simple-evals-ru @ 5fb1507eafd70be92ff3379440c13ee5272963ce          MIT
                     ``data/results/math/<NN>_<model>.jsonl`` (29 files, stored under
                     ``results/``: zero-shot solutions of 100-200 MATH-500 problems each
                     by 29 instruct models through their APIs, prompted to end with a line
                     "Answer: $ANSWER" — Llama-3.2-1B/3B, Llama-3.1-8B and Llama-3.3-70B
                     (twice each: OpenRouter, Yandex Cloud), gemini-flash-1.5, DeepSeek-V3,
                     six GigaChat versions, four YandexGPT versions and two fine-tunes of
                     YandexGPT-5-Lite-8B, saiga_nemo_12b (Mistral-Nemo), Qwen2.5-7B/32B/
                     72B-Instruct and five Qwen2.5 fine-tunes — with the source's ``pred``
                     and ``is_correct``); ``data/benches/math.jsonl`` (its 500 MATH-500
                     problems with ``target``) stored as ``math.jsonl``
``cs6493-r1``        YuFish131416/CS6493-NLP-Group-Project--Mathematical-Reasoning-in-LLMs   none stated (no licence
                     @ c414c49f2d8b156828635c6c2faa4dca33ef03f1                              file; used locally for
                     ``results/checkpoints/run_e0b959d8/<model>__<method>__math500__         evaluation, not
                     math500_<n>.json`` (140 files, stored under ``run_e0b959d8/``: greedy   redistributed); MATH-500
                     solutions of MATH-500 problems 0-19 by DeepSeek-R1-Distill-Qwen-1.5B    copy: see ``rl-sft``
                     and Qwen2.5-Math-1.5B, Q4_K_M GGUF builds, 2,048 new tokens, each with
                     the source's ``is_correct``: its own answer matcher on the last box;
                     the R1 distill's completions keep their ``<think>`` block, 7 of its 20
                     cut off inside it); the methods kept are ``cot``, ``pvp`` and
                     ``self_refine`` (one solution each; ``self_consistency`` joins five
                     samples graded by majority vote, ``least_to_most`` a decomposition and
                     a solution); gold and question from MATH-500 in its own order, the
                     rl-sft commit's ``one-shot-em/Qwen2.5-Eval/evaluation/data/math500/
                     test.jsonl`` stored as ``math500_test.jsonl``
``cs336-r1-zero``    donglinkang2021/cs336-assignment5-alignment                             none stated (no licence
                     @ 1474a43693c419f2a19f517ae08bde9c1460d731                              file; used locally for
                     ``outputs/<model>/{math500_hf,math_local}/results.jsonl`` stored as     evaluation, not
                     ``<model>__<dataset>__results.jsonl`` (4 files: Qwen2.5-Math-1.5B and   redistributed)
                     -Instruct sampled at temperature 1, 1,024 new tokens, stop at
                     ``</answer>``, under CS336's R1-Zero prompt, which ends with
                     ``Assistant: <think>``, on the 500 MATH-500 problems and on 500 MATH
                     problems drawn by the author; ``prompt``, ``response``, the solution
                     as ``ground_truth`` and the ``r1_zero_reward_fn`` metrics)
===================  ======================================================================  ==========================

Fetch with ``git show <commit>:<path>`` from a clone of the repository, e.g. for every path matching
``one-shot-em/results/*/{math500,olympiadbench}/*.jsonl``: ``git show c981ccd:$path > rl-sft/$(echo ${path#one-shot-em/
results/} | tr / _ | sed 's/_/__/')`` (any name works as long as ``__math500__`` or ``__olympiadbench__`` is in it).

Labels are the sources' own. rl-sft: ``score[0]``, the Qwen2.5-Math harness's verdict, itself an answer checker (the
last ``\\boxed{}``, else the text after "the answer is", else the last number, compared with ``math_equal``: sympy
equality, numeric tolerance 1e-4, percent forms x100 and /100, choice letters). Being a checker, it was audited:
every completion on which it and ``accuracy`` disagreed (:mod:`benchmarks.accuracy_math_audits` says how). Gold:
MATH-500's ``answer`` field (the MATH answer as written, e.g. ``\\$32,\\!348``, ``\\text{(C)}``); OlympiadBench's
original ``final_answer`` items joined by ``, `` (``$69$, $84$``, ``$k=1$``), from the harness's copy of the data:
the ``gt`` it wrote beside its outputs has been through its normaliser, which damages some answers
(``f(n)=n,(n)=1`` for ``$f(n)=n$, $g(n)=1$``). The completion graded is ``code[0]``. simple-evals-ru:
``is_correct``, the verdict of an LLM judge (gemini-flash-1.5 extracts the final answer as ``pred``, then judges it
equivalent to ``target`` or not, "only trivial simplifications", units given the benefit of the doubt); gold =
``target``; the completion graded is ``answer`` (one empty completion, an API failure, is left out). The model
family of a record is the part of its ``model`` field before ``: `` (:func:`family_of`; rl-sft's are Qwen2.5-Math).
cs6493-r1: ``is_correct``, the source's own matcher (its last box against MATH-500's answer); gold = MATH-500's
``answer``; the completion graded is ``raw_response``. cs336-r1-zero: ``answer_reward`` of CS336's
``r1_zero_reward_fn``, which is 0 for any completion without ``</think> <answer>`` and ``</answer>`` verbatim, then
compares the tag's content with the solution's last box (string normalisation, sympy); gold = that last box; the
completion graded is ``response``, and the record keeps the ``prompt``, since the prompt opened the thinking block.
Both labels come from answer checkers: every disagreement was audited (:mod:`benchmarks.accuracy_math_audits`).

Styles (plain scanning, independent of the reward, first that applies): ``think`` (a thinking block, opened by the
completion or by a prompt ending with ``<think>``, that the completion closes), ``think_unfinished`` (one it never
closes: cut off at the length limit, or a model that never wrote ``</think>``), ``multi_value`` (the gold lists several
values at the top level, a ``\\pm``, or the completion's last boxes are two or more separated only by commas or
``and``), ``boxed``, ``hash_answer`` (a ``# Answer`` heading line), ``answer_phrase`` ("the final answer is",
"answer:"), ``bare_latex`` (the last line is LaTeX without delimiters), ``last_expression`` (anything else: the answer
is the last expression of the text). Exact duplicates (same gold and completion) are kept once.

Each output line: ``id``, ``source``, ``model``, ``style``, ``question``, ``completion``, ``solution`` (the gold as
a dataset column would hold it), ``prompt`` (cs336-r1-zero only: the text prompt, as a trainer passes it), ``label``
(the source's, bool), ``label_audited`` and ``audit_reason``, ``traps`` (for a completion labelled wrong:
``gold_elsewhere`` when the gold, spaces removed, is written somewhere in it).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from benchmarks import accuracy_data
from benchmarks.accuracy_data import _record
from benchmarks.accuracy_math_audits import AUDITS
from rewards.accuracy import last_boxed


DEFAULT_RAW = Path("/work/labelled_data/raw_math")
DEFAULT_OUT = Path("/work/labelled_data/accuracy_math_labels.jsonl")
STYLES = ("boxed", "multi_value", "hash_answer", "answer_phrase", "bare_latex", "last_expression", "think",
          "think_unfinished")
DATASETS = ("math500", "olympiadbench")


def _top_level_commas(text: str) -> int:
    depth, count = 0, 0
    for match in re.finditer(r"\\[{}]|[()\[\]{}]|,", text):
        token = match.group(0)
        if token[-1] in "([{":
            depth += 1
        elif token[-1] in ")]}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            count += 1
    return count


def _thousands(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d{1,3}(?:,(?:\\!)?\d{3})+(?:\.\d+)?", text.replace("\\$", "").strip()))


def style_of(completion: str, gold: str, prompt: str = "") -> str:
    """The answer style of one completion (see the module docstring), by plain scanning."""
    if "<think>" in completion or prompt.rstrip().endswith("<think>"):
        opened = completion.rfind("<think>")
        closed = completion.rfind("</think>")
        return "think" if closed > opened else "think_unfinished"
    if ("\\pm" in gold or _top_level_commas(gold) > 0) and not _thousands(gold):
        return "multi_value"
    if re.search(r"\\boxed\s*\{[^{}]*\}[\s$.,]*(?:,|and|\\quad|\\text\{\s*and\s*\})[\s$]*\\boxed", completion[-400:]):
        return "multi_value"
    if "\\boxed" in completion:
        return "boxed"
    if re.search(r"(?m)^\s*#{1,6}\s*(?:final\s+)?answer\s*:?\s*$", completion, re.IGNORECASE):
        return "hash_answer"
    if re.search(r"answer is|answer\s*:", completion, re.IGNORECASE):
        return "answer_phrase"
    last = completion.rstrip().rsplit("\n", 1)[-1].strip()
    words = re.sub(r"\\[a-zA-Z]+", " ", last)
    if last and "$" not in last and re.search(r"\\[a-zA-Z]+|\^", last) and not re.search(r"[a-zA-Z]{4,}", words):
        return "bare_latex"
    return "last_expression"


def rl_sft(folder: Path) -> Iterator[dict]:
    """Qwen2.5-Math-1.5B / -7B runs of the Qwen2.5-Math harness on MATH-500 and OlympiadBench."""
    olympiad = [json.loads(line) for line in (folder / "olympiadbench_test.jsonl").read_text().splitlines()]
    paths = [p for p in sorted(folder.glob("*__*.jsonl")) if p.name.split("__")[1] in DATASETS]
    runs = Counter(tuple(p.name.split("__")[:2]) for p in paths)
    for path in paths:
        run, dataset = path.name.split("__")[:2]
        # a run with two prompt files for one dataset: the prompt name (test_<prompt>_-1_...) joins the id
        tag = run if runs[(run, dataset)] == 1 else f"{run}/{path.name.split('__')[2].split('_-1_')[0]}"
        size = "7B" if run.startswith("7B") else "1.5B"
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if dataset == "math500":
                gold = row["answer"]
            else:
                original = olympiad[row["idx"]]
                if original["question"].strip() != row["question"].strip():
                    raise ValueError(f"{path}: problem {row['idx']} differs from olympiadbench_test.jsonl")
                gold = ", ".join(original["final_answer"])
            completion = row["code"][0]
            yield _record(
                f"rl-sft/{tag}/{dataset}/{row['idx']}", "XinghanLi66/rl-sft", f"Qwen2.5-Math-{size} ({run})",
                style_of(completion, str(gold)), completion, str(gold), bool(row["score"][0]), row["question"],
            )


# simple-evals-ru result file (``<NN>_<name>.jsonl``) -> (model as the source's registry names it, family)
SIMPLE_EVALS_RU_MODELS = {
    "01_gemini_flash_1_5": ("gemini-flash-1.5", "Gemini"),
    "02_llama_3_2_1b": ("Llama-3.2-1B-Instruct", "Llama"),
    "03_llama_3_2_3b": ("Llama-3.2-3B-Instruct", "Llama"),
    "04_llama_3_1_8b": ("Llama-3.1-8B-Instruct", "Llama"),
    "05_llama_3_3_70b": ("Llama-3.3-70B-Instruct", "Llama"),
    "06_qwen_2_5_7b": ("Qwen2.5-7B-Instruct", "Qwen2.5-Instruct"),
    "07_yandexgpt_4_lite": ("YandexGPT-4-Lite", "YandexGPT"),
    "08_gigachat_lite": ("GigaChat-Lite", "GigaChat"),
    "10_llama_3_1_8b": ("Llama-3.1-8B (Yandex Cloud llama-lite)", "Llama"),
    "11_yandexgpt_4_pro": ("YandexGPT-4-Pro", "YandexGPT"),
    "12_gigachat_pro": ("GigaChat-Pro", "GigaChat"),
    "13_llama_3_3_70b": ("Llama-3.3-70B (Yandex Cloud llama)", "Llama"),
    "14_gigachat_max": ("GigaChat-Max", "GigaChat"),
    "15_qwen_2_5_72b": ("Qwen2.5-72B-Instruct", "Qwen2.5-Instruct"),
    "16_deepseek_v3": ("DeepSeek-V3", "DeepSeek"),
    "17_yandexgpt_5_pro": ("YandexGPT-5-Pro", "YandexGPT"),
    "18_cotype_nano": ("MTSAIR/Cotype-Nano (a Qwen2.5-1.5B fine-tune)", "Qwen2.5-Instruct"),
    "19_t_lite": ("t-tech/T-lite-it-1.0 (a Qwen2.5-7B fine-tune)", "Qwen2.5-Instruct"),
    "20_t_pro": ("t-tech/T-pro-it-1.0 (a Qwen2.5-32B fine-tune)", "Qwen2.5-Instruct"),
    "21_saiga": ("IlyaGusev/saiga_yandexgpt_8b", "YandexGPT"),
    "22_vikhr": ("Vikhrmodels/Vikhr-YandexGPT-5-Lite-8B-it", "YandexGPT"),
    "23_saiga": ("IlyaGusev/saiga_nemo_12b (a Mistral-Nemo-12B fine-tune)", "Mistral"),
    "24_ruadapt": ("msu-rcc-lair/RuadaptQwen2.5-32B-Instruct", "Qwen2.5-Instruct"),
    "25_gigachat_lite": ("GigaChat-2-Lite", "GigaChat"),
    "26_gigachat_pro": ("GigaChat-2-Pro", "GigaChat"),
    "27_gigachat_max": ("GigaChat-2-Max", "GigaChat"),
    "28_qwen_2_5_32b": ("Qwen2.5-32B-Instruct", "Qwen2.5-Instruct"),
    "29_ruadapt": ("RefalMachine/RuadaptQwen2.5-32B-Pro-Beta", "Qwen2.5-Instruct"),
    "30_yandexgpt_5_lite": ("YandexGPT-5-Lite", "YandexGPT"),
}


def simple_evals_ru(folder: Path) -> Iterator[dict]:
    """29 instruct models' zero-shot solutions of MATH-500 problems ("…\\nAnswer: $ANSWER"), simple-evals style, each
    with the source's ``is_correct`` (its LLM judge); gold = ``target`` of the source's copy of MATH-500."""
    golds = {}
    for line in (folder / "math.jsonl").read_text().splitlines():
        row = json.loads(line)
        golds[row["id"]] = (row["target"], row["problem"])
    for path in sorted((folder / "results").glob("*.jsonl")):
        name, family = SIMPLE_EVALS_RU_MODELS[path.stem]
        for line in path.read_text().splitlines():
            row = json.loads(line)
            completion = row.get("answer") or ""
            if not completion.strip():
                continue  # no completion (an API error): nothing to grade
            gold, question = golds[row["id"]]
            yield _record(
                f"simple-evals-ru/{path.stem}/{row['id']}", "kuk/simple-evals-ru", f"{family}: {name}",
                style_of(completion, gold), completion, gold, bool(row["is_correct"]), question,
            )


# CS6493 run file (``<model>__<method>__math500__math500_<n>.json``) model -> (model as named, family); methods kept:
# a single solution with its own verdict (self_consistency joins five samples graded by their majority vote, and
# least_to_most a decomposition and a solution: neither is one completion with its label)
CS6493_MODELS = {
    "deepseek-r1": "DeepSeek-R1-Distill: DeepSeek-R1-Distill-Qwen-1.5B (Q4_K_M GGUF, 2,048 new tokens)",
    "qwen2.5-math": "Qwen2.5-Math: Qwen2.5-Math-1.5B (Q4_K_M GGUF, 2,048 new tokens)",
}
CS6493_METHODS = ("cot", "pvp", "self_refine")


def cs6493_r1(folder: Path) -> Iterator[dict]:
    """Greedy MATH-500 solutions (problems 0-19) of DeepSeek-R1-Distill-Qwen-1.5B (with its ``<think>`` block, cut
    off at 2,048 new tokens) and Qwen2.5-Math-1.5B, with the source's ``is_correct``; gold and question from
    MATH-500 (``math500_test.jsonl``, in the order the source's ``math500_<n>`` ids follow)."""
    problems = [json.loads(line) for line in (folder / "math500_test.jsonl").read_text().splitlines()]
    for path in sorted((folder / "run_e0b959d8").glob("*.json")):
        row = json.loads(path.read_text())
        if row["prompt_method"] not in CS6493_METHODS or row["dataset"] != "math500":
            continue
        completion = row["raw_response"]
        if not completion.strip():
            continue  # no completion: nothing to grade
        problem = problems[int(row["problem_id"].split("_")[-1])]
        gold = problem["answer"]
        yield _record(
            f"cs6493/{row['model_name']}/{row['prompt_method']}/{row['problem_id']}", "YuFish131416/CS6493-NLP-Group-"
            "Project--Mathematical-Reasoning-in-LLMs", CS6493_MODELS[row["model_name"]], style_of(completion, gold),
            completion, gold, bool(row["is_correct"]), problem["problem"],
        )


CS336_MODELS = {
    "qwen2.5-math-1.5b": "Qwen2.5-Math: Qwen2.5-Math-1.5B (r1_zero prompt)",
    "qwen2.5-math-1.5b-inst": "Qwen2.5-Math: Qwen2.5-Math-1.5B-Instruct (r1_zero prompt)",
}


def cs336_r1_zero(folder: Path) -> Iterator[dict]:
    """Qwen2.5-Math-1.5B and -Instruct sampled (temperature 1, 1,024 new tokens, stop at ``</answer>``) under the
    R1-Zero prompt, which ends with ``Assistant: <think>``: the completion starts inside the thinking block. Label:
    the source's ``answer_reward`` (CS336's ``r1_zero_reward_fn``: ``</think> <answer>`` and ``</answer>`` required,
    then the answer in the tag graded against the solution's last box). Gold: the solution's last box."""
    for path in sorted(folder.glob("*__results.jsonl")):
        model, dataset = path.name.split("__")[:2]
        for k, line in enumerate(path.read_text().splitlines()):
            row = json.loads(line)
            gold = last_boxed(row["ground_truth"])
            if gold is None:
                continue  # a solution without a box has no gold answer
            question = row["prompt"].rsplit("\nUser: ", 1)[-1].rsplit("\nAssistant:", 1)[0]
            completion = row["response"]
            record = _record(
                f"cs336-r1-zero/{model}/{dataset}/{k}", "donglinkang2021/cs336-assignment5-alignment",
                CS336_MODELS[model], style_of(completion, gold, row["prompt"]), completion, gold,
                bool(row["metrics"]["answer_reward"]), question,
            )
            record["prompt"] = row["prompt"]
            yield record


SOURCES = {"rl-sft": rl_sft, "simple-evals-ru": simple_evals_ru, "cs6493-r1": cs6493_r1, "cs336-r1-zero": cs336_r1_zero}


def family_of(model: str) -> str:
    """The model family of a record's ``model`` field (``"<family>: <model>"``, or Qwen2.5-Math for rl-sft's)."""
    return model.split(":", 1)[0] if ": " in model else "Qwen2.5-Math"


def _compact(text: str) -> str:
    return re.sub(r"\s+|\\[,!;:]|\\left|\\right|\$", "", text)


def traps(record: dict) -> list[str]:
    """``["gold_elsewhere"]`` for a completion labelled wrong whose text contains the gold (spaces removed)."""
    if record["label_audited"]:
        return []
    gold = _compact(record["solution"])
    return ["gold_elsewhere"] if gold and gold in _compact(record["completion"]) else []


def build(raw: Path) -> list[dict]:
    """All labelled records from the source folders under ``raw`` that exist (the GSM8K builder's loop, with this
    set's sources, audits and traps)."""
    return accuracy_data.build(raw, sources=SOURCES, audits=AUDITS, find_traps=traps)


def main(argv: list[str] | None = None) -> int:
    return accuracy_data.main(argv, description=__doc__.splitlines()[0], default_raw=DEFAULT_RAW,
                              default_out=DEFAULT_OUT, styles=STYLES, build_records=build)


if __name__ == "__main__":
    sys.exit(main())
