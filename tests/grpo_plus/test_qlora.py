"""QLoRA through GRPOPlusTrainer, for real in 4-bit (bitsandbytes runs NF4 layers on the CPU).

One short run on a tiny Qwen2 (hidden 128, a multiple of the 64-weight quantisation block) is shared by the tests:
the quantised base stays bit-identical, only adapter weights move, the reference log-probs are the policy's with
the adapters disabled (no second copy of the model), the saved adapter reloads to the same log-probs, and the paged
8-bit AdamW keeps 8-bit states.

Log-probs are compared as the trainer computes them: training mode (dropout 0 here), no gradient. On a CPU with
AVX512-BF16, bitsandbytes computes an eval-mode, no-grad forward with another kernel after repacking the weights in
place; those tests check that behaviour and grpo_plus.qlora.disable_cpu_repacking, which keeps training exact.
"""

from __future__ import annotations

import gc
import json
import logging
from types import SimpleNamespace

import bitsandbytes as bnb
import pytest
import torch

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.demo.tiny import save_tiny_model
from grpo_plus.qlora import bnb_4bit_config, disable_cpu_repacking, lora_config, qlora_setup
from tests.tiny_run import tiny_run

HIDDEN, INTERMEDIATE, LAYERS, RANK = 128, 256, 2, 32
LINEAR_NAMES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
AVX512BF16 = bool(bnb.functional.has_avx512bf16())  # bitsandbytes' own test of the CPU feature
needs_avx512bf16 = pytest.mark.skipif(
    not AVX512BF16, reason="this CPU lacks AVX512-BF16: bitsandbytes never repacks 4-bit weights on it"
)


def length_reward(completions, **kwargs):
    return [float(len(c)) for c in completions]


def completion_logps(model, batch) -> torch.Tensor:
    """(B, T) log-probs of the completion tokens from plain logits (no fused head), 0 where the mask is 0.

    Computed as TRL computes the policy and reference log-probs during training: the model in training mode (the runs
    here have no dropout), no gradient."""
    model.train()
    ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], dim=1)
    mask = torch.cat([batch["prompt_mask"], batch["completion_mask"]], dim=1)
    width = batch["completion_ids"].size(1)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits[:, -width - 1 : -1].float()
    logps = logits.log_softmax(-1).gather(-1, batch["completion_ids"].unsqueeze(-1)).squeeze(-1)
    return logps * batch["completion_mask"]


def repacked(layer) -> bool:
    """Whether bitsandbytes has rewritten this Linear4bit's weight into its AVX512-BF16 CPU layout."""
    return bool(getattr(layer.weight.quant_state, "packing_format_for_cpu", False))


def quantised_state(model) -> dict[str, torch.Tensor]:
    """Every packed 4-bit weight and every tensor of its quant state (absmax, nested absmax, code maps)."""
    state = {}
    for name, module in model.named_modules():
        if isinstance(module, bnb.nn.Linear4bit):
            weight = module.weight
            quant = weight.quant_state
            state[f"{name}.weight"] = weight.data.clone()
            state[f"{name}.absmax"] = quant.absmax.clone()
            state[f"{name}.code"] = quant.code.clone()
            state[f"{name}.offset"] = quant.offset.clone()
            state[f"{name}.nested_absmax"] = quant.state2.absmax.clone()
            state[f"{name}.nested_code"] = quant.state2.code.clone()
    return state


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, bpe_tokenizer):
    return save_tiny_model(
        tmp_path_factory.mktemp("tiny-qwen2-128"),
        tokenizer=bpe_tokenizer,
        hidden_size=HIDDEN,
        intermediate_size=INTERMEDIATE,
        num_layers=LAYERS,
    )


