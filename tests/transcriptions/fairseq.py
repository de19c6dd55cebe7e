"""fairseq ``--optimizer adam``: its three code paths, and the learning rate fairseq-train uses.

``FairseqAdam.__init__`` (``fairseq/optim/adam.py``) picks the class: ``get_fused_adam_class()``
(``fairseq/optim/fused_adam.py``) returns ``FusedAdamV1`` if the module ``fused_adam_cuda``
(apex's legacy extension) imports, else ``FusedAdamV2`` if ``apex.optimizers.FusedAdam`` and
``multi_tensor_applier`` import, else None; a fused class is used only with CUDA available and
without ``--use-old-adam`` (and not on TPU). Otherwise the Python ``Adam`` below runs.

Source: facebookresearch/fairseq @ 3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99,
``fairseq/optim/adam.py`` (``class Adam(torch.optim.Optimizer)``, ``step``; lines 216–234 are
quoted in ``shared/reference/adam-variants.md`` §8; the moment updates just above them are
``exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)`` and
``exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)``). Defaults of the config:
``adam_betas=(0.9, 0.999)``, ``adam_eps=1e-8``, ``weight_decay=0.0``; the learning rate comes
from ``optimization.lr``, whose default in ``fairseq/dataclass/configs.py``
(``OptimizationConfig.lr``) is ``[0.25]`` (:data:`CLI_DEFAULT_LR`); the ``Adam`` class itself
defaults to ``lr=1e-3``.

Adaptations: as in :mod:`tests.transcriptions.hf` (NumPy in-place arithmetic for the tensor
methods, :class:`~tests.transcriptions.shims.Parameter`). ``p_data_fp32`` is ``p.data`` itself
(float64 parameters are not copied to fp32); the fp16/bf16 copy-back and the sparse check are
left out.
"""

from __future__ import annotations

import math

import numpy as np

CLI_DEFAULT_LR = [0.25]
"""``fairseq/dataclass/configs.py``: ``lr: List[float] = field(default_factory=lambda: [0.25],
...)`` in ``OptimizationConfig``; ``FairseqAdam.optimizer_config`` passes ``lr[0]``."""


class Adam:
    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False
    ):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        groups = list(params)
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.param_groups = [{**defaults, **group} for group in groups]
        self.state: dict = {}

    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                amsgrad = group.get("amsgrad", False)

                p_data_fp32 = p.data

                state = self.state.setdefault(p, {})

                # State initialization
                if len(state) == 0:
                    state["step"] = 0
                    # Exponential moving average of gradient values
                    state["exp_avg"] = np.zeros_like(p_data_fp32)
                    # Exponential moving average of squared gradient values
                    state["exp_avg_sq"] = np.zeros_like(p_data_fp32)
                    if amsgrad:
                        # Maintains max of all exp. moving avg. of sq. grad. values
                        state["max_exp_avg_sq"] = np.zeros_like(p_data_fp32)

                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                if amsgrad:
                    max_exp_avg_sq = state["max_exp_avg_sq"]
                beta1, beta2 = group["betas"]

                state["step"] += 1

                # Decay the first and second moment running average coefficient
                exp_avg *= beta1
                exp_avg += (1 - beta1) * grad  # exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (
                    (1 - beta2) * grad * grad
                )  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                if amsgrad:
                    # Maintains the maximum of all 2nd moment running avg. till now
                    np.maximum(
                        max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq
                    )  # torch.max(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                    # Use the max. for normalizing running avg. of gradient
                    denom = (
                        np.sqrt(max_exp_avg_sq) + group["eps"]
                    )  # max_exp_avg_sq.sqrt().add_(group["eps"])
                else:
                    denom = (
                        np.sqrt(exp_avg_sq) + group["eps"]
                    )  # exp_avg_sq.sqrt().add_(group["eps"])

                bias_correction1 = 1 - beta1 ** state["step"]
                bias_correction2 = 1 - beta2 ** state["step"]
                step_size = group["lr"] * math.sqrt(bias_correction2) / bias_correction1

                if group["weight_decay"] != 0:
                    p_data_fp32 += (
                        (-group["weight_decay"] * group["lr"]) * p_data_fp32
                    )  # p_data_fp32.add_(p_data_fp32, alpha=-group["weight_decay"] * group["lr"])

                p_data_fp32 += (
                    -step_size * exp_avg / denom
                )  # p_data_fp32.addcdiv_(exp_avg, denom, value=-step_size)


