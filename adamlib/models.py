"""Small NumPy models with exact hand-written gradients, trained as a whole grid at once.

Owns: multilayer perceptrons (``mlp_init``, ``mlp_loss``, ``mlp_loss_and_grads``) whose every
parameter has a leading *grid* axis of length N, so that N configurations of an
:class:`~adamlib.config.AdamConfig` with array hyperparameters of shape ``(N,)`` train as one
computation; the training loop ``train`` that drives :func:`adamlib.reference.step` over seeded
minibatches; and deterministic synthetic datasets (``make_low_rank``, ``make_digits_like``).
There is no network access and no dataset package in the book's environment, so data is
generated from a seed.
Must not: implement any part of an Adam step (that is :mod:`adamlib.reference`; weight decay of
either kind is the config's business, not the loss's), print, or depend on torch.

An autoencoder is an MLP whose output size equals its input size, trained on ``(x, x)``. A grid
of 3 step sizes × 2 decoupled weight decays, trained as one computation::

    lrs, wds = np.meshgrid([1e-3, 1e-2, 1e-1], [0.0, 1e-2], indexing="ij")
    config = AdamConfig(lr=lrs.ravel(), weight_decay=wds.ravel(),
                        weight_decay_kind="decoupled")
    params = mlp_init((64, 16, 64), grid_size=lrs.size, seed=0)
    x, _ = make_digits_like(500, seed=0)
    history = train(params, config, (x, x), steps=200, batch_size=50, seed=0)
    final = mlp_loss(history.params, x, x).reshape(lrs.shape)   # (3, 2): α × λ

Shapes: a dataset ``x`` has shape ``(B, d_in)`` and is shared by every grid member; layer ``l``
has ``params[f"layer{l}.weight"]`` of shape ``(N, fan_in, fan_out)`` and
``params[f"layer{l}.bias"]`` of shape ``(N, fan_out)``; losses have shape ``(N,)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from . import reference
from .config import AdamConfig

LOSSES = ("mse", "softmax_xent")
ACTIVATIONS = ("tanh", "relu")


# -- the model -------------------------------------------------------------------------------


def mlp_init(
    layer_sizes: Sequence[int],
    grid_size: int,
    seed: int | Sequence[int],
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    """Initial parameters of an MLP for every member of a grid of N configurations.

    Weights are drawn from N(0, 1/fan_in) (LeCun's scaling, suited to tanh), biases are zero.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(d_in, h_1, ..., d_out)``, at least two sizes, each ``>= 1``.
    grid_size : int
        N, the length of the leading grid axis of every parameter, ``>= 1``.
    seed : int or sequence of int
        One seed: every grid member starts from the *same* weights, so that members differ only
        by their hyperparameters. N seeds: member i starts from the weights of ``seed[i]``
        (a grid over initialisations).
    dtype : numpy floating dtype
        dtype of the parameters (float64 by default).

    Returns
    -------
    dict of str to ndarray
        ``"layer1.weight"`` (N, d_in, h_1), ``"layer1.bias"`` (N, h_1), ..., in layer order.
    """
    sizes = [int(s) for s in layer_sizes]
    if (
        len(sizes) < 2
        or any(s < 1 for s in sizes)
        or any(isinstance(s, bool) or int(s) != s for s in layer_sizes)
    ):
        raise ValueError(
            f"layer_sizes={tuple(layer_sizes)!r} is not allowed: give at least two "
            "integer sizes (d_in, ..., d_out), each >= 1"
        )
    _check_int("grid_size", grid_size, minimum=1)
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"dtype={dtype!r} is not allowed: give a floating dtype")
    seeds = [seed] * grid_size if np.ndim(seed) == 0 else list(cast(Sequence[int], seed))
    if len(seeds) != grid_size:
        raise ValueError(
            f"seed has {len(seeds)} values but grid_size={grid_size}: give one seed, "
            "or one seed per grid member"
        )

    members = []
    for member_seed in seeds:
        rng = np.random.default_rng(member_seed)
        members.append(
            [
                rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
                for fan_in, fan_out in zip(sizes[:-1], sizes[1:])
            ]
        )
    params: dict[str, np.ndarray] = {}
    for layer, fan_out in enumerate(sizes[1:], start=1):
        params[f"layer{layer}.weight"] = np.stack([w[layer - 1] for w in members]).astype(dtype)
        params[f"layer{layer}.bias"] = np.zeros((grid_size, fan_out), dtype=dtype)
    return params


def mlp_loss(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    loss: str = "mse",
    activation: str = "tanh",
) -> np.ndarray:
    """The loss of every grid member on ``(x, y)``, without gradients.

    See :func:`mlp_loss_and_grads` for the arguments; returns losses of shape ``(N,)``.
    """
    weights, biases = _layers(params)
    _check_batch(weights, x, y, loss, activation)
    with np.errstate(over="ignore", invalid="ignore"):
        pre_activations, _ = _forward(weights, biases, x, activation)
        return _loss_and_output_grad(pre_activations[-1], y, loss, need_grad=False)[0]


def mlp_loss_and_grads(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    loss: str = "mse",
    activation: str = "tanh",
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Losses of every grid member on one batch, and their exact gradients (backpropagation).

    The network is z_1 = x W_1 + b_1, h_l = act(z_l), z_{l+1} = h_l W_{l+1} + b_{l+1}; the last
    pre-activation z_L is the output (no activation on it).

    Parameters
    ----------
    params : dict of str to ndarray
        As returned by :func:`mlp_init`.
    x : ndarray, shape (B, d_in)
        Inputs, shared by every grid member.
    y : ndarray
        Targets: shape ``(B, d_out)`` for ``"mse"`` (``x`` itself for an autoencoder), integer
        class labels of shape ``(B,)`` in ``[0, d_out)`` for ``"softmax_xent"``.
    loss : {"mse", "softmax_xent"}
        ``"mse"``: the mean over the batch and the outputs of (z_L - y)².
        ``"softmax_xent"``: the mean over the batch of -log softmax(z_L)[y].
    activation : {"tanh", "relu"}
        The activation of the hidden layers.

    Returns
    -------
    losses : ndarray, shape (N,)
        The loss of each grid member (non-finite where a member's parameters have blown up;
        no floating-point warning is raised for that).
    grads : dict of str to ndarray
        ∂loss_n/∂params, with the keys, shapes and dtypes of ``params``.
    """
    weights, biases = _layers(params)
    _check_batch(weights, x, y, loss, activation)
    with np.errstate(over="ignore", invalid="ignore"):
        pre_activations, hidden = _forward(weights, biases, x, activation)
        losses, delta = _loss_and_output_grad(pre_activations[-1], y, loss, need_grad=True)
        grads = {}
        for layer in range(len(weights), 0, -1):
            below = hidden[layer - 1]  # the input of this layer: x, or the previous h
            grads[f"layer{layer}.weight"] = np.swapaxes(below, -1, -2) @ delta
            grads[f"layer{layer}.bias"] = delta.sum(axis=-2)
            if layer > 1:
                delta = (delta @ np.swapaxes(weights[layer - 1], -1, -2)) * _activation_slope(
                    pre_activations[layer - 2], hidden[layer - 1], activation
                )
    dtype = weights[0].dtype
    return losses.astype(dtype, copy=False), {
        name: grads[name].astype(dtype, copy=False) for name in params
    }


def _layers(params: dict[str, np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    if not isinstance(params, dict):
        raise ValueError(f"params is a {type(params).__name__}: give the dict of mlp_init")
    depth = len(params) // 2
    expected = [
        f"layer{layer}.{kind}" for layer in range(1, depth + 1) for kind in ("weight", "bias")
    ]
    if depth < 1 or list(params) != expected:
        raise ValueError(f"params has keys {list(params)}; expected {expected} (from mlp_init)")
    weights = [params[f"layer{layer}.weight"] for layer in range(1, depth + 1)]
    biases = [params[f"layer{layer}.bias"] for layer in range(1, depth + 1)]
    grid = weights[0].shape[0]
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        if w.ndim != 3 or b.shape != (grid, w.shape[2]) or w.shape[0] != grid:
            raise ValueError(
                f"layer{layer} has weight shape {w.shape} and bias shape {b.shape}; "
                f"expected (N, fan_in, fan_out) and (N, fan_out) with N = {grid}"
            )
        if layer > 1 and w.shape[1] != weights[layer - 2].shape[2]:
            raise ValueError(
                f"layer{layer}.weight has fan_in {w.shape[1]} but layer{layer - 1} "
                f"has {weights[layer - 2].shape[2]} outputs"
            )
    return weights, biases


def _check_batch(weights, x, y, loss: str, activation: str) -> None:
    if loss not in LOSSES:
        raise ValueError(f"loss={loss!r} is not allowed: choose one of {LOSSES}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation={activation!r} is not allowed: choose one of {ACTIVATIONS}")
    x, y = np.asarray(x), np.asarray(y)
    d_in, d_out = weights[0].shape[1], weights[-1].shape[2]
    if x.ndim != 2 or x.shape[1] != d_in:
        raise ValueError(f"x has shape {x.shape}; the network expects (B, {d_in})")
    if loss == "mse" and y.shape != (x.shape[0], d_out):
        raise ValueError(f"y has shape {y.shape}; loss='mse' expects ({x.shape[0]}, {d_out})")
    if loss == "softmax_xent":
        if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                f"y has shape {y.shape} and dtype {y.dtype}; loss='softmax_xent' "
                f"expects integer labels of shape ({x.shape[0]},)"
            )
        if y.size and (y.min() < 0 or y.max() >= d_out):
            raise ValueError(
                f"labels range over [{y.min()}, {y.max()}]; the network has "
                f"{d_out} classes, so labels must lie in [0, {d_out})"
            )


def _forward(weights, biases, x, activation):
    """Pre-activations z_1..z_L and layer inputs h_0 = x, h_1, ..., h_{L-1}."""
    hidden, pre_activations = [np.asarray(x, dtype=weights[0].dtype)], []
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        z = hidden[-1] @ w + b[:, None, :]
        pre_activations.append(z)
        if layer < len(weights):
            hidden.append(np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0))
    return pre_activations, hidden


def _activation_slope(z, h, activation):
    if activation == "tanh":
        return 1.0 - h * h
    return (z > 0).astype(z.dtype)


def _loss_and_output_grad(z, y, loss: str, need_grad: bool):
    """Losses (N,) and ∂loss/∂z of the output pre-activations z (N, B, d_out)."""
    batch = z.shape[1]
    if loss == "mse":
        residual = z - y
        losses = np.mean(residual * residual, axis=(1, 2))
        return losses, (2.0 / residual[0].size) * residual if need_grad else None
    shifted = z - z.max(axis=2, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    log_probs = shifted - log_norm
    rows = np.arange(batch)
    losses = -log_probs[:, rows, y].mean(axis=1)
    if not need_grad:
        return losses, None
    delta = np.exp(log_probs)
    delta[:, rows, y] -= 1.0
    return losses, delta / batch


# -- training ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What :func:`train` records.

    Attributes
    ----------
    losses : ndarray, shape (steps, N)
        ``losses[t - 1, n]``: grid member n's loss on the minibatch of step t, computed with
        θ_{t-1} (before the update of step t). NaN from the step at which the member diverged.
    diverged_at : ndarray of int, shape (N,)
        The 1-based step at which member n's loss or gradient first became non-finite (or
        exceeded ``max_loss``); 0 for a member that never diverged. A diverged member is frozen:
        its parameters and moments stay as they were before that step.
    params : dict of str to ndarray
        The parameters after the last step.
    state : dict
        The optimizer state (:func:`adamlib.reference.init`'s structure) after the last step.
    """

    losses: np.ndarray
    diverged_at: np.ndarray
    params: dict
    state: dict

    @property
    def diverged(self) -> np.ndarray:
        """Boolean mask (N,) of the members that diverged."""
        return self.diverged_at > 0


def minibatch_indices(n_samples: int, batch_size: int, steps: int, seed: int) -> np.ndarray:
    """The sample indices of each step's minibatch, shape ``(steps, batch_size)``.

    Epochs of a seeded random permutation, cut into consecutive batches (an epoch's last,
    incomplete batch is completed from the next permutation); the same indices for every grid
    member. Parameters as in :func:`train`.
    """
    _check_int("n_samples", n_samples, minimum=1)
    _check_int("batch_size", batch_size, minimum=1)
    _check_int("steps", steps, minimum=0)
    if batch_size > n_samples:
        raise ValueError(
            f"batch_size={batch_size} is not allowed: the dataset has only {n_samples} samples"
        )
    rng = np.random.default_rng(seed)
    needed = steps * batch_size
    epochs = -(-needed // n_samples)
    order = (
        np.concatenate([rng.permutation(n_samples) for _ in range(epochs)])
        if epochs
        else (np.zeros(0, dtype=np.int64))
    )
    return order[:needed].reshape(steps, batch_size)


def train(
    params: dict[str, np.ndarray],
    config: AdamConfig,
    data: tuple[np.ndarray, np.ndarray],
    steps: int,
    batch_size: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
    loss: str = "mse",
    activation: str = "tanh",
    max_loss: float | None = None,
) -> History:
    """Train every grid member with :func:`adamlib.reference.step` on seeded minibatches.

    Parameters
    ----------
    params : dict of str to ndarray
        Initial parameters from :func:`mlp_init`, with grid axis N. If ``config`` has array
        hyperparameters they must have shape ``(N,)``: member n trains with the n-th values.
    config : AdamConfig
        The optimizer; ``config.nonfinite_grad`` is irrelevant here because a member whose
        gradient is non-finite is frozen (see ``History.diverged_at``) instead.
    data : (x, y)
        The training set, ``x`` of shape ``(n_samples, d_in)``; ``y`` as in
        :func:`mlp_loss_and_grads` (``(x, x)`` for an autoencoder).
    steps : int
        Number of optimizer steps, ``>= 0``.
    batch_size : int
        Minibatch size, ``1 <= batch_size <= n_samples``.
    seed : int
        Seed of the minibatch order (:func:`minibatch_indices`), the same for every member.
    progress : callable, optional
        ``progress(t, steps)`` is called after each step t.
    loss, activation : str
        As in :func:`mlp_loss_and_grads`.
    max_loss : float, optional
        A member whose minibatch loss exceeds this is treated as diverged (frozen) too.

    Returns
    -------
    History
        Per-step minibatch losses, the step at which each member diverged, final params/state.
    """
    x, y = data
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or len(y) != len(x):
        raise ValueError(
            f"data has x of shape {x.shape} and y of shape {y.shape}: give x of "
            "shape (n_samples, d_in) and y with n_samples rows"
        )
    if max_loss is not None and not max_loss > 0:
        raise ValueError(f"max_loss={max_loss!r} is not allowed: give a number > 0 or None")
    batches = minibatch_indices(len(x), batch_size, steps, seed)
    grid = _layers(params)[0][0].shape[0]
    state = reference.init(params, config)
    losses = np.full((steps, grid), np.nan)
    diverged_at = np.zeros(grid, dtype=np.int64)
    for t, batch in enumerate(batches, start=1):
        batch_losses, grads = mlp_loss_and_grads(params, x[batch], y[batch], loss, activation)
        finite = np.isfinite(batch_losses)
        for g in grads.values():
            finite &= np.isfinite(g).reshape(grid, -1).all(axis=1)
        healthy = finite & (batch_losses <= max_loss) if max_loss is not None else finite
        diverged_at[(diverged_at == 0) & ~healthy] = t
        alive = diverged_at == 0
        losses[t - 1, alive] = batch_losses[alive]
        if alive.all():
            new_params, state = reference.step(params, grads, state, config)
            params = cast(dict, new_params)
        else:
            grads = {name: np.where(_along_grid(alive, g), g, 0.0) for name, g in grads.items()}
            # A frozen member may hold non-finite parameters; its discarded update must not warn.
            with np.errstate(over="ignore", invalid="ignore"):
                new_params, new_state = reference.step(params, grads, state, config)
            params = _keep_frozen(alive, cast(dict, new_params), params)
            state = {
                key: (_keep_frozen(alive, value, state[key]) if key != "step" else value)
                for key, value in new_state.items()
            }
        if progress is not None:
            progress(t, steps)
    return History(losses=losses, diverged_at=diverged_at, params=params, state=state)


def _along_grid(mask: np.ndarray, array: np.ndarray) -> np.ndarray:
    return mask.reshape((-1,) + (1,) * (array.ndim - 1))


def _keep_frozen(alive, new: dict, old: dict) -> dict:
    return {name: np.where(_along_grid(alive, new[name]), new[name], old[name]) for name in new}


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r} is not allowed: {name} must be an integer >= {minimum}")


# -- data --------------------------------------------------------------------------------------


def make_low_rank(
    n_samples: int,
    dim: int,
    rank: int,
    noise: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Data near a random ``rank``-dimensional subspace of R^dim, for autoencoders.

    x = √(dim/rank) · z Aᵀ + noise · e, with z ~ N(0, I_rank), e ~ N(0, I_dim) and A a random
    (dim, rank) matrix with orthonormal columns: the signal spans ``rank`` directions and has an
    average variance of 1 per coordinate; the noise adds ``noise²`` to every coordinate.

    Parameters
    ----------
    n_samples, dim, rank : int
        Shape ``(n_samples, dim)`` of the result; ``1 <= rank <= dim``.
    noise : float
        Standard deviation of the isotropic noise added to every coordinate, ``>= 0``.
    seed : int
        Seed of the generator: equal seeds give equal data.

    Returns
    -------
    ndarray, shape (n_samples, dim), float64
    """
    _check_int("n_samples", n_samples, minimum=1)
    _check_int("dim", dim, minimum=1)
    _check_int("rank", rank, minimum=1)
    if rank > dim:
        raise ValueError(f"rank={rank} is not allowed: rank must be <= dim={dim}")
    if not noise >= 0:
        raise ValueError(f"noise={noise!r} is not allowed: noise must be a number >= 0")
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, rank)))
    codes = rng.standard_normal((n_samples, rank))
    signal = np.sqrt(dim / rank) * codes @ basis.T
    return signal + noise * rng.standard_normal((n_samples, dim))


