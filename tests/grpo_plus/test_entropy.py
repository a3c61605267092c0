"""KL-Cov / Clip-Cov (Cui et al. 2025, arXiv 2505.22617) against an independent computation from the definitions.

The reference below works on plain Python lists with loops; it shares no code with grpo_plus.entropy. Clip-Cov's
random draw is specified as ``torch.randperm(#candidates, generator)`` over the candidates in row-major order, so the
reference draws the same permutation from an identically seeded generator.
"""

import math

import pytest
import torch

from grpo_plus.entropy import (
    CLIP_COV_BOUNDS,
    CLIP_COV_RATIO,
    KL_COV_COEF,
    KL_COV_RATIO,
    SUPPORTED_LOSS_TYPES,
    clip_cov_select,
    clipped_tokens,
    keep_mask,
    kl_cov_select,
    kl_cov_token_loss,
    selection_count,
    token_covariance,
    validate_entropy_control,
)

NAN, INF = float("nan"), float("inf")

# ------------------------------------------------------------------------------------------- independent reference


def ref_valid(mask):
    return [(i, t) for i, row in enumerate(mask) for t, m in enumerate(row) if m]


def ref_covariance(logps, advantages, mask):
    """Cov(y_i) = (log π(y_i) − mean log π) · (A(y_i) − mean A) over the valid tokens (dict (i, t) -> value)."""
    valid = ref_valid(mask)
    adv = [[advantages[i]] * len(logps[i]) if not isinstance(advantages[i], list) else advantages[i] for i in
           range(len(logps))]
    n = len(valid)
    mean_lp = sum(logps[i][t] for i, t in valid) / n
    mean_a = sum(adv[i][t] for i, t in valid) / n
    return {(i, t): (logps[i][t] - mean_lp) * (adv[i][t] - mean_a) for i, t in valid}


def ref_count(ratio, n):
    return 0 if ratio == 0 or n == 0 else max(1, math.floor(ratio * n))


def ref_kl_cov(logps, advantages, mask, ratio):
    valid = ref_valid(mask)
    k = ref_count(ratio, len(valid))
    if k == 0:
        return set()
    cov = ref_covariance(logps, advantages, mask)
    ranked = sorted(valid, key=lambda pos: (-cov[pos], pos))  # largest first; ties: earlier token first
    return set(ranked[:k])


def ref_clip_cov(logps, advantages, mask, ratio, bounds, seed, exclude=()):
    valid = ref_valid(mask)
    k = ref_count(ratio, len(valid))
    if k == 0:
        return set()
    cov = ref_covariance(logps, advantages, mask)
    candidates = [pos for pos in valid if bounds[0] < cov[pos] < bounds[1] and pos not in exclude]
    if not candidates:
        return set()
    perm = torch.randperm(len(candidates), generator=torch.Generator().manual_seed(seed)).tolist()
    return {candidates[j] for j in perm[:k]}


def as_set(selected):
    return {(i, t) for i, row in enumerate(selected.tolist()) for t, s in enumerate(row) if s}


# ------------------------------------------------------------------------------------------------- the batch

# 3 sequences, T = 5; padding positions hold garbage (NaN, ±inf, huge) that must never matter
MASK = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0]]
LOGPS = [
    [-0.10, -2.30, -0.70, -1.60, -0.05],
    [-3.00, -0.40, -1.20, NAN, -INF],
    [-0.90, -2.80, -0.20, -1.90, 1e9],
]
OLD_LOGPS = [
    [-0.15, -2.00, -0.70, -1.80, -0.02],
    [-2.50, -0.45, -1.00, 0.0, 0.0],
    [-0.90, -3.00, -0.35, -1.70, 0.0],
]
ADV = [1.5, -1.0, 0.5]


def tensors():
    return torch.tensor(LOGPS), torch.tensor(ADV), torch.tensor(MASK)


# ------------------------------------------------------------------------------------------- covariance


