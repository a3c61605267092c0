"""Every ```python snippet of README.md and docs/*.md runs, one test each, in a fresh namespace.

The snippets are written for a GPU machine with the Hugging Face Hub; here they run offline on the CPU with these
documented substitutions, and nothing else changed:

- Hub model ids (HUB_MODELS) are replaced in the snippet's text by the path of a tiny offline Qwen2 model with the same
  architecture family (grpo_plus.demo.tiny), because tests never reach the network.
- Hub datasets (HUB_DATASETS) come from a patched ``datasets.load_dataset`` that returns a few rows with the hub
  dataset's columns (hand-written GSM8K-style rows), for the same reason.
- ``grpo_plus.GRPOPlusConfig`` is wrapped so that every config a snippet builds also gets CPU_RUN (this machine has
  no GPU: TRL's bf16 default refuses to build without ``use_cpu=True``) and TINY_RUN (one optimizer step of a few short
  completions, so a snippet that calls ``trainer.train()`` runs in seconds instead of days). A snippet's own values
  win for every other field.
- The working directory is a temporary folder (the snippets' ``output_dir="out"`` lands there), and the reward registry
  is restored after each snippet (two pages may register the same example reward).

A snippet that cannot run even so would be compiled only, with its reason in COMPILE_ONLY; none needs it today.
"""

from __future__ import annotations

import re

import pytest

from tests.docs.snippets import all_snippets

SNIPPETS = all_snippets("python")

# Hub model id -> the fixture name of its offline stand-in.
HUB_MODELS = {
    "Qwen/Qwen2.5-1.5B-Instruct": "docs_model_dir",
}
CPU_RUN = dict(use_cpu=True, bf16=False, report_to="none", disable_tqdm=True, dataloader_num_workers=0)
TINY_RUN = dict(
    max_steps=1, per_device_train_batch_size=4, num_generations=2, max_completion_length=8, logging_steps=1,
    save_strategy="no", seed=0,
)
# str(snippet) without its "@L<line>" -> why it is compiled but not run.
COMPILE_ONLY: dict[str, str] = {}
_HUB_ID = re.compile(r"""["']([A-Za-z0-9][\w.-]*/[\w.-]+)["']""")


def _gsm8k(name=None, split=None, **kwargs):
    """GSM8K's columns (question, answer with its ``#### value`` line) on a few hand-written rows."""
    from datasets import Dataset

    rows = [
        {"question": "Tom has 3 apples and buys 4 more. How many apples does he have?",
         "answer": "Tom has 3 + 4 = <<3+4=7>>7 apples.\n#### 7"},
        {"question": "A box holds 6 eggs. How many eggs are in 2 boxes?",
         "answer": "2 boxes hold 2 * 6 = <<2*6=12>>12 eggs.\n#### 12"},
        {"question": "Ann had 10 pencils and gave away 4. How many are left?",
         "answer": "She has 10 - 4 = <<10-4=6>>6 pencils left.\n#### 6"},
        {"question": "Each of 5 children gets 2 sweets. How many sweets are given out?",
         "answer": "5 * 2 = <<5*2=10>>10 sweets.\n#### 10"},
    ]
    return Dataset.from_list(rows)


HUB_DATASETS = {"openai/gsm8k": _gsm8k}


@pytest.fixture(scope="session")
def docs_model_dir(tmp_path_factory, bpe_tokenizer):
    """The stand-in for a hub causal LM: a tiny Qwen2 whose linear layers are wide enough for bitsandbytes' NF4
    blocks (the QLoRA page quantises it)."""
    from grpo_plus.demo.tiny import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("docs-model"), tokenizer=bpe_tokenizer, hidden_size=128,
                           intermediate_size=256, num_layers=2)


@pytest.fixture
def isolated_registry():
    from rewards import registry

    reg = registry._REGISTRY
    entries = dict(reg._entries)
    yield reg
    reg._entries.clear()
    reg._entries.update(entries)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """Patch the hub entry points and the config as the module docstring says; work in tmp_path."""
    import datasets

    import grpo_plus

    real_load_dataset, real_config = datasets.load_dataset, grpo_plus.GRPOPlusConfig

    def load_dataset(path, *args, **kwargs):
        if path in HUB_DATASETS:
            return HUB_DATASETS[path](*args, **kwargs)
        return real_load_dataset(path, *args, **kwargs)

    def config(*args, **kwargs):
        return real_config(*args, **{**kwargs, **CPU_RUN, **TINY_RUN})

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.setattr(grpo_plus, "GRPOPlusConfig", config)
    monkeypatch.chdir(tmp_path)


def offline_code(snippet, request) -> str:
    """The snippet's text with every hub model id replaced by its stand-in's path; an unknown hub id fails."""
    code = snippet.code
    for hub_id in set(_HUB_ID.findall(code)):
        if hub_id in HUB_DATASETS:
            continue
        assert hub_id in HUB_MODELS, (
            f"{snippet} names the hub id {hub_id!r}, which has no offline stand-in: add it to HUB_MODELS or "
            "HUB_DATASETS in tests/docs/test_python_snippets.py"
        )
        code = re.sub(rf"""(["']){re.escape(hub_id)}\1""", repr(request.getfixturevalue(HUB_MODELS[hub_id])), code)
    return code


@pytest.mark.parametrize("snippet", SNIPPETS, ids=str)
def test_python_snippet_runs(snippet, request, offline, isolated_registry):
    compiled = compile(snippet.code, str(snippet), "exec")
    key = str(snippet).split("@")[0]
    if key in COMPILE_ONLY:
        pytest.skip(f"compiled only: {COMPILE_ONLY[key]}")
    compiled = compile(offline_code(snippet, request), str(snippet), "exec")
    namespace = {"__name__": f"docs_snippet_{snippet.index}"}
    exec(compiled, namespace)
    if ".train()" in snippet.code:  # a snippet that trains did train: the one step of TINY_RUN
        assert namespace["trainer"].state.global_step == TINY_RUN["max_steps"]


def test_every_compile_only_entry_names_a_snippet():
    assert set(COMPILE_ONLY) <= {str(s).split("@")[0] for s in SNIPPETS}
