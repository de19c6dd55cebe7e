"""RAdam (Liu et al., ICLR 2020): Adam whose adaptive step is multiplied by the variance
rectification r_t, and which takes plain momentum steps while that variance is intractable.

Owns: :class:`RAdamConfig`, ``init``, ``step`` and the closed forms the step uses
(:func:`rho_inf`, :func:`rho`, :func:`rectification`).
Must not: mutate its inputs, print, or depend on torch. Like :mod:`adamlib.reference` it favours
clarity over speed; unlike it, it has no grid of configurations (hyperparameters are numbers).

Mirrors ``_single_tensor_radam`` of ``torch/optim/radam.py`` in torch 2.13.0 (the version pinned
by the book), including its ε placement: the adaptive factor is √(1-β₂ᵗ)/(√v_t + ε), the ε̂ form
of Kingma & Ba's Section 2 remark, not the ε of Algorithm 1 that ``torch.optim.Adam`` uses.
Parameters may be a single array, a dict of named arrays or a list of arrays, as in
:func:`adamlib.reference.step`; the state is ``{"step": t, "m": ..., "v": ...}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import tree
from .config import AdamConfigError
from .tree import Params

TORCH_RHO_THRESHOLD = 5.0
"""``torch.optim.RAdam`` rectifies when ρ_t > 5 (the official code: ρ_t ≥ 5)."""
PAPER_RHO_THRESHOLD = 4.0
"""Algorithm 2 of Liu et al. rectifies when ρ_t > 4, where the first-order variance of the
adaptive learning rate becomes finite."""


@dataclass(frozen=True)
class RAdamConfig:
    """Hyperparameters of one RAdam step (see ``eq-fail-radam-update``).

    Parameters
    ----------
    lr : float
        Step size α, ``>= 0``.
    betas : (float, float)
        EMA decay rates (β₁, β₂), each in ``[0, 1)``.
    eps : float
        ε added to √v_t in the adaptive factor √(1-β₂ᵗ)/(√v_t + ε), ``>= 0``.
    weight_decay : float
        λ' (L2 term added to the gradient) or, with ``decoupled_weight_decay``, λ (θ shrunk by
        α·λ before the step), ``>= 0``.
    decoupled_weight_decay : bool
        Decoupled decay (RAdamW) instead of an L2 term, as in torch.
    maximize : bool
        Ascend instead of descend: the gradient is negated before any L2 term (torch).
    rho_threshold : float
        Rectify when ρ_t exceeds it, otherwise take the momentum step α·m̂_t: 5 in torch
        (:data:`TORCH_RHO_THRESHOLD`), 4 in the paper (:data:`PAPER_RHO_THRESHOLD`). ``>= 4``,
        because r_t rests on a first-order variance that is positive only for ρ_t > 4.
    """

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    decoupled_weight_decay: bool = False
    maximize: bool = False
    rho_threshold: float = TORCH_RHO_THRESHOLD

    def __post_init__(self) -> None:
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
            raise AdamConfigError(f"betas={self.betas!r} is not allowed: give two numbers (β₁, β₂)")
        object.__setattr__(
            self, "betas", tuple(_number(f"betas[{i}]", b) for i, b in enumerate(self.betas))
        )
        for i, beta in enumerate(self.betas):
            if not 0 <= beta < 1:
                raise AdamConfigError(
                    f"betas[{i}]={beta!r} is not allowed: β{i + 1} must be a number in [0, 1)"
                )
        for name in ("lr", "eps", "weight_decay"):
            value = _number(name, getattr(self, name))
            if not (math.isfinite(value) and value >= 0):
                raise AdamConfigError(
                    f"{name}={value!r} is not allowed: {name} must be a finite number >= 0"
                )
            object.__setattr__(self, name, value)
        threshold = _number("rho_threshold", self.rho_threshold)
        if not (math.isfinite(threshold) and threshold >= PAPER_RHO_THRESHOLD):
            raise AdamConfigError(
                f"rho_threshold={threshold!r} is not allowed: rho_threshold must "
                "be a finite number >= 4 (the variance that defines r_t is not positive below "
                "ρ_t = 4)"
            )
        object.__setattr__(self, "rho_threshold", threshold)
        for name in ("decoupled_weight_decay", "maximize"):
            if not isinstance(getattr(self, name), bool):
                raise AdamConfigError(
                    f"{name}={getattr(self, name)!r} is not allowed: give True or False"
                )


def rho_inf(beta2: float) -> float:
    """ρ_∞ = 2/(1-β₂) - 1, the length of the simple moving average that the EMA approximates
    at t → ∞ (eq-fail-rho)."""
    return 2 / (1 - beta2) - 1


def rho(t: int, beta2: float) -> float:
    """ρ_t = ρ_∞ - 2tβ₂ᵗ/(1-β₂ᵗ), the length of that moving average at step t (eq-fail-rho)."""
    return rho_inf(beta2) - 2 * t * beta2**t / (1 - beta2**t)


def rectification(t: int, beta2: float) -> float:
    """r_t = √((ρ_t-4)(ρ_t-2)ρ_∞ / ((ρ_∞-4)(ρ_∞-2)ρ_t)) (eq-fail-rect), defined
    for 4 <= ρ_t < ρ_∞ (which needs β₂ > 3/5)."""
    rho_t, rho_max = rho(t, beta2), rho_inf(beta2)
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_max / ((rho_max - 4) * (rho_max - 2) * rho_t))


def init(params: Params) -> dict:
    """Zero moments (m₀ = v₀ = 0) and step count t = 0 for ``params``."""
    return {
        "step": 0,
        "m": tree.map_leaves(params, np.zeros_like),
        "v": tree.map_leaves(params, np.zeros_like),
    }


def step(params: Params, grads: Params, state: dict, config: RAdamConfig) -> tuple[Params, dict]:
    """One RAdam step of every parameter; returns new ``(params, state)``, inputs untouched.

    Implements eq-fail-radam-update: Algorithm 2 of Liu et al. with torch's ε placement.

    Raises
    ------
    ValueError
        ``params``, ``grads`` and ``state`` do not match in structure, shape or dtype.
    """
    _, p_leaves, g_leaves = tree.matching_grads(params, grads)
    if not isinstance(state, dict) or set(state) != {"step", "m", "v"}:
        raise ValueError("state must be the dict {'step', 'm', 'v'} made by adamlib.radam.init")
    m_leaves = tree.leaves("state['m']", state["m"])
    v_leaves = tree.leaves("state['v']", state["v"])
    if not len(m_leaves) == len(v_leaves) == len(p_leaves):
        raise ValueError(
            f"state holds moments for {len(m_leaves)} and {len(v_leaves)} arrays, "
            f"params has {len(p_leaves)}"
        )
    for p, m, v in zip(p_leaves, m_leaves, v_leaves):
        if not p.shape == m.shape == v.shape:
            raise ValueError(
                f"a parameter of shape {p.shape} has moments of shapes {m.shape}, "
                f"{v.shape}: was the state made for other parameters?"
            )
    t = state["step"] + 1
    updated = [
        update_array(p, g, m, v, t, config)
        for p, g, m, v in zip(p_leaves, g_leaves, m_leaves, v_leaves)
    ]
    new_p, new_m, new_v = (list(column) for column in zip(*updated))
    return (
        tree.rebuild(params, new_p),
        {"step": t, "m": tree.rebuild(params, new_m), "v": tree.rebuild(params, new_v)},
    )


def update_array(
    p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, config: RAdamConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One RAdam step of one array: θ_{t-1}, g_t, m_{t-1}, v_{t-1} -> θ_t, m_t, v_t.

    Implements alg-fail-radam; the rectified branch is eq-fail-radam-update. Inputs are trusted:
    :func:`step` has checked them.
    """
    beta1, beta2 = config.betas
    lr, wd = config.lr, config.weight_decay
    if config.maximize:
        g = -g
    if wd != 0:
        if config.decoupled_weight_decay:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p

    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)

    if rho(t, beta2) > config.rho_threshold:
        adaptive = math.sqrt(1 - beta2**t) / (np.sqrt(v) + config.eps)  # l_t, ε̂ form
        p_new = p - lr * m_hat * adaptive * rectification(t, beta2)
    else:
        p_new = p - lr * m_hat  # the variance of l_t is intractable: momentum step
    dtype = p.dtype
    return p_new.astype(dtype, copy=False), m.astype(dtype, copy=False), v.astype(dtype, copy=False)


def _number(name: str, value) -> float:
    if isinstance(value, bool) or np.ndim(value) != 0:
        raise AdamConfigError(f"{name}={value!r} is not allowed: {name} must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AdamConfigError(f"{name}={value!r} is not allowed: {name} must be a number") from None