class FusedAdamV1:
    """``fairseq.optim.fused_adam.FusedAdamV1.step`` with the CUDA call transcribed.

    Sources: the Python ``step`` at the fairseq commit above; the kernel from NVIDIA/apex @
    6424da3b4faa6c8f062da4a48c424fff3f02d42d, ``apex/contrib/csrc/optimizers/
    fused_adam_cuda_kernel.cu``: ``fused_adam_cuda`` (the host function computing
    ``step_size``) and ``adam_cuda_kernel`` (the element-wise update). fairseq passes
    ``self.eps_mode = 1`` (``eps_inside_sqrt=False``) and ``combined_scale = scale = 1`` when
    ``max_grad_norm`` is 0 (its default).

    Adaptations: the kernel's loop over elements is NumPy element-wise arithmetic in float64
    (the kernel computes in float32); ``p_copy`` (the fp16 output copy), fp16 statistics, the
    CPU-to-GPU copies and the sparse check are left out.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        bias_correction=True,
        betas=(0.9, 0.999),
        eps=1e-8,
        eps_inside_sqrt=False,
        weight_decay=0.0,
        max_grad_norm=0.0,
        amsgrad=False,
    ):
        if amsgrad:
            raise RuntimeError("FusedAdam does not support the AMSGrad variant.")
        defaults = {
            "lr": lr,
            "bias_correction": bias_correction,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "max_grad_norm": max_grad_norm,
        }
        groups = list(params)
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.param_groups = [{**defaults, **group} for group in groups]
        self.eps_mode = 0 if eps_inside_sqrt else 1
        self.state: dict = {}

    def step(self, scale=1.0):
        for group in self.param_groups:
            combined_scale = scale
            bias_correction = 1 if group.get("bias_correction", 1) else 0
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                p_data_fp32 = p.data
                state = self.state.setdefault(p, {})
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p_data_fp32)
                    state["exp_avg_sq"] = np.zeros_like(p_data_fp32)
                exp_avg = state["exp_avg"]
                exp_avg_sq = state["exp_avg_sq"]
                beta1, beta2 = group["betas"]
                state["step"] += 1
                _fused_adam_cuda(
                    p_data_fp32,
                    exp_avg,
                    exp_avg_sq,
                    grad,
                    group["lr"],
                    beta1,
                    beta2,
                    group["eps"],
                    combined_scale,
                    state["step"],
                    self.eps_mode,
                    bias_correction,
                    group["weight_decay"],
                )


def _fused_adam_cuda(
    p, m, v, g, lr, beta1, beta2, eps, grad_scale, step, mode, bias_correction, decay
):
    """``fused_adam_cuda`` (host) and ``adam_cuda_kernel`` (device), in place on p, m, v."""
    if bias_correction == 1:
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr * math.sqrt(bias_correction2) / bias_correction1
    else:
        step_size = lr
    # adam_cuda_kernel, for every element j:
    scaled_grad = g / grad_scale
    m[...] = beta1 * m + (1 - beta1) * scaled_grad
    v[...] = beta2 * v + (1 - beta2) * scaled_grad * scaled_grad
    if mode == 0:  # ADAM_MODE_0: eps under square root
        denom = np.sqrt(v + eps)
    else:  # Mode 1
        denom = np.sqrt(v) + eps
    update = (m / denom) + (decay * p)
    p[...] = p - (step_size * update)


class FusedAdamV2:
    """``fairseq.optim.fused_adam.FusedAdamV2(apex.optimizers.FusedAdam).step``.

    Sources: the Python ``step`` at the fairseq commit above (it calls
    ``multi_tensor_applier(self.multi_tensor_adam, ..., group["lr"], beta1, beta2,
    group["eps"], group["step"], self.adam_w_mode, bias_correction, group["weight_decay"])``);
    ``apex/optimizers/fused_adam.py`` (``FusedAdam.__init__``: ``adam_w_mode=True`` by default,
    ``self.adam_w_mode = 1``) and ``csrc/multi_tensor_adam.cu`` (``multi_tensor_adam_cuda``:
    ``bias_correction1 = 1 - std::pow(beta1, step)``, likewise 2; ``AdamFunctor``, both modes)
    at NVIDIA/apex @ 6424da3b4faa6c8f062da4a48c424fff3f02d42d.

    Adaptations: the multi-tensor chunks become one NumPy expression per tensor in float64
    (the kernel computes in float32); the fp16 grouping and copy-back are left out. The step
    count is per group (``group["step"]``), as in the source.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        bias_correction=True,
        betas=(0.9, 0.999),
        eps=1e-8,
        adam_w_mode=True,
        weight_decay=0.0,
        amsgrad=False,
    ):
        if amsgrad:
            raise RuntimeError("FusedAdam does not support the AMSGrad variant.")
        defaults = dict(
            lr=lr, bias_correction=bias_correction, betas=betas, eps=eps, weight_decay=weight_decay
        )
        groups = list(params)
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.param_groups = [{**defaults, **group} for group in groups]
        self.adam_w_mode = 1 if adam_w_mode else 0
        self.state: dict = {}

    def step(self):
        for group in self.param_groups:
            bias_correction = 1 if group["bias_correction"] else 0
            beta1, beta2 = group["betas"]
            if "step" in group:
                group["step"] += 1
            else:
                group["step"] = 1
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(p, {})
                if len(state) == 0:
                    state["exp_avg"] = np.zeros_like(p.data)
                    state["exp_avg_sq"] = np.zeros_like(p.data)
                _multi_tensor_adam(
                    p.grad,
                    p.data,
                    state["exp_avg"],
                    state["exp_avg_sq"],
                    group["lr"],
                    beta1,
                    beta2,
                    group["eps"],
                    group["step"],
                    self.adam_w_mode,
                    bias_correction,
                    group["weight_decay"],
                )


