"""adamlib.reference against torch.optim, and the exact facts the book states about one step.

Expected values come from torch.optim.Adam/AdamW themselves (float64, single-tensor path), from
closed forms worked out in SymPy inside the tests, or from exactly representable arithmetic;
never from adamlib.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch

from adamlib import AdamConfig, reference, variants
from tests.transcriptions.compare import MUTANT_MARGIN, RTOL, deviation
from tests.transcriptions.problem import NoisyQuadratic

STEPS = 150
SHAPES = {"w1": (4, 3), "b1": (3,), "w2": (2, 5), "w3": (6,)}

GROUPS = [
    # Every switch torch has, spread over three groups with their own hyperparameters and
    # LambdaLR factors.
    dict(
        names=["w1", "b1"],
        lr=0.03,
        betas=(0.8, 0.95),
        eps=1e-3,
        weight_decay=0.2,
        amsgrad=True,
        maximize=False,
        factor=lambda k: min(1.0, (k + 1) / 10) * 0.5 * (1 + math.cos(math.pi * k / 300)),
    ),
    dict(
        names=["w2"],
        lr=0.02,
        betas=(0.85, 0.99),
        eps=1e-4,
        weight_decay=0.1,
        amsgrad=False,
        maximize=True,
        factor=lambda k: 0.97**k,
    ),
    dict(
        names=["w3"],
        lr=0.05,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=True,
        maximize=False,
        factor=lambda k: 1.0 / (1.0 + 0.05 * k),
    ),
]


def torch_trajectory(optimizer_class, problem, groups, steps=STEPS, **extra):
    """θ_0..θ_steps under ``optimizer_class`` with one param group per entry of ``groups`` and a
    LambdaLR stepped after every optimizer step (the documented order)."""
    tensors = {n: torch.tensor(v, dtype=torch.float64) for n, v in problem.initial().items()}
    param_groups = [
        {
            "params": [tensors[n] for n in g["names"]],
            "lr": g["lr"],
            "betas": g["betas"],
            "eps": g["eps"],
            "weight_decay": g["weight_decay"],
            "amsgrad": g["amsgrad"],
            "maximize": g["maximize"],
        }
        for g in groups
    ]
    optimizer = optimizer_class(param_groups, foreach=False, **extra)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, [g["factor"] for g in groups])
    history = [{n: t.numpy().copy() for n, t in tensors.items()}]
    for t in range(1, steps + 1):
        grads = problem.grad(history[-1], t)
        for n, tensor in tensors.items():
            tensor.grad = torch.from_numpy(grads[n].copy())
        optimizer.step()
        scheduler.step()
        history.append({n: tensor.numpy().copy() for n, tensor in tensors.items()})
    return history


def reference_trajectory(preset, problem, groups, steps=STEPS, schedule_offset=-1, **changes):
    """The same run with adamlib: one config and one state per group, on a dict of named
    parameters. LambdaLR's factor(k) is read at k = t + schedule_offset (−1: the first
    optimizer.step() uses factor(0), set when the scheduler is built)."""
    params = problem.initial()
    configs = [
        variants.get(
            preset,
            lr=g["lr"],
            betas=g["betas"],
            eps=g["eps"],
            weight_decay=g["weight_decay"],
            amsgrad=g["amsgrad"],
            maximize=g["maximize"],
            schedule_multiplier=lambda t, f=g["factor"]: f(t + schedule_offset),
            **changes,
        )
        for g in groups
    ]
    states = [
        reference.init({n: params[n] for n in g["names"]}, c) for g, c in zip(groups, configs)
    ]
    history = [params]
    for t in range(1, steps + 1):
        grads = problem.grad(params, t)
        new_params = {}
        for i, (g, config) in enumerate(zip(groups, configs)):
            group_params, states[i] = reference.step(
                {n: params[n] for n in g["names"]},
                {n: grads[n] for n in g["names"]},
                states[i],
                config,
            )
            new_params.update(group_params)
        params = {n: new_params[n] for n in SHAPES}
        history.append(params)
    return history


TORCH_CASES = {
    "pytorch-adam": (torch.optim.Adam, {}),
    "pytorch-adamw": (torch.optim.AdamW, {}),
}


@pytest.mark.parametrize("preset", TORCH_CASES)
def test_preset_matches_torch_over_groups_amsgrad_maximize_decay_and_lambdalr(preset):
    """Catches any difference from torch.optim in ε placement, bias correction, L2 added
    before or after the maximize negation, decoupled decay by lr·λ of the old parameter,
    AMSGrad over raw v, per-group hyperparameters, and LambdaLR read one step off."""
    optimizer_class, extra = TORCH_CASES[preset]
    problem = NoisyQuadratic(SHAPES, 7)
    expected = torch_trajectory(optimizer_class, problem, GROUPS, **extra)
    assert deviation(reference_trajectory(preset, problem, GROUPS), expected) <= RTOL


def test_adam_with_decoupled_weight_decay_flag_is_pytorch_adamw():
    """Catches pytorch-adamw drifting from torch's own definition of AdamW
    (Adam(decoupled_weight_decay=True), the same code path since the AdamW refactor)."""
    problem = NoisyQuadratic(SHAPES, 8)
    expected = torch_trajectory(torch.optim.Adam, problem, GROUPS, decoupled_weight_decay=True)
    assert deviation(reference_trajectory("pytorch-adamw", problem, GROUPS), expected) <= RTOL


@pytest.mark.parametrize(
    "preset, wrong",
    [
        ("pytorch-adam", {"weight_decay_kind": "decoupled"}),
        ("pytorch-adam", {"bias_correction": "folded"}),
        ("pytorch-adam", {"schedule_offset": 0}),
        ("pytorch-adamw", {"decay_applies_to": "updated_param"}),
        ("pytorch-adamw", {"decay_multiplier": "schedule"}),
        ("pytorch-adamw", {"schedule_offset": 0}),
    ],
    ids=lambda v: v if isinstance(v, str) else ",".join(f"{k}={x}" for k, x in v.items()),
)
def test_torch_comparison_tells_neighbouring_configs_apart(preset, wrong):
    """Catches a torch comparison too weak to notice one wrong switch or a schedule read at
    factor(t) instead of factor(t − 1): such a config must miss torch by far more than RTOL."""
    optimizer_class, extra = TORCH_CASES[preset]
    problem = NoisyQuadratic(SHAPES, 7)
    expected = torch_trajectory(optimizer_class, problem, GROUPS, **extra)
    assert (
        deviation(reference_trajectory(preset, problem, GROUPS, **wrong), expected) > MUTANT_MARGIN
    )


@pytest.mark.parametrize(
    "preset, optimizer_class",
    [("pytorch-adam", torch.optim.Adam), ("pytorch-adamw", torch.optim.AdamW)],
)
def test_preset_defaults_are_torchs(preset, optimizer_class):
    """Catches a preset whose defaults differ from torch's constructor (AdamW's weight_decay is
    1e-2, Adam's 0; both eps 1e-8; amsgrad and maximize off)."""
    defaults = optimizer_class([torch.zeros(1, dtype=torch.float64)]).defaults
    config = variants.get(preset)
    assert (config.lr, config.betas, config.eps, config.weight_decay) == (
        defaults["lr"],
        tuple(defaults["betas"]),
        defaults["eps"],
        defaults["weight_decay"],
    )
    assert (config.amsgrad != "off", config.maximize) == (defaults["amsgrad"], defaults["maximize"])


