"""Peak CPU memory (RSS) of one GRPO step: QLoRA (NF4 base) against LoRA on a bf16 / fp32 base and full fine-tuning.

Each configuration runs in its own process. The process imports everything, notes its RSS, builds the trainer (loads
the model), notes its RSS again, resets the kernel's peak-RSS counter (``/proc/self/clear_refs``, Linux) and trains
one step; the peak RSS of that step minus the RSS after imports is the step's memory. Used for docs/qlora_memory.md:

    python tests/grpo_plus/scripts/qlora_memory.py [--hidden 1024 --layers 8 --intermediate 2816] [--out FILE.json]

One configuration (what the driver runs in a subprocess):

    python tests/grpo_plus/scripts/qlora_memory.py --run MODE --model DIR
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

MODES = ("qlora_nf4", "lora_bf16", "lora_fp32", "full_fp32")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def length_reward(completions, **kwargs):
    return [float(len(c)) / 10 for c in completions]


def run_one(mode: str, model_dir: str) -> dict:
    import gc

    import torch
    from datasets import Dataset

    from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
    from grpo_plus.qlora import lora_config, qlora_setup

    torch.set_num_threads(1)
    dataset = Dataset.from_list([{"prompt": f"What is {a} + {b}? "} for a in range(4) for b in range(4)])
    half = mode in ("qlora_nf4", "lora_bf16")
    args = GRPOPlusConfig(
        output_dir=tempfile.mkdtemp(),
        use_cpu=True,
        bf16=half,
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=16,
        max_steps=1,
        learning_rate=1e-3,
        beta=0.04,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=0,
        model_init_kwargs={"dtype": "bfloat16" if mode == "lora_bf16" else "float32"},
    )
    if mode == "qlora_nf4":
        args.model_init_kwargs = None
        extra = qlora_setup(args, r=16)
    elif mode.startswith("lora"):
        extra = {"peft_config": lora_config(r=16)}
    else:
        extra = {}
    gc.collect()
    base = rss_mb()
    trainer = GRPOPlusTrainer(model_dir, reward_funcs=[length_reward], args=args, train_dataset=dataset, **extra)
    gc.collect()
    loaded = rss_mb()
    reset_peak()
    trainer.train()
    step_peak = peak_mb()
    params = sum(p.numel() for p in trainer.model.parameters())
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    return {
        "mode": mode,
        "rss_after_imports_mb": round(base, 1),
        "model_mb": round(loaded - base, 1),
        "step_peak_mb": round(step_peak - base, 1),
        "ref_model": trainer.ref_model is not None,
        "stored_parameters": params,
        "trainable_parameters": trainable,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", choices=MODES)
    parser.add_argument("--model")
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--intermediate", type=int, default=2816)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--out")
    options = parser.parse_args()
    if options.run:
        print(json.dumps(run_one(options.run, options.model)))
        return
    from grpo_plus.demo.tiny import save_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = save_tiny_model(
            Path(tmp) / "model",
            hidden_size=options.hidden,
            num_layers=options.layers,
            intermediate_size=options.intermediate,
            num_heads=options.heads,
        )
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
        results = []
        for mode in options.modes.split(","):
            done = subprocess.run(
                [sys.executable, __file__, "--run", mode, "--model", model_dir],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"{mode} failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            logger.info("%s", results[-1])
    reference = next((r for r in results if r["mode"] == "lora_fp32"), results[0])
    for r in results:
        r["model_vs_lora_fp32"] = round(r["model_mb"] / reference["model_mb"], 3)
        r["step_peak_vs_lora_fp32"] = round(r["step_peak_mb"] / reference["step_peak_mb"], 3)
    report = {
        "model": {"hidden": options.hidden, "layers": options.layers, "intermediate": options.intermediate},
        "results": results,
    }
    text = json.dumps(report, indent=2)
    if options.out:
        Path(options.out).write_text(text)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
