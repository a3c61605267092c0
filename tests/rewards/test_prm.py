"""prm: tiny random PRMs built offline (token classification with <extra_0>, causal LM with ки); shapes, batching,
padding, truncation, and scores against a softmax computed here from a direct forward pass."""

from __future__ import annotations

import json
import math

import pytest
import torch

from rewards import get_reward

QWEN_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
QUESTION = "Natalia sold clips to 48 of her friends in April, and half as many in May. How many in total?"
STEPS = [
    ["Natalia sold 48/2 = 24 clips in May.\n\n", "Altogether 48 + 24 = 72.\n\n", "The answer is \\boxed{72}."],
    ["48 + 48 = 96.\n\n", "So 96."],
    ["Ünïcødé step: 你好 = 72 🙂"],
    [],
]


def _tiny_tokenizer(extra_token: str, special: bool):
    from grpo_plus.demo.tiny import build_bpe_tokenizer

    tokenizer = build_bpe_tokenizer()
    tokenizer.add_tokens([extra_token], special_tokens=special)
    return tokenizer


def _config(tokenizer, **kwargs):
    from transformers import Qwen2Config

    return Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        initializer_range=0.5,  # large random weights: scores spread over (0, 1) instead of all ~0.5
        pad_token_id=tokenizer.pad_token_id,
        **kwargs,
    )


