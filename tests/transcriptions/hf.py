"""HuggingFace ``transformers.AdamW`` (deprecated, later removed).

Source: huggingface/transformers @ ad1fc9639f2e7b6808a2ca982c0a9b3134d76ee8,
``src/transformers/optimization.py`` (``AdamW.__init__`` defaults and ``AdamW.step``), quoted in
``shared/reference/adam-variants.md`` §7.

Adaptations: tensors are NumPy arrays and parameters are
:class:`~tests.transcriptions.shims.Parameter` (``p.data``, ``p.grad``); ``mul_``/``add_``/
``addcmul_``/``addcdiv_``/``sqrt().add_()`` become the in-place NumPy arithmetic they perform
(``x.add_(y, alpha=a)`` is ``x += a * y``; ``x.addcmul_(y, z, value=c)`` is ``x += c * y * z``;
``x.addcdiv_(y, z, value=c)`` is ``x += c * y / z``). The deprecation warning, the closure and
the sparse-gradient check are left out. ``param_groups`` are dicts as in ``torch.optim``; a
learning-rate scheduler changes ``group["lr"]`` between steps.
"""

from __future__ import annotations

import math

import numpy as np


class AdamW:
    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, correct_bias=True
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "correct_bias": correct_bias,
        }
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

                state = self.state.setdefault(p, {})

                # State initialization
                if len(state) == 0:
                    state["step"] = 0
                    # Exponential moving average of gradient values
                    state["exp_avg"] = np.zeros_like(p.data)
                    # Exponential moving average of squared gradient values
                    state["exp_avg_sq"] = np.zeros_like(p.data)

                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                beta1, beta2 = group["betas"]

                state["step"] += 1

                # Decay the first and second moment running average coefficient
                # In-place operations to update the averages at the same time
                exp_avg *= beta1
                exp_avg += (
                    1.0 - beta1
                ) * grad  # exp_avg.mul_(beta1).add_(grad, alpha=(1.0 - beta1))
                exp_avg_sq *= beta2
                exp_avg_sq += (
                    (1.0 - beta2) * grad * grad
                )  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                denom = np.sqrt(exp_avg_sq) + group["eps"]  # exp_avg_sq.sqrt().add_(group["eps"])

                step_size = group["lr"]
                if group["correct_bias"]:  # No bias correction for Bert
                    bias_correction1 = 1.0 - beta1 ** state["step"]
                    bias_correction2 = 1.0 - beta2 ** state["step"]
                    step_size = step_size * math.sqrt(bias_correction2) / bias_correction1

                p.data += (
                    -step_size * exp_avg / denom
                )  # p.addcdiv_(exp_avg, denom, value=-step_size)

                # Just adding the square of the weights to the loss function is *not*
                # the correct way of using L2 regularization/weight decay with Adam,
                # since that will interact with the m and v parameters in strange ways.
                #
                # Instead we want to decay the weights in a manner that doesn't interact
                # with the m/v parameters. This is equivalent to adding the square
                # of the weights to the loss with plain (non-momentum) SGD.
                # Add weight decay at the end (fixed version)
                if group["weight_decay"] > 0.0:
                    p.data += (
                        -group["lr"] * group["weight_decay"]
                    ) * p.data  # p.add_(p, alpha=(-group["lr"] * group["weight_decay"]))