@pytest.fixture(scope="module")
def run(model_dir, tiny_dataset, tmp_path_factory):
    """Three QLoRA GRPO steps in 4-bit with paged 8-bit AdamW; captures every generation batch."""
    out = tmp_path_factory.mktemp("qlora-run")
    args = GRPOPlusConfig(**tiny_run(out / "out", max_steps=3, learning_rate=5e-2, optim="paged_adamw_8bit"))
    setup = qlora_setup(args, r=RANK, lora_alpha=16, lora_dropout=0.0, compute_dtype="float32")
    trainer = GRPOPlusTrainer(model_dir, reward_funcs=[length_reward], args=args, train_dataset=tiny_dataset, **setup)
    before_quantised = quantised_state(trainer.model)
    before_params = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    params4bit_objects = sum(isinstance(o, bnb.nn.Params4bit) for o in gc.get_objects())
    batches = []
    generate = trainer._generate_and_score_completions

    def capture(inputs):
        output = generate(inputs)
        batches.append({k: v.detach().clone() for k, v in output.items() if isinstance(v, torch.Tensor)})
        return output

    trainer._generate_and_score_completions = capture
    trainer.train()
    adapter_dir = out / "adapter"
    trainer.save_model(str(adapter_dir))
    return SimpleNamespace(
        trainer=trainer,
        args=args,
        setup=setup,
        before_quantised=before_quantised,
        before_params=before_params,
        params4bit_objects=params4bit_objects,
        batches=batches,
        adapter_dir=adapter_dir,
    )


# --------------------------------------------------------------------------------------------- config builders
def test_bnb_config_defaults_are_qlora():
    config = bnb_4bit_config()
    assert config.load_in_4bit and not config.load_in_8bit
    assert config.bnb_4bit_quant_type == "nf4"
    assert config.bnb_4bit_use_double_quant is True
    assert config.bnb_4bit_compute_dtype == torch.bfloat16
    assert bnb_4bit_config(compute_dtype=torch.float16).bnb_4bit_compute_dtype == torch.float16
    assert bnb_4bit_config(quant_storage="bfloat16").bnb_4bit_quant_storage == torch.bfloat16


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"compute_dtype": "float64"},
         "compute_dtype='float64' is not valid; choose one of: 'bfloat16', 'float16', 'float32'; did you mean 'float16'?"),
        ({"quant_type": "int4"}, "quant_type='int4' is not valid; choose one of: 'nf4', 'fp4'"),
    ],
)
def test_bnb_config_rejects(kwargs, message):
    with pytest.raises(ValueError) as info:
        bnb_4bit_config(**kwargs)
    assert str(info.value) == message


def test_lora_config_defaults_and_rejects():
    config = lora_config(r=8)
    assert (config.r, config.lora_alpha, config.lora_dropout) == (8, 16, 0.05)
    assert config.target_modules == "all-linear"
    assert config.task_type == "CAUSAL_LM"
    assert set(lora_config(target_modules=["q_proj", "v_proj"]).target_modules) == {"q_proj", "v_proj"}
    with pytest.raises(ValueError, match="r=0 is not valid"):
        lora_config(r=0)
    with pytest.raises(ValueError, match=r"lora_dropout=1.0 is not valid; it must be in \[0, 1\)"):
        lora_config(lora_dropout=1.0)
    with pytest.raises(ValueError, match="target_modules=\\[\\] is not valid"):
        lora_config(target_modules=[])


def test_qlora_setup_completes_args(tmp_path, caplog):
    args = GRPOPlusConfig(output_dir=str(tmp_path), use_cpu=True, report_to="none", gradient_checkpointing=False)
    with caplog.at_level(logging.WARNING, logger="grpo_plus.qlora"):
        setup = qlora_setup(args, r=4)
    assert set(setup) == {"quantization_config", "peft_config"}
    assert args.model_init_kwargs == {"dtype": "bfloat16"}
    assert "QLoRA without gradient checkpointing" in caplog.text
    args.model_init_kwargs = {"dtype": "float32", "quantization_config": bnb_4bit_config()}
    with pytest.raises(ValueError, match="model_init_kwargs already has a quantization_config"):
        qlora_setup(args)