def _multi_tensor_adam(g, p, m, v, lr, beta1, beta2, epsilon, step, mode, bias_correction, decay):
    """``multi_tensor_adam_cuda`` (host) and ``AdamFunctor`` (device), in place on p, m, v."""
    beta1_correction, beta2_correction = 1.0, 1.0
    if bias_correction == 1:
        beta1_correction = 1 - beta1**step
        beta2_correction = 1 - beta2**step
    r_g = g
    if mode == 0:  # ADAM_MODE_0: L2
        r_g = r_g + (decay * p)
        m[...] = beta1 * m + (1 - beta1) * r_g
        v[...] = beta2 * v + (1 - beta2) * r_g * r_g
        next_m_unbiased = m / beta1_correction
        next_v_unbiased = v / beta2_correction
        denom = np.sqrt(next_v_unbiased) + epsilon
        update = next_m_unbiased / denom
        p[...] = p - (lr * update)
    else:  # weight decay
        m[...] = beta1 * m + (1 - beta1) * r_g
        v[...] = beta2 * v + (1 - beta2) * r_g * r_g
        next_m_unbiased = m / beta1_correction
        next_v_unbiased = v / beta2_correction
        denom = np.sqrt(next_v_unbiased) + epsilon
        update = (next_m_unbiased / denom) + (decay * p)
        p[...] = p - (lr * update)
