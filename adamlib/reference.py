"""The reference Adam step: plain NumPy that reads like the algorithm box, and *is* the
specification every faster path in adamlib is tested against.

Owns: ``init``, ``step`` (one update of every parameter), ``trajectory`` (many updates), and the
checks of parameters, gradients and state at this boundary.
Must not: mutate its inputs, print, or depend on torch. It favours clarity over speed: a
vectorised grid of configurations (array hyperparameters against a leading batch axis) is its
only concession to speed.

Parameters may be a single array, a dict of named arrays, or a list of arrays. The state is a
dict ``{"step": t, "m": ..., "v": ...[, "v_max": ...]}`` whose moments have the same structure.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import tree
from .config import AdamConfig, AdamConfigError
from .tree import Params


class NonFiniteGradientError(FloatingPointError):
    """A gradient holds NaN or ±Inf; nothing was updated."""

    def __init__(self, labels: list[str]):
        super().__init__(
            f"gradient of {', '.join(labels)} holds NaN or Inf; parameters and state are "
            "unchanged (set nonfinite_grad='skip' to skip such steps instead)"
        )


def init(params: Params, config: AdamConfig) -> dict:
    """Zero moments (m₀ = v₀ = 0) and step count t = 0 for ``params`` (eq-adam-init)."""
    _check_grid(tree.leaves("params", params), config)
    state = {
        "step": 0,
        "m": tree.map_leaves(params, np.zeros_like),
        "v": tree.map_leaves(params, np.zeros_like),
    }
    if config.amsgrad != "off":
        state["v_max"] = tree.map_leaves(params, np.zeros_like)
    return state


def step(params: Params, grads: Params, state: dict, config: AdamConfig) -> tuple[Params, dict]:
    """One Adam step of every parameter; returns new ``(params, state)``, inputs untouched.

    Implements eq-adam-m, eq-adam-v, eq-adam-bias-correction and eq-adam-update, with each
    switch of :class:`~adamlib.config.AdamConfig` changing one line.

    Raises
    ------
    ValueError
        ``params``, ``grads`` and ``state`` do not match in structure, shape or dtype.
    NonFiniteGradientError
        A gradient holds NaN or ±Inf and ``config.nonfinite_grad == "raise"``.
    """
    names, p_leaves, g_leaves = tree.matching_grads(params, grads)
    _check_state(p_leaves, state, config)
    bad = [
        tree.label("params", params, name, position)
        for position, (name, g) in enumerate(zip(names, g_leaves))
        if config.nonfinite_grad != "unchecked" and not np.all(np.isfinite(g))
    ]
    if bad:
        if config.nonfinite_grad == "skip":
            return params, state
        raise NonFiniteGradientError(bad)

    t = state["step"] + 1
    eta = config.schedule_at(t)
    m_leaves = tree.leaves("state['m']", state["m"])
    v_leaves = tree.leaves("state['v']", state["v"])
    v_max_leaves = (
        tree.leaves("state['v_max']", state["v_max"])
        if "v_max" in state
        else [None] * len(p_leaves)
    )
    updated = [
        update_array(p, g, m, v, v_max, t, eta, config, decays=config.decays(name))
        for name, p, g, m, v, v_max in zip(
            names, p_leaves, g_leaves, m_leaves, v_leaves, v_max_leaves
        )
    ]
    new_p, new_m, new_v, new_v_max = (list(column) for column in zip(*updated))
    new_state = {"step": t, "m": tree.rebuild(params, new_m), "v": tree.rebuild(params, new_v)}
    if "v_max" in state:
        new_state["v_max"] = tree.rebuild(params, new_v_max)
    return tree.rebuild(params, new_p), new_state


def update_array(p, g, m, v, v_max, t, eta, config, decays):
    """One step of one parameter array: the algorithm box that :func:`step` applies to each.

    ``p, g, m, v, v_max`` are θ_{t-1}, g_t, m_{t-1}, v_{t-1} and the AMSGrad maximum (None when
    off); ``t`` the 1-based step; ``eta`` the schedule multiplier η_t; ``decays`` whether weight
    decay applies to this array. Returns θ_t, m_t, v_t and the new maximum. Inputs are trusted:
    :func:`step` has checked them.
    """
    beta1, beta2 = (_per_config(b, p) for b in config.betas)
    lr = _per_config(config.lr, p) * eta  # α·η_t: the step size used at step t
    eps, eps_root = _per_config(config.eps, p), _per_config(config.eps_root, p)
    wd = _per_config(config.weight_decay, p) if decays else 0.0
    l2 = config.weight_decay_kind == "l2"

    # The gradient the moments see.
    g = g * config.rescale_grad
    if config.maximize:
        g = -g
    if l2 and config.l2_clip_order == "l2_then_clip":
        g = g + wd * p
    if config.clip_gradient is not None:
        g = np.clip(g, -config.clip_gradient, config.clip_gradient)
    if l2 and config.l2_clip_order == "clip_then_l2":
        g = g + wd * p

    # Moments (eq-adam-m, eq-adam-v) and their bias-correction factors.
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    bc1, bc2 = 1 - beta1**t, 1 - beta2**t

    v_used = v
    if config.amsgrad == "max_v":
        v_max = np.maximum(v_max, v)
        v_used = v_max
    elif config.amsgrad == "max_vhat":
        v_max = np.maximum(v_max, v / bc2 if config.bias_correction == "explicit" else v)
        v_used = v_max

    # The Adam step (eq-adam-update) in one of its three forms.
    if config.bias_correction == "explicit":
        m_hat = m / bc1
        v_hat = v_used if config.amsgrad == "max_vhat" else v_used / bc2
        adam_step = lr * m_hat / (np.sqrt(v_hat + eps_root) + eps)
    elif config.bias_correction == "folded":
        lr_t = lr * np.sqrt(bc2) / bc1
        adam_step = lr_t * m / (np.sqrt(v_used + eps_root) + eps)
    else:
        adam_step = lr * m / (np.sqrt(v_used + eps_root) + eps)

    # Decoupled weight decay (eq-adamw-update).
    if not l2 and np.any(wd != 0):
        decay_rate = (
            wd
            * {
                "lr": lr,
                "bias_corrected_lr": lr * np.sqrt(bc2) / bc1,
                "schedule": eta,
            }[config.decay_multiplier]
        )
        if config.decay_applies_to == "old_param":
            p_new = p - decay_rate * p - adam_step
        else:
            p_new = p - adam_step
            p_new = p_new - decay_rate * p_new
    else:
        p_new = p - adam_step
    dtype = p.dtype
    return (
        p_new.astype(dtype, copy=False),
        m.astype(dtype, copy=False),
        v.astype(dtype, copy=False),
        None if v_max is None else v_max.astype(dtype, copy=False),
    )


def trajectory(
    params: Params,
    grad_fn: Callable[[Params, int], Params],
    config: AdamConfig,
    steps: int,
    progress: Callable[[int, int], None] | None = None,
) -> list:
    """Run ``steps`` reference steps from ``params``; return ``[θ_0, θ_1, ..., θ_steps]``.

    ``grad_fn(params, t)`` returns the gradient at step t (1-based) for the current parameters.
    ``progress(t, steps)``, when given, is called after each step.
    """
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps={steps!r} is not allowed: steps must be an integer >= 0")
    state = init(params, config)
    history = [params]
    for t in range(1, steps + 1):
        params, state = step(params, grad_fn(params, t), state, config)
        history.append(params)
        if progress is not None:
            progress(t, steps)
    return history


def _per_config(value, p: np.ndarray):
    """A scalar hyperparameter as is; a grid's vector shaped (N, 1, ..., 1) to broadcast
    against the leading batch axis of ``p``."""
    if np.ndim(value) == 0:
        return value
    return np.reshape(value, (-1,) + (1,) * (p.ndim - 1))


def _check_grid(leaves, config: AdamConfig) -> None:
    n = config.grid_size
    if n is None:
        return
    for leaf in leaves:
        if leaf.ndim == 0 or leaf.shape[0] != n:
            raise AdamConfigError(
                f"the config is a grid of {n} configurations, so every parameter needs a leading "
                f"axis of length {n}; got a parameter of shape {leaf.shape}"
            )


def _check_state(p_leaves, state, config) -> None:
    keys = {"step", "m", "v"} | ({"v_max"} if config.amsgrad != "off" else set())
    if not isinstance(state, dict) or set(state) != keys:
        found = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(
            f"state has keys {found}, expected {sorted(keys)} for this config "
            "(make it with adamlib.reference.init(params, config))"
        )
    for key in keys - {"step"}:
        for p, s in zip(p_leaves, tree.leaves(f"state[{key!r}]", state[key])):
            if s.shape != p.shape:
                raise ValueError(
                    f"state[{key!r}] has an array of shape {s.shape} for a "
                    f"parameter of shape {p.shape}"
                )
    _check_grid(p_leaves, config)
