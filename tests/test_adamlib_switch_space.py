"""The whole switch space crossed with the execution paths, checked with hypothesis.

PyTorch's optimizer tests cross every keyword option with every implementation (``foreach``,
``fused``); these properties do the same for adamlib: any configuration the validator accepts
(every switch, every combination, zero and non-zero hyperparameters mixed) must give the same
trajectory on every path of :mod:`adamlib.optim` (torch's fused kernel with per-step scalars,
foreach ops, one tensor at a time, the default dispatch; float64 and float32) as
:mod:`adamlib.reference`; a vectorised grid of such configurations must equal its members run
one at a time; and the reference must equal ``torch.optim.Adam``/``AdamW`` themselves on every
configuration torch can express. The presets' own tests reach only the combinations their
overrides set; these reach the rest.

``make test`` runs a few dozen derandomised examples of each; ``HYPOTHESIS_PROFILE=deep``
runs 10 000 of each (see tests/helpers.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adamlib import AdamConfig, AdamConfigError, _kernels, optim, variants
from adamlib.config import (
    AMSGRAD,
    BIAS_CORRECTION,
    DECAY_APPLIES_TO,
    DECAY_MULTIPLIER,
    L2_CLIP_ORDER,
    NONFINITE_GRAD,
    WEIGHT_DECAY_KIND,
)
from tests.helpers import examples, fixed_gradient_trajectory
from tests.transcriptions.compare import deviation

STEPS = 6
SHAPES = {"dense.weight": (3, 2), "dense.bias": (2,)}
PATHS = {
    "default": {},
    "fused": {"fused": True},
    "foreach": {"foreach": True},
    "per_tensor": {"foreach": False},
}
TOLERANCE = {torch.float64: 1e-10, torch.float32: 2e-4}


def property_settings(fast_examples: int) -> settings:
    return settings(
        max_examples=examples(fast_examples),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def eta(t: int) -> float:
    """A schedule multiplier that changes at every step and reaches 0 at t = 4."""
    return abs(math.cos(math.pi * t / 8))


betas = st.one_of(st.just(0.0), st.floats(0.0, 0.999), st.sampled_from([0.9, 0.999]))
# Zero or not, each independently: the paths treat a zero decay, lr, ε or eps_root specially.
maybe_zero = {
    "lr": st.one_of(st.just(0.0), st.floats(1e-4, 0.3)),
    "eps": st.one_of(st.just(0.0), st.floats(1e-8, 1e-2)),
    "eps_root": st.one_of(st.just(0.0), st.floats(1e-12, 1e-3)),
    "weight_decay": st.one_of(st.just(0.0), st.floats(1e-3, 0.5)),
}


@st.composite
def switches(draw) -> dict:
    """Every switch of AdamConfig, drawn from its allowed values (what the validator refuses,
    AMSGrad of v̂ with the folded form, excepted)."""
    bias_correction = draw(st.sampled_from(BIAS_CORRECTION))
    amsgrad = [a for a in AMSGRAD if not (a == "max_vhat" and bias_correction == "folded")]
    return dict(
        bias_correction=bias_correction,
        amsgrad=draw(st.sampled_from(amsgrad)),
        weight_decay_kind=draw(st.sampled_from(WEIGHT_DECAY_KIND)),
        decay_multiplier=draw(st.sampled_from(DECAY_MULTIPLIER)),
        decay_applies_to=draw(st.sampled_from(DECAY_APPLIES_TO)),
        l2_clip_order=draw(st.sampled_from(L2_CLIP_ORDER)),
        maximize=draw(st.booleans()),
        rescale_grad=draw(st.one_of(st.just(1.0), st.floats(0.1, 4.0))),
        clip_gradient=draw(st.one_of(st.none(), st.floats(0.05, 3.0))),
        schedule_multiplier=draw(st.sampled_from([None, eta])),
        exclude_from_weight_decay=draw(st.sampled_from([(), ("bias",)])),
        nonfinite_grad=draw(st.sampled_from(NONFINITE_GRAD)),
    )


@st.composite
def configs(draw) -> AdamConfig:
    hyper = {name: draw(strategy) for name, strategy in maybe_zero.items()}
    return AdamConfig(betas=(draw(betas), draw(betas)), **hyper, **draw(switches()))


def gradients(seed: int, steps: int = STEPS, decades: float = 4.0) -> list[dict]:
    """Gradients whose scales span ``decades``, independent of θ (so that float32 rounding
    cannot feed back into them), none exactly zero."""
    rng = np.random.default_rng(seed)
    half = decades / 2
    return [
        {n: rng.standard_normal(s) * 10.0 ** rng.uniform(-half, half, s) for n, s in SHAPES.items()}
        for _ in range(steps)
    ]


# In float32 the order of operations matters as soon as consecutive gradients differ by orders
# of magnitude: torch updates m by lerp, m + (1-β₁)(g - m), which for β₁ ≈ 0, |m| = 100 and
# g = 0.01 loses ~1e-3 of g to cancellation, where the reference's β₁m + (1-β₁)g does not.
# The deep profile found such a case (a 2.8e-4 deviation, betas = (1e-7, 0), gradients four
# decades apart). float32 runs therefore use gradients within one decade: they check dtypes and
# casts, while the float64 runs, over four decades, check the arithmetic.
DECADES = {torch.float64: 4.0, torch.float32: 1.0}


def reference_run(config: AdamConfig, theta0: dict, grads: list[dict], dtype) -> list[dict]:
    """The reference in ``dtype`` arithmetic, on θ_0 and gradients rounded to ``dtype``."""
    return fixed_gradient_trajectory(
        {n: a.astype(dtype) for n, a in theta0.items()},
        [{n: a.astype(dtype) for n, a in g.items()} for g in grads],
        config,
    )


def optim_run(config: AdamConfig, theta0: dict, grads: list[dict], dtype, path: dict):
    params = {n: torch.tensor(a, dtype=dtype) for n, a in theta0.items()}
    optimizer = optim.Adam(list(params.items()), config, **path)
    history = [{n: p.numpy().astype(np.float64) for n, p in params.items()}]
    for g in grads:
        for n, p in params.items():
            p.grad = torch.tensor(g[n], dtype=dtype)
        optimizer.step()
        history.append({n: p.numpy().astype(np.float64) for n, p in params.items()})
    return history, optimizer


def refusal(config: AdamConfig, lr: float | None = None) -> list[str | None]:
    """Why the fused kernel cannot take each step of ``config`` (None: it can), for a
    parameter that decays, from :mod:`adamlib._kernels` (the one source of the reasons)."""
    return [
        _kernels.fused_refusal(
            config, _kernels.StepScalars.at(config, t, True, config.lr if lr is None else lr)
        )
        for t in range(1, STEPS + 1)
    ]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# Combinations that no preset reaches, always checked: no bias correction with a decay of the
# updated θ and AMSGrad of v̂ (fused path), and with eps_root (foreach path).
UNREACHED = dict(
    bias_correction="none",
    weight_decay_kind="decoupled",
    weight_decay=0.2,
    decay_applies_to="updated_param",
    lr=0.05,
    betas=(0.8, 0.9),
    eps=1e-3,
)


@property_settings(20)
@example(config=AdamConfig(amsgrad="max_vhat", **UNREACHED), seed=1)
@example(config=AdamConfig(eps_root=1e-2, schedule_multiplier=eta, **UNREACHED), seed=2)
@given(config=configs(), seed=st.integers(0, 2**32 - 1))
def test_every_path_and_dtype_follows_the_reference_for_any_config(config, seed):
    """Catches a path that mishandles a switch combination no preset reaches (a decay rate
    mapped onto the kernel wrongly for one form, a preprocessed gradient that loses its sign or
    L2 term, AMSGrad of v̂ rescaled for the wrong form, a zero decay or lr treated as non-zero),
    and float32 state or scalars cast wrongly: every path, in float64 and float32, against the
    reference in the same dtype. fused=True must either run the kernel and agree, or be refused
    with the reason :func:`adamlib._kernels.fused_refusal` gives."""
    rng = np.random.default_rng(seed)
    theta0 = {n: rng.standard_normal(s) for n, s in SHAPES.items()}
    reasons = [r for r in refusal(config) if r is not None]
    for dtype, np_dtype in ((torch.float64, np.float64), (torch.float32, np.float32)):
        grads = gradients(seed, decades=DECADES[dtype])
        expected = reference_run(config, theta0, grads, np_dtype)
        with np.errstate(all="ignore"):
            scale = [{n: a.astype(np.float64) for n, a in h.items()} for h in expected]
        for name, path in PATHS.items():
            if name == "fused" and reasons:
                with pytest.raises(AdamConfigError, match="fused=True is not allowed") as error:
                    optim_run(config, theta0, grads, dtype, path)
                assert reasons[0] in str(error.value)
                continue
            actual, _ = optim_run(config, theta0, grads, dtype, path)
            assert deviation(actual, scale) <= TOLERANCE[dtype], (name, dtype)


@property_settings(10)
@given(config=configs())
def test_default_dispatch_is_fused_exactly_when_the_kernel_can_express_the_step(config):
    """Catches a refusal reason that drifts from the condition that refuses (the error text
    and the kernel mapping disagree), and a configuration the kernel can express that silently
    runs on the slower foreach path."""
    called = []
    originals = {k: getattr(torch, k) for k in ("_fused_adam_", "_fused_adamw_")}

    def counting(kernel):
        def call(*args, **kwargs):
            called.append(kernel)
            return originals[kernel](*args, **kwargs)

        return call

    w = torch.ones(3)
    optimizer = optim.Adam([w], config.replace(exclude_from_weight_decay=()))
    try:
        for kernel in originals:
            setattr(torch, kernel, counting(kernel))
        w.grad = torch.full((3,), 0.5)
        optimizer.step()
    finally:
        for kernel, original in originals.items():
            setattr(torch, kernel, original)
    reason = refusal(config)[0]
    assert bool(called) == (reason is None), reason
    if reason is not None:
        assert reason in _kernels.FUSED_REFUSALS.values()


@property_settings(20)
@given(data=st.data(), n=st.integers(2, 4), seed=st.integers(0, 2**32 - 1))
def test_a_grid_with_mixed_zero_and_nonzero_hyperparameters_equals_its_members(data, n, seed):
    """Catches a vectorised grid that decides per grid what must be decided per member: a
    decoupled decay skipped (or applied) for every member because one member's λ is zero,
    an lr, ε or eps_root of zero treated as the grid's, hyperparameters broadcast against the
    wrong axis. Every switch drawn; each member's hyperparameters zero or not independently."""
    common = data.draw(switches())
    common["exclude_from_weight_decay"] = ()
    members = [
        AdamConfig(
            betas=(data.draw(betas), data.draw(betas)),
            **{k: data.draw(s) for k, s in maybe_zero.items()},
            **common,
        )
        for _ in range(n)
    ]
    grid = AdamConfig(
        betas=tuple(np.array([m.betas[i] for m in members]) for i in (0, 1)),
        **{k: np.array([getattr(m, k) for m in members]) for k in maybe_zero},
        **common,
    )
    rng = np.random.default_rng(seed)
    theta0 = {k: rng.standard_normal((n,) + s) for k, s in SHAPES.items()}
    grads = [{k: rng.standard_normal((n,) + s) for k, s in SHAPES.items()} for _ in range(STEPS)]
    with np.errstate(all="ignore"):
        together = reference_run(grid, theta0, grads, np.float64)
        for i, member in enumerate(members):
            alone = reference_run(
                member,
                {k: v[i] for k, v in theta0.items()},
                [{k: v[i] for k, v in g.items()} for g in grads],
                np.float64,
            )
            for h_grid, h_alone in zip(together, alone):
                for k in SHAPES:
                    np.testing.assert_allclose(h_grid[k][i], h_alone[k], rtol=1e-12, atol=1e-14)


