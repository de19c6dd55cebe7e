"""fairseq ``--optimizer adam``: the Python ``fairseq.optim.adam.Adam`` (CPU, or no apex).

Source: facebookresearch/fairseq @ 3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99,
``fairseq/optim/adam.py`` (``class Adam(torch.optim.Optimizer)``, ``step``; lines 216–234 are
quoted in ``shared/reference/adam-variants.md`` §8; the moment updates just above them are
``exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)`` and
``exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)``). Defaults of the config:
``adam_betas=(0.9, 0.999)``, ``adam_eps=1e-8``, ``weight_decay=0.0``; lr is required.

Adaptations: as in :mod:`tests.transcriptions.hf` (NumPy in-place arithmetic for the tensor
methods, :class:`~tests.transcriptions.shims.Parameter`). ``p_data_fp32`` is ``p.data`` itself
(float64 parameters are not copied to fp32); the fp16/bf16 copy-back and the sparse check are
left out.
"""

from __future__ import annotations

import math

import numpy as np


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