# --------------------------------------------------------------------------------------------- the 4-bit run
def test_model_is_4bit_nf4_with_lora_on_every_linear_layer(run):
    model = run.trainer.model
    base = model.get_base_model()
    quantised = [n for n, m in base.named_modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert len(quantised) == LAYERS * len(LINEAR_NAMES)
    # PEFT keeps each quantised linear as the base_layer of its LoRA wrapper
    assert {tuple(n.split(".")[-2:]) for n in quantised} == {(name, "base_layer") for name in LINEAR_NAMES}
    assert not isinstance(base.lm_head, bnb.nn.Linear4bit)
    weight = base.model.layers[0].mlp.down_proj.weight
    assert weight.dtype == torch.uint8 and weight.numel() == HIDDEN * INTERMEDIATE // 2  # two 4-bit values per byte
    assert weight.quant_state.quant_type == "nf4" and weight.quant_state.nested
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert len(trainable) == 2 * LAYERS * len(LINEAR_NAMES)
    assert all(".lora_A." in n or ".lora_B." in n for n in trainable)
    assert model.peft_config["default"].r == RANK
    assert base.model.layers[0].self_attn.q_proj.scaling["default"] == 16 / RANK
    assert base.is_gradient_checkpointing
    # GRPOPlusTrainer keeps bitsandbytes off its CPU eval repacking, which would break training (AVX512-BF16 CPUs)
    assert not any(m.support_avx512bf16_for_cpu for m in base.modules() if isinstance(m, bnb.nn.Linear4bit))


def test_training_changes_only_adapters(run):
    after_quantised = quantised_state(run.trainer.model)
    assert after_quantised.keys() == run.before_quantised.keys() and after_quantised
    for name, tensor in run.before_quantised.items():
        assert torch.equal(tensor, after_quantised[name]), name
    changed = {n for n, p in run.trainer.model.named_parameters() if not torch.equal(p.detach(), run.before_params[n])}
    assert changed and all(".lora_" in n for n in changed)
    lora_b = {n for n in run.before_params if ".lora_B." in n}
    assert lora_b <= changed  # B starts at 0 and every B received updates


def test_reference_is_the_base_with_adapters_disabled(run):
    trainer = run.trainer
    assert trainer.ref_model is None
    assert list(trainer.model.peft_config) == ["default"]  # no "ref" adapter either
    # the 4-bit weights exist once: the policy's 14 quantised linears are the only Params4bit objects alive
    assert run.params4bit_objects == LAYERS * len(LINEAR_NAMES)
    model = trainer.model
    for batch in run.batches[1:]:  # from step 2 on the adapters are no longer zero
        mask = batch["completion_mask"].bool()
        with model.disable_adapter():
            base_logps = completion_logps(model, batch)
        policy_logps = completion_logps(model, batch)
        torch.testing.assert_close(batch["ref_per_token_logps"][mask], base_logps[mask], rtol=0, atol=1e-5)
        assert (policy_logps - base_logps)[mask].abs().max() > 1e-3


def test_adapter_saves_and_reloads(run, model_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    saved = {p.name for p in run.adapter_dir.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json"} <= saved
    assert "model.safetensors" not in saved
    config = json.loads((run.adapter_dir / "adapter_config.json").read_text())
    assert config["r"] == RANK and config["lora_alpha"] == 16
    base = AutoModelForCausalLM.from_pretrained(
        model_dir, quantization_config=run.setup["quantization_config"], dtype=torch.float32
    )
    reloaded = PeftModel.from_pretrained(base, str(run.adapter_dir))
    model = run.trainer.model
    trained = dict(model.named_parameters())
    lora = {n: p for n, p in reloaded.named_parameters() if ".lora_" in n}
    assert lora.keys() == {n for n in trained if ".lora_" in n}
    for name, param in lora.items():
        assert torch.equal(param.float(), trained[name].float()), name
        # PEFT loads adapters in float32; TRL trains QLoRA adapters in bfloat16: compute like the trainer did
        param.data = param.data.to(trained[name].dtype)
    batch = run.batches[-1]
    mask = batch["completion_mask"].bool()
    original = completion_logps(model, batch)
    again = completion_logps(reloaded, batch)
    torch.testing.assert_close(again[mask], original[mask], rtol=0, atol=1e-5)
    with reloaded.disable_adapter():
        assert (completion_logps(reloaded, batch) - again)[mask].abs().max() > 1e-3


def test_paged_adamw_8bit_keeps_8bit_states(run):
    optimizer = run.trainer.optimizer.optimizer
    # transformers builds optim="paged_adamw_8bit" as bitsandbytes' AdamW(optim_bits=8, is_paged=True); on the CPU
    # bitsandbytes warns that paging is unsupported and keeps the states in ordinary memory, still 8-bit
    assert isinstance(optimizer, bnb.optim.AdamW)
    assert optimizer.is_paged and optimizer.args.optim_bits == 8
    by_param = dict(run.trainer.model.named_parameters())
    big = by_param["base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"]  # 32 x 128 = 4096
    small = by_param["base_model.model.model.layers.0.self_attn.k_proj.lora_B.default.weight"]  # 64 x 32 = 2048
    # bitsandbytes keeps 8-bit states for tensors of at least min_8bit_size (4096) elements, 32-bit below
    assert optimizer.state[big]["state1"].dtype == torch.uint8
    assert optimizer.state[big]["state2"].dtype == torch.uint8
    assert optimizer.state[small]["state1"].dtype == torch.float32
    assert optimizer.state[big]["step"] == 3


# --------------------------------------------------------------------------------------------- eval mode on the CPU
def fresh_qlora_model(model_dir):
    """The run's model as TRL builds it (4-bit NF4 base, float32 compute, LoRA on every linear), B made non-zero."""
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(
        model_dir, quantization_config=bnb_4bit_config(compute_dtype="float32"), dtype=torch.float32
    )
    model = get_peft_model(base, lora_config(r=8, lora_dropout=0.0))
    generator = torch.Generator().manual_seed(0)
    for name, param in model.named_parameters():
        if ".lora_B." in name:
            param.data = torch.randn(param.shape, generator=generator) * 0.02
    return model


def eval_logits_then_grads(model, ids, training: bool):
    """Logits of a no-grad forward in training or eval mode, then the LoRA gradients of a training step after it."""
    model.train(training)
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    model.train()
    model.zero_grad()
    model(input_ids=ids, labels=ids).loss.backward()
    return logits, {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


def probe_ids(model) -> torch.Tensor:
    return torch.randint(3, model.config.vocab_size, (2, 12), generator=torch.Generator().manual_seed(1))


def test_disable_cpu_repacking_keeps_eval_exact_and_training_correct(model_dir):
    model = fresh_qlora_model(model_dir)
    assert disable_cpu_repacking(model) == LAYERS * len(LINEAR_NAMES)
    ids = probe_ids(model)
    before = quantised_state(model)
    train_logits, grads = eval_logits_then_grads(model, ids, training=True)
    eval_logits, grads_after_eval = eval_logits_then_grads(model, ids, training=False)
    # one kernel in both modes: eval-mode numbers are the training-mode ones, bit for bit
    assert torch.equal(eval_logits, train_logits)
    assert not any(repacked(m) for m in model.modules() if isinstance(m, bnb.nn.Linear4bit))
    # training after an eval pass gets the same gradients, down to the first layer (through the frozen 4-bit base)
    assert grads_after_eval.keys() == grads.keys()
    for name, grad in grads.items():
        assert torch.equal(grads_after_eval[name], grad), name
    first = [g for n, g in grads.items() if ".layers.0." in n and ".lora_A." in n]
    assert len(first) == len(LINEAR_NAMES) and all(g.abs().max() > 0 for g in first)
    model.state_dict()  # what saving an adapter does: no conversion, so the base stays as loaded
    after = quantised_state(model)
    assert after.keys() == before.keys()
    for name, tensor in before.items():
        assert torch.equal(after[name], tensor), name
    assert disable_cpu_repacking(torch.nn.Linear(4, 4)) == 0


@needs_avx512bf16
def test_bitsandbytes_repacks_in_eval_mode_on_avx512bf16_cpus(model_dir, caplog):
    """What disable_cpu_repacking guards against (bitsandbytes 0.49-0.50 on such CPUs), and that it repairs it."""
    model = fresh_qlora_model(model_dir)
    layers = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    ids = probe_ids(model)
    before = quantised_state(model)
    train_logits, _ = eval_logits_then_grads(model, ids, training=True)
    assert not any(repacked(m) for m in layers)  # training mode (also without grad) keeps the generic kernel
    model.eval()
    with torch.no_grad():
        eval_logits = model(input_ids=ids).logits
    assert all(repacked(m) for m in layers)  # the policy's own weights, rewritten in place
    # same weights, another kernel (bfloat16 activations): the numbers move by more than the old test tolerance
    assert (eval_logits - train_logits).abs().max() > 1e-5
    model.train()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        model(input_ids=ids, labels=ids).loss.backward()  # the repacked kernel has no backward

    with caplog.at_level(logging.WARNING, logger="grpo_plus.qlora"):
        assert disable_cpu_repacking(model) == len(layers)
    assert f"{len(layers)} 4-bit layer(s) had been repacked" in caplog.text
    assert not any(repacked(m) for m in layers)
    after = quantised_state(model)
    # the 4-bit codes come back exactly; the absmax constants were re-quantised from bfloat16 values
    for name in (n for n in before if n.endswith(".weight")):
        assert torch.equal(after[name], before[name]), name
    assert any(not torch.equal(after[n], before[n]) for n in before if n.endswith(".nested_absmax"))
    logits, grads = eval_logits_then_grads(model, ids, training=False)
    assert not any(repacked(m) for m in layers)
    assert all(torch.isfinite(g).all() for g in grads.values())
    first = [g for n, g in grads.items() if ".layers.0." in n and ".lora_A." in n]
    assert len(first) == len(LINEAR_NAMES) and all(g.abs().max() > 0 for g in first)


def test_prm_reward_in_4bit(tmp_path, bpe_tokenizer):
    """The registry's `prm` loads its model in 4-bit when asked and scores like the full-precision model."""
    import copy

    from transformers import Qwen2Config, Qwen2ForTokenClassification

    from rewards import get_reward

    tokenizer = copy.deepcopy(bpe_tokenizer)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<extra_0>"]})
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        intermediate_size=INTERMEDIATE,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        num_labels=2,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    Qwen2ForTokenClassification(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    steps = [["1 + 1 = 2\n\n", "2 + 2 = 4"], ["3 * 3 = 9"]]
    prompts = ["What is 1 + 1?", "What is 3 * 3?"]
    common = dict(model=str(tmp_path), style="token_classification", device="cpu", dtype="float32", use_chat_template=False)
    full = get_reward("prm", **common)
    quantised = get_reward("prm", **common, load_in_4bit=True)
    full_scores = full(steps=steps, prompts=prompts)
    scores = quantised(steps=steps, prompts=prompts)
    modules = dict(quantised._model.named_modules())
    layers = [n for n, m in modules.items() if isinstance(m, bnb.nn.Linear4bit)]
    # every linear of the two layers; the 2-label head stays a float32 nn.Linear (transformers' default would quantise
    # it, and bitsandbytes' AVX512-BF16 CPU kernel cannot take 2 output rows)
    assert sorted({n.split(".")[-1] for n in layers}) == sorted(LINEAR_NAMES)
    assert len(layers) == 2 * len(LINEAR_NAMES)
    assert type(modules["score"]) is torch.nn.Linear and modules["score"].weight.dtype == torch.float32
    # every layer has a shape the packed CPU kernel takes (128/256 inputs, 64..256 outputs), so where the CPU has
    # AVX512-BF16 bitsandbytes repacked all of them for scoring (eval mode, inference), and none elsewhere
    assert [repacked(modules[n]) for n in layers] == [AVX512BF16] * len(layers)
    assert [len(r) for r in scores] == [2, 1]
    flat, flat_full = [s for r in scores for s in r], [s for r in full_scores for s in r]
    assert all(0.0 <= s <= 1.0 for s in flat)
    # NF4 rounding moves the scores a little, not a lot; an unquantised or broken load would be exact or far off
    assert max(abs(a - b) for a, b in zip(flat, flat_full)) < 0.05
    assert flat != flat_full
