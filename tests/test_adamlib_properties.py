"""Properties of the reference step that hold for every configuration, checked with hypothesis.

Hyperparameters, switches, shapes and gradient sequences are drawn (float64, derandomized, a
few dozen examples each); every expected value is either another run of the reference step on
transformed inputs (an invariance: the two runs share no intermediate value) or a closed form
written in the test.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from adamlib import AdamConfig, reference
from tests.helpers import fixed_gradient_trajectory

FEW = settings(max_examples=25, derandomize=True, deadline=None)

unit_interval_beta = st.one_of(st.just(0.0), st.floats(0.0, 0.999), st.sampled_from([0.9, 0.999]))
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def configs(draw, eps=None, weight_decay=None, kinds=("l2", "decoupled"), **fixed):
    """An AdamConfig with every switch drawn (those in ``fixed`` excepted)."""
    bias_correction = draw(st.sampled_from(["explicit", "folded", "none"]))
    amsgrad_forms = ["off", "max_v"] + (["max_vhat"] if bias_correction != "folded" else [])
    values = dict(
        lr=draw(st.floats(1e-4, 0.5)),
        betas=(draw(unit_interval_beta), draw(unit_interval_beta)),
        eps=draw(st.one_of(st.just(0.0), st.floats(1e-8, 1e-2))) if eps is None else eps,
        weight_decay=draw(st.floats(0.0, 0.5)) if weight_decay is None else weight_decay,
        bias_correction=bias_correction,
        amsgrad=draw(st.sampled_from(amsgrad_forms)),
        weight_decay_kind=draw(st.sampled_from(kinds)),
        decay_multiplier=draw(st.sampled_from(["lr", "bias_corrected_lr", "schedule"])),
        decay_applies_to=draw(st.sampled_from(["old_param", "updated_param"])),
        l2_clip_order=draw(st.sampled_from(["clip_then_l2", "l2_then_clip"])),
    )
    values.update(fixed)
    return AdamConfig(**values)


def gradient_sequence(seed: int, shape, steps: int) -> list[np.ndarray]:
    """Gradients spanning six decades, none exactly zero (seeded)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape) for _ in range(steps)]


run = fixed_gradient_trajectory


@FEW
@given(
    config=configs(eps=0.0, weight_decay=0.0), shape=shapes, seed=seeds, log_scale=st.floats(-3, 3)
)
def test_invariant_to_diagonal_rescaling_of_gradients(config, shape, seed, log_scale):
    """Catches a denominator that is not the square root of the second moment (m/v, v without
    the square, ε hidden inside the root) and moments mixing coordinates: with ε = 0 and no
    decay, multiplying each gradient coordinate by its own positive constant leaves the
    trajectory unchanged. (θ_0 = 0, so θ_t is the displacement itself, free of cancellation.)"""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** (log_scale + rng.uniform(-3, 3, shape))
    theta0 = np.zeros(shape)
    grads = gradient_sequence(seed, shape, 12)
    plain = run(theta0, grads, config)
    rescaled = run(theta0, [scale * g for g in grads], config)
    # Steps of ±α can return a coordinate to ~0, where only an absolute bound is meaningful.
    np.testing.assert_allclose(rescaled, plain, rtol=1e-12, atol=1e-13 * config.lr * len(grads))


@FEW
@given(config=configs(), shape=shapes, seed=seeds)
def test_maximize_is_minimizing_the_negated_gradient(config, shape, seed):
    """Catches maximize implemented by negating the update (which also flips the sign of an L2
    term, so weights grow) or by negating after the L2 term is added, and maximize ignored:
    PyTorch negates the gradient first, so maximize(g) must equal minimize(−g) exactly, with
    weight decay of either kind."""
    rng = np.random.default_rng(seed)
    theta0 = rng.standard_normal(shape)
    grads = gradient_sequence(seed, shape, 10)
    ascending = run(theta0, grads, config.replace(maximize=True))
    descending = run(theta0, [-g for g in grads], config)
    assert all(np.array_equal(a, d) for a, d in zip(ascending, descending))
    plain = run(theta0, grads, config)
    assert not np.array_equal(ascending[-1], plain[-1])