# -- exact facts about one step ---------------------------------------------------------------


def first_step(config: AdamConfig, g: np.ndarray, theta0: np.ndarray | None = None) -> np.ndarray:
    theta0 = np.zeros_like(g) if theta0 is None else theta0
    theta1, _ = reference.step(theta0, g, reference.init(theta0, config), config)
    return theta1 - theta0


GRADIENT = np.random.default_rng(3).standard_normal(40) * 10.0 ** np.random.default_rng(4).uniform(
    -6, 6, 40
)


@pytest.mark.parametrize("bias_correction", ["explicit", "folded"])
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9), (0.0, 0.0), (0.99, 0.9999)])
def test_first_step_is_alpha_per_coordinate_with_eps_zero(bias_correction, betas):
    """Catches a missing or wrong bias correction (steps of α(1−β₁)/√(1−β₂), or corrected by the
    wrong β) and any dependence on the gradient's size: with ε = 0 the first step of Adam is
    exactly α in every coordinate, opposite to the gradient, over twelve decades of |g|."""
    alpha = 0.37
    config = AdamConfig(lr=alpha, betas=betas, eps=0.0, bias_correction=bias_correction)
    np.testing.assert_allclose(
        first_step(config, GRADIENT), -alpha * np.sign(GRADIENT), rtol=2e-15, atol=0
    )


