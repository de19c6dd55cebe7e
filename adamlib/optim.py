"""Every preset as a ``torch.optim.Optimizer``: ``Adam`` and ``AdamW``.

Owns: the optimizer classes, their param groups (torch's keys plus adamlib's switches), their
per-parameter state (laid out exactly like ``torch.optim.Adam``'s, so checkpoints move between
the two), and the checks that run before a step touches anything.
Must not: define step arithmetic of its own. Each step runs torch's fused Adam kernel with
per-step scalars, or a foreach transcription of :func:`adamlib.reference.update_array` (both in
:mod:`adamlib._kernels`); :mod:`adamlib.reference` is the specification both are tested against.

A param group holds ``lr, betas, eps, weight_decay, amsgrad, maximize, foreach, capturable,
differentiable, fused, decoupled_weight_decay`` (torch's keys, torch's meanings) and
``bias_correction, eps_root, decay_multiplier, decay_applies_to, amsgrad_form, rescale_grad,
clip_gradient, l2_clip_order, schedule_multiplier, exclude_from_weight_decay, nonfinite_grad``
(the :class:`~adamlib.config.AdamConfig` switches; ``amsgrad_form`` is what ``amsgrad=True``
turns on). The group's lr is read at every step, so torch's LR schedulers work; the step size
used at step t is ``lr·η_t`` with η_t from ``schedule_multiplier``. ``state_dict()`` leaves
``schedule_multiplier`` out (it is code); ``load_state_dict`` keeps the current value of every
key a checkpoint lacks, which is how a ``torch.optim.AdamW`` checkpoint loads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from . import variants
from ._kernels import (
    FUSED_REFUSALS,
    FusedCall,
    StepScalars,
    foreach_step,
    fused_call,
    fused_refusal,
    fused_step,
)
from .config import AMSGRAD, AdamConfig, AdamConfigError
from .reference import NonFiniteGradientError

__all__ = ["Adam", "AdamW"]

_SWITCHES = (
    "bias_correction",
    "eps_root",
    "decay_multiplier",
    "decay_applies_to",
    "rescale_grad",
    "clip_gradient",
    "l2_clip_order",
    "schedule_multiplier",
    "exclude_from_weight_decay",
    "nonfinite_grad",
)
"""AdamConfig fields kept under their own name in a param group."""


class Adam(torch.optim.Optimizer):
    """Adam in any of adamlib's forms (``torch.optim.Adam`` by default).

    Parameters
    ----------
    params : iterable
        Tensors, ``(name, tensor)`` pairs (``model.named_parameters()``), or param-group dicts
        whose keys override the defaults for that group (see the module docstring). Names are
        what ``exclude_from_weight_decay`` matches.
    config : AdamConfig, optional
        The configuration; default ``variants.get(variant)``. Give ``config`` or ``variant``.
    variant : str, optional
        A preset name (``adamlib.variants.names()``); default ``"pytorch-adam"``.
    **overrides
        AdamConfig fields (``lr=3e-4``, ``weight_decay=0.1``, ``amsgrad=True``, ...), applied
        as ``variants.get`` does (``amsgrad=True``: the preset's own AMSGrad form); and torch's
        ``foreach``/``fused`` (None: the fused kernel where it expresses the configuration,
        otherwise foreach ops; ``fused=True`` insists on the kernel; ``foreach=True`` or
        ``fused=False``: foreach ops; ``foreach=False``: one tensor at a time). ``capturable``
        and ``differentiable`` are torch's group keys; only False is supported.

    Raises
    ------
    AdamConfigError
        A hyperparameter or switch outside its allowed values (the message names it, its
        value and what is allowed), or both ``config`` and ``variant``.
    """

    default_variant = "pytorch-adam"

    def __init__(
        self,
        params,
        config: AdamConfig | None = None,
        *,
        variant: str | None = None,
        foreach: bool | None = None,
        fused: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        **overrides,
    ) -> None:
        if config is not None and variant is not None:
            raise AdamConfigError(f"config and variant={variant!r} were both given: give one")
        if config is None:
            variant = variant or self.default_variant
            config = variants.get(variant, **overrides)
            amsgrad_form = variants.info(variant).amsgrad_form
        elif not isinstance(config, AdamConfig):
            raise TypeError(
                f"config={config!r} is not an AdamConfig (give hyperparameters as "
                "keywords, e.g. lr=0.01)"
            )
        else:
            config = config.replace(**overrides)
            amsgrad_form = None
        if config.amsgrad != "off":
            amsgrad_form = config.amsgrad
        defaults = {
            "lr": config.lr,
            "betas": config.betas,
            "eps": config.eps,
            "weight_decay": config.weight_decay,
            "amsgrad": config.amsgrad != "off",
            "maximize": config.maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": config.weight_decay_kind == "decoupled",
            "amsgrad_form": amsgrad_form,
            **{name: getattr(config, name) for name in _SWITCHES},
        }
        _group_config(defaults, "the optimizer's defaults")
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group (torch's semantics); refused, and nothing added, if it is invalid."""
        super().add_param_group(param_group)
        index = len(self.param_groups) - 1
        group = self.param_groups[index]
        try:
            _check_names(group, _group_config(group, f"param_groups[{index}]"), index)
            for j, p in enumerate(group["params"]):
                if not p.is_floating_point() or p.is_complex():
                    raise ValueError(
                        f"{_label(group, index, j)} has dtype {p.dtype}: "
                        "adamlib.optim needs real floating-point parameters"
                    )
        except (AdamConfigError, ValueError):
            self.param_groups.pop()
            raise

    def state_dict(self) -> dict:
        """torch's state dict; ``schedule_multiplier`` is left out, as it is code, not state
        (like ``LambdaLR``'s lambdas): loading keeps the optimizer's own."""
        state = super().state_dict()
        for group in state["param_groups"]:
            group.pop("schedule_multiplier", None)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """torch's ``load_state_dict``. Keys the checkpoint lacks (adamlib's switches in a
        ``torch.optim.AdamW`` checkpoint) keep their current values. An invalid checkpoint
        is refused before anything changes."""
        saved = state_dict["param_groups"]
        if len(saved) == len(self.param_groups):
            saved = [
                {**group, **saved_group} for group, saved_group in zip(self.param_groups, saved)
            ]
            for index, group in enumerate(saved):
                _group_config(group, f"state_dict['param_groups'][{index}]")
            ids = [i for group in saved for i in group["params"]]
            params = [p for group in self.param_groups for p in group["params"]]
            for i, p in zip(ids, params):
                for key, value in state_dict["state"].get(i, {}).items():
                    if key != "step" and torch.is_tensor(value) and value.shape != p.shape:
                        raise ValueError(
                            f"state_dict['state'][{i}][{key!r}] has shape {tuple(value.shape)} "
                            f"for a parameter of shape {tuple(p.shape)}: is it a checkpoint "
                            "of another model?"
                        )
            state_dict = {**state_dict, "param_groups": saved}
        super().load_state_dict(state_dict)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None):
        """One step of every parameter that has a gradient (eq-adam-update).

        Everything is checked first: hyperparameters, gradients (dense, same shape and dtype
        as the parameter, finite), state; an error leaves parameters and state unchanged. A
        non-finite gradient raises :class:`~adamlib.NonFiniteGradientError`, or, if its group
        says ``nonfinite_grad="skip"``, skips the whole step (step counts not advanced); a group
        that says ``"unchecked"`` is not read for it (NaN/Inf then flow in, as in torch.optim).
        Returns the closure's loss (None without a closure).
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        batches = [
            batch
            for index, group in enumerate(self.param_groups)
            for batch in self._batches(index, group)
        ]
        nonfinite = [
            (label, batch.config.nonfinite_grad)
            for batch in batches
            for label, g in zip(batch.labels, batch.grads)
            if batch.config.nonfinite_grad != "unchecked" and not _all_finite(g)
        ]
        if nonfinite:
            if all(policy == "skip" for _, policy in nonfinite):
                return loss
            raise NonFiniteGradientError([label for label, _ in nonfinite])
        for batch in batches:
            self._run(batch)
        return loss

    def _batches(self, index: int, group: dict) -> list[_Batch]:
        """The group's parameters with gradients, checked and split into lists one kernel call
        can take (same device, dtype, step and decay); touches nothing."""
        config, decay_flags = self._group_setup(index, group)
        lr = _checked_lr(group["lr"], index)
        batches: dict[tuple, _Batch] = {}
        for j, p in enumerate(group["params"]):
            g = p.grad
            if g is None:
                continue
            label = _label(group, index, j)
            _check_gradient(label, p, g)
            state = self.state.get(p, {})
            _check_state(label, p, state)
            t = int(state["step"].item()) + 1 if state else 1
            decays = decay_flags[j]
            contiguous = (
                p.is_contiguous()
                and g.is_contiguous()
                and all(
                    state[key].is_contiguous()
                    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
                    if key in state
                )
            )
            key = (p.device, p.dtype, t, decays, contiguous)
            if key not in batches:
                scalars = StepScalars.at(config, t, decays, lr)
                reason = (
                    fused_refusal(config, scalars)
                    if contiguous
                    else FUSED_REFUSALS["non_contiguous"]
                )
                call = fused_call(config, scalars) if reason is None else None
                path = _path(group, call, reason, f"param_groups[{index}]")
                batches[key] = _Batch(config, scalars, call, path)
            batches[key].add(label, p, g)
        return list(batches.values())

    def _group_setup(self, index: int, group: dict) -> tuple[AdamConfig, list[bool]]:
        """The group's AdamConfig and whether each of its parameters decays. Building and
        validating a config costs as much as a small model's whole step, so both are kept
        until a group key other than ``lr`` changes; ``lr``, which a scheduler changes every
        step, is checked on its own (:func:`_checked_lr`)."""
        key: list[object] = [(k, v) for k, v in group.items() if k not in ("params", "lr")]
        key.append(len(group["params"]))
        setups = self.__dict__.setdefault("_group_setups", {})
        cached = setups.get(index)
        if cached is None or cached[0] != key:
            config = _group_config(group, f"param_groups[{index}]")
            _check_names(group, config, index)
            names = group.get("param_names")
            decay_flags = [
                config.decays(names[j] if names else None) for j in range(len(group["params"]))
            ]
            cached = setups[index] = (key, config, decay_flags)
        return cached[1], cached[2]

    def _run(self, batch: _Batch) -> None:
        amsgrad = batch.config.amsgrad != "off"
        for p in batch.params:
            state = self.state[p]
            if not state:
                state["step"] = torch.tensor(0.0, dtype=_step_dtype())
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        states = [self.state[p] for p in batch.params]
        steps = [s["step"] for s in states]
        exp_avgs = [s["exp_avg"] for s in states]
        exp_avg_sqs = [s["exp_avg_sq"] for s in states]
        max_exp_avg_sqs = [s["max_exp_avg_sq"] for s in states] if amsgrad else []
        torch._foreach_add_(steps, 1.0)
        if batch.path == "fused":
            assert batch.call is not None  # _path chose "fused" because there is a call
            fused_step(
                batch.params,
                batch.grads,
                exp_avgs,
                exp_avg_sqs,
                max_exp_avg_sqs,
                steps,
                batch.config,
                batch.scalars,
                batch.call,
            )
        elif batch.path == "foreach":
            foreach_step(
                batch.params,
                batch.grads,
                exp_avgs,
                exp_avg_sqs,
                max_exp_avg_sqs,
                batch.config,
                batch.scalars,
            )
        else:
            for i in range(len(batch.params)):
                foreach_step(
                    [batch.params[i]],
                    [batch.grads[i]],
                    [exp_avgs[i]],
                    [exp_avg_sqs[i]],
                    max_exp_avg_sqs[i : i + 1],
                    batch.config,
                    batch.scalars,
                )


class AdamW(Adam):
    """:class:`Adam` with ``torch.optim.AdamW``'s defaults (preset ``"pytorch-adamw"``)."""

    default_variant = "pytorch-adamw"


