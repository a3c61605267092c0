"""KL estimators: hand values, Monte Carlo unbiasedness, straight-through gradients."""

import math

import pytest
import torch

from grpo_plus.kl import KL_ESTIMATORS, per_token_kl


def test_hand_picked_values():
    # π(token) = 0.5, π_ref(token) = 0.25  ->  log_r = log(0.25 / 0.5) = -ln 2
    logps = torch.tensor([[math.log(0.5)]])
    ref = torch.tensor([[math.log(0.25)]])
    ln2 = math.log(2.0)
    expected = {
        "k1": ln2,  # -log_r
        "k2": 0.5 * ln2**2,  # 0.2402
        "k3": 0.5 - 1 + ln2,  # r - 1 - log r with r = 1/2: 0.1931
        "k1+": ln2,
        "k3+": 0.5 - 1 + ln2,
    }
    for name, value in expected.items():
        assert per_token_kl(logps, ref, name).item() == pytest.approx(value, abs=1e-6), name


def test_identical_policies_give_zero():
    logps = torch.log(torch.tensor([[0.1, 0.7, 0.2]]))
    for name in KL_ESTIMATORS:
        assert torch.allclose(per_token_kl(logps, logps.clone(), name), torch.zeros(1, 3))


def test_monte_carlo_means_against_exact_kl():
    p = torch.tensor([0.5, 0.3, 0.2])
    q = torch.tensor([0.2, 0.5, 0.3])
    exact = float((p * (p / q).log()).sum())  # KL(p‖q) = 0.2332
    exact_k2_mean = float((p * 0.5 * (q / p).log() ** 2).sum())  # E_p[k2] = 0.2500, not the KL
    generator = torch.Generator().manual_seed(0)
    samples = torch.multinomial(p, 400_000, replacement=True, generator=generator).view(1, -1)
    logps, ref = p.log()[samples], q.log()[samples]
    for name in ("k1", "k3"):
        values = per_token_kl(logps, ref, name)
        stderr = values.std().item() / math.sqrt(values.numel())
        assert abs(values.mean().item() - exact) < 4 * stderr, name
    k2 = per_token_kl(logps, ref, "k2")
    stderr = k2.std().item() / math.sqrt(k2.numel())
    assert abs(k2.mean().item() - exact_k2_mean) < 4 * stderr
    assert abs(k2.mean().item() - exact) > 10 * stderr  # biased: its mean is not the KL


@pytest.mark.parametrize("name,value_of", [("k1+", "k1"), ("k3+", "k3")])
def test_straight_through_value_and_gradient(name, value_of):
    ref = torch.log(torch.tensor([[0.2, 0.5, 0.05, 0.25]]))
    base = torch.log(torch.tensor([[0.4, 0.1, 0.3, 0.2]]))
    grads = {}
    for est in (name, "k2"):
        logps = base.clone().requires_grad_(True)
        values = per_token_kl(logps, ref, est)
        values.sum().backward()
        grads[est] = logps.grad
        if est == name:
            assert torch.allclose(values, per_token_kl(base, ref, value_of))
    assert torch.allclose(grads[name], grads["k2"])
    # d k2 / d logps = -(ref - logps) = logps - ref, derived by hand
    assert torch.allclose(grads["k2"], base - ref)


def test_k2_gradient_is_the_unbiased_kl_gradient_and_k3s_is_not():
    """E_{x~π}[∇θ k(x)] against ∇θ KL(π_θ‖q) for a softmax policy, with exact expectations (no sampling)."""
    q = torch.tensor([0.2, 0.5, 0.3])
    theta = torch.tensor([0.3, -0.2, 0.5], requires_grad=True)
    kl = (theta.softmax(0) * (theta.log_softmax(0) - q.log())).sum()
    (true_grad,) = torch.autograd.grad(kl, theta)

    def expected_grad(estimator):
        pi = theta.softmax(0).detach()
        logps = theta.log_softmax(0).view(1, -1)
        values = per_token_kl(logps, q.log().view(1, -1), estimator)
        (grad,) = torch.autograd.grad((pi * values.view(-1)).sum(), theta)
        return grad

    for name in ("k2", "k1+", "k3+"):
        assert torch.allclose(expected_grad(name), true_grad, atol=1e-6), name
    assert not torch.allclose(expected_grad("k3"), true_grad, atol=1e-3)


def test_unknown_estimator_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown KL estimator 'k4'.*k1, k2, k3, k1\+, k3\+"):
        per_token_kl(torch.zeros(1, 1), torch.zeros(1, 1), "k4")
