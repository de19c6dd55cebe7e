"""adamlib.models: exact gradients, grid independence, the training loop, the datasets.

Expected values come from finite differences, from training each grid member on its own with a
scalar config, or from the datasets' stated properties; never from the function under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from adamlib import AdamConfig, models, reference

LAYERS = (5, 4, 3, 5)


def _random_params(seed: int, grid: int = 3) -> dict[str, np.ndarray]:
    """mlp_init weights with random (non-zero) biases, so that no ReLU sits exactly at its kink."""
    params = models.mlp_init(LAYERS, grid, list(range(seed, seed + grid)))
    rng = np.random.default_rng(seed + 100)
    return {
        k: v + 0.3 * rng.standard_normal(v.shape) if k.endswith("bias") else v
        for k, v in params.items()
    }


def _batch(loss: str, rng: np.random.Generator):
    x = rng.standard_normal((7, LAYERS[0]))
    y = rng.standard_normal((7, LAYERS[-1])) if loss == "mse" else rng.integers(0, LAYERS[-1], 7)
    return x, y


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
@pytest.mark.parametrize("loss", models.LOSSES)
def test_gradients_match_central_differences(loss, activation):
    """Catches a wrong backward pass: a missing activation slope, a transposed weight, a bias
    gradient summed over the wrong axis, a loss normalised differently from its gradient."""
    params = _random_params(0)
    x, y = _batch(loss, np.random.default_rng(1))
    _, grads = models.mlp_loss_and_grads(params, x, y, loss, activation)
    h = 1e-6
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[name][index] += h
            up = models.mlp_loss(shifted, x, y, loss, activation)[index[0]]
            shifted[name][index] -= 2 * h
            down = models.mlp_loss(shifted, x, y, loss, activation)[index[0]]
            numeric[index] = (up - down) / (2 * h)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("loss", models.LOSSES)
def test_grid_members_are_independent(loss):
    """Catches mixing along the grid axis (e.g. a mean over members instead of over the batch):
    member n's loss and gradient must equal those of a grid of one holding member n alone."""
    params = _random_params(5)
    x, y = _batch(loss, np.random.default_rng(2))
    losses, grads = models.mlp_loss_and_grads(params, x, y, loss)
    for n in range(3):
        alone = {k: v[n : n + 1] for k, v in params.items()}
        loss_n, grads_n = models.mlp_loss_and_grads(alone, x, y, loss)
        assert losses[n] == pytest.approx(loss_n[0], rel=1e-12)
        for name in params:
            np.testing.assert_allclose(grads[name][n], grads_n[name][0], rtol=1e-12)


def test_losses_match_their_definitions():
    """Catches a loss that is summed instead of averaged, or a cross-entropy without the
    log-normaliser: both losses are recomputed here from a plain forward pass."""
    params = _random_params(3, grid=1)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, LAYERS[0]))
    h = x
    for layer in (1, 2):
        h = np.tanh(h @ params[f"layer{layer}.weight"][0] + params[f"layer{layer}.bias"][0])
    out = h @ params["layer3.weight"][0] + params["layer3.bias"][0]
    target = rng.standard_normal(out.shape)
    labels = np.array([0, 1, 2, 3, 4, 0])
    assert models.mlp_loss(params, x, target, "mse")[0] == pytest.approx(
        np.mean((out - target) ** 2), rel=1e-12
    )
    log_probs = out - np.log(np.exp(out).sum(axis=1, keepdims=True))
    assert models.mlp_loss(params, x, labels, "softmax_xent")[0] == pytest.approx(
        -np.mean(log_probs[np.arange(6), labels]), rel=1e-12
    )


def test_softmax_loss_is_invariant_to_shifting_the_logits():
    """Catches an unshifted softmax (exp of large logits overflows): adding 1000 to every output
    bias shifts every logit by 1000, which leaves the log-softmax, so the loss and every
    gradient, unchanged (exactly, in exact arithmetic)."""
    params = _random_params(6)
    x, y = _batch("softmax_xent", np.random.default_rng(7))
    shifted = dict(params, **{"layer3.bias": params["layer3.bias"] + 1000.0})
    losses, grads = models.mlp_loss_and_grads(params, x, y, "softmax_xent")
    shifted_losses, shifted_grads = models.mlp_loss_and_grads(shifted, x, y, "softmax_xent")
    np.testing.assert_allclose(shifted_losses, losses, rtol=1e-9)
    np.testing.assert_allclose(models.mlp_loss(shifted, x, y, "softmax_xent"), losses, rtol=1e-9)
    for name in params:
        np.testing.assert_allclose(shifted_grads[name], grads[name], rtol=1e-7, atol=1e-12)


