"""The configuration of one Adam step: the hyperparameters and the switches that tell
implementations apart.

Owns: :class:`AdamConfig` (a frozen dataclass), the allowed values of every switch, and the
validation of hyperparameters at the library's boundary.
Must not: compute any part of a step (that is :mod:`adamlib.reference`) or know about any
framework (that is :mod:`adamlib.variants`).

Every difference between the Adam/AdamW implementations in use is one switch here, and the
switches are orthogonal: each changes one line of the algorithm box in
:func:`adamlib.reference.step`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

import numpy as np

Hyper = float | np.ndarray
"""A hyperparameter: a number, or an array of shape ``(N,)`` giving one value per configuration
of a vectorised grid (it broadcasts against a leading axis of length N of every parameter)."""

# Each switch is a Literal type, so that a type checker refuses a misspelt value where it is
# written (``AdamConfig(bias_correction="explict")``), and a tuple of its values, which the
# validator checks at run time.
BiasCorrection = Literal["explicit", "folded", "none"]
WeightDecayKind = Literal["l2", "decoupled"]
DecayMultiplier = Literal["lr", "bias_corrected_lr", "schedule"]
DecayAppliesTo = Literal["old_param", "updated_param"]
AmsGrad = Literal["off", "max_v", "max_vhat"]
L2ClipOrder = Literal["clip_then_l2", "l2_then_clip"]
NonfiniteGrad = Literal["raise", "skip", "unchecked"]

BIAS_CORRECTION: tuple[BiasCorrection, ...] = get_args(BiasCorrection)
WEIGHT_DECAY_KIND: tuple[WeightDecayKind, ...] = get_args(WeightDecayKind)
DECAY_MULTIPLIER: tuple[DecayMultiplier, ...] = get_args(DecayMultiplier)
DECAY_APPLIES_TO: tuple[DecayAppliesTo, ...] = get_args(DecayAppliesTo)
AMSGRAD: tuple[AmsGrad, ...] = get_args(AmsGrad)
L2_CLIP_ORDER: tuple[L2ClipOrder, ...] = get_args(L2ClipOrder)
NONFINITE_GRAD: tuple[NonfiniteGrad, ...] = get_args(NonfiniteGrad)


class AdamConfigError(ValueError):
    """A hyperparameter or switch value that no Adam implementation accepts."""


@dataclass(frozen=True, eq=False)
class AdamConfig:
    """Hyperparameters and switches of one Adam/AdamW step (see ``eq-adam-update``).

    Parameters
    ----------
    lr : float or array
        Step size α (``lr`` in every framework), ``>= 0``.
    betas : (float, float)
        EMA decay rates (β₁, β₂), each in ``[0, 1)``.
    eps : float or array
        Stabiliser ε added to the square root of the second moment, ``>= 0``. With
        ``bias_correction="folded"`` this is the ε̂ of Kingma & Ba's Section 2 remark.
    weight_decay : float or array
        λ (decoupled) or λ' (L2), ``>= 0``; which one is set by ``weight_decay_kind``.
    bias_correction : {"explicit", "folded", "none"}
        ``"explicit"``: m̂ = m/(1-β₁ᵗ), v̂ = v/(1-β₂ᵗ), step α·m̂/(√v̂ + ε) (Algorithm 1).
        ``"folded"``: α_t = α√(1-β₂ᵗ)/(1-β₁ᵗ), step α_t·m/(√v + ε̂) (the ε̂ form).
        ``"none"``: step α·m/(√v + ε) (BERT).
    eps_root : float
        Constant added inside the square root, ``√(v̂ + eps_root)`` (optax), ``>= 0``.
    weight_decay_kind : {"l2", "decoupled"}
        ``"l2"`` adds λ'θ to the gradient before the moments; ``"decoupled"`` shrinks θ
        directly (Loshchilov & Hutter).
    decay_multiplier : {"lr", "bias_corrected_lr", "schedule"}
        What multiplies λ in a decoupled decay: the step size actually used (α·η_t; PyTorch,
        Keras, optax, HF), α·η_t·√(1-β₂ᵗ)/(1-β₁ᵗ) (MXNet 2 AdamW), or the schedule multiplier
        η_t alone (Algorithm 2 of Loshchilov & Hutter).
    decay_applies_to : {"old_param", "updated_param"}
        Decoupled decay of θ_{t-1} (most frameworks) or of θ after the Adam step (HF AdamW).
    amsgrad : {"off", "max_v", "max_vhat"}
        AMSGrad off; running maximum of the raw v (PyTorch, Keras, fairseq); or of the
        bias-corrected v̂ (optax).
    maximize : bool
        Ascend instead of descend: the gradient is negated before any L2 term (PyTorch).
    rescale_grad : float
        Factor applied to the gradient first (MXNet), ``> 0``; it does not scale an L2 term.
    clip_gradient : float or None
        Element-wise clipping of the gradient to ``[-c, c]`` (MXNet), ``c >= 0``; None: off.
    l2_clip_order : {"clip_then_l2", "l2_then_clip"}
        Whether the L2 term is added after clipping (MXNet 2) or before it, so that it is
        clipped too (MXNet 1.x). Matters only with ``clip_gradient`` and an L2 term.
    schedule_multiplier : callable or None
        η_t as a function of the 1-based step t; the step size used at step t is α·η_t.
        None means η_t = 1.
    exclude_from_weight_decay : tuple of str
        Regular expressions; a named parameter matching any of them (``re.search``) gets no
        weight decay of either kind (BERT's ``LayerNorm``/``layer_norm``/``bias``).
    nonfinite_grad : {"raise", "skip", "unchecked"}
        On a gradient with NaN or ±Inf: raise (parameters and state unchanged), skip the step
        (parameters and state unchanged, step count not advanced), or do not look: NaN and Inf
        then flow into parameters and state, as in ``torch.optim``. ``"unchecked"`` saves one
        full read of every gradient per step; use it only where something upstream already
        checks (``torch.amp.GradScaler`` does).
    """

    lr: Hyper = 1e-3
    betas: tuple[Hyper, Hyper] = (0.9, 0.999)
    eps: Hyper = 1e-8
    weight_decay: Hyper = 0.0
    bias_correction: BiasCorrection = "explicit"
    eps_root: Hyper = 0.0
    weight_decay_kind: WeightDecayKind = "l2"
    decay_multiplier: DecayMultiplier = "lr"
    decay_applies_to: DecayAppliesTo = "old_param"
    amsgrad: AmsGrad = "off"
    maximize: bool = False
    rescale_grad: float = 1.0
    clip_gradient: float | None = None
    l2_clip_order: L2ClipOrder = "clip_then_l2"
    schedule_multiplier: Callable[[int], float] | None = None
    exclude_from_weight_decay: tuple[str, ...] = ()
    nonfinite_grad: NonfiniteGrad = "raise"

    def __post_init__(self) -> None:
        if isinstance(self.amsgrad, bool):
            raise AdamConfigError(
                f"amsgrad={self.amsgrad!r} is ambiguous: implementations disagree on what "
                f"AMSGrad takes the maximum of; use one of {AMSGRAD} ('max_v': PyTorch, Keras; "
                "'max_vhat': optax), or variants.get(name, amsgrad=True) for a preset's own form"
            )
        for name, allowed in (
            ("bias_correction", BIAS_CORRECTION),
            ("weight_decay_kind", WEIGHT_DECAY_KIND),
            ("decay_multiplier", DECAY_MULTIPLIER),
            ("decay_applies_to", DECAY_APPLIES_TO),
            ("amsgrad", AMSGRAD),
            ("l2_clip_order", L2_CLIP_ORDER),
            ("nonfinite_grad", NONFINITE_GRAD),
        ):
            value = getattr(self, name)
            if value not in allowed:
                raise AdamConfigError(f"{name}={value!r} is not allowed: choose one of {allowed}")
        if self.amsgrad == "max_vhat" and self.bias_correction == "folded":
            raise AdamConfigError(
                "amsgrad='max_vhat' needs an explicit v̂ to take the maximum of: use it with "
                "bias_correction='explicit' (optax) or 'none' (where it equals 'max_v')"
            )

        betas = tuple(self.betas)
        if len(betas) != 2:
            raise AdamConfigError(f"betas={self.betas!r} is not allowed: give two numbers (β₁, β₂)")
        object.__setattr__(self, "betas", tuple(_as_hyper(b) for b in betas))
        for i, beta in enumerate(self.betas, start=1):
            _check_range(
                f"betas[{i - 1}] (β{i})", beta, "a number in [0, 1)", lambda b: (b >= 0) & (b < 1)
            )
        for name in ("lr", "eps", "weight_decay", "eps_root"):
            object.__setattr__(self, name, _as_hyper(getattr(self, name)))
            _check_range(
                name,
                getattr(self, name),
                "a finite number >= 0",
                lambda x: np.isfinite(x) & (x >= 0),
            )
        _check_range(
            "rescale_grad",
            self.rescale_grad,
            "a finite number > 0",
            lambda x: np.isfinite(x) & (x > 0),
            scalar_only=True,
        )
        if self.clip_gradient is not None:
            _check_range(
                "clip_gradient",
                self.clip_gradient,
                "None or a finite number >= 0",
                lambda x: np.isfinite(x) & (x >= 0),
                scalar_only=True,
            )
        if self.schedule_multiplier is not None and not callable(self.schedule_multiplier):
            raise AdamConfigError(
                f"schedule_multiplier={self.schedule_multiplier!r} is not allowed: give a "
                "function of the 1-based step t returning η_t, or None"
            )
        if isinstance(self.exclude_from_weight_decay, str) or not all(
            isinstance(p, str) for p in self.exclude_from_weight_decay
        ):
            raise AdamConfigError(
                f"exclude_from_weight_decay={self.exclude_from_weight_decay!r} is not allowed: "
                "give a tuple of regular expressions"
            )
        object.__setattr__(self, "exclude_from_weight_decay", tuple(self.exclude_from_weight_decay))
        if not isinstance(self.maximize, bool):
            raise AdamConfigError(f"maximize={self.maximize!r} is not allowed: give True or False")

        sizes = {np.shape(h)[0] for h in self.hyperparameters().values() if np.ndim(h) == 1}
        if len(sizes) > 1:
            raise AdamConfigError(
                f"array hyperparameters have different lengths {sorted(sizes)}: a vectorised "
                "grid needs one value per configuration in every array"
            )

    def hyperparameters(self) -> dict[str, Hyper]:
        """The numeric hyperparameters that may be arrays over a grid of configurations."""
        return {
            "lr": self.lr,
            "beta1": self.betas[0],
            "beta2": self.betas[1],
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "eps_root": self.eps_root,
        }

    @property
    def grid_size(self) -> int | None:
        """N when some hyperparameter is an array over N configurations, otherwise None."""
        for value in self.hyperparameters().values():
            if np.ndim(value) == 1:
                return int(np.shape(value)[0])
        return None

    def decays(self, name: str | None) -> bool:
        """Whether weight decay applies to the parameter called ``name`` (None: unnamed, and
        so never excluded)."""
        if name is None or not self.exclude_from_weight_decay:
            return True
        return not any(re.search(pattern, name) for pattern in self.exclude_from_weight_decay)

    def schedule_at(self, t: int) -> float:
        """η_t, the schedule multiplier at the 1-based step t."""
        if self.schedule_multiplier is None:
            return 1.0
        eta = float(self.schedule_multiplier(t))
        if not math.isfinite(eta) or eta < 0:
            raise AdamConfigError(
                f"schedule_multiplier({t}) returned {eta!r}: η_t must be a finite number >= 0"
            )
        return eta

    def replace(self, **changes: Any) -> AdamConfig:
        """A copy with some fields changed (validated like a new config)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise AdamConfigError(f"unknown AdamConfig fields {sorted(unknown)}")
        return replace(self, **changes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AdamConfig):
            return NotImplemented
        return all(_same(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))

    __hash__ = None  # type: ignore[assignment]  # array fields make configs unhashable


def _as_hyper(value) -> Hyper:
    """A Python float for a scalar, a float64 vector for a grid; anything else is refused."""
    if isinstance(value, bool):
        raise AdamConfigError(f"{value!r} is not a number")
    if np.ndim(value) == 0:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise AdamConfigError(f"{value!r} is not a number") from None
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 1:
        raise AdamConfigError(
            f"a hyperparameter array must have shape (N,), one value per configuration; got "
            f"shape {array.shape}"
        )
    array.setflags(write=False)
    return array


def _check_range(name: str, value, allowed: str, ok, scalar_only: bool = False) -> None:
    if scalar_only and (isinstance(value, bool) or np.ndim(value) != 0):
        raise AdamConfigError(f"{name}={value!r} is not allowed: {name} must be {allowed}")
    try:
        valid = bool(np.all(ok(np.asarray(value, dtype=np.float64))))
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise AdamConfigError(f"{name}={value!r} is not allowed: {name} must be {allowed}")


def _same(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and bool(np.all(np.asarray(a) == np.asarray(b)))
    return a == b