def test_covariance_by_hand_on_a_two_by_two_batch():
    # A = (1, -1) per sequence, log π = [[-1, -2], [-3, -4]], third column padding.
    # mean A = 0, mean log π = -2.5, so Cov = (lp + 2.5) · A:
    #   (0,0): 1.5 · 1 = 1.5   (0,1): 0.5 · 1 = 0.5   (1,0): -0.5 · -1 = 0.5   (1,1): -1.5 · -1 = 1.5
    logps = torch.tensor([[-1.0, -2.0, NAN], [-3.0, -4.0, INF]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 0]])
    cov = token_covariance(logps, torch.tensor([1.0, -1.0]), mask)
    assert torch.equal(cov, torch.tensor([[1.5, 0.5, 0.0], [0.5, 1.5, 0.0]]))


def test_covariance_equals_the_reference_and_ignores_padding_values():
    logps, adv, mask = tensors()
    cov = token_covariance(logps, adv, mask)
    expected = ref_covariance(LOGPS, ADV, MASK)
    for (i, t), value in expected.items():
        assert cov[i, t].item() == pytest.approx(value, rel=1e-6, abs=1e-6)
    assert all(cov[i, t].item() == 0.0 for i in range(3) for t in range(5) if not MASK[i][t])
    assert torch.isfinite(cov).all()


def test_sequence_advantages_broadcast_like_token_advantages():
    logps, adv, mask = tensors()
    per_token = adv.unsqueeze(1).expand(3, 5).clone()
    assert torch.equal(token_covariance(logps, adv, mask), token_covariance(logps, per_token, mask))
    assert torch.equal(token_covariance(logps, adv.unsqueeze(1), mask), token_covariance(logps, adv, mask))
    # token-level advantages that differ inside a sequence (process rewards) against the reference
    token_adv = [[0.5, 1.0, -0.5, 2.0, 9.0], [-1.0, 0.0, 1.0, 9.0, 9.0], [0.3, 0.3, -2.0, 1.0, 9.0]]
    cov = token_covariance(logps, torch.tensor(token_adv), mask)
    for (i, t), value in ref_covariance(LOGPS, token_adv, MASK).items():
        assert cov[i, t].item() == pytest.approx(value, rel=1e-6, abs=1e-6)


