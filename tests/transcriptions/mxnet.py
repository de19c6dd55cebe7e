"""MXNet ``mx.optimizer.Adam`` (1.x and 2.0) and ``AdamW`` (2.0, fused and non-fused).

Sources (``shared/reference/adam-variants.md`` §5):

- MXNet 1.x: apache/mxnet @ 76d73dbd778c9ab4a4584dbc857c8c0694faa162 (branch v1.9.x),
  ``python/mxnet/optimizer/optimizer.py`` (``Adam.update``, lines 1612–1628) and
  ``src/operator/optimizer_op-inl.h`` (``AdamUpdateKernel``, line 1302ff: rescale, add wd·w,
  then clip).
- MXNet 2.0: apache/mxnet @ b84609d3fc73d20929c114eab95faaa56e6c5ede (master),
  ``python/mxnet/optimizer/adam.py`` (``Adam.step`` lines 128–147, ``Adam.fused_step``),
  ``src/operator/optimizer_op-inl.h`` (``AdamUpdateKernel``, lines 1379–1390: rescale, clip,
  then add wd·w), ``python/mxnet/optimizer/adamW.py`` (``AdamW.step``, ``AdamW.fused_step``:
  ``adamw_update(..., lr=1, wd=wd, eta=lr)``, lines 122–140 and 229) and
  ``src/operator/contrib/adamw-inl.h`` (the ``adamw_update`` kernel, lines 192–204, and the
  skip on a non-finite or zero ``rescale_grad``).

Adaptations:
- NDArrays are NumPy arrays updated in place (``weight[:] -= ...``); a C++ kernel ``Map(i, ...)``
  over elements is written once over whole arrays; ``KERNEL_ASSIGN(out, req, x)`` is
  ``out[:] = x``; ``clip::Map`` is :func:`~tests.transcriptions.shims.clip_map`. In float64 the
  kernels' ``DType`` is double, so ``1.f - beta1`` is computed in double.
- :class:`Optimizer` keeps of MXNet's base class only what these steps read: ``_update_count``
  (per-index counts; ``num_update`` is their maximum, incremented before use),
  ``_get_lr`` (``lr_scheduler(num_update)`` when a scheduler is given, else ``lr``) and
  ``_get_wd``; ``lr_mult``/``wd_mult`` are 1 and left out. ``rescale_grad`` stays a number in
  the fused AdamW path (MXNet wraps it in a one-element NDArray).
- ``lazy_update`` only matters for ``row_sparse`` gradients and is left out; so are the
  multi-precision and aggregated (``multi_adamw_update``) paths, which compute the same update
  for float64 dense arrays.
"""

from __future__ import annotations

import math

import numpy as np

from .shims import clip_map

square, sqrt = np.square, np.sqrt


def clip(data, a_min, a_max):
    """``mx.nd.clip``: element-wise clip to ``[a_min, a_max]``."""
    return np.clip(data, a_min, a_max)


class Optimizer:
    def __init__(
        self,
        learning_rate=0.01,
        wd=0.0,
        rescale_grad=1.0,
        clip_gradient=None,
        lr_scheduler=None,
        begin_num_update=0,
        use_fused_step=True,
    ):
        self.lr = learning_rate
        self.wd = wd
        self.rescale_grad = rescale_grad
        self.clip_gradient = clip_gradient
        self.lr_scheduler = lr_scheduler
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._index_update_count: dict[int, int] = {}
        self.use_fused_step = use_fused_step

    def _update_count(self, index):
        if not isinstance(index, (list, tuple)):
            index = [index]
        for idx in index:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lr(self, index):
        if self.lr_scheduler is not None:
            lr = self.lr_scheduler(self.num_update)
        else:
            lr = self.lr
        return lr

    def _get_lrs(self, indices):
        return [self._get_lr(index) for index in indices]

    def _get_wd(self, index):
        return self.wd

    def _get_wds(self, indices):
        return [self._get_wd(index) for index in indices]

    def create_state(self, index, weight):
        return (
            np.zeros_like(weight),  # mean
            np.zeros_like(weight),
        )  # variance

    def update(self, indices, weights, grads, states):
        """MXNet 2.0 ``Optimizer.update``: ``fused_step`` or ``step`` as chosen."""
        if self.use_fused_step:
            self.fused_step(indices, weights, grads, states)
        else:
            self.step(indices, weights, grads, states)


