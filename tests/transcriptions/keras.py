"""Keras 3 ``keras.optimizers.Adam`` and ``AdamW``.

Source: keras-team/keras @ 3422977a5e38fb2f7709aaa9a08e47f0c43d0f60,
``keras/src/optimizers/adam.py`` (``Adam.update_step``, lines 102–137, quoted in
``shared/reference/adam-variants.md`` §3.1), ``keras/src/optimizers/adamw.py`` (``class
AdamW(adam.Adam)``: default ``weight_decay=0.004``, ``ValueError`` if None) and
``keras/src/optimizers/base_optimizer.py`` (``_apply_weight_decay``, lines 952–959, and the order
clip → weight decay → update step of ``_backend_apply_gradients``, lines 588–593).

Adaptations:
- ``ops.*`` are the NumPy functions of the same name (the namespace ``ops`` below), variables are
  :class:`~tests.transcriptions.shims.Variable` arrays; ``assign``/``assign_add``/``assign_sub``
  write in place.
- ``learning_rate`` is a number or a ``LearningRateSchedule``, here any callable of the step; the
  ``learning_rate`` property returns ``schedule(self.iterations)``, the count of completed updates,
  as ``BaseOptimizer._get_current_learning_rate`` does (§3.1).
- ``apply`` keeps only what ``apply``/``_backend_apply_gradients`` do for dense float gradients
  without clipping options: build on first use, weight decay, one ``update_step`` per variable,
  then ``iterations += 1``. ``_clip_gradients`` is the identity without ``clipnorm``/
  ``clipvalue``/``global_clipnorm`` and is left out.
- ``exclude_from_weight_decay(var_names=...)`` and ``_use_weight_decay`` are written from the
  reference document's description (§3.1: ``re.search`` on ``variable.name``; nothing excluded by
  default); that code is not quoted there.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np

ops = SimpleNamespace(
    cast=lambda x, dtype: np.asarray(x, dtype=dtype),
    power=np.power,
    sqrt=np.sqrt,
    multiply=np.multiply,
    subtract=np.subtract,
    square=np.square,
    maximum=np.maximum,
    divide=np.divide,
    add=np.add,
)


class Adam:
    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        weight_decay=None,
    ):
        self._learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.amsgrad = amsgrad
        self.weight_decay = weight_decay
        self.iterations = 0
        self.built = False
        self._exclude_from_weight_decay_names: list[str] = []

    # -- BaseOptimizer ------------------------------------------------------------------------

    @property
    def learning_rate(self):
        if callable(self._learning_rate):
            return self._learning_rate(self.iterations)
        return self._learning_rate

    def exclude_from_weight_decay(self, var_names=None):
        self._exclude_from_weight_decay_names = list(var_names or [])

    def _use_weight_decay(self, variable):
        for name in self._exclude_from_weight_decay_names:
            if re.search(name, variable.name) is not None:
                return False
        return True

    def _get_variable_index(self, variable):
        return self._variable_index[id(variable)]

    def assign(self, variable, value):
        variable[...] = value

    def assign_add(self, variable, value):
        variable[...] = variable + value

    def assign_sub(self, variable, value):
        variable[...] = variable - value

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                lr = ops.cast(self.learning_rate, variable.dtype)
                wd = ops.cast(self.weight_decay, variable.dtype)
                variable.assign(variable - variable * wd * lr)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        for grad, var in zip(grads, trainable_variables):
            self.update_step(grad, var, learning_rate)

    def apply(self, grads, trainable_variables):
        if not self.built:
            self.build(trainable_variables)
        # Apply clipping and weight decay.
        self._apply_weight_decay(trainable_variables)

        # Run update step.
        self._backend_update_step(grads, trainable_variables, self.learning_rate)
        self.iterations += 1

    # -- Adam ---------------------------------------------------------------------------------

    def build(self, var_list):
        self._variable_index = {id(v): i for i, v in enumerate(var_list)}
        self._momentums = [np.zeros_like(np.asarray(v)) for v in var_list]
        self._velocities = [np.zeros_like(np.asarray(v)) for v in var_list]
        if self.amsgrad:
            self._velocity_hats = [np.zeros_like(np.asarray(v)) for v in var_list]
        self.built = True

    def update_step(self, gradient, variable, learning_rate):
        """Update step given gradient and the associated model variable."""
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        local_step = ops.cast(self.iterations + 1, variable.dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, variable.dtype), local_step)
        beta_2_power = ops.power(ops.cast(self.beta_2, variable.dtype), local_step)

        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]

        alpha = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)

        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(
            v,
            ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2),
        )
        if self.amsgrad:
            v_hat = self._velocity_hats[self._get_variable_index(variable)]
            self.assign(v_hat, ops.maximum(v_hat, v))
            v = v_hat
        self.assign_sub(
            variable,
            ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon)),
        )


class AdamW(Adam):
    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
        )
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