def test_mean_advantage_is_token_weighted():
    # 3 valid tokens with A = 1 and 1 with A = -1: mean A = 0.5 (not the sequence mean 0)
    logps = torch.tensor([[0.0, -1.0, -2.0], [-3.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    cov = token_covariance(logps, torch.tensor([1.0, -1.0]), mask)
    # mean log π = -1.5; (0,0): 1.5 · 0.5 = 0.75; (1,0): -1.5 · -1.5 = 2.25
    assert cov[0, 0].item() == pytest.approx(0.75)
    assert cov[1, 0].item() == pytest.approx(2.25)


def test_low_precision_inputs_are_computed_in_float32():
    logps, adv, mask = tensors()
    cov = token_covariance(logps.nan_to_num().bfloat16(), adv.bfloat16(), mask)
    assert cov.dtype == torch.float32


# ------------------------------------------------------------------------------------------------ counts


@pytest.mark.parametrize(
    "ratio,n,expected",
    [(0.25, 12, 3), (0.3, 12, 3), (0.0002, 12, 1), (0.0002, 20000, 4), (1.0, 12, 12), (0.0, 12, 0), (0.5, 0, 0)],
)
def test_selection_count_floors_with_a_minimum_of_one(ratio, n, expected):
    # 0.3 · 12 = 3.6 -> 3; 0.0002 · 12 = 0.0024 -> at least 1; 0.0002 · 20000 = 4
    assert selection_count(ratio, n) == expected


@pytest.mark.parametrize("ratio", [-0.1, 1.5, NAN, True])
def test_selection_count_rejects_bad_ratios(ratio):
    with pytest.raises(ValueError, match="ratio"):
        selection_count(ratio, 10)


# ---------------------------------------------------------------------------------------------------- KL-Cov


@pytest.mark.parametrize("ratio", [0.25, 0.3, 0.5, 0.01, 1.0])
def test_kl_cov_selection_equals_the_reference(ratio):
    logps, adv, mask = tensors()
    selected = kl_cov_select(logps, adv, mask, ratio)
    assert as_set(selected) == ref_kl_cov(LOGPS, ADV, MASK, ratio)
    assert selected.sum().item() == ref_count(ratio, 12)


def test_kl_cov_ties_go_to_the_earlier_token():
    # the 2×2 example: Cov = [[1.5, 0.5], [0.5, 1.5]]; one token -> (0,0); three -> (0,0), (1,1), then (0,1)
    logps = torch.tensor([[-1.0, -2.0, NAN], [-3.0, -4.0, INF]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 0]])
    adv = torch.tensor([1.0, -1.0])
    assert as_set(kl_cov_select(logps, adv, mask, 0.25)) == {(0, 0)}
    assert as_set(kl_cov_select(logps, adv, mask, 0.5)) == {(0, 0), (1, 1)}
    assert as_set(kl_cov_select(logps, adv, mask, 0.75)) == {(0, 0), (1, 1), (0, 1)}


def test_kl_cov_all_equal_covariance_takes_the_first_tokens_in_row_major_order():
    # every advantage equal (1.0, so the mean is exactly 1.0 in floating point): Cov = 0 everywhere, all tied
    logps, _, mask = tensors()
    assert not token_covariance(logps, torch.ones(3), mask).any()
    selected = kl_cov_select(logps, torch.ones(3), mask, 0.25)
    assert as_set(selected) == {(0, 0), (0, 1), (0, 2)}


def test_kl_cov_edge_cases_select_nothing():
    logps, adv, mask = tensors()
    assert not kl_cov_select(logps, adv, torch.zeros_like(mask), 0.5).any()  # no valid token
    assert not kl_cov_select(logps, adv, mask, 0.0).any()  # ratio 0
    assert kl_cov_select(logps, adv, mask, 0.0001).sum() == 1  # tiny ratio: still one token


def test_padding_is_never_selected_even_with_extreme_values():
    # the padding of row 2 holds log π = 1e9 (its covariance would be the largest by far)
    logps, adv, mask = tensors()
    for ratio in (0.01, 0.5, 1.0):
        assert not (kl_cov_select(logps, adv, mask, ratio) & ~mask.bool()).any()
        generator = torch.Generator().manual_seed(0)
        assert not (clip_cov_select(logps, adv, mask, ratio, (-INF, INF), generator=generator) & ~mask.bool()).any()


def test_kl_cov_selects_nothing_when_a_valid_token_is_nan():
    # a NaN on a valid token makes both means NaN, hence every covariance; sorting would rank NaN first
    logps = torch.tensor([[NAN, -1.0, -2.0]])
    adv = torch.tensor([[5.0, 1.0, -1.0]])
    assert not kl_cov_select(logps, adv, torch.ones(1, 3), 1.0).any()
    assert not kl_cov_select(torch.tensor([[0.0, -1.0, -2.0]]), adv.nan_to_num().index_fill(1, torch.tensor([1]), NAN),
                             torch.ones(1, 3), 1.0).any()


def test_kl_cov_loss_by_hand_and_against_the_reference():
    # one token: A = 2, log π = -1, log π_old = -1.5: ρ = e^0.5, loss = -2 e^0.5 + 0.1 · 0.5
    value = kl_cov_token_loss(torch.tensor([[-1.0]]), torch.tensor([[-1.5]]), torch.tensor([2.0]), 0.1)
    assert value.item() == pytest.approx(-2 * math.exp(0.5) + 0.05)
    assert KL_COV_COEF == 0.1 and KL_COV_RATIO == 0.0002  # verl PolicyLossConfig defaults

    # verl's KL-Cov token-mean loss on the batch: selected tokens -A ρ + c |log ρ|, the others -A ρ
    logps, adv, mask = tensors()
    old = torch.tensor(OLD_LOGPS)
    coef, ratio = 0.3, 0.25
    selected = kl_cov_select(logps, adv, mask, ratio)
    surrogate = -adv.unsqueeze(1) * torch.exp(logps - old)
    per_token = torch.where(selected, kl_cov_token_loss(logps, old, adv, coef), surrogate)
    loss = (per_token * mask).nan_to_num().sum() / mask.sum()  # padding logps are NaN/inf: masked out
    chosen = ref_kl_cov(LOGPS, ADV, MASK, ratio)
    total = 0.0
    for i, t in ref_valid(MASK):
        log_r = LOGPS[i][t] - OLD_LOGPS[i][t]
        term = -ADV[i] * math.exp(log_r)
        if (i, t) in chosen:
            term += coef * abs(log_r)
        total += term
    assert loss.item() == pytest.approx(total / 12, rel=1e-6)


def test_kl_cov_loss_gradient_by_hand():
    # d/d logπ [-A e^x + c |x|] with x = logπ - logπ_old: -A e^x + c sign(x)
    logps = torch.tensor([[-1.0, -2.0, -0.5]], requires_grad=True)
    old = torch.tensor([[-1.5, -1.0, -0.5]])
    adv = torch.tensor([[2.0, -1.0, 3.0]])
    kl_cov_token_loss(logps, old, adv, 0.4).sum().backward()
    expected = [-2 * math.exp(0.5) + 0.4, 1 * math.exp(-1.0) - 0.4, -3.0 + 0.0]  # |x|' = 0 at x = 0
    assert logps.grad[0].tolist() == pytest.approx(expected, rel=1e-6)


def test_kl_cov_penalty_vanishes_on_policy():
    # old = logps.detach() (TRL with num_iterations = 1): value and gradient equal those of -A ρ
    logps, adv, mask = tensors()
    logps = logps.nan_to_num().requires_grad_(True)
    loss = kl_cov_token_loss(logps, logps.detach(), adv, 1.0)
    (grad_cov,) = torch.autograd.grad(loss.sum(), logps)
    surrogate = -adv.unsqueeze(1) * torch.exp(logps - logps.detach())
    (grad_pg,) = torch.autograd.grad(surrogate.sum(), logps)
    assert torch.equal(loss, surrogate) and torch.equal(grad_cov, grad_pg)


def test_trl_masked_loss_plus_kl_cov_term_equals_verl_when_the_clip_is_inactive():
    """(1 − s)·TRL's clipped loss + s·kl_cov_loss equals verl's replacement while every ρ is inside the clip range.

    verl's KL-Cov keeps the unclipped −A·ρ on the unselected tokens, so an active clip there is the one difference.
    """
    logps, adv, mask = tensors()
    logps = logps.nan_to_num()
    shift = torch.tensor([[1.0, -1.0, 2.0, 0.5, 0.0], [-2.0, 1.0, 0.3, 0.0, 0.0], [1.0, 1.0, -1.0, 0.0, 0.0]])
    a = adv.unsqueeze(1)

    def both(old):
        ratio = torch.exp(logps - old)
        trl = -torch.min(ratio * a, torch.clamp(ratio, 0.8, 1.2) * a)
        selected = kl_cov_select(logps, adv, mask, 0.25)
        combined = trl * keep_mask(selected, mask) + kl_cov_token_loss(logps, old, adv, 0.1) * selected
        verl = torch.where(selected, kl_cov_token_loss(logps, old, adv, 0.1), -a * ratio)
        return combined * mask, verl * mask, selected

    combined, verl, _ = both(logps - 0.05 * shift)  # all ratios within e^±0.1 ⊂ [0.8, 1.2]
    assert torch.allclose(combined, verl)
    shift[0, 1] = 8.0  # token (0, 1): A = 1.5 > 0, ρ = e^0.4 > 1.2, so TRL's clip is active
    combined, verl, selected = both(logps - 0.05 * shift)
    assert not selected[0, 1]
    differs = ~torch.isclose(combined, verl)
    assert differs.nonzero().tolist() == [[0, 1]]


# -------------------------------------------------------------------------------------------------- Clip-Cov


@pytest.mark.parametrize("seed", [0, 1, 7, 123])
@pytest.mark.parametrize(
    "ratio,bounds", [(0.25, (0.05, 5.0)), (0.5, (-0.5, 0.3)), (1.0, (0.0, 10.0)), (0.01, (0.05, 5.0))]
)
def test_clip_cov_selection_equals_the_reference(seed, ratio, bounds):
    logps, adv, mask = tensors()
    selected = clip_cov_select(logps, adv, mask, ratio, bounds, generator=torch.Generator().manual_seed(seed))
    expected = ref_clip_cov(LOGPS, ADV, MASK, ratio, bounds, seed)
    assert as_set(selected) == expected
    cov = ref_covariance(LOGPS, ADV, MASK)
    assert all(bounds[0] < cov[pos] < bounds[1] for pos in expected)


def test_clip_cov_band_is_open_like_verl():
    # 2×2 example: Cov ∈ {1.5, 0.5}; a bound equal to 1.5 or 0.5 leaves that token out
    logps = torch.tensor([[-1.0, -2.0], [-3.0, -4.0]])
    adv = torch.tensor([1.0, -1.0])
    mask = torch.ones(2, 2)
    gen = torch.Generator().manual_seed(0)
    assert as_set(clip_cov_select(logps, adv, mask, 1.0, (0.5, 1.5), generator=gen)) == set()
    assert as_set(clip_cov_select(logps, adv, mask, 1.0, (0.4, 1.5), generator=gen)) == {(0, 1), (1, 0)}
    assert as_set(clip_cov_select(logps, adv, mask, 1.0, (1.0, 5.0), generator=gen)) == {(0, 0), (1, 1)}


def test_clip_cov_count_is_capped_by_the_candidates():
    # ratio 1 asks for 4 tokens; only 2 lie in (1, 5)
    logps = torch.tensor([[-1.0, -2.0], [-3.0, -4.0]])
    selected = clip_cov_select(
        logps, torch.tensor([1.0, -1.0]), torch.ones(2, 2), 1.0, (1.0, 5.0), generator=torch.Generator().manual_seed(3)
    )
    assert as_set(selected) == {(0, 0), (1, 1)}


def test_clip_cov_edge_cases_select_nothing():
    logps, adv, mask = tensors()
    gen = torch.Generator().manual_seed(0)
    assert not clip_cov_select(logps, adv, torch.zeros_like(mask), 0.5, (-INF, INF), generator=gen).any()
    assert not clip_cov_select(logps, adv, mask, 0.0, (-INF, INF), generator=gen).any()
    # all covariances equal (0): outside the default band (1, 5) -> nothing; inside (-1, 1) -> a random 3
    equal = torch.ones(3)
    assert not clip_cov_select(logps, equal, mask, 0.25, generator=gen).any()
    seed_state = torch.Generator().manual_seed(5)
    picked = clip_cov_select(logps, equal, mask, 0.25, (-1.0, 1.0), generator=seed_state)
    assert as_set(picked) == ref_clip_cov(LOGPS, [1.0] * 3, MASK, 0.25, (-1.0, 1.0), 5)
    assert picked.sum() == 3


def test_clip_cov_excludes_tokens_the_ppo_clip_already_handles():
    logps, adv, mask = tensors()
    old = torch.tensor(OLD_LOGPS)
    clipped = clipped_tokens(logps.nan_to_num(), old, adv, 0.2, 0.2) & mask.bool()
    excluded = as_set(clipped)
    assert excluded  # the batch has clipped tokens
    for seed in range(5):
        selected = clip_cov_select(logps, adv, mask, 1.0, (-INF, INF), generator=torch.Generator().manual_seed(seed),
                                   exclude=clipped)
        assert as_set(selected) == ref_clip_cov(LOGPS, ADV, MASK, 1.0, (-INF, INF), seed, exclude=excluded)
        assert not (selected & clipped).any()


def test_clipped_tokens_by_hand():
    # ε = 0.2: clipped iff (A > 0 and ρ > 1.2) or (A < 0 and ρ < 0.8)
    ratios = [1.3, 1.1, 0.7, 0.9, 1.3, 0.7, 1.3]
    adv = torch.tensor([[1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 0.0]])
    logps = torch.tensor([[math.log(r) for r in ratios]])
    clipped = clipped_tokens(logps, torch.zeros_like(logps), adv, 0.2, 0.2)
    assert clipped[0].tolist() == [True, False, False, False, False, True, False]


def test_clip_cov_loss_against_the_reference():
    # verl's Clip-Cov token-mean loss: max(-A ρ, -A clip(ρ)) on the kept tokens, 0 on the selected, divided by all N
    logps, adv, mask = tensors()
    old = torch.tensor(OLD_LOGPS)
    logps = logps.nan_to_num()
    clipped = clipped_tokens(logps, old, adv, 0.2, 0.2) & mask.bool()
    selected = clip_cov_select(logps, adv, mask, 0.25, (-INF, INF), generator=torch.Generator().manual_seed(2),
                               exclude=clipped)
    a = adv.unsqueeze(1)
    ratio = torch.exp(logps - old)
    per_token = torch.maximum(-a * ratio, -a * torch.clamp(ratio, 0.8, 1.2)) * keep_mask(selected, mask)
    loss = (per_token * mask).sum() / mask.sum()
    chosen = ref_clip_cov(LOGPS, ADV, MASK, 0.25, (-INF, INF), 2, exclude=as_set(clipped))
    total = 0.0
    for i, t in ref_valid(MASK):
        if (i, t) in chosen:
            continue
        r = math.exp(LOGPS[i][t] - OLD_LOGPS[i][t])
        total += max(-ADV[i] * r, -ADV[i] * min(max(r, 0.8), 1.2))
    assert len(chosen) == 3
    assert loss.item() == pytest.approx(total / 12, rel=1e-6)


def test_clip_cov_is_reproducible_with_a_seeded_generator():
    logps, adv, mask = tensors()
    draws = [clip_cov_select(logps, adv, mask, 0.25, (-INF, INF), generator=torch.Generator().manual_seed(11))
             for _ in range(3)]
    assert all(torch.equal(draws[0], d) for d in draws)
    # one generator advances: successive draws follow its stream (as the reference's successive permutations)
    gen = torch.Generator().manual_seed(11)
    first = clip_cov_select(logps, adv, mask, 0.25, (-INF, INF), generator=gen)
    second = clip_cov_select(logps, adv, mask, 0.25, (-INF, INF), generator=gen)
    ref = torch.Generator().manual_seed(11)
    perms = [torch.randperm(12, generator=ref).tolist() for _ in range(2)]
    valid = ref_valid(MASK)
    assert as_set(first) == {valid[j] for j in perms[0][:3]}
    assert as_set(second) == {valid[j] for j in perms[1][:3]}
    # different seeds draw different subsets (for these seeds)
    other = clip_cov_select(logps, adv, mask, 0.25, (-INF, INF), generator=torch.Generator().manual_seed(12))
    assert not torch.equal(draws[0], other)


def test_clip_cov_without_a_generator_uses_the_default_one_like_verl():
    logps, adv, mask = tensors()
    torch.manual_seed(4)
    default = clip_cov_select(logps, adv, mask, 0.25, (-INF, INF))
    seeded = clip_cov_select(logps, adv, mask, 0.25, (-INF, INF), generator=torch.Generator().manual_seed(4))
    assert torch.equal(default, seeded)


def test_clip_cov_defaults_are_verls():
    assert CLIP_COV_RATIO == 0.0002 and CLIP_COV_BOUNDS == (1.0, 5.0)


def test_keep_mask_removes_the_selected_tokens_only():
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    selected = torch.tensor([[False, True, False], [False, False, False]])
    assert keep_mask(selected, mask).tolist() == [[True, False, False], [True, False, False]]


# --------------------------------------------------------------------------------------------- bad input


def test_shape_errors_name_the_argument():
    logps, adv, mask = tensors()
    with pytest.raises(ValueError, match="mask"):
        kl_cov_select(logps, adv, mask[:, :4])
    with pytest.raises(ValueError, match="advantages"):
        kl_cov_select(logps, torch.ones(2), mask)
    with pytest.raises(ValueError, match="logps"):
        token_covariance(logps.view(-1), adv, mask.view(-1))
    with pytest.raises(ValueError, match="old_logps"):
        kl_cov_token_loss(logps, logps[:, :2], adv)
    with pytest.raises(ValueError, match="exclude"):
        clip_cov_select(logps, adv, mask, exclude=torch.zeros(3, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="kl_cov_coef"):
        kl_cov_token_loss(logps, logps, adv, -0.1)


@pytest.mark.parametrize("bounds", [(5.0, 1.0), (1.0, 1.0), (1.0,), (NAN, 1.0), ("a", 2.0)])
def test_bad_bounds_are_rejected(bounds):
    logps, adv, mask = tensors()
    with pytest.raises(ValueError, match="clip_cov_bounds"):
        clip_cov_select(logps, adv, mask, 0.1, bounds)


def test_validate_entropy_control_accepts_the_clipped_surrogate_losses():
    for loss_type in SUPPORTED_LOSS_TYPES:
        for method in ("kl_cov", "clip_cov", None):
            validate_entropy_control(method, loss_type, "token")
    validate_entropy_control(None, "cispo", "sequence")  # off: nothing to check


@pytest.mark.parametrize(
    "args,kwargs,match",
    [
        (("entropy", "dapo"), {}, "entropy_control must be one of"),
        (("kl_cov", "cispo"), {}, "loss_type='cispo'"),
        (("clip_cov", "sapo"), {}, "loss_type='sapo'"),
        (("clip_cov", "vespo"), {}, "loss_type='vespo'"),
        (("kl_cov", "grpo", "sequence"), {}, "importance_sampling_level='sequence'"),
        (("kl_cov", "dapo"), {"kl_cov_ratio": 1.5}, "kl_cov_ratio"),
        (("kl_cov", "dapo"), {"kl_cov_coef": -1.0}, "kl_cov_coef"),
        (("clip_cov", "dapo"), {"clip_cov_ratio": -0.1}, "clip_cov_ratio"),
        (("clip_cov", "dapo"), {"clip_cov_bounds": (5.0, 1.0)}, "clip_cov_bounds"),
    ],
)
def test_validate_entropy_control_rejects_naming_the_fields(args, kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        validate_entropy_control(*args, **kwargs)
    if "loss_type" in match or "importance" in match:
        assert "entropy_control=" in str(info.value)


def test_any_mask_dtype_gives_the_same_selection():
    logps, adv, mask = tensors()
    for other in (mask.bool(), mask.float(), mask.to(torch.int8)):
        assert torch.equal(kl_cov_select(logps, adv, other, 0.25), kl_cov_select(logps, adv, mask, 0.25))
        gen_a, gen_b = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
        assert torch.equal(
            clip_cov_select(logps, adv, other, 0.25, (-INF, INF), generator=gen_a),
            clip_cov_select(logps, adv, mask, 0.25, (-INF, INF), generator=gen_b),
        )