@FEW
@given(data=st.data(), shape=shapes, seed=seeds, n=st.integers(2, 4))
def test_grid_equals_separate_runs(data, shape, seed, n):
    """Catches a vectorised grid that broadcasts hyperparameters against the wrong axis, mixes
    the configurations' states, or applies one configuration's bias correction to another: a
    grid of N configurations on parameters with a leading axis N must equal N runs with
    scalar hyperparameters."""
    draws = [data.draw(configs()) for _ in range(n)]
    switches = {
        k: getattr(draws[0], k)
        for k in (
            "bias_correction",
            "amsgrad",
            "weight_decay_kind",
            "decay_multiplier",
            "decay_applies_to",
            "l2_clip_order",
        )
    }
    members = [
        AdamConfig(
            lr=c.lr,
            betas=c.betas,
            eps=c.eps,
            weight_decay=c.weight_decay,
            eps_root=1e-6 * i,
            **switches,
        )
        for i, c in enumerate(draws)
    ]
    grid = AdamConfig(
        lr=np.array([c.lr for c in members]),
        betas=(np.array([c.betas[0] for c in members]), np.array([c.betas[1] for c in members])),
        eps=np.array([c.eps for c in members]),
        weight_decay=np.array([c.weight_decay for c in members]),
        eps_root=np.array([c.eps_root for c in members]),
        **switches,
    )
    rng = np.random.default_rng(seed)
    theta0 = rng.standard_normal((n,) + shape)
    grads = gradient_sequence(seed, (n,) + shape, 8)
    together = run(theta0, grads, grid)
    for i, member in enumerate(members):
        alone = run(theta0[i], [g[i] for g in grads], member)
        np.testing.assert_allclose([h[i] for h in together], alone, rtol=1e-12, atol=1e-14)


@FEW
@given(config=configs(), shape_a=shapes, shape_b=shapes, seed=seeds)
def test_array_list_and_dict_parameters_agree(config, shape_a, shape_b, seed):
    """Catches state shared or swapped between parameters, a dict reordered, and structure-
    dependent arithmetic: a dict, a list and separate single-array runs give identical results."""
    rng = np.random.default_rng(seed)
    a0, b0 = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    ga, gb = gradient_sequence(seed, shape_a, 6), gradient_sequence(seed + 1, shape_b, 6)
    as_dict = run({"b": b0, "a": a0}, [{"b": y, "a": x} for x, y in zip(ga, gb)], config)
    as_list = run([a0, b0], [[x, y] for x, y in zip(ga, gb)], config)
    alone_a, alone_b = run(a0, ga, config), run(b0, gb, config)
    assert list(as_dict[-1]) == ["b", "a"]
    for d, listed, a, b in zip(as_dict, as_list, alone_a, alone_b):
        assert isinstance(listed, list)
        assert np.array_equal(d["a"], a) and np.array_equal(d["b"], b)
        assert np.array_equal(listed[0], a) and np.array_equal(listed[1], b)


def _frozen_copy(tree):
    if isinstance(tree, dict):
        return {k: _frozen_copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_frozen_copy(v) for v in tree]
    if isinstance(tree, np.ndarray):
        copy = tree.copy()
        copy.setflags(write=False)
        return copy
    return tree