def make_digits_like(
    n_samples: int,
    seed: int = 0,
    side: int = 8,
    n_classes: int = 10,
    noise: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Small grey-level images in ``n_classes`` classes, a stand-in for 8×8 digits.

    Each class has a template: a random smooth blob pattern on a ``side × side`` grid scaled to
    [0, 1]. A sample is its class template shifted by up to one pixel in each direction, plus
    Gaussian pixel noise, clipped to [0, 1]. These are not handwritten digits; they only share
    their format (flattened images in [0, 1] with a label), which is all the experiments need.

    Parameters
    ----------
    n_samples : int
        Number of images, ``>= 1``; labels cycle through the classes in a random order.
    seed : int
        Seed of the generator (templates, shifts, noise, label order).
    side : int
        Image side in pixels, ``>= 3``.
    n_classes : int
        Number of classes, ``>= 2``.
    noise : float
        Standard deviation of the pixel noise, ``>= 0``.

    Returns
    -------
    x : ndarray, shape (n_samples, side * side), float64 in [0, 1]
    labels : ndarray of int64, shape (n_samples,)
    """
    _check_int("n_samples", n_samples, minimum=1)
    _check_int("side", side, minimum=3)
    _check_int("n_classes", n_classes, minimum=2)
    if not noise >= 0:
        raise ValueError(f"noise={noise!r} is not allowed: noise must be a number >= 0")
    rng = np.random.default_rng(seed)
    field = rng.standard_normal((n_classes, side, side))
    # Averaging each pixel with its neighbours (periodic) makes strokes rather than salt.
    for _ in range(2):
        field = (
            field
            + np.roll(field, 1, 1)
            + np.roll(field, -1, 1)
            + np.roll(field, 1, 2)
            + np.roll(field, -1, 2)
        ) / 5
    low = field.min(axis=(1, 2), keepdims=True)
    high = field.max(axis=(1, 2), keepdims=True)
    templates = (field - low) / (high - low)
    labels = rng.permutation(np.arange(n_samples) % n_classes)
    shifts = rng.integers(-1, 2, size=(n_samples, 2))
    images = np.stack(
        [
            np.roll(templates[label], tuple(shift), axis=(0, 1))
            for label, shift in zip(labels, shifts)
        ]
    )
    images = np.clip(images + noise * rng.standard_normal(images.shape), 0.0, 1.0)
    return images.reshape(n_samples, side * side), labels.astype(np.int64)