def _reloaded(path):
    """The checkpoint's tokenizer as any loader sees it. Reloading matters: next to a qwen2 config.json,
    AutoTokenizer returns a Qwen2Tokenizer whose pre-tokenizer splits digits, unlike the in-memory tokenizer."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


@pytest.fixture(scope="module")
def token_prm(tmp_path_factory):
    from transformers import Qwen2ForTokenClassification

    tokenizer = _tiny_tokenizer("<extra_0>", special=True)
    torch.manual_seed(0)
    model = Qwen2ForTokenClassification(_config(tokenizer, num_labels=2)).eval()
    path = tmp_path_factory.mktemp("token-prm")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path), model, _reloaded(path)


@pytest.fixture(scope="module")
def causal_prm(tmp_path_factory):
    from transformers import Qwen2ForCausalLM

    tokenizer = _tiny_tokenizer("ки", special=False)
    torch.manual_seed(1)
    model = Qwen2ForCausalLM(_config(tokenizer)).eval()
    path = tmp_path_factory.mktemp("causal-prm")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path), model, _reloaded(path)


def _softmax_pair(a: float, b: float) -> float:
    """Probability of the first of two logits."""
    return math.exp(a) / (math.exp(a) + math.exp(b))


def test_token_classification_score_by_hand(token_prm):
    path, model, tokenizer = token_prm
    reward = get_reward("prm", model=path, device="cpu")
    assert reward.__name__ == "prm" and reward.reward_level == "step"
    got = reward(steps=[STEPS[0]], prompts=[QUESTION])

    # the Qwen2.5-Math-PRM recipe, written out: chat template, steps joined and followed by <extra_0>
    body = "".join(s.strip() + "<extra_0>" for s in STEPS[0])
    messages = [
        {"role": "system", "content": QWEN_SYSTEM},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": body},
    ]
    ids = tokenizer(tokenizer.apply_chat_template(messages, tokenize=False), add_special_tokens=False)["input_ids"]
    tag_id = tokenizer.convert_tokens_to_ids("<extra_0>")
    positions = [i for i, t in enumerate(ids) if t == tag_id]
    assert len(positions) == 3
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0]
    expected = [_softmax_pair(logits[p, 1].item(), logits[p, 0].item()) for p in positions]
    assert got[0] == pytest.approx(expected, abs=1e-5)
    assert max(expected) - min(expected) > 0.01  # the positions matter: a wrong index would not match


def test_causal_lm_score_by_hand(causal_prm):
    path, model, tokenizer = causal_prm
    good, bad = tokenizer.convert_tokens_to_ids("+"), tokenizer.convert_tokens_to_ids("-")
    reward = get_reward("prm", model=path, good_token=good, bad_token=bad, device="cpu")
    got = reward(steps=[STEPS[0]], prompts=[[{"role": "user", "content": QUESTION}]])

    # the Math-Shepherd recipe, written out: "{question} {step} ки\n{step} ки..."
    text = QUESTION + " " + "\n".join(s.strip() + " ки" for s in STEPS[0])
    ids = tokenizer(text)["input_ids"]
    tag_id = tokenizer.convert_tokens_to_ids("ки")
    positions = [i for i, t in enumerate(ids) if t == tag_id]
    assert len(positions) == 3
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0]
    expected = [_softmax_pair(logits[p, good].item(), logits[p, bad].item()) for p in positions]
    assert got[0] == pytest.approx(expected, abs=1e-5)
    assert max(expected) - min(expected) > 0.01
    assert reward.style == "causal_lm" and reward.step_tag == "ки"  # inferred from the checkpoint


def test_default_label_tokens_follow_math_shepherd(causal_prm):
    path, _, tokenizer = causal_prm
    reward = get_reward("prm", model=path, device="cpu")
    reward(steps=[["a"]])
    pair = tokenizer.encode("+ -", add_special_tokens=False)
    assert len(pair) == 2 and reward._label_ids == (pair[0], pair[1])


@pytest.mark.parametrize("fixture", ["token_prm", "causal_prm"])
def test_shapes_batching_and_padding(fixture, request):
    path = request.getfixturevalue(fixture)[0]
    prompts = [QUESTION, "What is 48 + 48?", "Unicode?", "Empty"]
    one = get_reward("prm", model=path, batch_size=1, device="cpu")(steps=STEPS, prompts=prompts)
    batched = get_reward("prm", model=path, batch_size=3, device="cpu")(
        steps=STEPS, prompts=prompts, completions=["c"] * 4
    )
    assert [len(s) for s in one] == [3, 2, 1, 0]
    assert [len(s) for s in batched] == [3, 2, 1, 0]
    for a, b in zip(one, batched):
        assert b == pytest.approx(a, abs=1e-5)  # right padding changes nothing
    assert all(0.0 < x < 1.0 for s in one for x in s)


def test_prompts_may_be_absent_and_tags_in_text_are_removed(token_prm):
    path = token_prm[0]
    reward = get_reward("prm", model=path, device="cpu")
    clean = reward(steps=[["3 * 4 = 12", "12 + 1 = 13"]])
    tagged = reward(steps=[["3 * 4 = 12<extra_0>", "12 + 1<extra_0> = 13"]])
    assert clean[0] == pytest.approx(
        reward(steps=[["3 * 4 = 12", "12 + 1 = 13"]], prompts=[None])[0], abs=1e-6
    )
    assert len(tagged[0]) == 2
    assert tagged[0][0] == pytest.approx(clean[0][0], abs=1e-6)


def test_truncated_steps_get_none(token_prm):
    path, _, tokenizer = token_prm
    steps = [f"step {k}: 1 + 1 = 2." for k in range(4)]
    body = "".join(s + "<extra_0>" for s in steps)
    messages = [
        {"role": "system", "content": QWEN_SYSTEM},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": body},
    ]
    ids = tokenizer(tokenizer.apply_chat_template(messages, tokenize=False), add_special_tokens=False)["input_ids"]
    positions = [i for i, t in enumerate(ids) if t == tokenizer.convert_tokens_to_ids("<extra_0>")]
    full = get_reward("prm", model=path, device="cpu")(steps=[steps], prompts=["q"])[0]
    # keep the tokens up to the first tag only: the second tag sits exactly at index max_length
    cut = get_reward("prm", model=path, device="cpu", max_length=positions[1])(steps=[steps], prompts=["q"])[0]
    assert cut[1:] == [None, None, None]
    assert cut[0] == pytest.approx(full[0], abs=1e-6)  # causal attention: earlier positions are unchanged


def test_load_in_4bit_passes_a_bitsandbytes_config(token_prm, monkeypatch):
    from transformers import AutoModelForTokenClassification, BitsAndBytesConfig

    path = token_prm[0]
    captured = {}
    original = AutoModelForTokenClassification.from_pretrained

    def fake_from_pretrained(name, **kwargs):
        captured.update(kwargs)
        kwargs.pop("quantization_config")
        kwargs.pop("device_map")
        return original(name, **kwargs)

    monkeypatch.setattr(AutoModelForTokenClassification, "from_pretrained", fake_from_pretrained)
    reward = get_reward("prm", model=path, load_in_4bit=True, device="cpu")
    assert len(reward(steps=[["a", "b"]])[0]) == 2
    config = captured["quantization_config"]
    assert isinstance(config, BitsAndBytesConfig) and config.load_in_4bit
    assert config.bnb_4bit_quant_type == "nf4"
    # the head stays unquantised: `score` (Qwen2.5-Math-PRM, *ForTokenClassification) or `classifier` (encoders)
    assert config.llm_int8_skip_modules == ["score", "classifier"]
    assert captured["device_map"] == {"": "cpu"}


@pytest.mark.parametrize(("fixture", "head"), [("token_prm", "score"), ("causal_prm", "lm_head")])
def test_load_in_4bit_on_the_cpu(fixture, head, request):
    """A real 4-bit load. These layers are 32 wide, a shape bitsandbytes' AVX512-BF16 CPU kernel cannot take (it
    needs out_features % 32 == 0 and in_features % 64 == 0, the NF4 block): only down_proj (64 -> 32) can use it, the
    others stay on the generic kernel instead of raising on CPUs with that feature."""
    import bitsandbytes as bnb

    path = request.getfixturevalue(fixture)[0]
    full = get_reward("prm", model=path, device="cpu", dtype="float32")(steps=STEPS, prompts=[QUESTION] * 4)
    reward = get_reward("prm", model=path, device="cpu", dtype="float32", load_in_4bit=True)
    scores = reward(steps=STEPS, prompts=[QUESTION] * 4)
    assert [len(s) for s in scores] == [3, 2, 1, 0]
    assert all(0.0 <= x <= 1.0 for s in scores for x in s)
    assert [x for s in scores for x in s] != [x for s in full for x in s]  # NF4 rounding moved them
    modules = dict(reward._model.named_modules())
    layers = {n: m for n, m in modules.items() if isinstance(m, bnb.nn.Linear4bit)}
    assert len(layers) == 2 * 7 and type(modules[head]) is torch.nn.Linear
    avx512bf16 = bool(bnb.functional.has_avx512bf16())
    for name, layer in layers.items():
        packable = name.endswith("down_proj")
        assert layer.support_avx512bf16_for_cpu == (avx512bf16 and packable), name
        # repacked in place by the eval-mode forwards exactly where the kernel was left on
        assert getattr(layer.weight.quant_state, "packing_format_for_cpu", False) == (avx512bf16 and packable), name


def test_default_device_is_the_accelerate_device(token_prm):
    from accelerate import PartialState

    reward = get_reward("prm", model=token_prm[0])
    reward(steps=[["a"]])
    assert reward.device == str(PartialState().device)
    assert next(reward._model.parameters()).device.type == PartialState().device.type


def test_errors(token_prm, tmp_path):
    path = token_prm[0]
    reward = get_reward("prm", model=path, device="cpu")
    with pytest.raises(ValueError, match="reward 'prm': is a step reward"):
        reward(completions=["x"])
    with pytest.raises(ValueError, match=r"reward 'prm', sample 0: steps\[i\] must be a list"):
        reward(steps=["not a list"])
    with pytest.raises(ValueError, match="got 1 prompts for 2 step lists"):
        reward(steps=[["a"], ["b"]], prompts=["q"])
    with pytest.raises(ValueError, match=r"reward 'prm': style='value' is not valid; choose one of"):
        get_reward("prm", model=path, style="value")
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "config.json").write_text(json.dumps({"model_type": "qwen2", "architectures": ["Qwen2Model"]}))
    with pytest.raises(ValueError, match=r"cannot infer the style .* pass style= one of \['token_classification'"):
        get_reward("prm", model=str(odd), device="cpu")(steps=[["a"]])
    bad_tag = get_reward("prm", model=path, device="cpu", step_tag="<not one token>")
    with pytest.raises(ValueError, match="step_tag='<not one token>' is .* tokens"):
        bad_tag(steps=[["a"]])