@pytest.mark.parametrize(
    "bias_correction, betas, expected_ratio",
    [
        ("explicit", (0.5, 0.75), 1.0),
        ("folded", (0.5, 0.75), 1.0),
        ("none", (0.5, 0.9375), 2.0),  # (1 − 1/2)/√(1 − 15/16) = (1/2)/(1/4)
    ],
)
def test_first_step_in_exact_arithmetic(bias_correction, betas, expected_ratio):
    """Catches any extra factor, however close to 1: with dyadic β's, α and gradients every
    operation of the first step is exact in binary floating point, so the step must equal
    α·ratio bit for bit."""
    alpha = 0.25
    g = np.array([3.0, -0.5, 2.0**-20, -1024.0, 7.0 * 2.0**10])
    config = AdamConfig(lr=alpha, betas=betas, eps=0.0, bias_correction=bias_correction)
    assert np.array_equal(first_step(config, g), -alpha * expected_ratio * np.sign(g))


@pytest.mark.parametrize(
    "b1, b2",
    [
        (sp.Rational(9, 10), sp.Rational(999, 1000)),
        (sp.Rational(1, 2), sp.Rational(3, 4)),
        (sp.Rational(0), sp.Rational(99, 100)),
    ],
)
def test_first_step_without_bias_correction(b1, b2):
    """Catches bias correction applied although switched off, or the uncorrected moments
    combined wrongly: with ε = 0 the first step is α(1−β₁)/√(1−β₂) per coordinate (SymPy, from
    m₁ = (1−β₁)g and v₁ = (1−β₂)g²)."""
    alpha, g = sp.Rational(37, 100), sp.Symbol("g", positive=True)
    m1, v1 = (1 - b1) * g, (1 - b2) * g**2
    ratio = sp.simplify(alpha * m1 / sp.sqrt(v1) / alpha)
    assert not ratio.has(g)
    config = AdamConfig(
        lr=float(alpha), betas=(float(b1), float(b2)), eps=0.0, bias_correction="none"
    )
    np.testing.assert_allclose(
        first_step(config, GRADIENT), -float(alpha * ratio) * np.sign(GRADIENT), rtol=4e-15, atol=0
    )


@pytest.mark.parametrize("bias_correction", ["explicit", "folded", "none"])
def test_first_step_with_eps_matches_closed_form(bias_correction):
    """Catches ε added inside the square root, ε scaled by the bias correction in the wrong
    form, or ε̂ treated as ε: the first step with ε > 0 follows from m₁, v₁ and each form's
    update (SymPy), e.g. −α g/(|g| + ε) for Algorithm 1 but −α g/(|g| + ε̂/√(1−β₂)) for the ε̂
    form."""
    alpha, b1, b2 = sp.Rational(3, 100), sp.Rational(4, 5), sp.Rational(19, 20)
    eps, g = sp.Rational(1, 1000), sp.Symbol("g", real=True)
    m1, v1 = (1 - b1) * g, (1 - b2) * g**2
    t = 1
    step = {
        "explicit": alpha * (m1 / (1 - b1**t)) / (sp.sqrt(v1 / (1 - b2**t)) + eps),
        "folded": alpha * sp.sqrt(1 - b2**t) / (1 - b1**t) * m1 / (sp.sqrt(v1) + eps),
        "none": alpha * m1 / (sp.sqrt(v1) + eps),
    }[bias_correction]
    closed_form = sp.lambdify(g, -step, "numpy")
    config = AdamConfig(
        lr=float(alpha),
        betas=(float(b1), float(b2)),
        eps=float(eps),
        bias_correction=bias_correction,
    )
    gradient = np.array([1e-5, -3e-4, 1e-3, -0.02, 0.5, -7.0])
    np.testing.assert_allclose(
        first_step(config, gradient), closed_form(gradient), rtol=1e-14, atol=0
    )


