"""QLoRA for GRPO on one GPU: a 4-bit NF4 base model (bitsandbytes), LoRA adapters, gradient checkpointing.

The pieces are TRL's and PEFT's; this module only builds them with the QLoRA paper's defaults (Dettmers et al. 2023,
arXiv 2305.14314: NF4, double quantisation, adapters on every linear layer) and checks that they fit together::

    from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
    from grpo_plus.qlora import qlora_setup

    args = GRPOPlusConfig(output_dir="out", reward_funcs=["accuracy"], optim="paged_adamw_8bit")
    trainer = GRPOPlusTrainer("Qwen/Qwen2.5-1.5B-Instruct", args=args, train_dataset=dataset,
                              **qlora_setup(args, r=16, lora_alpha=32))

What happens then, all inherited from TRL:

- the model is loaded from its id/path with ``quantization_config`` (a model passed as an instance is not quantised:
  TRL ignores ``quantization_config`` then, so :func:`qlora_setup` needs the trainer to load the model);
- ``peft_config`` wraps it in a ``PeftModel``; TRL casts the trainable adapter weights to bfloat16 (QLoRA paper §3);
- with ``beta > 0`` there is no second model: the reference log-probs come from the same weights with the adapters
  disabled (``trainer.ref_model is None``), so the 4-bit base is held once;
- gradient checkpointing (TRL's default) keeps one activation per layer instead of all of them.

Memory figures for Qwen2.5-1.5B / 7B and how they are derived: ``docs/qlora_memory.md``.

On a CPU with AVX512-BF16 (recent Intel Xeon), bitsandbytes >= 0.49 rewrites a 4-bit weight in place into a packed
layout for a bfloat16 inference kernel the first time its layer runs in eval mode without gradients (an evaluation
pass, ``model.eval()`` + ``generate``). Training afterwards is broken (see :func:`disable_cpu_repacking`, which keeps
the policy's 4-bit layers on bitsandbytes' generic kernel in every mode; call it on ``trainer.model`` after building
the trainer when a QLoRA run on the CPU evaluates). CUDA is unaffected, and so is training without evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rewards._names import choice_error

logger = logging.getLogger(__name__)

__all__ = [
    "COMPUTE_DTYPES",
    "QUANT_TYPES",
    "bnb_4bit_config",
    "disable_cpu_repacking",
    "lora_config",
    "qlora_setup",
]

COMPUTE_DTYPES = ("bfloat16", "float16", "float32")
QUANT_TYPES = ("nf4", "fp4")


def _choice(field: str, value: Any, choices: Sequence[Any]) -> None:
    if value not in choices:
        raise ValueError(choice_error(field, value, choices))


def _dtype_name(value: Any, field: str) -> str:
    name = str(value).removeprefix("torch.")
    _choice(field, name, COMPUTE_DTYPES)
    return name


def bnb_4bit_config(
    compute_dtype: str = "bfloat16",
    quant_type: str = "nf4",
    double_quant: bool = True,
    quant_storage: str | None = None,
):
    """A ``transformers.BitsAndBytesConfig`` for 4-bit weights.

    Args:
        compute_dtype: dtype the 4-bit weights are dequantised to for each matmul ("bfloat16", "float16" or
            "float32"; a ``torch.dtype`` is accepted too). Use "float16" on GPUs without bfloat16 (T4, V100).
        quant_type: "nf4" (4-bit NormalFloat, the QLoRA default) or "fp4".
        double_quant: quantise the per-block absmax constants too (8-bit, blocks of 256): 0.127 instead of 0.5
            extra bits per weight.
        quant_storage: dtype the packed weights are stored in (default uint8); FSDP needs it equal to the dtype of
            the other parameters, e.g. "bfloat16".
    """
    import torch
    from transformers import BitsAndBytesConfig

    compute = _dtype_name(compute_dtype, "compute_dtype")
    _choice("quant_type", quant_type, QUANT_TYPES)
    kwargs: dict[str, Any] = {}
    if quant_storage is not None:
        kwargs["bnb_4bit_quant_storage"] = getattr(torch, _dtype_name(quant_storage, "quant_storage"))
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=quant_type,
        bnb_4bit_use_double_quant=bool(double_quant),
        bnb_4bit_compute_dtype=getattr(torch, compute),
        **kwargs,
    )


def lora_config(
    r: int = 16,
    lora_alpha: float | None = None,
    lora_dropout: float = 0.05,
    target_modules: str | Sequence[str] = "all-linear",
    **kwargs: Any,
):
    """A ``peft.LoraConfig`` for a causal LM.

    Args:
        r: adapter rank (> 0).
        lora_alpha: scaling numerator (the update is scaled by ``lora_alpha / r``); default ``2 * r``.
        lora_dropout: dropout on the adapter input, in [0, 1).
        target_modules: "all-linear" (every linear layer except the output head, as in the QLoRA paper) or a list of
            module names such as ``["q_proj", "k_proj", "v_proj", "o_proj"]``.
        **kwargs: any other ``LoraConfig`` field (``use_rslora``, ``use_dora``, ``modules_to_save``, ...).
    """
    from peft import LoraConfig

    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        raise ValueError(f"r={r!r} is not valid; the LoRA rank must be a positive integer")
    alpha = 2 * r if lora_alpha is None else lora_alpha
    if not alpha or alpha <= 0:
        raise ValueError(f"lora_alpha={lora_alpha!r} is not valid; it must be positive")
    if not 0.0 <= lora_dropout < 1.0:
        raise ValueError(f"lora_dropout={lora_dropout!r} is not valid; it must be in [0, 1)")
    if isinstance(target_modules, str):
        if target_modules != "all-linear" and not target_modules.strip():
            raise ValueError("target_modules is empty; use 'all-linear' or a list of module names")
    else:
        target_modules = list(target_modules)
        if not target_modules or not all(isinstance(m, str) and m for m in target_modules):
            raise ValueError(f"target_modules={target_modules!r} is not valid; use 'all-linear' or module names")
    kwargs.setdefault("task_type", "CAUSAL_LM")
    kwargs.setdefault("bias", "none")
    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=lora_dropout, target_modules=target_modules, **kwargs)


def qlora_setup(
    args=None,
    *,
    r: int = 16,
    lora_alpha: float | None = None,
    lora_dropout: float = 0.05,
    target_modules: str | Sequence[str] = "all-linear",
    compute_dtype: str = "bfloat16",
    quant_type: str = "nf4",
    double_quant: bool = True,
    quant_storage: str | None = None,
    dtype: str | None = None,
    **lora_kwargs: Any,
) -> dict[str, Any]:
    """The keyword arguments that make ``GRPOPlusTrainer(model_id, ...)`` train QLoRA.

    Returns ``{"quantization_config": BitsAndBytesConfig, "peft_config": LoraConfig}``; pass them with ``**`` and give
    the model as an id or path (TRL loads and quantises it).

    When ``args`` (a ``GRPOPlusConfig`` / ``GRPOConfig``) is given it is checked and completed in place:

    - ``args.model_init_kwargs["dtype"]`` is set to ``dtype`` (default: ``compute_dtype``) unless already set: it is the
      dtype of the weights that stay unquantised (embeddings, output head, norms). Without it TRL loads them in
      float32, twice the memory (Qwen2.5-1.5B: 0.93 instead of 0.47 GB of embeddings);
    - a ``quantization_config`` already in ``args.model_init_kwargs`` raises (give it in one place);
    - ``gradient_checkpointing=False`` logs a warning (activations then grow with the number of layers).

    The other arguments are those of :func:`bnb_4bit_config` and :func:`lora_config`.
    """
    quantization = bnb_4bit_config(
        compute_dtype=compute_dtype, quant_type=quant_type, double_quant=double_quant, quant_storage=quant_storage
    )
    peft = lora_config(
        r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, target_modules=target_modules, **lora_kwargs
    )
    weights_dtype = _dtype_name(dtype if dtype is not None else compute_dtype, "dtype")
    if args is not None:
        init_kwargs = dict(args.model_init_kwargs or {})
        if init_kwargs.get("quantization_config") is not None:
            raise ValueError(
                "model_init_kwargs already has a quantization_config; qlora_setup passes its own to the trainer. "
                "Remove one of them (TRL accepts it in only one place)"
            )
        init_kwargs.setdefault("dtype", weights_dtype)
        args.model_init_kwargs = init_kwargs
        if not getattr(args, "gradient_checkpointing", False):
            logger.warning(
                "QLoRA without gradient checkpointing: activation memory grows with every layer; set "
                "gradient_checkpointing=True (TRL's default) unless memory is plentiful"
            )
    return {"quantization_config": quantization, "peft_config": peft}


def disable_cpu_repacking(model) -> int:
    """Keep every bitsandbytes 4-bit layer of ``model`` in the layout QLoRA trains on, also on AVX512-BF16 CPUs.

    bitsandbytes >= 0.49 (``Linear4bit.forward``), on a CPU whose ``has_avx512bf16()`` is true, converts a layer's
    packed NF4/FP4 weight **in place** to another layout the first time the layer runs in eval mode on an input
    without gradient, and from then on computes that layer with a bfloat16 kernel whatever the compute dtype. For a
    model being trained this means:

    - eval-mode, no-grad log-probs differ from the train-mode ones the trainer computes (about 3e-3 in float32);
    - the converted kernel has no backward: the next training step fails in a biased layer (``RuntimeError: a view of
      a leaf Variable that requires grad is being used in an in-place operation``, Qwen2's q/k/v projections) and,
      in a layer without bias, lets no gradient through the frozen base, so the adapters below it get wrong
      gradients with only a PyTorch warning;
    - a layer with ``out_features`` not a multiple of 32 or ``in_features`` not a multiple of the quantisation block
      cannot be converted and raises;
    - converting back (``state_dict()``, ``save_pretrained``, ``.cuda()``) re-quantises the absmax constants from
      bfloat16, so the frozen base is no longer the one that was loaded.

    This sets each ``bitsandbytes.nn.Linear4bit``'s ``support_avx512bf16_for_cpu`` to False, which keeps it on the
    generic kernel (the one used in training mode and on CPUs without the feature) in every mode. A layer that was
    already converted is converted back first, with a warning (its absmax constants are then re-quantised, see above).
    It changes nothing on CUDA, where the flag is not read. ``GRPOPlusTrainer`` calls it on its model right after
    loading it; with TRL's own trainer, call it on ``trainer.model`` before any eval-mode forward (``eval_strategy``,
    ``trainer.evaluate()``, your own ``model.eval()`` + ``generate``) of a model you go on training.

    Returns:
        the number of 4-bit layers found (0 when bitsandbytes is not installed or the model has none).
    """
    try:
        import bitsandbytes as bnb
    except ImportError:
        return 0
    layers, converted = 0, []
    for name, module in model.named_modules():
        if not isinstance(module, bnb.nn.Linear4bit):
            continue
        layers += 1
        module.support_avx512bf16_for_cpu = False
        weight = module.weight
        if getattr(getattr(weight, "quant_state", None), "packing_format_for_cpu", False):
            from bitsandbytes.functional import _convert_weight_packed_for_cpu_inverse

            weight.data, weight.quant_state = _convert_weight_packed_for_cpu_inverse(weight.data, weight.quant_state)
            converted.append(name)
    if converted:
        logger.warning(
            "%d 4-bit layer(s) had been repacked for bitsandbytes' AVX512-BF16 CPU kernel by an eval-mode forward "
            "(first: %s); converted back, with their absmax constants re-quantised (not bit-identical to the loaded "
            "weights). Call disable_cpu_repacking before any eval-mode forward to keep them exact",
            len(converted),
            converted[0],
        )
    return layers