# -- kernels (src/operator/optimizer_op-inl.h, src/operator/contrib/adamw-inl.h) ------------


def adam_update_v1(
    weight,
    grad,
    mean,
    var,
    out,
    lr,
    wd,
    beta1=0.9,
    beta2=0.999,
    epsilon=1e-8,
    rescale_grad=1.0,
    clip_gradient=-1.0,
):
    """MXNet 1.x ``AdamUpdateKernel::Map``."""
    weight_data, grad_data, mean_data, var_data, out_data = weight, grad, mean, var, out
    grad_rescaled = grad_data * rescale_grad + weight_data * wd
    if clip_gradient >= 0.0:
        grad_rescaled = clip_map(grad_rescaled, clip_gradient)

    mean_data[:] = beta1 * mean_data + (1.0 - beta1) * grad_rescaled
    var_data[:] = beta2 * var_data + (1.0 - beta2) * grad_rescaled * grad_rescaled

    out_data[:] = weight_data - lr * mean_data / (sqrt(var_data) + epsilon)


def adam_update_v2(
    weight,
    grad,
    mean,
    var,
    out,
    lr,
    wd,
    beta1=0.9,
    beta2=0.999,
    epsilon=1e-8,
    rescale_grad=1.0,
    clip_gradient=-1.0,
):
    """MXNet 2.0 ``AdamUpdateKernel::Map``: clip before adding ``wd``."""
    weight_data, grad_data, mean_data, var_data, out_data = weight, grad, mean, var, out
    grad_rescaled = grad_data * rescale_grad
    if clip_gradient >= 0.0:
        grad_rescaled = clip_map(grad_rescaled, clip_gradient)
    grad_rescaled += weight_data * wd

    mean_data[:] = beta1 * mean_data + (1.0 - beta1) * grad_rescaled
    var_data[:] = beta2 * var_data + (1.0 - beta2) * grad_rescaled * grad_rescaled

    out_data[:] = weight_data - lr * mean_data / (sqrt(var_data) + epsilon)


def adamw_update(
    weight,
    grad,
    mean,
    var,
    out,
    lr,
    eta,
    wd=0.0,
    beta1=0.9,
    beta2=0.999,
    epsilon=1e-8,
    rescale_grad=1.0,
    clip_gradient=-1.0,
):
    """The ``adamw_update`` operator (1.x contrib, 2.0): no bias correction of its own;
    skipped when ``rescale_grad`` is NaN, Inf or 0 (``PrepareInputBlobs``)."""
    if not math.isfinite(rescale_grad) or rescale_grad == 0:
        return
    grad = rescale_grad * grad
    if clip_gradient >= 0.0:
        grad = clip_map(grad, clip_gradient)
    mean[:] = beta1 * mean + (1.0 - beta1) * grad
    var[:] = beta2 * var + (1.0 - beta2) * square(grad)
    out[:] = weight - eta * (lr * mean / (sqrt(var) + epsilon) + (wd * weight))


# -- MXNet 1.x ------------------------------------------------------------------------------


class AdamV1(Optimizer):
    """MXNet 1.x ``Adam`` (``update(index, weight, grad, state)``, one parameter per call)."""

    def __init__(
        self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, lazy_update=True, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)

        t = self._index_update_count[index]
        coef1 = 1.0 - self.beta1**t
        coef2 = 1.0 - self.beta2**t
        lr *= math.sqrt(coef2) / coef1

        kwargs = {
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
            "rescale_grad": self.rescale_grad,
        }
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient

        mean, var = state
        adam_update_v1(weight, grad, mean, var, out=weight, lr=lr, wd=wd, **kwargs)


# -- MXNet 2.0 ------------------------------------------------------------------------------


