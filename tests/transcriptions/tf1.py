"""TensorFlow 1's ``tf.train.AdamOptimizer``: the canonical ε̂ ("epsilon hat") implementation.

Sources: tensorflow/tensorflow @ 026004e05dc172d1639840055462013f95e56bbe,
``tensorflow/python/training/adam.py`` (``AdamOptimizer``: ``__init__`` defaults
``learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8``; ``_create_slots`` starts the
accumulators ``beta1_power``, ``beta2_power`` at ``beta1``, ``beta2``; ``_finish`` multiplies
them by ``beta1``, ``beta2`` after every update; ``_apply_sparse_shared``, transcribed below) and
``tensorflow/core/kernels/training_ops.cc`` (``ApplyAdamNonCuda``, the dense kernel that
``_apply_dense`` calls through ``training_ops.apply_adam``: ``alpha = lr * sqrt(1 - beta2_power)
/ (1 - beta1_power); m += (grad - m) * (1 - beta1); v += (grad.square() - v) * (1 - beta2);
var -= (m * alpha) / (v.sqrt() + epsilon)`` without Nesterov).

Adaptations: variables and slots are NumPy arrays updated in place; ``scatter_add`` with every
row's index is ``+=`` (a dense gradient), so both methods below take the same step up to
rounding. The class keeps one pair of power accumulators, as the source does.
"""

from __future__ import annotations

import numpy as np


class AdamOptimizer:
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self._lr = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon
        self._slots: dict = {}
        # _create_slots: the accumulators start at beta1, beta2.
        self.beta1_power = beta1
        self.beta2_power = beta2

    def _get_slot(self, var, name):
        return self._slots.setdefault((id(var), name), np.zeros_like(var))

    def _apply_dense(self, grad, var):
        """``ApplyAdamNonCuda`` (use_nesterov=False)."""
        m = self._get_slot(var, "m")
        v = self._get_slot(var, "v")
        alpha = self._lr * np.sqrt(1 - self.beta2_power) / (1 - self.beta1_power)
        m += (grad - m) * (1 - self._beta1)
        v += (np.square(grad) - v) * (1 - self._beta2)
        var -= (m * alpha) / (np.sqrt(v) + self._epsilon)

    def _apply_sparse_shared(self, grad, var):
        """``_apply_sparse_shared`` with ``indices`` = every row."""
        lr = self._lr * np.sqrt(1 - self.beta2_power) / (1 - self.beta1_power)
        # m_t = beta1 * m + (1 - beta1) * g_t
        m = self._get_slot(var, "m")
        m_scaled_g_values = grad * (1 - self._beta1)
        m *= self._beta1  # m_t = state_ops.assign(m, m * beta1_t)
        m += m_scaled_g_values  # m_t = scatter_add(m, indices, m_scaled_g_values)
        # v_t = beta2 * v + (1 - beta2) * (g_t * g_t)
        v = self._get_slot(var, "v")
        v_scaled_g_values = (grad * grad) * (1 - self._beta2)
        v *= self._beta2
        v += v_scaled_g_values
        v_sqrt = np.sqrt(v)
        var -= lr * m / (v_sqrt + self._epsilon)

    def apply_gradients(self, grads_and_vars, sparse=False):
        for grad, var in grads_and_vars:
            (self._apply_sparse_shared if sparse else self._apply_dense)(grad, var)
        # _finish: update the power accumulators.
        self.beta1_power = self.beta1_power * self._beta1
        self.beta2_power = self.beta2_power * self._beta2