def test_init_shapes_scaling_and_seeds():
    """Catches swapped fan_in/fan_out, members that differ under one seed (a grid would then
    compare initialisations, not hyperparameters), and per-member seeds that are ignored."""
    params = models.mlp_init((64, 32, 64), 4, seed=0)
    assert [(k, v.shape) for k, v in params.items()] == [
        ("layer1.weight", (4, 64, 32)),
        ("layer1.bias", (4, 32)),
        ("layer2.weight", (4, 32, 64)),
        ("layer2.bias", (4, 64)),
    ]
    assert all(np.array_equal(v[0], v[n]) for v in params.values() for n in range(4))
    assert np.std(params["layer1.weight"]) == pytest.approx(1 / np.sqrt(64), rel=0.05)
    per_member = models.mlp_init((64, 32, 64), 2, seed=[0, 1])
    np.testing.assert_array_equal(per_member["layer1.weight"][0], params["layer1.weight"][0])
    assert not np.allclose(per_member["layer1.weight"][1], per_member["layer1.weight"][0])


def test_minibatches_are_epochs_of_permutations():
    """Catches sampling with replacement or a seed that is ignored: every epoch visits each
    sample once, and the order depends on the seed only."""
    batches = models.minibatch_indices(10, 4, 5, seed=3)
    assert batches.shape == (5, 4)
    flat = batches.ravel()
    assert sorted(flat[:10]) == list(range(10)) and sorted(flat[10:20]) == list(range(10))
    # Each epoch is a fresh permutation: one permutation repeated is not a shuffle.
    assert not np.array_equal(flat[:10], flat[10:20])
    np.testing.assert_array_equal(batches, models.minibatch_indices(10, 4, 5, seed=3))
    assert not np.array_equal(batches, models.minibatch_indices(10, 4, 5, seed=4))


def _config_grid(**switches):
    lrs = np.array([1e-3, 3e-2, 1e-1])
    beta2s = np.array([0.9, 0.99, 0.999])
    return lrs, beta2s, AdamConfig(lr=lrs, betas=(0.9, beta2s), bias_correction="none", **switches)


def test_grid_training_equals_training_each_member_alone():
    """Catches a grid whose hyperparameters are applied to the wrong members, batches that
    differ between members, or a step counter that advances per member: one batched run must
    reproduce N separate runs with scalar configs and the same minibatch seed."""
    x = models.make_low_rank(64, 6, 2, noise=0.1, seed=0)
    lrs, beta2s, config = _config_grid()
    params = models.mlp_init((6, 3, 6), 3, seed=7)
    history = models.train(params, config, (x, x), steps=25, batch_size=16, seed=11)
    for n in range(3):
        alone = {k: v[n : n + 1] for k, v in params.items()}
        scalar = AdamConfig(lr=lrs[n], betas=(0.9, beta2s[n]), bias_correction="none")
        state = reference.init(alone, scalar)
        for t, batch in enumerate(models.minibatch_indices(64, 16, 25, seed=11), start=1):
            loss, grads = models.mlp_loss_and_grads(alone, x[batch], x[batch])
            assert history.losses[t - 1, n] == pytest.approx(loss[0], rel=1e-10)
            alone, state = reference.step(alone, grads, state, scalar)
        for name in params:
            np.testing.assert_allclose(history.params[name][n], alone[name][0], rtol=1e-10)
    assert not history.diverged.any()


def test_a_diverging_member_is_frozen_and_the_others_continue():
    """Catches a loop that stops (or raises) for the whole grid when one member blows up, and a
    frozen member whose parameters or moments keep moving: member 1 starts with an infinite
    weight, so it diverges at step 1 and must keep its initial parameters and zero moments,
    while members 0 and 2 train as if alone. The L2 term makes the check bite: it gives the
    frozen member's zeroed gradient a non-zero part λ'θ, so an update that is not discarded
    moves its parameters and moments (with λ' = 0 they would stay put anyway)."""
    x = models.make_low_rank(64, 6, 2, noise=0.1, seed=0)
    _, _, config = _config_grid(weight_decay=0.1)
    params = models.mlp_init((6, 3, 6), 3, seed=7)
    params["layer2.weight"][1, 0, 0] = np.inf
    history = models.train(params, config, (x, x), steps=10, batch_size=16, seed=11)
    np.testing.assert_array_equal(history.diverged_at, [0, 1, 0])
    assert np.isnan(history.losses[:, 1]).all()
    for name in params:
        np.testing.assert_array_equal(history.params[name][1], params[name][1])
        np.testing.assert_array_equal(history.state["m"][name][1], 0.0)
        np.testing.assert_array_equal(history.state["v"][name][1], 0.0)
    assert history.state["step"] == 10
    healthy = {k: v.copy() for k, v in params.items()}
    healthy["layer2.weight"][1] = healthy["layer2.weight"][0]
    reference_run = models.train(healthy, config, (x, x), steps=10, batch_size=16, seed=11)
    for name in params:
        np.testing.assert_allclose(
            history.params[name][[0, 2]], reference_run.params[name][[0, 2]], rtol=1e-12
        )


