"""Advantages the trainer builds (kl_in_reward, process mode), recomputed independently from the batch."""

import math

import pytest
import torch

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer

G = 4


def length_reward(completions, **kwargs):
    return [float(len(c)) for c in completions]


def vowel_steps(steps, **kwargs):
    """Step reward: fraction of vowels in the step (any deterministic function of the text works here)."""
    return [[sum(ch in "aeiou" for ch in s) / max(len(s), 1) for s in row] for row in steps]


vowel_steps.reward_level = "step"


def make_trainer(tiny_model_dir, tiny_dataset, trainer_args, reward_funcs, **overrides):
    args = GRPOPlusConfig(**{**trainer_args, "max_completion_length": 16, **overrides})
    trainer = GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=reward_funcs, args=args, train_dataset=tiny_dataset)
    torch.manual_seed(0)
    with torch.no_grad():  # move the policy away from the reference so that the KL is not zero
        for p in trainer.model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    trainer.model.train()
    return trainer


def generate(trainer, tiny_dataset):
    """A generation batch with its advantages. With kl_in_reward and one loss call per generation batch the trainer
    computes them in that loss call, from its log-probs: run it, as training would."""
    batch = [dict(tiny_dataset[i]) for i in (0, 5) for _ in range(G)]
    out = trainer._generate_and_score_completions(batch)
    if "grpo_plus_row" in out:
        trainer.current_gradient_accumulation_steps = 1
        trainer._compute_loss(trainer.model, out)
        assert "grpo_plus_row" not in out
    return batch, out


def token_logps(trainer, model, out):
    """Log-probs of the completion tokens from a plain forward pass, under the trainer's autocast (TRL 1.16
    defaults to bf16=True, which autocasts to bfloat16 on the CPU too)."""
    ids = torch.cat([out["prompt_ids"], out["completion_ids"]], 1)
    attention = torch.cat([out["prompt_mask"], out["completion_mask"]], 1)
    with torch.no_grad(), trainer.accelerator.autocast():
        logits = model(input_ids=ids, attention_mask=attention).logits.float()
    width = out["completion_ids"].size(1)
    return logits[:, -width - 1 : -1].log_softmax(-1).gather(-1, out["completion_ids"].unsqueeze(-1)).squeeze(-1)


def group_normalise(values, groups, eps=1e-4):
    """(v − group mean) / (unbiased group std + eps), by hand."""
    out = [0.0] * len(values)
    for members in groups:
        vals = [values[i] for i in members]
        mean = sum(vals) / len(vals)
        std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
        for i in members:
            out[i] = (values[i] - mean) / (std + eps)
    return out


def texts_of(trainer, out):
    return trainer.processing_class.batch_decode(out["completion_ids"], skip_special_tokens=True)


def steps_by_hand(tokenizer, ids, separator):
    """Steps of one completion and the token where each ends, from the contract alone: the text is split after every
    separator (pieces that are blank once their separator is removed are dropped; none kept: the whole text is one
    step), a step ends at the first token whose prefix decodes to text covering the step's last character, and the
    last step ends at the last token. Decodes every prefix: slow, and independent of grpo_plus.steps."""
    text = tokenizer.decode(ids, skip_special_tokens=True)
    pieces, start, i = [], 0, 0
    while i < len(text):
        if text.startswith(separator, i):
            i += len(separator)
            pieces.append((start, i))
            start = i
        else:
            i += 1
    pieces.append((start, len(text)))
    kept = [(a, b) for a, b in pieces if text[a:b].removesuffix(separator).strip()]
    if not kept:
        return [text], [len(ids) - 1]
    prefixes = [tokenizer.decode(ids[: k + 1], skip_special_tokens=True) for k in range(len(ids))]
    ends = [next(k for k, prefix in enumerate(prefixes) if prefix.startswith(text[:b])) for _, b in kept[:-1]]
    return [text[a:b] for a, b in kept], ends + [len(ids) - 1]