@st.composite
def torch_configs(draw) -> tuple[str, dict]:
    """What torch.optim.Adam/AdamW let a user set, zero and non-zero mixed."""
    decoupled = draw(st.booleans())
    return ("pytorch-adamw" if decoupled else "pytorch-adam"), dict(
        lr=draw(maybe_zero["lr"]),
        betas=(draw(betas), draw(betas)),
        eps=draw(maybe_zero["eps"]),
        weight_decay=draw(maybe_zero["weight_decay"]),
        amsgrad=draw(st.booleans()),
        maximize=draw(st.booleans()),
    )


@property_settings(20)
@given(
    case=torch_configs(),
    seed=st.integers(0, 2**32 - 1),
    torch_path=st.sampled_from([{"foreach": False}, {"foreach": True}, {"fused": True}]),
)
def test_reference_equals_torch_for_any_config_torch_can_express(case, seed, torch_path):
    """Catches a reference step that differs from torch.optim's on hyperparameters the presets'
    tests do not use (β = 0, ε = 0, lr = 0, λ = 0 beside λ > 0, AMSGrad with maximize): the
    reference against torch itself, on each of torch's own implementations."""
    name, overrides = case
    torch_class = torch.optim.AdamW if name == "pytorch-adamw" else torch.optim.Adam
    rng = np.random.default_rng(seed)
    theta0 = {n: rng.standard_normal(s) for n, s in SHAPES.items()}
    grads = gradients(seed)
    with np.errstate(all="ignore"):
        expected = reference_run(variants.get(name, **overrides), theta0, grads, np.float64)
    params = {n: torch.tensor(a) for n, a in theta0.items()}
    optimizer = torch_class(list(params.values()), **overrides, **torch_path)
    actual = [theta0]
    for g in grads:
        for n, p in params.items():
            p.grad = torch.tensor(g[n])
        optimizer.step()
        actual.append({n: p.numpy().copy() for n, p in params.items()})
    assert deviation(actual, expected) <= 1e-10
