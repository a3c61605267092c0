"""Held-out evaluation: pass@k on hand counts, AUC on a hand curve, sampled evaluation deterministic and without side
effects on training (the RNG state is restored), chain diagnostics on hand-written completions."""

from __future__ import annotations

import math
import random

import pytest

from grpo_plus.demo.evaluation import (
    HeldOutEvalCallback,
    auc,
    chain_diagnostics,
    evaluate_sampled,
    frozen_copy,
    pass_at_k,
    preserved_rng,
    token_statistics,
)


@pytest.mark.parametrize(
    ("correct", "n", "k", "expected"),
    [
        (0, 8, 8, 0.0),
        (1, 8, 8, 1.0),  # k = n: any right draw
        (3, 8, 1, 3 / 8),  # pass@1 is the fraction right
        (2, 4, 2, 1 - 1 / 6),  # 1 - C(2,2)/C(4,2): the only failing pair is the two wrong draws
        (1, 5, 3, 1 - 4 / 10),  # 1 - C(4,3)/C(5,3)
    ],
)
def test_pass_at_k_on_hand_counts(correct, n, k, expected):
    assert math.isclose(pass_at_k(correct, n, k), expected)


def test_pass_at_k_rejects_impossible_counts():
    with pytest.raises(ValueError, match="num_correct <= num_samples"):
        pass_at_k(9, 8, 8)


def test_auc_is_the_mean_after_step_zero():
    curve = [{"step": 0, "a": 0.9}, {"step": 25, "a": 0.1}, {"step": 50, "a": 0.2}, {"step": 75, "a": 0.3},
             {"step": 100, "a": 0.6}]
    assert math.isclose(auc(curve, "a"), (0.1 + 0.2 + 0.3 + 0.6) / 4)
    with pytest.raises(ValueError, match="needs an evaluation after step 0"):
        auc(curve[:1], "a")


def test_preserved_rng_restores_every_generator():
    import numpy as np
    import torch

    torch.manual_seed(5), random.seed(5), np.random.seed(5)
    expected = (torch.rand(3), random.random(), np.random.rand())
    torch.manual_seed(5), random.seed(5), np.random.seed(5)
    with preserved_rng(123):
        inside = torch.rand(3)
        torch.rand(100), random.random(), np.random.rand(7)
    with preserved_rng(123):
        again = torch.rand(3)
    after = (torch.rand(3), random.random(), np.random.rand())
    assert torch.equal(inside, again)
    assert torch.equal(after[0], expected[0]) and after[1:] == expected[1:]


REFERENCE = "3+4=7\n7*2=14\n14-5=9"


def test_chain_diagnostics_on_hand_written_completions():
    texts = [
        "<think>3+4=7\n7*2=14\n14-5=9</think><answer>9</answer>",  # all right
        "<think>3+5=8\n8*2=16\n16-5=11</think><answer>11</answer>",  # slip at step 1
        "<think>3+4=7\n7=7\n7*2=15\n15-5=9</think><answer>9</answer>",  # right answer, wrong line 2, a restatement
        "<think>3+4=7</think><answer>7</answer>",  # steps 2, 3 missing
    ]
    out = chain_diagnostics(texts, [REFERENCE] * 4, correct=[1.0, 0.0, 1.0, 0.0], separator="\n")
    assert out["slip_rates"] == [0.25, 0.5, 0.5]
    assert out["right_answer_wrong_line"] == 1 and out["right_answer_wrong_line_examples"] == [texts[2]]
    assert out["restatements"] == 0.25


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir)


def test_sampled_evaluation_is_deterministic_and_keeps_the_callers_rng(tiny):
    import torch

    model, tokenizer = tiny
    prompts, solutions = ["What is 1 + 2? ", "What is 3 + 4? "], ["3", "7"]
    torch.manual_seed(0)
    expected_next = torch.rand(4)
    torch.manual_seed(0)
    first = evaluate_sampled(model, tokenizer, prompts, solutions, max_new_tokens=6, num_samples=3, seed=11)
    assert torch.equal(torch.rand(4), expected_next)
    second = evaluate_sampled(model, tokenizer, prompts, solutions, max_new_tokens=6, num_samples=3, seed=11)
    assert first["completions"] == second["completions"] and len(first["completions"]) == 6
    other = evaluate_sampled(model, tokenizer, prompts, solutions, max_new_tokens=6, num_samples=3, seed=12)
    assert other["completions"] != first["completions"]
    assert first["entropy"] > 0 and math.isnan(first["kl_to_reference"])
    with_ref = evaluate_sampled(model, tokenizer, prompts, solutions, 6, 3, seed=11, reference=model)
    assert with_ref["kl_to_reference"] == 0.0  # the policy against itself


def test_kl_reference_survives_trls_patched_forward(tiny_model_dir):
    """TRL's fused LM head sets a forward closing over the policy's own forward; the reference copy must not run the
    policy. KL checked against k3 computed by hand from two independently loaded models."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl.trainer.utils import add_fused_lm_head

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    policy = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    add_fused_lm_head(policy)
    assert "forward" in policy.__dict__
    reference = frozen_copy(policy)
    torch.manual_seed(0)
    with torch.no_grad():
        for param in policy.parameters():
            param.add_(0.05 * torch.randn_like(param))
    prompt, completion = "What is 1 + 2? ", tokenizer("3</answer>")["input_ids"]
    _, kl = token_statistics(policy, reference, tokenizer, [prompt], [completion])

    start = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    moved = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    moved.load_state_dict({k: v for k, v in policy.state_dict().items()})
    ids = torch.tensor([tokenizer(prompt)["input_ids"] + completion])
    n = len(completion)
    with torch.no_grad():
        log_p = torch.log_softmax(moved(ids).logits[0, -n - 1 : -1], -1)
        log_ref = torch.log_softmax(start(ids).logits[0, -n - 1 : -1], -1)
    target = ids[0, -n:]
    log_r = log_ref[range(n), target] - log_p[range(n), target]
    expected = float((log_r.exp() - 1 - log_r).mean())
    assert expected > 1e-3
    assert kl == pytest.approx(expected, rel=1e-4)


@pytest.mark.slow
def test_evaluation_does_not_change_training(tiny_model_dir, tiny_dataset, trainer_args):
    """The same run with and without a sampled held-out evaluation every step: identical losses and weights."""
    import torch

    from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer

    def train(callbacks, out):
        args = GRPOPlusConfig(**{**trainer_args, "output_dir": out, "max_steps": 3, "beta": 0.0})
        trainer = GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=["accuracy"], args=args,
                                  train_dataset=tiny_dataset, callbacks=callbacks)
        trainer.train()
        losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
        return losses, [p.detach().clone() for p in trainer.model.parameters()]

    plain = train([], trainer_args["output_dir"] + "-plain")
    callback = HeldOutEvalCallback(["What is 1 + 1? ", "What is 2 + 2? "], ["2", "4"], max_new_tokens=6,
                                   separator="\n", every=1, num_samples=2, sample_seed=3)
    evaluated = train([callback], trainer_args["output_dir"] + "-eval")
    assert [p["step"] for p in callback.curve] == [0, 1, 2, 3]
    assert plain[0] == evaluated[0]
    assert all(torch.equal(a, b) for a, b in zip(plain[1], evaluated[1]))
    summary = callback.summary()
    assert summary["eval_sampled_auc"] == pytest.approx(
        sum(p["sampled_accuracy"] for p in callback.curve[1:]) / 3, abs=1e-4
    )
