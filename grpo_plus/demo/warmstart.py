"""The demo's warm start: a tiny Qwen2 taught the answer format by a short supervised run, cached on disk.

GRPO cannot learn from a model that never earns a reward, so the demo starts from a model that already writes
``<think>a+b=c</think><answer>c</answer>`` and is right part of the time. It is trained here, deterministically
(fixed seeds, one CPU thread), on worked examples from a *sloppy teacher*: with probability ``slip_rate`` the
example shows a wrong result (the true one plus a small slip such as ±1), in both the think and the answer block.
The student imitates the teacher, slips included: it knows the right result (it is the most likely one) but samples a
wrong one most of the time, so its sampled accuracy starts low (about 0.3) and GRPO, rewarded only for correct
answers, can raise it well above the teacher's. A model under-trained on clean examples would also leave room,
but where it lands depends on exactly when training stops; this one is trained to convergence and lands reliably.

The checkpoint (model ≈ 1.4 MB, tokenizer, ``warm_start.json``) is cached under
``<cache root>/<prefix>-<key>``, where the key hashes the :class:`WarmStartConfig` (its class and fields), the code
of the modules that build it (docstrings and comments left out) and the torch / transformers / tokenizers versions,
so a change to any of them builds a fresh one. Another task reuses all of this by subclassing :class:`WarmStartConfig` and overriding what the teacher
writes (:meth:`~WarmStartConfig.examples`), the tokenizer corpus, the modules hashed into the key and the prefix
(:mod:`grpo_plus.demo.multistep` does).
The cache root is ``$GRPO_PLUS_CACHE``, else ``$XDG_CACHE_HOME/grpo_plus``, else ``~/.cache/grpo_plus``.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import ClassVar

from grpo_plus.demo import data, tiny

logger = logging.getLogger(__name__)

INFO_FILENAME = "warm_start.json"


@dataclass(frozen=True)
class WarmStartConfig:
    """Everything that determines the warm-start checkpoint (part of its cache key).

    The methods say what the sloppy teacher writes; a subclass (a frozen dataclass) overrides them for another task.
    """

    cache_prefix: ClassVar[str] = "demo"

    seed: int = 0
    steps: int = 400
    batch_size: int = 32
    learning_rate: float = 3e-3
    warmup_steps: int = 20
    slip_rate: float = 0.6
    slips: tuple[int, ...] = (-2, -1, 1, 2)
    ops: tuple[str, ...] = ("+",)
    max_operand: int = data.MAX_OPERAND
    vocab_size: int = 400
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 256

    def __post_init__(self):
        if not 0.0 <= self.slip_rate < 1.0:
            raise ValueError(f"WarmStartConfig.slip_rate must be in [0, 1), got {self.slip_rate!r}")
        if self.slip_rate > 0 and not any(s > 0 for s in self.slips):
            raise ValueError(f"WarmStartConfig.slips needs a positive slip (answers can be 0), got {self.slips!r}")
        for name in ("steps", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"WarmStartConfig.{name} must be >= 1, got {getattr(self, name)!r}")

    def examples(self, rng: random.Random, n: int) -> list[tuple[str, str]]:
        """``n`` (prompt, teacher completion) pairs drawn from ``rng``: the problems first, then their completions."""
        problems = [data.sample_problem(rng, self.ops, self.max_operand) for _ in range(n)]
        return [(p.prompt, sloppy_completion(p, rng, self)) for p in problems]

    def tokenizer_corpus(self) -> list[str]:
        """Texts the demo tokenizer's merges are trained on."""
        return data.tokenizer_corpus()

    def source_modules(self) -> tuple[ModuleType, ...]:
        """Modules whose code is part of the cache key (besides this one)."""
        return (data, tiny)


