"""The presets of the frameworks that install from PyPI, against the real frameworks.

torch (``torch.optim``), Keras 3 on its torch backend and optax on jax (CPU, float64 via
``jax_enable_x64``) each run 150 steps of the seeded noisy quadratic of
:mod:`tests.transcriptions.problem` in float64 beside the preset; the trajectories must agree to
``RTOL`` (1e-12 relative). Hyperparameters are chosen so that each switch matters (a large ε,
weight decay, AMSGrad), and each case also runs a preset with one switch flipped, which must
miss the real framework by far more than the tolerance: agreement is evidence, not luck.

The other presets (the papers, TF1, MXNet, BERT, HF, fairseq) cannot be installed here (TF1 and
MXNet are unmaintained, fairseq's fused paths need CUDA and apex); they are checked against
statement-by-statement transcriptions in ``tests/test_adamlib_presets.py``.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest
import torch

from adamlib import reference, variants
from tests.transcriptions.compare import MUTANT_MARGIN, RTOL, deviation
from tests.transcriptions.problem import NoisyQuadratic

STEPS = 150
SHAPES = {"w": (4, 3), "b": (3,)}
HYPER = dict(lr=0.03, betas=(0.8, 0.95), eps=1e-3)


def problem(seed: int) -> NoisyQuadratic:
    return NoisyQuadratic(SHAPES, seed)


def preset_run(name: str, seed: int, **overrides) -> list[dict]:
    config = variants.get(name, **overrides)
    q = problem(seed)
    return reference.trajectory(q.initial(), q.grad, config, STEPS)


def torch_run(cls, seed: int, **kwargs) -> list[dict]:
    q = problem(seed)
    params = {
        n: torch.nn.Parameter(torch.tensor(v, dtype=torch.float64)) for n, v in q.initial().items()
    }
    optimizer = cls(list(params.values()), **kwargs)
    history = [q.initial()]
    for t in range(1, STEPS + 1):
        grads = q.grad(history[-1], t)
        for n, p in params.items():
            p.grad = torch.tensor(grads[n], dtype=torch.float64)
        optimizer.step()
        history.append({n: p.detach().numpy().copy() for n, p in params.items()})
    return history


TORCH_CASES = [
    # (preset, overrides, torch class, torch kwargs, a one-switch mutant of the preset)
    (
        "pytorch-adam",
        dict(HYPER, weight_decay=0.2, amsgrad=True),
        torch.optim.Adam,
        dict(lr=0.03, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2, amsgrad=True),
        {"weight_decay_kind": "decoupled"},
    ),
    (
        "pytorch-adamw",
        dict(HYPER, weight_decay=0.2),
        torch.optim.AdamW,
        dict(lr=0.03, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2),
        {"decay_applies_to": "updated_param"},
    ),
    (
        "pytorch-adamw",
        dict(HYPER, weight_decay=0.2, amsgrad=True),
        torch.optim.AdamW,
        dict(lr=0.03, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2, amsgrad=True),
        {"amsgrad": "max_vhat"},
    ),
    ("pytorch-adam", {}, torch.optim.Adam, {}, {"bias_correction": "folded"}),
]


@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: f"{c[0]} {sorted(c[1])}")
def test_torch_presets_match_torch_optim(case):
    """Catches a PyTorch preset whose ε placement, decay kind/order or AMSGrad form differs
    from torch.optim (the installed torch, float64)."""
    name, overrides, cls, kwargs, mutant = case
    expected = torch_run(cls, 41, **kwargs)
    assert deviation(preset_run(name, 41, **overrides), expected) <= RTOL
    assert deviation(preset_run(name, 41, **{**overrides, **mutant}), expected) > MUTANT_MARGIN


def keras_run(make, seed: int) -> list[dict]:
    import keras

    keras.config.set_floatx("float64")  # the optimizer's lr, betas and step count too
    q = problem(seed)
    variables = {n: keras.Variable(v, dtype="float64", name=n) for n, v in q.initial().items()}
    optimizer = make(keras)
    history = [q.initial()]
    for t in range(1, STEPS + 1):
        grads = q.grad(history[-1], t)
        optimizer.apply(
            [keras.ops.convert_to_tensor(grads[n]) for n in variables], list(variables.values())
        )
        history.append(
            {
                n: np.array(keras.ops.convert_to_numpy(v), dtype=np.float64)
                for n, v in variables.items()
            }
        )
    return history


KERAS_CASES = [
    (
        "keras-adam",
        dict(HYPER, weight_decay=0.2, amsgrad=True),
        lambda k: k.optimizers.Adam(
            learning_rate=0.03,
            beta_1=0.8,
            beta_2=0.95,
            epsilon=1e-3,
            weight_decay=0.2,
            amsgrad=True,
        ),
        {"bias_correction": "explicit"},
    ),
    (
        "keras-adamw",
        dict(HYPER, weight_decay=0.2),
        lambda k: k.optimizers.AdamW(
            learning_rate=0.03, weight_decay=0.2, beta_1=0.8, beta_2=0.95, epsilon=1e-3
        ),
        {"weight_decay_kind": "l2"},
    ),
    ("keras-adamw", {}, lambda k: k.optimizers.AdamW(), {"eps": 1e-8}),
]


@pytest.mark.parametrize("case", KERAS_CASES, ids=lambda c: f"{c[0]} {sorted(c[1])}")
def test_keras_presets_match_keras_on_torch(case):
    """Catches a Keras preset with the wrong ε form (Keras folds the bias correction into the
    learning rate), the wrong default ε (1e-7) or weight decay (AdamW: 0.004), or an L2
    reading of Keras's decoupled weight_decay: Keras 3 itself, torch backend, float64."""
    keras = pytest.importorskip("keras")
    assert keras.backend.backend() == "torch"
    name, overrides, make, mutant = case
    expected = keras_run(make, 42)
    assert deviation(preset_run(name, 42, **overrides), expected) <= RTOL
    assert deviation(preset_run(name, 42, **{**overrides, **mutant}), expected) > MUTANT_MARGIN


