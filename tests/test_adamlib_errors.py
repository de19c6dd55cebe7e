"""Bad input at adamlib's boundary: every error names the argument, its value and what is
allowed, and nothing is updated.

The reference step is pure, so "nothing is updated" means: the call raises, and the caller's
parameters, gradients and state (made read-only, so an in-place write would raise too) hold
the same values as before.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from adamlib import AdamConfig, AdamConfigError, NonFiniteGradientError, reference, variants


def frozen(tree):
    """A read-only deep copy of arrays in dicts/lists (the state's ``step`` stays an int)."""
    if isinstance(tree, dict):
        return {k: frozen(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [frozen(v) for v in tree]
    if isinstance(tree, np.ndarray):
        copy = tree.copy()
        copy.setflags(write=False)
        return copy
    return tree


def same(x, y) -> bool:
    if isinstance(x, dict):
        return isinstance(y, dict) and x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return isinstance(y, list) and len(x) == len(y) and all(same(a, b) for a, b in zip(x, y))
    if isinstance(x, np.ndarray):
        return np.array_equal(x, y, equal_nan=True) and x.dtype == y.dtype
    return x == y


def assert_raises_and_changes_nothing(error, pattern, params, grads, state, config):
    """``step`` raises ``error`` matching all of ``pattern`` and leaves every input as it was."""
    params, grads, state = frozen(params), frozen(grads), frozen(state)
    before = frozen([params, grads, state])
    with pytest.raises(error) as raised:
        reference.step(params, grads, state, config)
    for part in pattern:
        assert re.search(part, str(raised.value)), (part, str(raised.value))
    assert same([params, grads, state], before)


def started(params, config, steps=2):
    """``(params, state)`` after a few ordinary steps, so that the state is not all zeros."""
    state = reference.init(params, config)
    for _ in range(steps):
        grads = (
            np.ones_like(params)
            if isinstance(params, np.ndarray)
            else {k: np.ones_like(v) for k, v in params.items()}
            if isinstance(params, dict)
            else [np.ones_like(v) for v in params]
        )
        params, state = reference.step(params, grads, state, config)
    return params, state


# -- hyperparameters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, allowed",
    [
        ("lr", -0.001, ">= 0"),
        ("lr", math.nan, ">= 0"),
        ("lr", math.inf, "finite"),
        ("eps", -1e-8, ">= 0"),
        ("eps", math.inf, "finite"),
        ("weight_decay", -0.01, ">= 0"),
        ("weight_decay", math.nan, ">= 0"),
        ("eps_root", -1e-12, ">= 0"),
        ("rescale_grad", 0.0, "> 0"),
        ("rescale_grad", -2.0, "> 0"),
        ("rescale_grad", math.inf, "finite"),
        ("clip_gradient", -1.0, ">= 0"),
    ],
)
def test_out_of_range_hyperparameter_is_refused_with_name_value_and_range(field, value, allowed):
    """Catches a negative or non-finite lr/ε/λ accepted (a silent ascent, NaN parameters), and
    an error that does not say which argument, which value, or what is allowed."""
    with pytest.raises(AdamConfigError) as raised:
        AdamConfig(**{field: value})
    message = str(raised.value)
    assert f"{field}={value!r}" in message and allowed in message


@pytest.mark.parametrize(
    "betas, which",
    [
        ((1.0, 0.999), "betas[0] (β1)=1.0"),
        ((0.9, 1.0), "betas[1] (β2)=1.0"),
        ((-0.1, 0.999), "betas[0] (β1)=-0.1"),
        ((0.9, 1.5), "betas[1] (β2)=1.5"),
        ((math.nan, 0.999), "betas[0] (β1)=nan"),
    ],
)
def test_beta_outside_zero_one_is_refused(betas, which):
    """Catches β = 1 accepted (bias correction divides by 1 − βᵗ = 0) or β < 0 accepted, and an
    error that does not name the offending β, its value and the range [0, 1)."""
    with pytest.raises(AdamConfigError) as raised:
        AdamConfig(betas=betas)
    assert which in str(raised.value) and "[0, 1)" in str(raised.value)


@pytest.mark.parametrize("betas", [(0.9,), (0.9, 0.99, 0.999)])
def test_betas_must_be_a_pair(betas):
    """Catches a third β silently ignored or a missing one defaulted."""
    with pytest.raises(AdamConfigError, match=re.escape(f"betas={betas!r}")):
        AdamConfig(betas=betas)


def test_out_of_range_grid_member_is_refused():
    """Catches a grid in which only the first value is checked."""
    with pytest.raises(AdamConfigError, match=r"lr=array\(\[ 0\.1, -0\.1\]\).*>= 0"):
        AdamConfig(lr=np.array([0.1, -0.1]))


def test_grid_arrays_of_different_lengths_are_refused():
    """Catches broadcasting (N,) against (M,) hyperparameters into a meaningless grid."""
    with pytest.raises(AdamConfigError, match=r"different lengths \[2, 3\]"):
        AdamConfig(lr=np.array([0.1, 0.2]), eps=np.array([1e-8, 1e-7, 1e-6]))


def test_two_dimensional_hyperparameter_is_refused():
    """Catches hyperparameter arrays of any shape broadcast against the parameters."""
    with pytest.raises(AdamConfigError, match=r"shape \(N,\).*\(2, 2\)"):
        AdamConfig(lr=np.full((2, 2), 0.1))


ALLOWED_SWITCH_VALUES = {
    # As documented in AdamConfig's docstring (the specification), written out here.
    "bias_correction": ("explicit", "folded", "none"),
    "weight_decay_kind": ("l2", "decoupled"),
    "decay_multiplier": ("lr", "bias_corrected_lr", "schedule"),
    "decay_applies_to": ("old_param", "updated_param"),
    "amsgrad": ("off", "max_v", "max_vhat"),
    "l2_clip_order": ("clip_then_l2", "l2_then_clip"),
    "nonfinite_grad": ("raise", "skip"),
}


@pytest.mark.parametrize(
    "field, value",
    [
        ("bias_correction", "Explicit"),
        ("bias_correction", "ε-hat"),
        ("weight_decay_kind", "adamw"),
        ("decay_multiplier", "eta"),
        ("decay_applies_to", "new_param"),
        ("amsgrad", "max"),
        ("l2_clip_order", "before"),
        ("nonfinite_grad", "ignore"),
    ],
)
def test_unknown_switch_value_lists_the_allowed_ones(field, value):
    """Catches an unknown switch value silently treated as some default branch, and an error
    that does not list the values that are allowed."""
    with pytest.raises(AdamConfigError) as raised:
        AdamConfig(**{field: value})
    message = str(raised.value)
    assert f"{field}={value!r}" in message
    assert all(repr(choice) in message for choice in ALLOWED_SWITCH_VALUES[field])


@pytest.mark.parametrize("field", sorted(ALLOWED_SWITCH_VALUES))
def test_every_documented_switch_value_is_accepted(field):
    """Catches a documented switch value refused (or dropped from the allowed set)."""
    for choice in ALLOWED_SWITCH_VALUES[field]:
        extra = {"bias_correction": "explicit"} if choice == "max_vhat" else {}
        assert getattr(AdamConfig(**{field: choice, **extra}), field) == choice


def test_boolean_amsgrad_is_refused_on_a_bare_config():
    """Catches amsgrad=True silently picking one framework's maximum (raw v or v̂)."""
    with pytest.raises(AdamConfigError, match=r"amsgrad=True is ambiguous.*'max_v'.*'max_vhat'"):
        AdamConfig(amsgrad=True)


def test_max_vhat_needs_an_explicit_vhat():
    """Catches optax's maximum of v̂ combined with the folded form, which has no v̂."""
    with pytest.raises(AdamConfigError, match=r"amsgrad='max_vhat'.*bias_correction='explicit'"):
        AdamConfig(amsgrad="max_vhat", bias_correction="folded")


@pytest.mark.parametrize(
    "field, value, pattern",
    [
        ("maximize", 1, r"maximize=1 .*True or False"),
        ("schedule_multiplier", 0.5, r"schedule_multiplier=0\.5 .*function"),
        ("exclude_from_weight_decay", "bias", r"exclude_from_weight_decay='bias' .*tuple"),
    ],
)
def test_wrongly_typed_switch_is_refused(field, value, pattern):
    """Catches a string of patterns iterated character by character (excluding every name with
    a 'b', 'i', 'a' or 's'), a constant in place of a schedule, a truthy int for a bool."""
    with pytest.raises(AdamConfigError, match=pattern):
        AdamConfig(**{field: value})


@pytest.mark.parametrize("eta", [-0.5, math.nan, math.inf])
def test_schedule_returning_a_bad_multiplier_stops_the_step(eta):
    """Catches a negative or non-finite η_t used (ascent, NaN parameters), and an error that
    does not give the step t and the value."""
    config = AdamConfig(schedule_multiplier=lambda t: 1.0 if t < 3 else eta)
    params, state = started({"w": np.ones(3)}, config)
    assert_raises_and_changes_nothing(
        AdamConfigError,
        [re.escape(f"schedule_multiplier(3) returned {eta!r}"), ">= 0"],
        params,
        {"w": np.ones(3)},
        state,
        config,
    )


# -- parameters, gradients and state ------------------------------------------------------------


def test_gradient_of_another_shape_is_refused():
    """Catches a gradient broadcast against its parameter (a (3,) gradient applied to every row
    of a (2, 3) parameter)."""
    config = AdamConfig()
    params, state = started({"w": np.ones((2, 3)), "b": np.ones(3)}, config)
    assert_raises_and_changes_nothing(
        ValueError,
        [r"params\['w'\]", r"shape \(3,\)", r"shape \(2, 3\)"],
        params,
        {"w": np.ones(3), "b": np.ones(3)},
        state,
        config,
    )


def test_gradient_of_another_dtype_is_refused():
    """Catches a float32 gradient silently mixed into float64 parameters (or the reverse)."""
    config = AdamConfig()
    params, state = started({"w": np.ones(3)}, config)
    assert_raises_and_changes_nothing(
        ValueError,
        [r"params\['w'\]", "float32", "float64"],
        params,
        {"w": np.ones(3, dtype=np.float32)},
        state,
        config,
    )


def test_gradient_of_a_list_element_is_named_by_its_position():
    """Catches an error for list parameters that does not say which array is wrong."""
    config = AdamConfig()
    params, state = started([np.ones(3), np.ones(2)], config)
    assert_raises_and_changes_nothing(
        ValueError,
        [r"params\[1\]", r"shape \(3,\)", r"shape \(2,\)"],
        params,
        [np.ones(3), np.ones(3)],
        state,
        config,
    )


def test_gradients_with_other_names_are_refused():
    """Catches gradients matched to parameters by position when their names differ."""
    config = AdamConfig()
    params, state = started({"w": np.ones(3), "b": np.ones(3)}, config)
    assert_raises_and_changes_nothing(
        ValueError,
        [r"\['b', 'w'\]", r"\['w', 'b'\]"],
        params,
        {"b": np.ones(3), "w": np.ones(3)},
        state,
        config,
    )


def test_gradients_of_another_count_are_refused():
    """Catches zip() silently dropping the parameters without a gradient."""
    config = AdamConfig()
    params, state = started([np.ones(3), np.ones(2)], config)
    assert_raises_and_changes_nothing(
        ValueError, ["grads has 1 arrays", "params has 2"], params, [np.ones(3)], state, config
    )


def test_state_of_another_config_is_refused():
    """Catches a state without the AMSGrad maximum used with AMSGrad on (a KeyError deep
    inside, or a maximum silently started from zero mid-run)."""
    plain = AdamConfig()
    params, state = started({"w": np.ones(3)}, plain)
    assert_raises_and_changes_nothing(
        ValueError,
        [r"state has keys \['m', 'step', 'v'\]", "v_max", "init"],
        params,
        {"w": np.ones(3)},
        state,
        AdamConfig(amsgrad="max_v"),
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("structure", ["array", "list", "dict"])
def test_non_finite_gradient_raises_by_default(bad, structure):
    """Catches a NaN or Inf gradient propagated into m, v and θ (every later step is NaN), and
    an error that fails to say which gradient (or fails with an unrelated TypeError)."""
    config = AdamConfig()
    gradient = np.array([0.5, bad, -1.0])
    params, grads, where = {
        "array": (np.ones(3), gradient, r"gradient of params holds NaN or Inf"),
        "list": (
            [np.ones(2), np.ones(3)],
            [np.ones(2), gradient],
            r"gradient of params\[1\] holds NaN or Inf",
        ),
        "dict": (
            {"w": np.ones(2), "b": np.ones(3)},
            {"w": np.ones(2), "b": gradient},
            r"gradient of params\['b'\] holds NaN or Inf",
        ),
    }[structure]
    params, state = started(params, config)
    assert_raises_and_changes_nothing(
        NonFiniteGradientError, [where, "nonfinite_grad='skip'"], params, grads, state, config
    )


@pytest.mark.parametrize("structure", ["array", "dict"])
def test_skip_leaves_parameters_state_and_step_count_unchanged(structure):
    """Catches a skipped step that still advances t (shifting every later bias correction),
    updates some arrays, or returns NaN-polluted moments: the step after a skipped one equals
    the step that would have followed had the bad gradient never arrived."""
    config = AdamConfig(lr=0.05, nonfinite_grad="skip", amsgrad="max_v")
    rng = np.random.default_rng(0)
    wrap = (lambda a: a) if structure == "array" else (lambda a: {"w": a})
    params, state = started(wrap(rng.standard_normal(4)), config)
    bad = wrap(np.array([0.1, math.nan, 0.2, 0.3]))
    frozen_params, frozen_state = frozen(params), frozen(state)
    skipped_params, skipped_state = reference.step(frozen_params, frozen(bad), frozen_state, config)
    assert same(skipped_params, params) and same(skipped_state, state)
    assert skipped_state["step"] == 2
    good = wrap(rng.standard_normal(4))
    after_skip = reference.step(skipped_params, good, skipped_state, config)
    never_bad = reference.step(params, good, state, config)
    assert same(list(after_skip), list(never_bad))


class SparseLike:
    """Duck-types a scipy.sparse matrix (scipy is not installed): has tocsr and todense."""

    shape, dtype = (3,), np.dtype(np.float64)

    def tocsr(self):
        return self

    def todense(self):
        return np.ones(3)


@pytest.mark.parametrize(
    "grads, pattern",
    [
        (SparseLike(), r"grads is a sparse matrix.*dense numpy array"),
        ([0.1, 0.2, 0.3], r"grads\[0\] is a float: a numpy array is required"),
        (np.array([1, 2, 3]), r"grads has dtype int64: a floating dtype is required"),
    ],
)
def test_gradient_that_is_not_a_dense_float_array_is_refused(grads, pattern):
    """Catches a sparse matrix densified behind the caller's back (or its rows ignored), a
    Python list treated as three one-element parameters, and integer gradients."""
    config = AdamConfig()
    params, state = started(np.ones(3), config)
    assert_raises_and_changes_nothing(ValueError, [pattern], params, grads, state, config)


@pytest.mark.parametrize(
    "params, pattern",
    [
        ({"w": [1.0, 2.0]}, r"params\['w'\] is a list: a numpy array is required"),
        (1.5, r"params is a float: a numpy array is required"),
        ({}, r"params is empty"),
        (np.arange(3), r"params has dtype int64: a floating dtype is required"),
    ],
)
def test_parameters_that_are_not_float_arrays_are_refused_by_init(params, pattern):
    """Catches init silently building a state for something step cannot update."""
    with pytest.raises(ValueError, match=pattern):
        reference.init(params, AdamConfig())


def test_grid_config_needs_the_leading_axis():
    """Catches a grid of 3 configurations broadcast against parameters with 2 rows."""
    with pytest.raises(AdamConfigError, match=r"grid of 3 configurations.*length 3.*\(2, 4\)"):
        reference.init(np.ones((2, 4)), AdamConfig(lr=np.array([0.1, 0.2, 0.3])))


def test_trajectory_refuses_a_negative_step_count():
    """Catches range(-1) silently running no step."""
    with pytest.raises(ValueError, match=r"steps=-1 .*integer >= 0"):
        reference.trajectory(np.ones(2), lambda p, t: np.ones(2), AdamConfig(), -1)


# -- preset and override names --------------------------------------------------------------


@pytest.mark.parametrize(
    "name, suggestion",
    [
        ("pytorch-adma", "'pytorch-adam'"),
        ("keras_adamw", "'keras-adamw'"),
        ("adamw-pytorch", "'pytorch-adamw'"),
        ("hf-adam", "'hf-adamw'"),
    ],
)
def test_unknown_preset_suggests_the_closest_names(name, suggestion):
    """Catches a typo in a preset name answered with a bare KeyError."""
    with pytest.raises(AdamConfigError) as raised:
        variants.get(name)
    message = str(raised.value)
    assert f"unknown preset {name!r}" in message
    assert re.search(r"did you mean [^?]*" + re.escape(suggestion), message), message
    assert all(valid in message for valid in variants.names())


@pytest.mark.parametrize(
    "override, suggestion",
    [
        ("weight_decy", "'weight_decay'"),
        ("beta", "'betas'"),
        ("epsilon", "'eps'"),
        ("amsgard", "'amsgrad'"),
        ("clip_grad", "'clip_gradient'"),
    ],
)
def test_unknown_override_suggests_the_closest_fields(override, suggestion):
    """Catches a misspelt override silently ignored (the run then uses the preset's default)."""
    with pytest.raises(AdamConfigError) as raised:
        variants.get("pytorch-adamw", **{override: 0.1})
    message = str(raised.value)
    assert f"unknown override {override!r}" in message
    assert re.search(r"did you mean [^?]*" + re.escape(suggestion), message), message


def test_override_out_of_range_names_the_value():
    """Catches a preset override that bypasses AdamConfig's checks."""
    with pytest.raises(
        AdamConfigError, match=r"lr=-1\.0 is not allowed: lr must be a finite number >= 0"
    ):
        variants.get("keras-adam", lr=-1.0)


def test_unchecked_policy_lets_nan_through_and_advances_the_step():
    """Catches an 'unchecked' policy that still checks (raising or skipping) instead of letting
    NaN flow into the coordinate that had it, as torch.optim does."""
    config = AdamConfig(nonfinite_grad="unchecked", eps=0.0)
    params = np.ones(3)
    new, state = reference.step(
        params, np.array([1.0, np.nan, 1.0]), reference.init(params, config), config
    )
    assert state["step"] == 1
    assert np.isnan(new[1]) and new[0] == new[2] == 1 - 1e-3