def kl_by_hand(trainer, out, estimator="k3"):
    """(B, T) per-token KL of the policy against the reference (k1 or k3, by their formulas) on real tokens."""
    log_r = token_logps(trainer, trainer.ref_model, out) - token_logps(trainer, trainer.model, out)
    kl = -log_r if estimator == "k1" else log_r.exp() - 1 - log_r
    return kl * out["completion_mask"]


def outcome_by_hand(trainer, out, beta, estimator="k3"):
    """Outcome advantages of length_reward with KL in the reward: r − β·Σ_t kl_t, normalised per group."""
    kl_sums = kl_by_hand(trainer, out, estimator).sum(1).tolist()
    rewards = [float(len(t)) for t in texts_of(trainer, out)]
    return group_normalise([r - beta * k for r, k in zip(rewards, kl_sums)], [range(0, G), range(G, 2 * G)]), kl_sums


@pytest.mark.parametrize("estimator", ["k1", "k3"])
def test_kl_in_reward_outcome_advantages(estimator, tiny_model_dir, tiny_dataset, trainer_args):
    beta = 0.5
    trainer = make_trainer(
        tiny_model_dir, tiny_dataset, trainer_args, length_reward, kl_in_reward=True, beta=beta, kl_estimator=estimator
    )
    _, out = generate(trainer, tiny_dataset)
    expected, kl_sums = outcome_by_hand(trainer, out, beta, estimator)
    assert max(abs(k) for k in kl_sums) > 0.05  # the penalty is really there
    assert torch.allclose(out["advantages"], torch.tensor(expected), atol=1e-4), (out["advantages"], expected)
    assert trainer._metrics["train"]["kl_penalty"][-1] == pytest.approx(beta * sum(kl_sums) / len(kl_sums), rel=1e-4)


def process_by_hand(step_scores, ends, num_tokens, width, outcome=None, credit="sum"):
    """DeepSeekMath §4.1.3 (sum) or min-form credit by a double loop; optional outcome advantages added to every real
    token."""
    groups = [range(0, G), range(G, 2 * G)]
    norm = [[0.0] * len(row) for row in step_scores]
    for members in groups:
        vals = [v for i in members for v in step_scores[i]]
        mean = sum(vals) / len(vals)
        std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
        for i in members:
            norm[i] = [(v - mean) / (std + 1e-4) for v in step_scores[i]]
    adv = torch.zeros(len(step_scores), width)
    for i in range(len(step_scores)):
        for t in range(num_tokens[i]):
            ahead = [r for r, e in zip(norm[i], ends[i]) if e >= t]
            adv[i, t] = (sum(ahead) if credit == "sum" else min(ahead)) + (outcome[i] if outcome else 0.0)
    return adv


def process_expected(trainer, out, beta, weights, credit, kl_in_reward):
    """Process advantages of vowel_steps (× weights[0]) at ' ', with length_reward (× weights[1]) as outcome reward
    when weights has two entries, the steps found by steps_by_hand, each step penalised by β × its tokens' KL."""
    mask = out["completion_mask"]
    ids = [row[: int(m.sum())].tolist() for row, m in zip(out["completion_ids"], mask)]
    split = [steps_by_hand(trainer.processing_class, row, " ") for row in ids]
    steps, ends = [s for s, _ in split], [e for _, e in split]
    scores = [[weights[0] * v for v in row] for row in vowel_steps(steps)]
    if kl_in_reward:
        kl = kl_by_hand(trainer, out)
        for i, row_ends in enumerate(ends):
            starts = [0] + [e + 1 for e in row_ends[:-1]]
            scores[i] = [s - beta * float(kl[i, a : b + 1].sum()) for s, a, b in zip(scores[i], starts, row_ends)]
    outcome = None
    if len(weights) > 1:
        rewards = [weights[1] * len(t) for t in texts_of(trainer, out)]
        outcome = group_normalise(rewards, [range(0, G), range(G, 2 * G)])
    expected = process_by_hand(scores, ends, [len(x) for x in ids], out["completion_ids"].size(1), outcome, credit)
    return expected, ends