def test_max_loss_freezes_at_the_step_it_is_exceeded():
    """Catches an off-by-one in ``diverged_at`` or an update applied on the diverging step: the
    frozen parameters must be those after ``diverged_at - 1`` steps."""
    x = models.make_low_rank(64, 6, 2, noise=0.1, seed=0)
    _, _, config = _config_grid()
    params = models.mlp_init((6, 3, 6), 3, seed=7)
    free = models.train(params, config, (x, x), steps=30, batch_size=16, seed=11)
    threshold = float(np.nanmedian(free.losses[:, 2]))
    capped = models.train(
        params, config, (x, x), steps=30, batch_size=16, seed=11, max_loss=threshold
    )
    for n in range(3):
        above = np.flatnonzero(free.losses[:, n] > threshold)
        expected = above[0] + 1 if above.size else 0
        assert capped.diverged_at[n] == expected
        if expected:
            shorter = models.train(
                params, config, (x, x), steps=int(expected) - 1, batch_size=16, seed=11
            )
            for name in params:
                np.testing.assert_array_equal(capped.params[name][n], shorter.params[name][n])
    assert capped.diverged.any()


def test_low_rank_data_has_the_stated_rank_and_scale():
    """Catches a dataset whose signal is not low-rank or not unit-scaled as documented."""
    x = models.make_low_rank(2000, 20, 3, noise=0.0, seed=1)
    singular = np.linalg.svd(x, compute_uv=False)
    assert singular[3] < 1e-10 * singular[0]
    assert np.mean(x * x) == pytest.approx(1.0, rel=0.05)
    np.testing.assert_array_equal(x, models.make_low_rank(2000, 20, 3, noise=0.0, seed=1))
    noisy = models.make_low_rank(2000, 20, 3, noise=0.5, seed=1)
    assert np.mean(noisy * noisy) == pytest.approx(1.25, rel=0.05)


def test_digits_like_data_is_balanced_bounded_and_learnable():
    """Catches labels unrelated to the images (a nearest-template classifier would then be at
    chance) and images outside [0, 1]."""
    x, labels = models.make_digits_like(300, seed=0)
    assert x.shape == (300, 64) and labels.dtype == np.int64
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert np.bincount(labels).tolist() == [30] * 10
    means = np.stack([x[labels == c].mean(axis=0) for c in range(10)])
    nearest = np.argmin(((x[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == labels) > 0.9


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: models.mlp_init((4,), 2, 0), "layer_sizes"),
        (lambda: models.mlp_init((4, 2), 0, 0), "grid_size"),
        (lambda: models.mlp_init((4, 2), 2, [0, 1, 2]), "seed"),
        (
            lambda: models.mlp_loss(
                models.mlp_init((4, 2), 1, 0), np.zeros((3, 4)), np.zeros((3, 2)), loss="l1"
            ),
            "loss",
        ),
        (
            lambda: models.mlp_loss(
                models.mlp_init((4, 2), 1, 0), np.zeros((3, 5)), np.zeros((3, 2))
            ),
            "x has shape",
        ),
        (
            lambda: models.mlp_loss(
                models.mlp_init((4, 2), 1, 0),
                np.zeros((3, 4)),
                np.array([0, 1, 2]),
                loss="softmax_xent",
            ),
            "labels",
        ),
        (lambda: models.minibatch_indices(5, 6, 1, 0), "batch_size"),
        (lambda: models.make_low_rank(10, 3, 4), "rank"),
    ],
)
def test_bad_arguments_are_rejected_by_name(call, message):
    """Catches silent acceptance of arguments that would give wrong shapes or meaningless runs."""
    with pytest.raises(ValueError, match=message):
        call()
