"""Google BERT's ``AdamWeightDecayOptimizer`` and its settings in ``create_optimizer``.

Source: google-research/bert @ eedf5716ce1268e56f0a50264a88cafad334ac61, ``optimization.py``
(``AdamWeightDecayOptimizer.apply_gradients``, lines 130–156, ``_do_use_weight_decay``,
``_get_variable_name``; ``create_optimizer``, lines 59–65), quoted in
``shared/reference/adam-variants.md`` §6.

Adaptations:
- ``tf`` ops are NumPy (``tf.multiply`` → ``*``, ``tf.square``, ``tf.sqrt``); variables are
  :class:`~tests.transcriptions.shims.Variable` arrays named like TF tensors (``.../kernel:0``).
- ``tf.get_variable(name=param_name + "/adam_m", ..., initializer=zeros)`` creates or reuses a
  zero slot: here a dict of slots keyed by that name. ``tf.group`` of the assignments runs
  them after all reads, as the graph does (every new value is computed from the old ones).
- ``learning_rate`` is a number or a function of ``global_step``, the tensor create_optimizer
  builds from ``global_step`` (0 for the first update); ``apply_gradients`` reads it at the
  ``global_step`` passed in. create_optimizer increments ``global_step`` after the update (the
  caller does it here) and clips by global norm 1.0 beforehand (not part of this optimizer).
"""

from __future__ import annotations

import re

import numpy as np

CREATE_OPTIMIZER_SETTINGS = dict(
    weight_decay_rate=0.01,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-6,
    exclude_from_weight_decay=["LayerNorm", "layer_norm", "bias"],
)
"""The constructor arguments ``create_optimizer`` passes besides ``learning_rate``."""


class AdamWeightDecayOptimizer:
    """A basic Adam optimizer that includes "correct" L2 weight decay."""

    def __init__(
        self,
        learning_rate,
        weight_decay_rate=0.0,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-6,
        exclude_from_weight_decay=None,
        name="AdamWeightDecayOptimizer",
    ):
        """Constructs a AdamWeightDecayOptimizer."""
        self.learning_rate = learning_rate
        self.weight_decay_rate = weight_decay_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.exclude_from_weight_decay = exclude_from_weight_decay
        self._slots: dict[str, np.ndarray] = {}

    def _get_variable(self, name, shape):
        return self._slots.setdefault(name, np.zeros(shape))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """See base class."""
        learning_rate = (
            self.learning_rate(global_step) if callable(self.learning_rate) else self.learning_rate
        )
        assignments = []
        for grad, param in grads_and_vars:
            if grad is None or param is None:
                continue

            param_name = self._get_variable_name(param.name)

            m = self._get_variable(name=param_name + "/adam_m", shape=param.shape)
            v = self._get_variable(name=param_name + "/adam_v", shape=param.shape)

            # Standard Adam update.
            next_m = np.multiply(self.beta_1, m) + np.multiply(1.0 - self.beta_1, grad)
            next_v = np.multiply(self.beta_2, v) + np.multiply(1.0 - self.beta_2, np.square(grad))

            update = next_m / (np.sqrt(next_v) + self.epsilon)

            if self._do_use_weight_decay(param_name):
                update += self.weight_decay_rate * param

            update_with_lr = learning_rate * update

            next_param = param - update_with_lr

            assignments.extend([(param, next_param), (m, next_m), (v, next_v)])
        for variable, value in assignments:  # tf.group(*assignments)
            variable[...] = value

    def _do_use_weight_decay(self, param_name):
        """Whether to use L2 weight decay for `param_name`."""
        if not self.weight_decay_rate:
            return False
        if self.exclude_from_weight_decay:
            for r in self.exclude_from_weight_decay:
                if re.search(r, param_name) is not None:
                    return False
        return True

    def _get_variable_name(self, param_name):
        """Get the variable name from the tensor name."""
        m = re.match("^(.*):\\d+$", param_name)
        if m is not None:
            param_name = m.group(1)
        return param_name