@pytest.mark.parametrize("credit", ["sum", "min"])
@pytest.mark.parametrize("with_outcome,kl_in_reward", [(False, False), (True, False), (False, True)])
def test_process_mode_advantages(with_outcome, kl_in_reward, credit, tiny_model_dir, tiny_dataset, trainer_args):
    beta = 0.5
    funcs = [vowel_steps, length_reward] if with_outcome else [vowel_steps]
    weights = [2.0, 0.5] if with_outcome else [1.0]
    trainer = make_trainer(
        tiny_model_dir,
        tiny_dataset,
        trainer_args,
        funcs,
        reward_mode="process",
        step_separator=" ",
        kl_in_reward=kl_in_reward,
        beta=beta,
        reward_weights=weights if with_outcome else None,
        process_credit=credit,
    )
    _, out = generate(trainer, tiny_dataset)
    expected, ends = process_expected(trainer, out, beta, weights, credit, kl_in_reward)
    assert max(len(e) for e in ends) > 1  # several steps per completion on this batch
    assert out["advantages"].shape == out["completion_ids"].shape
    assert torch.allclose(out["advantages"], expected, atol=1e-4)
    logged = trainer._metrics["train"]
    assert logged["steps/per_completion"][-1] == pytest.approx(sum(map(len, ends)) / len(ends))


@pytest.mark.parametrize("reward_mode", ["outcome", "process"])
def test_kl_in_reward_advantages_from_the_loss_call_follow_its_shuffle(reward_mode, tiny_model_dir, tiny_dataset, trainer_args):
    """With one loss call per generation batch the advantages wait for that call and come from its log-probs (no
    extra forward); TRL shuffles the batch before the call, and each row still gets its own advantages."""
    beta = 0.5
    extra = {"reward_mode": "process", "step_separator": " "} if reward_mode == "process" else {}
    funcs = [vowel_steps, length_reward] if reward_mode == "process" else [length_reward]
    trainer = make_trainer(tiny_model_dir, tiny_dataset, trainer_args, funcs, kl_in_reward=True, beta=beta, **extra)
    batch = [dict(tiny_dataset[i]) for i in (0, 5) for _ in range(G)]
    out = trainer._generate_and_score_completions(batch)
    assert "grpo_plus_row" in out  # deferred: steps_per_generation == 1 and no old log-probs
    if reward_mode == "process":
        expected, _ = process_expected(trainer, out, beta, [1.0, 1.0], trainer.process_credit, kl_in_reward=True)
    else:
        expected = torch.tensor(outcome_by_hand(trainer, out, beta)[0])
    permutation = torch.randperm(len(batch))  # TRL shuffles the generation batch before the loss call
    shuffled = {k: (v[permutation] if isinstance(v, torch.Tensor) and v.ndim else v) for k, v in out.items()}
    trainer.current_gradient_accumulation_steps = 1
    trainer._compute_loss(trainer.model, shuffled)
    assert "grpo_plus_row" not in shuffled
    assert torch.allclose(shuffled["advantages"], expected[permutation], atol=1e-4)
    assert expected.abs().max() > 0


def test_kl_in_reward_with_several_loss_calls_uses_a_forward(tiny_model_dir, tiny_dataset, trainer_args):
    beta = 0.5
    trainer = make_trainer(
        tiny_model_dir, tiny_dataset, {**trainer_args, "gradient_accumulation_steps": 2}, length_reward,
        kl_in_reward=True, beta=beta,
    )
    assert trainer.args.steps_per_generation == 2
    _, out = generate(trainer, tiny_dataset)
    assert "grpo_plus_row" not in out
    expected, _ = outcome_by_hand(trainer, out, beta)
    assert torch.allclose(out["advantages"], torch.tensor(expected), atol=1e-4)