class AdamV2(Optimizer):
    """MXNet 2.0 ``Adam``: ``step`` (use_fused_step=False) and ``fused_step`` (default)."""

    def __init__(
        self,
        learning_rate=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        lazy_update=False,
        use_fused_step=True,
        **kwargs,
    ):
        super().__init__(use_fused_step=use_fused_step, learning_rate=learning_rate, **kwargs)
        self.lazy_update = lazy_update
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def step(self, indices, weights, grads, states):
        for index, weight, grad, state in zip(indices, weights, grads, states):
            self._update_count(index)
            lr = self._get_lr(index)
            wd = self._get_wd(index)
            t = self._index_update_count[index]

            # preprocess grad
            grad *= self.rescale_grad
            if self.clip_gradient is not None:
                grad = clip(grad, -self.clip_gradient, self.clip_gradient)
            grad += wd * weight

            coef1 = 1.0 - self.beta1**t
            coef2 = 1.0 - self.beta2**t
            lr *= math.sqrt(coef2) / coef1

            # update mean and var
            mean, var = state
            mean[:] *= self.beta1
            mean[:] += (1.0 - self.beta1) * grad
            var[:] *= self.beta2
            var[:] += (1.0 - self.beta2) * square(grad)

            # update weight
            d = mean / (sqrt(var) + self.epsilon)
            weight[:] -= lr * d

    def fused_step(self, indices, weights, grads, states):
        for index, weight, grad, state in zip(indices, weights, grads, states):
            self._update_count(index)
            lr = self._get_lr(index)
            wd = self._get_wd(index)
            t = self._index_update_count[index]

            coef1 = 1.0 - self.beta1**t
            coef2 = 1.0 - self.beta2**t

            lr *= math.sqrt(coef2) / coef1

            kwargs = {
                "beta1": self.beta1,
                "beta2": self.beta2,
                "epsilon": self.epsilon,
                "rescale_grad": self.rescale_grad,
            }
            if self.clip_gradient:
                kwargs["clip_gradient"] = self.clip_gradient

            mean, var = state

            # update weight with fused kernel
            adam_update_v2(weight, grad, mean, var, out=weight, lr=lr, wd=wd, **kwargs)


class AdamWV2(Optimizer):
    """MXNet 2.0 ``AdamW``: ``fused_step`` (default) and ``step`` (use_fused_step=False)."""

    def __init__(
        self,
        learning_rate=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-6,
        correct_bias=True,
        use_fused_step=True,
        **kwargs,
    ):
        super().__init__(use_fused_step=use_fused_step, learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.correct_bias = correct_bias

    def step(self, indices, weights, grads, states):
        for index, weight, grad, state in zip(indices, weights, grads, states):
            self._update_count(index)
            lr = self._get_lr(index)
            wd = self._get_wd(index)
            t = self._index_update_count[index]

            # preprocess grad
            grad *= self.rescale_grad
            if self.clip_gradient is not None:
                grad = clip(grad, -self.clip_gradient, self.clip_gradient)
            if self.correct_bias:
                coef1 = 1.0 - self.beta1**t
                coef2 = 1.0 - self.beta2**t
                lr *= math.sqrt(coef2) / coef1

            # update mean and var
            mean, var = state
            mean[:] *= self.beta1
            mean[:] += (1.0 - self.beta1) * grad
            var[:] *= self.beta2
            var[:] += (1.0 - self.beta2) * square(grad)

            # update weight
            d = mean / (sqrt(var) + self.epsilon)
            weight[:] -= lr * d
            # add wd
            if wd > 0:
                weight[:] -= lr * wd * weight

    def fused_step(self, indices, weights, grads, states):
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        if self.correct_bias:
            new_lrs = []
            for idx, lr in zip(indices, lrs):
                t = self._index_update_count[idx]
                coef1 = 1.0 - self.beta1**t
                coef2 = 1.0 - self.beta2**t
                new_lrs.append(lr * math.sqrt(coef2) / coef1)
            lrs = new_lrs
        kwargs = {
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
            "rescale_grad": self.rescale_grad,
        }
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient

        for w_i, g_i, s_i, lr, wd in zip(weights, grads, states, lrs, wds):
            mean, var = s_i
            adamw_update(w_i, g_i, mean, var, out=w_i, lr=1, wd=wd, eta=lr, **kwargs)