def test_folded_equals_explicit_when_eps_hat_is_eps_times_sqrt_bias_correction():
    """Catches a folded form that is not Kingma & Ba's remark: from the same state, one folded
    step with ε̂ = ε√(1−β₂ᵗ) equals one explicit step with ε, at every t of a 200-step run;
    with the constant ε̂ = ε it does not (the two forms are different algorithms)."""
    betas, eps = (0.8, 0.95), 1e-2
    explicit = AdamConfig(lr=0.03, betas=betas, eps=eps)
    problem = NoisyQuadratic({"w": (4, 3)}, 11)
    params = problem.initial()
    state = reference.init(params, explicit)
    largest_gap_with_constant_eps = 0.0
    for t in range(1, 201):
        grads = problem.grad(params, t)
        next_params, next_state = reference.step(params, grads, state, explicit)
        eps_hat = eps * math.sqrt(1 - betas[1] ** t)
        folded_params, folded_state = reference.step(
            params, grads, state, explicit.replace(bias_correction="folded", eps=eps_hat)
        )
        assert deviation([folded_params], [next_params]) <= 1e-13, t
        assert np.array_equal(folded_state["v"]["w"], next_state["v"]["w"])
        constant, _ = reference.step(
            params, grads, state, explicit.replace(bias_correction="folded")
        )
        largest_gap_with_constant_eps = max(
            largest_gap_with_constant_eps, deviation([constant], [next_params])
        )
        params, state = next_params, next_state
    assert largest_gap_with_constant_eps > 1e-6


def test_init_and_step_count():
    """Catches moments not starting at zero, an AMSGrad maximum kept when AMSGrad is off (or
    missing when on), and a step counter that does not advance by exactly one."""
    params = {"w": np.ones((2, 3)), "b": np.ones(3)}
    plain = reference.init(params, AdamConfig())
    amsgrad = reference.init(params, AdamConfig(amsgrad="max_v"))
    assert set(plain) == {"step", "m", "v"} and set(amsgrad) == {"step", "m", "v", "v_max"}
    assert plain["step"] == 0
    for key in ("m", "v"):
        assert all(np.array_equal(plain[key][n], np.zeros_like(params[n])) for n in params)
    state = amsgrad
    for expected_step in (1, 2, 3):
        params, state = reference.step(
            params,
            {n: np.full_like(v, 0.5) for n, v in params.items()},
            state,
            AdamConfig(amsgrad="max_v"),
        )
        assert state["step"] == expected_step


def test_tuple_parameters_come_back_as_tuples():
    """Catches a structure rebuilt as a list from a tuple of arrays (a caller that unpacks or
    hashes its parameter tuple would break): parameters and moments keep the tuple type, and
    the values equal those of the same arrays given as a list."""
    rng = np.random.default_rng(0)
    arrays = (rng.standard_normal(3), rng.standard_normal((2, 2)))
    grads = (rng.standard_normal(3), rng.standard_normal((2, 2)))
    config = AdamConfig(lr=0.1, amsgrad="max_v")
    state = reference.init(arrays, config)
    new, new_state = reference.step(arrays, grads, state, config)
    listed, _ = reference.step(
        list(arrays), list(grads), reference.init(list(arrays), config), config
    )
    assert type(new) is tuple
    assert all(type(new_state[k]) is tuple for k in ("m", "v", "v_max"))
    for a, b in zip(new, listed):
        np.testing.assert_array_equal(a, b)