def _equal_trees(x, y) -> bool:
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_equal_trees(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(_equal_trees(a, b) for a, b in zip(x, y))
    if isinstance(x, np.ndarray):
        return np.array_equal(x, y)
    return x == y


@FEW
@given(
    config=configs(maximize=False, rescale_grad=0.5, clip_gradient=1.0),
    shape=shapes,
    seed=seeds,
    maximize=st.booleans(),
)
def test_inputs_are_never_mutated(config, shape, seed, maximize):
    """Catches in-place updates of the caller's parameters, gradients or state (``p -= ...``,
    ``g *= rescale_grad``, ``np.maximum(..., out=v_max)``): every input array is read-only, so
    an in-place write raises, and the values are compared with copies afterwards."""
    config = config.replace(maximize=maximize)
    rng = np.random.default_rng(seed)
    params = {"w": rng.standard_normal(shape), "b": rng.standard_normal(3)}
    state = reference.init(params, config)
    for g in gradient_sequence(seed, shape, 3):
        grads = {"w": g, "b": g.ravel()[:1].repeat(3)}
        params, state, grads = _frozen_copy(params), _frozen_copy(state), _frozen_copy(grads)
        before = [_frozen_copy(x) for x in (params, grads, state)]
        new_params, new_state = reference.step(params, grads, state, config)
        assert all(_equal_trees(b, x) for b, x in zip(before, (params, grads, state)))
        assert state["step"] == new_state["step"] - 1
        params, state = new_params, new_state


@FEW
@given(
    config=configs(weight_decay_kind="decoupled", eps=1e-8),
    shape=shapes,
    seed=seeds,
    steps=st.integers(1, 30),
    etas=st.lists(st.floats(0.0, 2.0), min_size=30, max_size=30),
)
def test_decoupled_decay_with_zero_gradient_shrinks_by_the_closed_form(
    config, shape, seed, steps, etas
):
    """Catches a decoupled decay multiplied by the wrong factor (lr vs η_t vs the bias-corrected
    lr), applied twice, or leaking into the moments: with zero gradients the Adam step is zero
    and θ_t = θ_0 ∏_{s≤t} (1 − λ·k_s), with k_s = α η_s, α η_s √(1−β₂ˢ)/(1−β₁ˢ) or η_s."""
    config = config.replace(schedule_multiplier=lambda t: etas[t - 1])
    alpha, (beta1, beta2), lam = config.lr, config.betas, config.weight_decay
    theta0 = np.random.default_rng(seed).standard_normal(shape)
    history = run(theta0, [np.zeros(shape)] * steps, config)
    factor = 1.0
    for s in range(1, steps + 1):
        k = {
            "lr": alpha * etas[s - 1],
            "bias_corrected_lr": alpha * etas[s - 1] * np.sqrt(1 - beta2**s) / (1 - beta1**s),
            "schedule": etas[s - 1],
        }[config.decay_multiplier]
        factor *= 1 - lam * k
        np.testing.assert_allclose(history[s], theta0 * factor, rtol=1e-12, atol=1e-300)


def test_decoupled_decay_with_constant_lr_is_geometric():
    """Catches decay per step other than (1 − αλ), e.g. (1 − λ) or (1 − α²λ): with zero
    gradients, torch-style AdamW gives θ_t = θ_0 (1 − αλ)ᵗ exactly as the closed form says."""
    config = AdamConfig(lr=0.01, weight_decay=0.3, weight_decay_kind="decoupled")
    theta0 = np.array([1.0, -2.0, 0.5])
    history = run(theta0, [np.zeros(3)] * 200, config)
    np.testing.assert_allclose(history[200], theta0 * (1 - 0.01 * 0.3) ** 200, rtol=1e-13)


@FEW
@given(
    config=configs(amsgrad="max_v"),
    shape=shapes,
    seed=seeds,
    form=st.sampled_from(["max_v", "max_vhat"]),
)
def test_amsgrad_maximum_never_decreases_and_is_the_running_maximum(config, shape, seed, form):
    """Catches an AMSGrad maximum that is reset, taken of the wrong quantity (raw v vs v̂, for
    PyTorch vs optax) or lagging one step: the stored maximum never decreases and equals the
    running maximum of v_s (max_v) or of v_s/(1−β₂ˢ) (max_vhat with bias correction)."""
    if form == "max_vhat" and config.bias_correction == "folded":
        config = config.replace(bias_correction="explicit")
    config = config.replace(amsgrad=form)
    beta2 = config.betas[1]
    theta = np.random.default_rng(seed).standard_normal(shape)
    state = reference.init(theta, config)
    running = np.zeros(shape)
    for s, g in enumerate(gradient_sequence(seed, shape, 15), start=1):
        previous = state["v_max"]
        theta, state = reference.step(theta, g, state, config)
        assert np.all(state["v_max"] >= previous)
        corrected = form == "max_vhat" and config.bias_correction == "explicit"
        running = np.maximum(running, state["v"] / (1 - beta2**s) if corrected else state["v"])
        np.testing.assert_allclose(state["v_max"], running, rtol=1e-15, atol=0)


@FEW
@given(
    config=configs(weight_decay_kind="l2"),
    shape=shapes,
    seed=seeds,
    rescale=st.floats(1e-3, 1e3),
    clip=st.one_of(st.none(), st.floats(1e-2, 1e2)),
)
def test_rescale_grad_scales_the_gradient_but_not_the_l2_term(config, shape, seed, rescale, clip):
    """Catches rescale_grad applied after the L2 term is added (scaling λ'θ too, unlike MXNet)
    or after clipping: rescale_grad = r on g equals rescale_grad = 1 on r·g, with L2 decay and
    clipping in either order."""
    config = config.replace(clip_gradient=clip)
    theta0 = np.random.default_rng(seed).standard_normal(shape)
    grads = gradient_sequence(seed, shape, 8)
    rescaled = run(theta0, grads, config.replace(rescale_grad=rescale))
    prescaled = run(theta0, [g * rescale for g in grads], config)
    assert all(np.array_equal(a, b) for a, b in zip(rescaled, prescaled))


@FEW
@given(
    config=configs(weight_decay_kind="decoupled"),
    shape=shapes,
    seed=seeds,
    clip=st.floats(1e-2, 1e2),
)
def test_clipping_is_element_wise_value_clipping(config, shape, seed, clip):
    """Catches norm clipping in place of MXNet's element-wise clip, a one-sided clip, or a clip
    applied to the moments: without an L2 term, clip_gradient=c equals feeding
    clip(g, −c, c) with clipping off."""
    theta0 = np.random.default_rng(seed).standard_normal(shape)
    grads = gradient_sequence(seed, shape, 8)
    clipped = run(theta0, grads, config.replace(clip_gradient=clip))
    preclipped = run(theta0, [np.clip(g, -clip, clip) for g in grads], config)
    assert all(np.array_equal(a, b) for a, b in zip(clipped, preclipped))


@FEW
@given(config=configs(), seed=seeds)
def test_excluded_parameters_get_no_weight_decay_of_either_kind(config, seed):
    """Catches exclusion patterns matched with re.match or against the wrong name, or honoured
    for one decay kind only: excluded arrays move exactly as with weight_decay = 0, the others
    exactly as with no exclusion."""
    rng = np.random.default_rng(seed)
    params = {
        "layer/kernel": rng.standard_normal((3, 2)),
        "layer/bias": rng.standard_normal(2),
        "LayerNorm/gamma": rng.standard_normal(2),
    }
    grads = [
        {
            n: g
            for n, g in zip(
                params,
                (rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal(2)),
            )
        }
        for _ in range(6)
    ]
    excluding = config.replace(exclude_from_weight_decay=("bias", "LayerNorm"))
    with_exclusions = run(params, grads, excluding)
    without_decay = run(params, grads, config.replace(weight_decay=0.0))
    with_decay = run(params, grads, config)
    for h, free, decayed in zip(with_exclusions, without_decay, with_decay):
        assert np.array_equal(h["layer/bias"], free["layer/bias"])
        assert np.array_equal(h["LayerNorm/gamma"], free["LayerNorm/gamma"])
        assert np.array_equal(h["layer/kernel"], decayed["layer/kernel"])


@FEW
@given(
    config=configs(decay_multiplier="lr"),
    shape=shapes,
    seed=seeds,
    etas=st.lists(st.floats(0.0, 3.0), min_size=10, max_size=10),
)
def test_schedule_multiplies_the_step_size_used_at_step_t(config, shape, seed, etas):
    """Catches η_t read at t − 1 or t + 1, applied to ε or to the moments, or multiplied into
    the decay twice: a run with schedule η equals a run whose lr is set to α·η_t before step t
    (decay multiplied by lr, as in PyTorch)."""
    scheduled = config.replace(schedule_multiplier=lambda t: etas[t - 1])
    theta = np.random.default_rng(seed).standard_normal(shape)
    grads = gradient_sequence(seed, shape, 10)
    expected = run(theta, grads, scheduled)
    state = reference.init(theta, config)
    for t, g in enumerate(grads, start=1):
        theta, state = reference.step(theta, g, state, config.replace(lr=config.lr * etas[t - 1]))
        np.testing.assert_allclose(theta, expected[t], rtol=1e-14, atol=1e-300)


@FEW
@given(config=configs(weight_decay=0.0), shape=shapes, seed=seeds, c=st.floats(0.01, 100.0))
def test_displacement_is_linear_in_lr_without_decay(config, shape, seed, c):
    """Catches lr entering the moments, ε or the bias correction: with gradients that do not
    depend on θ and no decay, scaling α by c scales every displacement θ_t − θ_0 by c
    (θ_0 = 0, so θ_t is the displacement itself, free of cancellation)."""
    theta0 = np.zeros(shape)
    grads = gradient_sequence(seed, shape, 10)
    base = run(theta0, grads, config)
    scaled = run(theta0, grads, config.replace(lr=config.lr * c))
    np.testing.assert_allclose(
        scaled, [c * theta for theta in base], rtol=1e-12, atol=1e-13 * config.lr * c * len(grads)
    )


def test_schedule_is_called_with_the_one_based_step():
    """Catches a schedule evaluated at the 0-based count or twice per step."""
    calls = []
    config = AdamConfig(schedule_multiplier=lambda t: calls.append(t) or 1.0)
    run(np.zeros(2), [np.ones(2)] * 4, config)
    assert calls == [1, 2, 3, 4]
