"""optax ``adam``, ``adamw``, ``amsgrad``: gradient transformations and their chains.

Source: google-deepmind/optax @ 2edbcbe2390da13983b92cbef94ac0460ecde1c5:
``optax/_src/transform.py`` (``scale_by_adam``, lines 282–305; ``scale_by_amsgrad``;
``scale_by_schedule``), ``optax/_src/alias.py`` (``adam``, lines 538–547; ``adamw``, lines
738–745; ``amsgrad``), ``optax/transforms/_adding.py`` (``add_decayed_weights``, lines 71–73),
``optax/tree_utils/_tree_math.py`` (``tree_update_moment``, ``tree_bias_correction``), as quoted
in ``shared/reference/adam-variants.md`` §4. ``scale_by_amsgrad`` follows the reference's
description (max over the bias-corrected ν̂ by default; ``bias_correction_mu``/``_nu`` options)
and the optax source text of that function.

Adaptations:
- pytrees are dicts of NumPy arrays; ``jax.tree.map`` is :func:`tree_map` over their keys; the
  ``None``-leaf handling (``is_leaf=lambda x: x is None``) is dropped (no leaf is None here);
- ``jnp`` is NumPy; ``count`` is an ``np.int32`` scalar; ``safe_increment`` is ``count + 1``
  (its saturation at the int32 maximum is never reached here);
- ``mu_dtype``, ``nesterov`` and ``mask`` keep their defaults (None, False, None) and are left out;
- ``scale_by_learning_rate`` and ``scale`` are written from optax's source as summarised in §4
  ("``u = -lr_k * u``; ``lr_k = lr or lr_sched(count_lr)``, count_lr starts at 0").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

jnp = np


class GradientTransformation(NamedTuple):
    init: Callable
    update: Callable


def tree_map(fn, tree, *rest):
    return {key: fn(tree[key], *(r[key] for r in rest)) for key in tree}


# -- optax.tree_utils -----------------------------------------------------------------------


def tree_zeros_like(tree):
    return tree_map(jnp.zeros_like, tree)


def tree_update_moment(updates, moments, decay, order):
    """Compute the exponential moving average of the `order`-th moment."""
    return tree_map(lambda g, t: (1 - decay) * (g**order) + decay * t, updates, moments)


def tree_update_moment_per_elem_norm(updates, moments, decay, order):
    """Compute the EMA of the `order`-th moment of the element-wise norm (real arrays)."""
    return tree_map(lambda g, t: (1 - decay) * (g**order) + decay * t, updates, moments)


def tree_bias_correction(moment, decay, count):
    """Performs bias correction. It becomes a no-op as count goes to infinity."""
    bias_correction_ = 1 - decay**count
    return tree_map(lambda t: t / bias_correction_.astype(t.dtype), moment)


def safe_increment(count):
    return count + np.int32(1)


# -- transformations ------------------------------------------------------------------------


class ScaleByAdamState(NamedTuple):
    count: np.int32
    mu: dict
    nu: dict


def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0):
    def init_fn(params):
        mu = tree_zeros_like(params)  # First moment
        nu = tree_zeros_like(params)  # Second moment
        return ScaleByAdamState(count=np.int32(0), mu=mu, nu=nu)

    def update_fn(updates, state, params=None):
        del params
        mu = tree_update_moment(updates, state.mu, b1, 1)
        nu = tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = safe_increment(state.count)
        mu_hat = tree_bias_correction(mu, b1, count_inc)
        nu_hat = tree_bias_correction(nu, b2, count_inc)
        updates = tree_map(
            lambda m, v: m / (jnp.sqrt(v + eps_root) + eps),
            mu_hat,
            nu_hat,
        )
        return updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)

    return GradientTransformation(init_fn, update_fn)


class ScaleByAmsgradState(NamedTuple):
    count: np.int32
    mu: dict
    nu: dict
    nu_max: dict


def scale_by_amsgrad(
    b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, bias_correction_mu=True, bias_correction_nu=True
):
    def init_fn(params):
        mu = tree_zeros_like(params)  # First moment
        nu = tree_zeros_like(params)  # Second moment
        nu_max = tree_zeros_like(params)
        return ScaleByAmsgradState(count=np.int32(0), mu=mu, nu=nu, nu_max=nu_max)

    def update_fn(updates, state, params=None):
        del params
        mu = tree_update_moment(updates, state.mu, b1, 1)
        nu = tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = safe_increment(state.count)

        if bias_correction_mu:
            mu_hat = tree_bias_correction(mu, b1, count_inc)
        else:
            mu_hat = mu

        if bias_correction_nu:
            nu_eff = tree_bias_correction(nu, b2, count_inc)
        else:
            nu_eff = nu

        nu_max = tree_map(jnp.maximum, state.nu_max, nu_eff)
        updates = tree_map(
            lambda m, v: m / (jnp.sqrt(v + eps_root) + eps),
            mu_hat,
            nu_max,
        )
        return updates, ScaleByAmsgradState(count=count_inc, mu=mu, nu=nu, nu_max=nu_max)

    return GradientTransformation(init_fn, update_fn)


class EmptyState(NamedTuple):
    pass


class WeightDecaySchedule(NamedTuple):
    count: np.int32


def add_decayed_weights(weight_decay=0.0):
    def init_fn(params):
        del params
        if callable(weight_decay):
            return WeightDecaySchedule(count=np.int32(0))
        return EmptyState()

    def update_fn(updates, state, params):
        s = weight_decay(state.count) if callable(weight_decay) else weight_decay
        updates = tree_map(lambda g, p: g + s * p, updates, params)
        if callable(weight_decay):
            return updates, WeightDecaySchedule(count=safe_increment(state.count))
        return updates, state

    return GradientTransformation(init_fn, update_fn)


class ScaleState(NamedTuple):
    pass


def scale(step_size):
    def init_fn(params):
        del params
        return ScaleState()

    def update_fn(updates, state, params=None):
        del params
        updates = tree_map(lambda g: step_size * g, updates)
        return updates, state

    return GradientTransformation(init_fn, update_fn)


class ScaleByScheduleState(NamedTuple):
    count: np.int32


def scale_by_schedule(step_size_fn):
    def init_fn(params):
        del params
        return ScaleByScheduleState(count=np.int32(0))

    def update_fn(updates, state, params=None):
        del params
        step_size = step_size_fn(state.count)
        updates = tree_map(lambda g: step_size * g, updates)
        return updates, ScaleByScheduleState(count=safe_increment(state.count))

    return GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate(learning_rate, *, flip_sign=True):
    m = -1 if flip_sign else 1
    if callable(learning_rate):
        return scale_by_schedule(lambda count: m * learning_rate(count))
    return scale(m * learning_rate)


def chain(*transforms):
    def init_fn(params):
        return tuple(t.init(params) for t in transforms)

    def update_fn(updates, state, params=None):
        new_state = []
        for s, t in zip(state, transforms):
            updates, new_s = t.update(updates, s, params)
            new_state.append(new_s)
        return updates, tuple(new_state)

    return GradientTransformation(init_fn, update_fn)


def apply_updates(params, updates):
    return tree_map(lambda p, u: jnp.asarray(p + u).astype(jnp.asarray(p).dtype), params, updates)


# -- aliases --------------------------------------------------------------------------------


def adam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0):
    return chain(
        scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
        scale_by_learning_rate(learning_rate),
    )


def adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, weight_decay=1e-4):
    return chain(
        scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
        add_decayed_weights(weight_decay),
        scale_by_learning_rate(learning_rate),
    )


def amsgrad(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0):
    return chain(
        scale_by_amsgrad(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
        scale_by_learning_rate(learning_rate),
    )
