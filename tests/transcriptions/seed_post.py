"""The three code blocks of the seed blog post ``shared/seed/review_adam_with_me.md``,
section "Implement", line by line.

1. MXNet Adam with weight decay (the post links apache/incubator-mxnet @
   5722f8b38af58c5a296e46ca695bfaf7cff85040, python/mxnet/optimizer/adam.py);
2. the corresponding MXNet AdamW;
3. Adam without bias correction as in BERT (the post links google-research/bert, master,
   optimization.py#L87).

Adaptations: the blocks are pseudo-code inside a loop over steps; here one call of ``step`` is
one pass, ``t`` is counted on the object (first pass t = 1), and ``w``/``weight`` (one name in
block 1 for the same array) are the argument ``w``. The blocks' ``clip(x, clip_gradient)`` is
MXNet's element-wise clip to ``[-clip_gradient, clip_gradient]``; ``sqrt`` is element-wise.
"""

from __future__ import annotations

import numpy as np

from .shims import clip_map as clip

sqrt = np.sqrt


class _Block:
    def __init__(self, learning_rate, beta1, beta2, epsilon, wd, rescale_grad, clip_gradient):
        self.learning_rate, self.beta1, self.beta2, self.epsilon = (
            learning_rate,
            beta1,
            beta2,
            epsilon,
        )
        self.wd, self.rescale_grad, self.clip_gradient = wd, rescale_grad, clip_gradient
        self.m = 0.0
        self.v = 0.0
        self.t = 0


class MXNetAdamWithWeightDecay(_Block):
    """Block 1."""

    def step(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        learning_rate, beta1, beta2, epsilon = (
            self.learning_rate,
            self.beta1,
            self.beta2,
            self.epsilon,
        )
        wd, rescale_grad, clip_gradient = self.wd, self.rescale_grad, self.clip_gradient
        m, v = self.m, self.v
        self.t += 1
        t = self.t
        weight = w
        rescaled_grad = clip(grad * rescale_grad, clip_gradient) + wd * weight
        m = beta1 * m + (1 - beta1) * rescaled_grad
        v = beta2 * v + (1 - beta2) * (rescaled_grad**2)
        lr = learning_rate * sqrt(1 - beta2**t) / (1 - beta1**t)
        w = w - lr * m / (sqrt(v) + epsilon)
        self.m, self.v = m, v
        return w


class MXNetAdamW(_Block):
    """Block 2."""

    def step(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        learning_rate, beta1, beta2, epsilon = (
            self.learning_rate,
            self.beta1,
            self.beta2,
            self.epsilon,
        )
        wd, rescale_grad, clip_gradient = self.wd, self.rescale_grad, self.clip_gradient
        m, v = self.m, self.v
        self.t += 1
        t = self.t
        grad = clip(grad * rescale_grad, clip_gradient)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * (grad**2)
        lr = learning_rate * sqrt(1 - beta2**t) / (1 - beta1**t)
        w = w - lr * (m / (sqrt(v) + epsilon) + wd * w)
        self.m, self.v = m, v
        return w


class AdamWithoutBiasCorrection(_Block):
    """Block 3 (BERT)."""

    def step(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        learning_rate, beta1, beta2, epsilon = (
            self.learning_rate,
            self.beta1,
            self.beta2,
            self.epsilon,
        )
        wd, rescale_grad, clip_gradient = self.wd, self.rescale_grad, self.clip_gradient
        m, v = self.m, self.v
        self.t += 1
        grad = clip(grad * rescale_grad, clip_gradient)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * (grad**2)
        lr = learning_rate
        w = w - lr * (m / (sqrt(v) + epsilon) + wd * w)
        self.m, self.v = m, v
        return w
