"""The arithmetic behind :mod:`adamlib.optim`: one Adam step of a list of torch tensors.

Owns: the per-step scalars of a configuration (:class:`StepScalars`), their mapping onto
torch's fused Adam kernel (:func:`fused_call`, :func:`fused_step`), the one list of reasons the
kernel cannot take a step (:data:`FUSED_REFUSALS`, :func:`fused_refusal`), and a multi-tensor
transcription of :func:`adamlib.reference.update_array` (:func:`foreach_step`) for what the
kernel cannot express.
Must not: validate anything or create state (:mod:`adamlib.optim` does both before any tensor
is touched). Every function here mutates the tensors it is given, in place.

The kernel (``torch._fused_adam_`` / ``torch._fused_adamw_``) computes, with
``bc_i = 1 - β_i^t`` taken from the step tensor, the explicit form

    θ ← θ·(1 - lr·wd)                       (AdamW kernel; the Adam kernel adds wd·θ to g)
    θ ← θ - lr/bc1 · m / (√v/√bc2 + eps)

and every other form is this one with per-step scalars (``s = √bc2``):

- folded (ε̂) form ``lr·s/bc1 · m/(√v + ε̂)``: eps = ε̂/s;
- no bias correction ``lr · m/(√v + ε)``: eps = ε/s and lr = lr·bc1/s;
- a decoupled decay at another rate ρ (η_t·λ, bias-corrected lr·λ, ...): wd = ρ/lr;
- decay of the updated θ, ``(θ - step)(1 - ρ)``: the Adam step scaled by (1 - ρ);
- AMSGrad of v̂ (optax): the kernel's maximum of the raw v is max(v̂_max·bc2, v) = bc2·v̂_max,
  so v̂_max is multiplied by bc2 before the call and divided by it after (two extra passes
  over one buffer, still far fewer than the foreach path's).

Gradient rescaling and clipping (MXNet) run before the kernel with foreach ops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .config import AdamConfig


@dataclass(frozen=True)
class StepScalars:
    """The numbers one step t of ``config`` needs, for tensors that do (or do not) decay."""

    lr: float
    """α·η_t, the step size used at step t."""
    bc1: float
    bc2: float
    weight_decay: float
    """λ (or λ') for these tensors: 0 for a parameter excluded from weight decay."""
    decay_rate: float
    """ρ, the factor of a decoupled decay θ ← θ - ρθ (0 for L2)."""
    step_size: float
    """What multiplies m/(√v_used + ε) (explicit form: m/(√(v_used/bc2) + ε))."""

    @classmethod
    def at(cls, config: AdamConfig, t: int, decays: bool, lr: float) -> StepScalars:
        """The scalars of step t; ``lr`` is the group's current α (a scheduler may have
        changed it since ``config`` was built), so ``config.lr`` is not read."""
        beta1, beta2 = (float(b) for b in config.betas)  # numbers: optim refuses grids
        eta = config.schedule_at(t)
        lr = lr * eta
        bc1, bc2 = 1 - beta1**t, 1 - beta2**t
        folded_lr = lr * math.sqrt(bc2) / bc1
        weight_decay = float(config.weight_decay) if decays else 0.0
        decay_rate = 0.0
        if config.weight_decay_kind == "decoupled":
            multiplier = {"lr": lr, "bias_corrected_lr": folded_lr, "schedule": eta}
            decay_rate = weight_decay * multiplier[config.decay_multiplier]
        step_size = {"explicit": lr / bc1, "folded": folded_lr, "none": lr}[config.bias_correction]
        return cls(lr, bc1, bc2, weight_decay, decay_rate, step_size)


@dataclass(frozen=True)
class FusedCall:
    """One call of torch's fused kernel: which one, its keyword arguments, and the factor
    (bc2) that AMSGrad of v̂ multiplies the maximum buffer by for the call's duration."""

    decoupled: bool
    kwargs: dict
    vhat_scale: float | None = None


FUSED_REFUSALS = {
    "eps_root": "eps_root > 0 (the kernel adds nothing inside the square root)",
    "zero_lr_decay": (
        "a decoupled decay at a kernel step size of 0 (the kernel's decay is "
        "lr·weight_decay, so it cannot decay without stepping)"
    ),
    "non_contiguous": "non-contiguous tensors (the kernel walks raw memory)",
}
"""Every reason the fused kernel cannot take a step: :func:`fused_refusal` and
:mod:`adamlib.optim` (for tensor layouts) return these texts, and ``fused=True`` is refused
with them, so that the error and the condition cannot drift apart."""


def fused_refusal(config: AdamConfig, scalars: StepScalars) -> str | None:
    """Why torch's fused kernel cannot compute this step (a text of :data:`FUSED_REFUSALS`),
    or None when it can."""
    if config.eps_root != 0:
        return FUSED_REFUSALS["eps_root"]
    if _decays_decoupled(config, scalars) and _kernel_lr(config, scalars) == 0:
        return FUSED_REFUSALS["zero_lr_decay"]
    return None


def _decays_decoupled(config: AdamConfig, scalars: StepScalars) -> bool:
    return config.weight_decay_kind == "decoupled" and scalars.decay_rate != 0


def _kernel_lr(config: AdamConfig, scalars: StepScalars) -> float:
    """The kernel's lr: the explicit form's α·η_t, rescaled for no bias correction and for a
    decay of the updated θ (see the module docstring)."""
    lr = scalars.lr
    if config.bias_correction == "none":
        lr = lr * scalars.bc1 / math.sqrt(scalars.bc2)
    if _decays_decoupled(config, scalars) and config.decay_applies_to == "updated_param":
        lr = lr * (1 - scalars.decay_rate)
    return lr


def fused_call(config: AdamConfig, scalars: StepScalars) -> FusedCall | None:
    """The kernel call that computes this step, or None when :func:`fused_refusal` gives a
    reason it cannot."""
    if fused_refusal(config, scalars) is not None:
        return None
    explicit = config.bias_correction == "explicit"
    lr = _kernel_lr(config, scalars)
    eps = config.eps if explicit else config.eps / math.sqrt(scalars.bc2)
    decoupled = config.weight_decay_kind == "decoupled"
    weight_decay = 0.0 if decoupled else scalars.weight_decay
    if _decays_decoupled(config, scalars):
        weight_decay = scalars.decay_rate / lr
    maximize = config.maximize
    if _preprocesses_gradient(config):
        # The kernel gets the gradient the moments see (sign and L2 term included).
        maximize, weight_decay = False, (weight_decay if decoupled else 0.0)
    kwargs = {
        "amsgrad": config.amsgrad != "off",
        "lr": lr,
        "beta1": config.betas[0],
        "beta2": config.betas[1],
        "weight_decay": weight_decay,
        "eps": eps,
        "maximize": maximize,
    }
    vhat_scale = scalars.bc2 if config.amsgrad == "max_vhat" and explicit else None
    return FusedCall(decoupled, kwargs, vhat_scale)


def fused_step(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    max_exp_avg_sqs,
    steps,
    config: AdamConfig,
    scalars: StepScalars,
    call: FusedCall,
) -> None:
    """One step with torch's fused kernel; ``steps`` already hold t."""
    if _preprocesses_gradient(config):
        grads = moment_gradient(params, grads, config, scalars.weight_decay)
    if call.vhat_scale is not None:
        torch._foreach_mul_(max_exp_avg_sqs, call.vhat_scale)
    kernel = torch._fused_adamw_ if call.decoupled else torch._fused_adam_
    kernel(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, **call.kwargs)
    if call.vhat_scale is not None:
        torch._foreach_div_(max_exp_avg_sqs, call.vhat_scale)


def foreach_step(
    params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, config: AdamConfig, scalars: StepScalars
) -> None:
    """One step with torch._foreach ops, line by line :func:`adamlib.reference.update_array`."""
    beta1, beta2 = (float(b) for b in config.betas)
    eps, eps_root = float(config.eps), float(config.eps_root)
    g = moment_gradient(params, grads, config, scalars.weight_decay)

    torch._foreach_lerp_(exp_avgs, g, 1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, g, g, value=1 - beta2)

    explicit = config.bias_correction == "explicit"
    v_used = exp_avg_sqs
    if config.amsgrad == "max_vhat" and explicit:
        torch._foreach_maximum_(max_exp_avg_sqs, torch._foreach_div(exp_avg_sqs, scalars.bc2))
        v_used = max_exp_avg_sqs
    elif config.amsgrad != "off":
        torch._foreach_maximum_(max_exp_avg_sqs, exp_avg_sqs)
        v_used = max_exp_avg_sqs

    if explicit and config.amsgrad != "max_vhat":
        denom = torch._foreach_div(v_used, scalars.bc2)
        if eps_root:
            torch._foreach_add_(denom, eps_root)
        torch._foreach_sqrt_(denom)
    elif eps_root:
        denom = torch._foreach_add(v_used, eps_root)
        torch._foreach_sqrt_(denom)
    else:
        denom = torch._foreach_sqrt(v_used)
    torch._foreach_add_(denom, eps)

    decays_old = scalars.decay_rate != 0 and config.decay_applies_to == "old_param"
    decays_updated = scalars.decay_rate != 0 and config.decay_applies_to == "updated_param"
    if decays_old:
        torch._foreach_mul_(params, 1 - scalars.decay_rate)
    torch._foreach_addcdiv_(params, exp_avgs, denom, value=-scalars.step_size)
    if decays_updated:
        torch._foreach_mul_(params, 1 - scalars.decay_rate)


def moment_gradient(params, grads, config: AdamConfig, weight_decay: float) -> list:
    """The gradient the moments see: rescaled, sign-flipped (maximize), L2 term added before or
    after clipping. Returns ``grads`` itself when nothing changes it; never mutates ``grads``."""
    l2 = config.weight_decay_kind == "l2" and weight_decay != 0
    g = grads
    if config.rescale_grad != 1:
        g = torch._foreach_mul(g, config.rescale_grad)
    if config.maximize:
        g = torch._foreach_neg(g)
    if l2 and config.l2_clip_order == "l2_then_clip":
        g = torch._foreach_add(g, params, alpha=weight_decay)
    if config.clip_gradient is not None:
        if g is grads:
            g = torch._foreach_clamp_min(g, -config.clip_gradient)
        else:
            torch._foreach_clamp_min_(g, -config.clip_gradient)
        torch._foreach_clamp_max_(g, config.clip_gradient)
    if l2 and config.l2_clip_order == "clip_then_l2":
        g = torch._foreach_add(g, params, alpha=weight_decay)
    return g


def _preprocesses_gradient(config: AdamConfig) -> bool:
    return config.rescale_grad != 1 or config.clip_gradient is not None