def default_cache_root() -> Path:
    if os.environ.get("GRPO_PLUS_CACHE"):
        return Path(os.environ["GRPO_PLUS_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "grpo_plus"


def code_fingerprint(path: str | Path) -> bytes:
    """A module's code without docstrings, comments or layout: ``ast.dump`` of its parsed source with every module,
    class and function docstring removed. Editing documentation keeps a cache key; editing code changes it."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def cache_key(config: WarmStartConfig) -> str:
    """12 hex digits of a hash of the config, the builder's code (:func:`code_fingerprint`) and the library
    versions."""
    import tokenizers
    import torch
    import transformers

    digest = hashlib.sha256()
    digest.update(json.dumps(dataclasses.asdict(config), sort_keys=True).encode())
    digest.update(f"{type(config).__module__}.{type(config).__qualname__}".encode())
    for version in (torch.__version__, transformers.__version__, tokenizers.__version__):
        digest.update(version.encode())
    for module in config.source_modules():
        digest.update(code_fingerprint(module.__file__))
    digest.update(code_fingerprint(__file__))
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(num_threads)`` (unchanged if None), restoring the count after.

    Tiny models gain little from a second thread, and on a busy machine several spinning OpenMP threads per process
    are many times slower than one.
    """
    import torch

    previous = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def build_tokenizer(config: WarmStartConfig = WarmStartConfig()):
    """The demo tokenizer: byte-level BPE with one token per digit and the four answer tags as single tokens."""
    return tiny.build_bpe_tokenizer(
        config.tokenizer_corpus(), vocab_size=config.vocab_size, split_digits=True, extra_tokens=data.TAGS
    )


def sloppy_completion(problem: data.Problem, rng: random.Random, config: WarmStartConfig) -> str:
    """The teacher's worked completion: correct, or with probability ``slip_rate`` off by one of ``slips``."""
    if rng.random() >= config.slip_rate:
        return problem.completion()
    wrong = [problem.answer + s for s in config.slips if s != 0 and problem.answer + s >= 0]
    return problem.completion(rng.choice(wrong))


def _batch(tokenizer, texts: Sequence[tuple[str, str]]):
    """Right-padded (B, L) input ids, attention mask and labels; the loss covers completion tokens and the eos."""
    import torch

    rows = []
    for prompt, completion in texts:
        prompt_ids = tokenizer(prompt)["input_ids"]
        completion_ids = tokenizer(completion)["input_ids"] + [tokenizer.eos_token_id]
        rows.append((prompt_ids + completion_ids, [-100] * len(prompt_ids) + completion_ids))
    length = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), length), tokenizer.pad_token_id, dtype=torch.long)
    labels = torch.full((len(rows), length), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), length), dtype=torch.long)
    for i, (ids, lab) in enumerate(rows):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        labels[i, : len(lab)] = torch.tensor(lab)
        mask[i, : len(ids)] = 1
    return input_ids, mask, labels


def train_warm_start(config: WarmStartConfig = WarmStartConfig(), progress: bool = False):
    """Build the tokenizer and a fresh tiny model, and fit it to the sloppy teacher (AdamW, warmup then linear decay).

    Returns ``(model, tokenizer, final_loss)``. Deterministic for a given config and thread count. ``progress`` shows
    a progress bar.
    """
    import torch
    from tqdm.auto import tqdm

    tokenizer = build_tokenizer(config)
    model = tiny.build_tiny_model(
        tokenizer,
        hidden_size=config.hidden_size,
        num_layers=config.num_layers,
        num_heads=config.num_heads,
        intermediate_size=config.intermediate_size,
        seed=config.seed,
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min(1.0, (step + 1) / config.warmup_steps) * max(0.0, 1.0 - step / config.steps),
    )
    rng = random.Random(config.seed)
    model.train()
    loss = torch.tensor(float("nan"))
    for step in tqdm(range(config.steps), desc="warm start (SFT)", disable=not progress, dynamic_ncols=True):
        input_ids, mask, labels = _batch(tokenizer, config.examples(rng, config.batch_size))
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        if (step + 1) % 100 == 0:
            logger.debug("warm start step %d/%d: loss %.4f", step + 1, config.steps, loss.item())
    model.eval()
    return model, tokenizer, float(loss.item())


def save_warm_start(
    path: str | os.PathLike,
    config: WarmStartConfig = WarmStartConfig(),
    num_threads: int | None = 1,
    progress: bool = False,
):
    """Train the warm start and save model, tokenizer and ``warm_start.json`` (config, loss, seconds) to ``path``."""
    path = Path(path)
    start = time.perf_counter()
    with torch_threads(num_threads):
        model, tokenizer, loss = train_warm_start(config, progress=progress)
    seconds = time.perf_counter() - start
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    info = {"config": dataclasses.asdict(config), "final_loss": loss, "train_seconds": round(seconds, 2)}
    (path / INFO_FILENAME).write_text(json.dumps(info, indent=2) + "\n")
    logger.info(
        "warm start: %s-parameter model trained for %d steps in %.1f s (loss %.3f), saved to %s",
        f"{model.num_parameters():,}",
        config.steps,
        seconds,
        loss,
        path,
    )
    return str(path)


def ensure_warm_start(
    config: WarmStartConfig = WarmStartConfig(),
    cache_root: str | os.PathLike | None = None,
    rebuild: bool = False,
    num_threads: int | None = 1,
    progress: bool = False,
) -> str:
    """The path of the cached warm-start checkpoint for ``config``, building it first if needed.

    The build goes to a temporary directory that is renamed into place, so concurrent callers never see a partial
    checkpoint (the first rename wins; a loser discards its copy).
    """
    root = Path(cache_root) if cache_root is not None else default_cache_root()
    target = root / f"{config.cache_prefix}-{cache_key(config)}"
    if rebuild and target.exists():
        shutil.rmtree(target)
    if (target / INFO_FILENAME).exists():
        logger.info("warm start: using the cached checkpoint %s", target)
        return str(target)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
    try:
        logger.info("warm start: building %s (once; cached for later runs)", target)
        save_warm_start(staging, config, num_threads=num_threads, progress=progress)
        try:
            staging.rename(target)
        except OSError:
            if not (target / INFO_FILENAME).exists():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return str(target)