def optax_run(make, seed: int) -> list[dict]:
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_enable_x64", True)
    q = problem(seed)
    params = {n: jnp.asarray(v, dtype=jnp.float64) for n, v in q.initial().items()}
    optimizer = make(optax)
    state = optimizer.init(params)
    history = [q.initial()]
    for t in range(1, STEPS + 1):
        grads = {n: jnp.asarray(g) for n, g in q.grad(history[-1], t).items()}
        updates, state = optimizer.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        history.append({n: np.asarray(v, dtype=np.float64) for n, v in params.items()})
    return history


OPTAX_CASES = [
    (
        "optax-adam",
        dict(HYPER, eps_root=1e-4),
        lambda o: o.adam(0.03, b1=0.8, b2=0.95, eps=1e-3, eps_root=1e-4),
        {"eps_root": 0.0},
    ),
    (
        "optax-adamw",
        dict(HYPER, weight_decay=0.2),
        lambda o: o.adamw(0.03, b1=0.8, b2=0.95, eps=1e-3, weight_decay=0.2),
        {"decay_multiplier": "schedule"},
    ),
    (
        "optax-amsgrad",
        HYPER,
        lambda o: o.amsgrad(0.03, b1=0.8, b2=0.95, eps=1e-3),
        {"amsgrad": "max_v"},
    ),
    ("optax-adamw", {}, lambda o: o.adamw(1e-3), {"weight_decay": 0.0}),
]


@pytest.mark.parametrize("case", OPTAX_CASES, ids=lambda c: f"{c[0]} {sorted(c[1])}")
def test_optax_presets_match_optax(case):
    """Catches an optax preset with eps_root in the wrong place, a decay not multiplied by the
    learning rate, AMSGrad over the raw v instead of v̂, or the wrong default weight decay
    (1e-4): optax itself on jax CPU, float64."""
    pytest.importorskip("optax")
    name, overrides, make, mutant = case
    expected = optax_run(make, 43)
    assert deviation(preset_run(name, 43, **overrides), expected) <= RTOL
    assert deviation(preset_run(name, 43, **{**overrides, **mutant}), expected) > MUTANT_MARGIN
