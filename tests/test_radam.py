"""Tests of adamlib.radam: against torch.optim.RAdam (torch 2.13.0, float64) and against closed
forms of Liu et al. (2020) worked out by hand here, never computed with adamlib.radam itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from adamlib import AdamConfigError, radam
from tests.helpers import fixed_gradient_trajectory
from tests.transcriptions.compare import deviation

STEPS = 150


def _torch_trajectory(params: dict[str, np.ndarray], grads: list[dict[str, np.ndarray]], **kwargs):
    tensors = {
        name: torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True)
        for name, p in params.items()
    }
    optimizer = torch.optim.RAdam(list(tensors.values()), foreach=False, **kwargs)
    history = []
    for grad in grads:
        for name, tensor in tensors.items():
            tensor.grad = torch.tensor(grad[name], dtype=torch.float64)
        optimizer.step()
        history.append({name: t.detach().numpy().copy() for name, t in tensors.items()})
    return history


def _radam_trajectory(params, grads, **kwargs):
    """θ_1..θ_T of adamlib.radam (θ_0 dropped, like _torch_trajectory)."""
    return fixed_gradient_trajectory(
        params, grads, radam.RAdamConfig(**kwargs), radam.init(params), radam.step
    )[1:]


def _random_problem(seed: int, steps: int = STEPS):
    rng = np.random.default_rng(seed)
    params = {"weight": rng.normal(size=(4, 3)), "bias": rng.normal(size=3)}
    # Heavy-tailed gradients with a drifting scale exercise both branches and large ratios.
    grads = [
        {
            name: rng.standard_t(3, size=p.shape) * 10.0 ** rng.uniform(-3, 1)
            for name, p in params.items()
        }
        for _ in range(steps)
    ]
    return params, grads


def _assert_same_trajectory(ours, theirs, rtol=1e-12):
    assert deviation(ours, theirs, floor=1e-3) <= rtol


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-3},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.01, "maximize": True, "weight_decay": 0.05},
        {"lr": 0.02, "betas": (0.0, 0.5)},  # ρ_∞ = 3: never rectified, momentum steps only
        {"lr": 0.02, "betas": (0.9, 0.9999), "eps": 0.0},
    ],
    ids=["defaults", "betas-eps", "l2", "decoupled", "maximize", "never-rectified", "eps0"],
)
def test_matches_torch_radam(kwargs):
    """Catches any departure from torch.optim.RAdam's _single_tensor_radam over 150 float64
    steps: ε inside √v̂ instead of added to √v, the threshold at 4 instead of 5, a normalised
    fallback step, weight decay on the wrong side of the moments, maximize applied after L2."""
    params, grads = _random_problem(seed=len(str(kwargs)))
    _assert_same_trajectory(
        _radam_trajectory(params, grads, **kwargs), _torch_trajectory(params, grads, **kwargs)
    )


@given(
    lr=st.floats(1e-4, 0.5),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.5, 0.9999),
    eps=st.sampled_from([0.0, 1e-8, 1e-3]),
    weight_decay=st.sampled_from([0.0, 1e-2]),
    decoupled=st.booleans(),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=25, deadline=None)
def test_matches_torch_radam_over_hyperparameters(
    lr, beta1, beta2, eps, weight_decay, decoupled, seed
):
    """Catches a hyperparameter-dependent mismatch with torch (e.g. ρ_t computed with β₁, or
    the bias correction of m̂ applied with β₂) that the fixed cases above miss."""
    params, grads = _random_problem(seed, steps=40)
    kwargs = dict(
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        decoupled_weight_decay=decoupled,
    )
    _assert_same_trajectory(
        _radam_trajectory(params, grads, **kwargs), _torch_trajectory(params, grads, **kwargs)
    )


@pytest.mark.parametrize("beta2", [0.5, 0.9, 0.99, 0.999, 0.9999])
def test_rho_closed_forms(beta2):
    """Catches a wrong ρ_t: ρ_1 = 1 for every β₂ (2/(1-β)-1-2β/(1-β) = 1), ρ_t increases
    towards ρ_∞ = 2/(1-β₂)-1 = (1+β₂)/(1-β₂)."""
    assert radam.rho(1, beta2) == pytest.approx(1.0, rel=1e-12)
    assert radam.rho_inf(beta2) == pytest.approx((1 + beta2) / (1 - beta2), rel=1e-12)
    values = [radam.rho(t, beta2) for t in range(1, 200)]
    assert all(a < b for a, b in zip(values[:20], values[1:20]))
    assert all(a <= b for a, b in zip(values, values[1:]))
    assert radam.rho(10**7, beta2) == pytest.approx(radam.rho_inf(beta2), rel=1e-9)


def test_rectification_values():
    """Catches an inverted or mis-ordered r_t: for β₂ = 0.999, ρ_5 = 4.995998 and
    r_5 = √((ρ_5-4)(ρ_5-2)·1999/(1995·1997·ρ_5)) = 0.017312; r_t → 1."""
    rho_5 = 1999 - 2 * 5 * 0.999**5 / (1 - 0.999**5)
    assert rho_5 == pytest.approx(4.995998, abs=1e-6)
    expected = math.sqrt((rho_5 - 4) * (rho_5 - 2) * 1999 / (1995 * 1997 * rho_5))
    assert radam.rectification(5, 0.999) == pytest.approx(expected, rel=1e-14)
    assert radam.rectification(5, 0.999) == pytest.approx(0.017312, abs=1e-6)
    assert radam.rectification(10**6, 0.999) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("threshold, first_rectified", [(4.0, 5), (5.0, 6)])
def test_threshold_convention_with_constant_gradient(threshold, first_rectified):
    """Catches a threshold applied one step early or late: with g = 3, ε = 0 and
    β₂ = 0.999 (ρ_4 = 3.9975, ρ_5 = 4.9960, ρ_6 = 5.9942), steps before the first rectified one
    move α·m̂ = 3α and later ones exactly α·r_t (because l_t = 1/|g|)."""
    config = radam.RAdamConfig(lr=0.1, eps=0.0, rho_threshold=threshold)
    theta, state = np.zeros(1), radam.init(np.zeros(1))
    for t in range(1, 9):
        new_theta, state = radam.step(theta, np.array([3.0]), state, config)
        move = theta[0] - new_theta[0]
        rho_inf = 1999.0
        rho_t = rho_inf - 2 * t * 0.999**t / (1 - 0.999**t)
        if t < first_rectified:
            assert move == pytest.approx(0.1 * 3.0, rel=1e-13)
        else:
            r_t = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            assert move == pytest.approx(0.1 * r_t, rel=1e-12)
        theta = new_theta


def test_inputs_are_not_mutated_and_structure_is_kept():
    """Catches an in-place update of the caller's parameters, gradients or state (torch-style
    add_), or a list of parameters returned as a dict."""
    params = [np.array([1.0, -2.0]), np.array([[0.5]])]
    grads = [np.array([0.1, 0.2]), np.array([[-0.3]])]
    state = radam.init(params)
    copies = [a.copy() for a in params + grads + state["m"] + state["v"]]
    new_params, new_state = radam.step(params, grads, state, radam.RAdamConfig())
    for original, copy in zip(params + grads + state["m"] + state["v"], copies):
        np.testing.assert_array_equal(original, copy)
    assert isinstance(new_params, list) and new_state["step"] == 1 and state["step"] == 0
    assert new_params[1].dtype == np.float64 and new_params[1].shape == (1, 1)


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"lr": -1.0}, "lr"),
        ({"eps": float("nan")}, "eps"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"betas": (1.0, 0.999)}, "betas[0]"),
        ({"betas": (0.9, -0.1)}, "betas[1]"),
        ({"betas": (0.9,)}, "betas"),
        ({"rho_threshold": 3.0}, "rho_threshold"),
        ({"maximize": 1}, "maximize"),
        ({"decoupled_weight_decay": "yes"}, "decoupled_weight_decay"),
        ({"lr": np.array([0.1, 0.2])}, "lr"),
    ],
)
def test_bad_hyperparameters_are_rejected_by_name(kwargs, named):
    """Catches a config that accepts a value torch rejects (or that makes r_t imaginary) or an
    error message that does not say which argument is wrong."""
    with pytest.raises(AdamConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        radam.RAdamConfig(**kwargs)


def test_mismatched_inputs_are_rejected():
    """Catches a step that silently broadcasts a gradient of the wrong shape or accepts a state
    made for other parameters."""
    params = {"w": np.zeros(3)}
    with pytest.raises(ValueError, match="shape"):
        radam.step(params, {"w": np.zeros(4)}, radam.init(params), radam.RAdamConfig())
    with pytest.raises(ValueError, match="named"):
        radam.step(params, {"v": np.zeros(3)}, radam.init(params), radam.RAdamConfig())
    with pytest.raises(ValueError, match="state"):
        radam.step(params, {"w": np.zeros(3)}, {"step": 0}, radam.RAdamConfig())