@dataclass
class _Batch:
    """Tensors one kernel call updates, and the numbers that call needs."""

    config: AdamConfig
    scalars: StepScalars
    call: FusedCall | None
    """The fused kernel call for this step; None when the kernel cannot take it."""
    path: str
    labels: list[str] = field(default_factory=list)
    params: list[torch.Tensor] = field(default_factory=list)
    grads: list[torch.Tensor] = field(default_factory=list)

    def add(self, label: str, p: torch.Tensor, g: torch.Tensor) -> None:
        self.labels.append(label)
        self.params.append(p)
        self.grads.append(g)


def _group_config(group: dict, where: str) -> AdamConfig:
    """The AdamConfig a param group describes; raises naming the group, key and value."""
    try:
        for key in (
            "amsgrad",
            "maximize",
            "decoupled_weight_decay",
            "capturable",
            "differentiable",
        ):
            if not isinstance(group[key], bool):
                raise AdamConfigError(f"{key}={group[key]!r} is not allowed: give True or False")
        for key in ("foreach", "fused"):
            if group[key] not in (None, True, False):
                raise AdamConfigError(
                    f"{key}={group[key]!r} is not allowed: give None, True or False"
                )
        for key in ("capturable", "differentiable"):
            if group[key]:
                raise AdamConfigError(f"{key}=True is not supported by adamlib.optim: only False")
        if group["fused"] and group["foreach"]:
            raise AdamConfigError("fused=True and foreach=True is not allowed: choose one")
        form = group["amsgrad_form"]
        if form not in (None,) + AMSGRAD[1:]:
            raise AdamConfigError(
                f"amsgrad_form={form!r} is not allowed: choose one of "
                f"{AMSGRAD[1:]} (or None: no AMSGrad)"
            )
        if group["amsgrad"] and form is None:
            raise AdamConfigError(
                "amsgrad=True is not allowed: this configuration has no "
                f"AMSGrad form; set amsgrad_form to one of {AMSGRAD[1:]}"
            )
        config = AdamConfig(
            lr=group["lr"],
            betas=group["betas"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
            amsgrad=form if group["amsgrad"] else "off",
            weight_decay_kind="decoupled" if group["decoupled_weight_decay"] else "l2",
            **{name: group[name] for name in _SWITCHES},
        )
        if config.grid_size is not None:
            raise AdamConfigError(
                f"hyperparameters {config.hyperparameters()} are arrays: adamlib.optim takes "
                "one number each (grids of configurations are for adamlib.reference)"
            )
    except AdamConfigError as error:
        raise AdamConfigError(f"{where}: {error}") from None
    return config


def _checked_lr(lr, index: int) -> float:
    """The group's current lr as a float; refused, naming the group, unless finite and >= 0."""
    try:
        value = float(lr) if not isinstance(lr, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise AdamConfigError(
            f"param_groups[{index}]: lr={lr!r} is not allowed: lr must be a finite number >= 0"
        )
    return value


def _check_names(group: dict, config: AdamConfig, index: int) -> None:
    if config.exclude_from_weight_decay and config.weight_decay != 0 and "param_names" not in group:
        raise AdamConfigError(
            f"param_groups[{index}]: exclude_from_weight_decay="
            f"{config.exclude_from_weight_decay!r} matches parameter names, and these "
            "parameters have none: pass model.named_parameters(), or set "
            "exclude_from_weight_decay=()"
        )


def _path(group: dict, call: FusedCall | None, reason: str | None, where: str) -> str:
    if group["fused"]:
        if call is None:
            raise AdamConfigError(
                f"{where}: fused=True is not allowed for this step: {reason}; torch's fused "
                "kernel cannot express it, use fused=None"
            )
        return "fused"
    if group["foreach"] is False:
        return "per_tensor"
    if group["foreach"] or group["fused"] is False or call is None:
        return "foreach"
    return "fused"


def _check_gradient(label: str, p: torch.Tensor, g: torch.Tensor) -> None:
    if g.is_sparse or g.layout != torch.strided:
        raise ValueError(
            f"gradient of {label} has layout {g.layout}: adamlib.optim takes dense "
            "(torch.strided) gradients only; for sparse ones use torch.optim.SparseAdam"
        )
    if g.shape != p.shape or g.dtype != p.dtype or g.device != p.device:
        raise ValueError(
            f"gradient of {label} has shape {tuple(g.shape)}, dtype {g.dtype}, device {g.device}; "
            f"it must match the parameter's shape {tuple(p.shape)}, dtype {p.dtype}, device "
            f"{p.device}"
        )


def _check_state(label: str, p: torch.Tensor, state: dict) -> None:
    if not state:
        return
    missing = {"step", "exp_avg", "exp_avg_sq"} - set(state)
    if missing:
        raise ValueError(
            f"state of {label} lacks {sorted(missing)}: a state holds step, "
            "exp_avg, exp_avg_sq (and max_exp_avg_sq with AMSGrad)"
        )
    step = state["step"]
    if not torch.is_tensor(step) or step.numel() != 1:
        raise ValueError(f"state['step'] of {label} is {step!r}: it must be a one-element tensor")
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        value = state.get(key)
        if value is not None and (
            value.shape != p.shape or value.dtype != p.dtype or value.device != p.device
        ):
            raise ValueError(
                f"state[{key!r}] of {label} has shape {tuple(value.shape)} and dtype "
                f"{value.dtype}; it must match the parameter ({tuple(p.shape)}, {p.dtype}): "
                "was a checkpoint of another model loaded?"
            )


def _all_finite(g: torch.Tensor) -> bool:
    # g·g is finite if every element is (NaN and ±Inf propagate), and a dot product is the
    # fastest full read torch has; only a non-finite result, which finite elements can reach
    # by overflow, needs the exact, slower test.
    flat = g.reshape(-1)
    return bool(torch.isfinite(torch.dot(flat, flat))) or bool(torch.isfinite(g).all())


def _label(group: dict, index: int, j: int) -> str:
    names = group.get("param_names")
    return repr(names[j]) if names else f"param_groups[{index}]['params'][{j}]"


def _step_dtype() -> torch.dtype:
    # torch.optim.Adam's choice (optimizer._get_scalar_dtype), so that checkpoints match.
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
