"""Every preset against a literal transcription of the code or paper it cites.

The expected trajectories come from :mod:`tests.transcriptions` (NumPy rewrites of the cited
sources, statement by statement, independent of adamlib); adamlib only produces the actual ones.
Both sides see the same seeded noisy-quadratic gradients (which depend on the parameters, so a
difference feeds back) for 120 steps in float64, with hyperparameters chosen so that every
switch a preset sets changes the trajectory: a large ε (ε placement matters), weight decay of
both kinds, rescale_grad ≠ 1 and clipping that cuts some coordinates (MXNet), AMSGrad where the
framework has it, and a learning-rate schedule read at each framework's own step index.
``test_each_case_notices_every_switch_it_relies_on`` checks that last claim: flipping any one of
those switches moves adamlib's trajectory a thousand times further than the tolerance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from adamlib import AdamConfigError, variants
from tests import helpers
from tests.transcriptions import (
    at_defaults,
    bert,
    fairseq,
    hf,
    keras,
    mxnet,
    optax,
    papers,
    seed_post,
    tf1,
)
from tests.transcriptions.compare import MUTANT_MARGIN, RTOL, deviation
from tests.transcriptions.problem import NoisyQuadratic
from tests.transcriptions.shims import Parameter, Variable

STEPS = 120
SHAPES = {"w": (4, 3), "b": (3,)}
VECTOR = {"theta": (12,)}
BERT_SHAPES = {
    "bert/encoder/layer_0/attention/self/query/kernel:0": (4, 3),
    "bert/encoder/layer_0/attention/self/query/bias:0": (3,),
    "bert/encoder/layer_0/attention/output/LayerNorm/gamma:0": (3,),
    "cls/predictions/output_bias:0": (5,),
    "bert/embeddings/word_embeddings:0": (6, 2),
}
BERT_DECAYED = {
    "bert/encoder/layer_0/attention/self/query/kernel:0",
    "bert/embeddings/word_embeddings:0",
}


def multiplier(index: int) -> float:
    """A warmup-then-cosine learning-rate multiplier of a framework's own step index: it
    changes at every step, so reading it one step early or late changes the trajectory."""
    return min(1.0, (index + 1) / 10) * 0.5 * (1 + math.cos(math.pi * index / 300))


def eta_zero_based(t: int) -> float:
    """η_t for a framework whose first update reads its schedule at index 0."""
    return multiplier(t - 1)


def eta_one_based(t: int) -> float:
    """η_t for a framework whose first update reads its schedule at index 1 (MXNet)."""
    return multiplier(t)


# -- running both sides ----------------------------------------------------------------------


def reference_trajectory(config, problem: NoisyQuadratic, steps: int = STEPS) -> list[dict]:
    return helpers.reference_trajectory(config, problem, steps)


def vector_run(make_step: Callable) -> Callable:
    """Driver for transcriptions that update one parameter vector: ``theta = step(theta, g)``."""

    def run(problem: NoisyQuadratic) -> list[dict]:
        step = make_step()
        params = problem.initial()
        history = [params]
        for t in range(1, STEPS + 1):
            params = {"theta": step(params["theta"], problem.grad(params, t)["theta"])}
            history.append(params)
        return history

    return run


def snapshot(arrays: dict) -> dict:
    return {n: np.array(v, dtype=np.float64) for n, v in arrays.items()}


@dataclass
class Case:
    """One transcription, the preset config claimed to match it, and the config changes
    (one switch each) that must not match it."""

    name: str
    seed: int
    shapes: dict
    transcription: Callable[[NoisyQuadratic], list[dict]]
    preset: str
    overrides: dict
    mutants: dict[str, dict] = field(default_factory=dict)

    def problem(self) -> NoisyQuadratic:
        return NoisyQuadratic(self.shapes, self.seed)


# -- drivers, one per framework API ----------------------------------------------------------
# Keras and MXNet are driven exactly as in tests/transcriptions/at_defaults.py, for STEPS steps.


def _for_steps(driver: Callable) -> Callable:
    return lambda make: lambda problem: driver(make)(problem, STEPS)


keras_run = _for_steps(at_defaults.keras_driver)
mxnet1_run = _for_steps(at_defaults.mxnet1_driver)
mxnet2_run = _for_steps(at_defaults.mxnet2_driver)


def optax_run(make) -> Callable:
    def run(problem):
        opt = make()
        params = problem.initial()
        state = opt.init(params)
        history = [params]
        for t in range(1, STEPS + 1):
            updates, state = opt.update(problem.grad(params, t), state, params)
            params = optax.apply_updates(params, updates)
            history.append(params)
        return history

    return run


def bert_run(make) -> Callable:
    def run(problem):
        opt = make()
        variables = [Variable(v, n) for n, v in problem.initial().items()]
        history = [snapshot({v.name: v for v in variables})]
        global_step = 0
        for t in range(1, STEPS + 1):
            grads = problem.grad(history[-1], t)
            opt.apply_gradients(
                zip([grads[v.name] for v in variables], variables), global_step=global_step
            )
            global_step = global_step + 1  # create_optimizer's step_update
            history.append(snapshot({v.name: v for v in variables}))
        return history

    return run


def tf1_run(make, sparse: bool = False) -> Callable:
    def run(problem):
        opt = make()
        variables = problem.initial()
        history = [snapshot(variables)]
        for t in range(1, STEPS + 1):
            grads = problem.grad(variables, t)
            opt.apply_gradients([(grads[n], variables[n]) for n in variables], sparse=sparse)
            history.append(snapshot(variables))
        return history

    return run


def torch_style_run(make, lr_schedule: Callable[[int], float] | None = None) -> Callable:
    """Driver for PyTorch-style optimizers; ``lr_schedule(t)`` sets every group's lr before
    step t, as a LambdaLR stepped after each optimizer step does (base lr × f(t − 1))."""

    def run(problem):
        params = [Parameter(v, n) for n, v in problem.initial().items()]
        opt = make(params)
        base_lrs = [group["lr"] for group in opt.param_groups]
        history = [snapshot({p.name: p.data for p in params})]
        for t in range(1, STEPS + 1):
            grads = problem.grad(history[-1], t)
            for p in params:
                p.grad = grads[p.name]
            if lr_schedule is not None:
                for group, base_lr in zip(opt.param_groups, base_lrs):
                    group["lr"] = base_lr * lr_schedule(t)
            opt.step()
            history.append(snapshot({p.name: p.data for p in params}))
        return history

    return run


def _optax_amsgradw(learning_rate, b1, b2, eps, eps_root, weight_decay):
    """optax has no amsgrad flag on adamw; the same chain as ``optax.adamw`` with
    ``scale_by_amsgrad`` in place of ``scale_by_adam`` is what ``amsgrad=True`` claims."""
    return optax.chain(
        optax.scale_by_amsgrad(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
        optax.add_decayed_weights(weight_decay),
        optax.scale_by_learning_rate(learning_rate),
    )


def _keras_adam_excluding_biases():
    opt = keras.Adam(
        learning_rate=lambda step: 0.03 * multiplier(step),
        beta_1=0.8,
        beta_2=0.95,
        epsilon=1e-3,
        amsgrad=True,
        weight_decay=0.2,
    )
    opt.exclude_from_weight_decay(var_names=["b"])
    return opt


MX = dict(rescale_grad=0.5, clip_gradient=1.5)
"""MXNet gradient preprocessing for the comparisons: halve, then clip (cuts some coordinates)."""
ADAM_HYPER = dict(lr=0.03, betas=(0.8, 0.95), eps=1e-3)
OFF_BY_ONE = {"schedule_multiplier": eta_one_based}
ONE_EARLY = {"schedule_multiplier": eta_zero_based}

CASES = [
    # The seed post's three code blocks.
    Case(
        "seed block 1: MXNet Adam with wd",
        1,
        VECTOR,
        vector_run(
            lambda: (
                seed_post.MXNetAdamWithWeightDecay(
                    learning_rate=0.03, beta1=0.8, beta2=0.95, epsilon=1e-3, wd=0.3, **MX
                ).step
            )
        ),
        "mxnet2-adam",
        dict(ADAM_HYPER, weight_decay=0.3, **MX),
        {
            "l2 before clip": {"l2_clip_order": "l2_then_clip"},
            "explicit bias correction": {"bias_correction": "explicit"},
            "no rescale": {"rescale_grad": 1.0},
            "no clip": {"clip_gradient": None},
            "decoupled decay": {"weight_decay_kind": "decoupled"},
        },
    ),
    Case(
        "seed block 2: MXNet AdamW",
        2,
        VECTOR,
        vector_run(
            lambda: (
                seed_post.MXNetAdamW(
                    learning_rate=0.03, beta1=0.8, beta2=0.95, epsilon=1e-3, wd=0.3, **MX
                ).step
            )
        ),
        "mxnet2-adamw",
        dict(ADAM_HYPER, weight_decay=0.3, **MX),
        {
            "decay × lr": {"decay_multiplier": "lr"},
            "decay of the updated w": {"decay_applies_to": "updated_param"},
            "L2": {"weight_decay_kind": "l2"},
            "no clip": {"clip_gradient": None},
            "explicit bias correction": {"bias_correction": "explicit"},
        },
    ),
    Case(
        "seed block 3: BERT without bias correction",
        3,
        VECTOR,
        vector_run(
            lambda: (
                seed_post.AdamWithoutBiasCorrection(
                    learning_rate=0.03, beta1=0.8, beta2=0.95, epsilon=1e-3, wd=0.3, **MX
                ).step
            )
        ),
        "bert-adamweightdecay",
        dict(ADAM_HYPER, weight_decay=0.3, **MX),
        {
            "folded bias correction": {"bias_correction": "folded"},
            "decay × bias-corrected lr": {"decay_multiplier": "bias_corrected_lr"},
            "no rescale": {"rescale_grad": 1.0},
        },
    ),
    # The papers.
    Case(
        "Kingma & Ba, Algorithm 1",
        4,
        VECTOR,
        vector_run(
            lambda: papers.KingmaBaAlgorithm1(alpha=0.03, beta1=0.8, beta2=0.95, epsilon=1e-3).step
        ),
        "paper-adam",
        ADAM_HYPER,
        {
            "ε̂ form": {"bias_correction": "folded"},
            "no bias correction": {"bias_correction": "none"},
            "eps inside the root": {"eps": 0.0, "eps_root": 1e-6},
        },
    ),
    Case(
        "Kingma & Ba, Section 2 remark (ε̂)",
        5,
        VECTOR,
        vector_run(
            lambda: (
                papers.KingmaBaEpsilonHat(alpha=0.03, beta1=0.8, beta2=0.95, epsilon_hat=1e-3).step
            )
        ),
        "paper-adam-epshat",
        ADAM_HYPER,
        {"explicit": {"bias_correction": "explicit"}},
    ),
    Case(
        "Loshchilov & Hutter, Algorithm 2, AdamW (line 12)",
        6,
        VECTOR,
        vector_run(
            lambda: (
                papers.LoshchilovHutterAlgorithm2(
                    lam=0.01,
                    SetScheduleMultiplier=eta_zero_based,
                    variant="adamw",
                    alpha=0.03,
                    beta1=0.8,
                    beta2=0.95,
                    epsilon=1e-3,
                ).step
            )
        ),
        "paper-adamw",
        dict(ADAM_HYPER, weight_decay=0.01, schedule_multiplier=eta_zero_based),
        {
            "decay × lr": {"decay_multiplier": "lr"},
            "L2": {"weight_decay_kind": "l2"},
            "η read one step late": OFF_BY_ONE,
            "ε̂ form": {"bias_correction": "folded"},
        },
    ),
    Case(
        "Loshchilov & Hutter, Algorithm 2, L2 (line 6)",
        7,
        VECTOR,
        vector_run(
            lambda: (
                papers.LoshchilovHutterAlgorithm2(
                    lam=0.3,
                    SetScheduleMultiplier=eta_zero_based,
                    variant="l2",
                    alpha=0.03,
                    beta1=0.8,
                    beta2=0.95,
                    epsilon=1e-3,
                ).step
            )
        ),
        "paper-adam",
        dict(
            ADAM_HYPER, weight_decay=0.3, weight_decay_kind="l2", schedule_multiplier=eta_zero_based
        ),
        {"decoupled": {"weight_decay_kind": "decoupled"}, "η read one step late": OFF_BY_ONE},
    ),
    # Keras 3.
    Case(
        "keras Adam(weight_decay, amsgrad, schedule, excluded names)",
        8,
        SHAPES,
        keras_run(_keras_adam_excluding_biases),
        "keras-adam",
        dict(
            ADAM_HYPER,
            weight_decay=0.2,
            amsgrad=True,
            schedule_multiplier=eta_zero_based,
            exclude_from_weight_decay=("b",),
        ),
        {
            "no amsgrad": {"amsgrad": "off"},
            "L2": {"weight_decay_kind": "l2"},
            "decay after the step": {"decay_applies_to": "updated_param"},
            "explicit": {"bias_correction": "explicit"},
            "schedule one step late": OFF_BY_ONE,
            "nothing excluded": {"exclude_from_weight_decay": ()},
        },
    ),
    Case(
        "keras AdamW",
        9,
        SHAPES,
        keras_run(
            lambda: keras.AdamW(
                learning_rate=0.03, weight_decay=0.2, beta_1=0.8, beta_2=0.95, epsilon=1e-3
            )
        ),
        "keras-adamw",
        dict(ADAM_HYPER, weight_decay=0.2),
        {
            "decay × η only": {"decay_multiplier": "schedule"},
            "decay × bias-corrected lr": {"decay_multiplier": "bias_corrected_lr"},
        },
    ),
    # optax.
    Case(
        "optax adam(schedule, eps_root)",
        10,
        SHAPES,
        optax_run(
            lambda: optax.adam(
                lambda count: 0.03 * multiplier(count), b1=0.8, b2=0.95, eps=1e-3, eps_root=1e-4
            )
        ),
        "optax-adam",
        dict(ADAM_HYPER, eps_root=1e-4, schedule_multiplier=eta_zero_based),
        {
            "no eps_root": {"eps_root": 0.0},
            "schedule one step late": OFF_BY_ONE,
            "ε̂ form": {"bias_correction": "folded"},
        },
    ),
    Case(
        "optax adamw",
        11,
        SHAPES,
        optax_run(
            lambda: optax.adamw(
                lambda count: 0.03 * multiplier(count),
                b1=0.8,
                b2=0.95,
                eps=1e-3,
                eps_root=1e-4,
                weight_decay=0.2,
            )
        ),
        "optax-adamw",
        dict(ADAM_HYPER, eps_root=1e-4, weight_decay=0.2, schedule_multiplier=eta_zero_based),
        {
            "decay × η only": {"decay_multiplier": "schedule"},
            "decay after the step": {"decay_applies_to": "updated_param"},
            "L2": {"weight_decay_kind": "l2"},
        },
    ),
    Case(
        "optax amsgrad",
        12,
        SHAPES,
        optax_run(lambda: optax.amsgrad(0.03, b1=0.8, b2=0.95, eps=1e-3, eps_root=1e-4)),
        "optax-amsgrad",
        dict(ADAM_HYPER, eps_root=1e-4),
        {"max of raw v": {"amsgrad": "max_v"}, "no amsgrad": {"amsgrad": "off"}},
    ),
    Case(
        "optax adam, amsgrad=True (scale_by_amsgrad)",
        13,
        SHAPES,
        optax_run(lambda: optax.amsgrad(0.03, b1=0.8, b2=0.95, eps=1e-3)),
        "optax-adam",
        dict(ADAM_HYPER, amsgrad=True),
        {"max of raw v": {"amsgrad": "max_v"}},
    ),
    Case(
        "optax adamw chain with scale_by_amsgrad, amsgrad=True",
        14,
        SHAPES,
        optax_run(
            lambda: _optax_amsgradw(0.03, b1=0.8, b2=0.95, eps=1e-3, eps_root=0.0, weight_decay=0.2)
        ),
        "optax-adamw",
        dict(ADAM_HYPER, weight_decay=0.2, amsgrad=True),
        {"max of raw v": {"amsgrad": "max_v"}},
    ),
    # MXNet.
    Case(
        "MXNet 1.x Adam (rescale, clip, L2 clipped with the gradient, 1-based schedule)",
        15,
        SHAPES,
        mxnet1_run(
            lambda: mxnet.AdamV1(
                learning_rate=0.03,
                beta1=0.8,
                beta2=0.95,
                epsilon=1e-3,
                wd=0.3,
                lr_scheduler=lambda n: 0.03 * multiplier(n),
                **MX,
            )
        ),
        "mxnet1-adam",
        dict(ADAM_HYPER, weight_decay=0.3, schedule_multiplier=eta_one_based, **MX),
        {
            "L2 after clip": {"l2_clip_order": "clip_then_l2"},
            "schedule one step early": ONE_EARLY,
            "no rescale": {"rescale_grad": 1.0},
            "no clip": {"clip_gradient": None},
            "explicit": {"bias_correction": "explicit"},
        },
    ),
    Case(
        "MXNet 2.0 Adam, fused_step",
        16,
        SHAPES,
        mxnet2_run(
            lambda: mxnet.AdamV2(
                learning_rate=0.03,
                beta1=0.8,
                beta2=0.95,
                epsilon=1e-3,
                wd=0.3,
                lr_scheduler=lambda n: 0.03 * multiplier(n),
                **MX,
            )
        ),
        "mxnet2-adam",
        dict(ADAM_HYPER, weight_decay=0.3, schedule_multiplier=eta_one_based, **MX),
        {"L2 before clip": {"l2_clip_order": "l2_then_clip"}, "schedule one step early": ONE_EARLY},
    ),
    Case(
        "MXNet 2.0 Adam, step (use_fused_step=False)",
        17,
        SHAPES,
        mxnet2_run(
            lambda: mxnet.AdamV2(
                learning_rate=0.03,
                beta1=0.8,
                beta2=0.95,
                epsilon=1e-3,
                wd=0.3,
                use_fused_step=False,
                **MX,
            )
        ),
        "mxnet2-adam",
        dict(ADAM_HYPER, weight_decay=0.3, **MX),
        {"L2 before clip": {"l2_clip_order": "l2_then_clip"}},
    ),
    Case(
        "MXNet 2.0 AdamW, fused_step (adamw_update with eta=lr_t, lr=1)",
        18,
        SHAPES,
        mxnet2_run(
            lambda: mxnet.AdamWV2(
                learning_rate=0.03,
                beta1=0.8,
                beta2=0.95,
                epsilon=1e-3,
                wd=0.3,
                lr_scheduler=lambda n: 0.03 * multiplier(n),
                **MX,
            )
        ),
        "mxnet2-adamw",
        dict(ADAM_HYPER, weight_decay=0.3, schedule_multiplier=eta_one_based, **MX),
        {
            "decay × lr": {"decay_multiplier": "lr"},
            "decay of the updated w": {"decay_applies_to": "updated_param"},
            "schedule one step early": ONE_EARLY,
            "no clip": {"clip_gradient": None},
        },
    ),
    Case(
        "MXNet 2.0 AdamW, step (use_fused_step=False)",
        19,
        SHAPES,
        mxnet2_run(
            lambda: mxnet.AdamWV2(
                learning_rate=0.03,
                beta1=0.8,
                beta2=0.95,
                epsilon=1e-3,
                wd=0.3,
                use_fused_step=False,
                **MX,
            )
        ),
        "mxnet2-adamw",
        dict(ADAM_HYPER, weight_decay=0.3, decay_applies_to="updated_param", **MX),
        {
            "decay of the old w": {"decay_applies_to": "old_param"},
            "decay × lr": {"decay_multiplier": "lr"},
        },
    ),
    Case(
        "MXNet 2.0 AdamW(correct_bias=False), fused_step",
        20,
        SHAPES,
        mxnet2_run(
            lambda: mxnet.AdamWV2(
                learning_rate=0.03,
                beta1=0.8,
                beta2=0.95,
                epsilon=1e-3,
                wd=0.3,
                correct_bias=False,
                **MX,
            )
        ),
        "mxnet2-adamw",
        dict(ADAM_HYPER, weight_decay=0.3, bias_correction="none", decay_multiplier="lr", **MX),
        {"folded": {"bias_correction": "folded"}},
    ),
    # Google BERT.
    Case(
        "BERT AdamWeightDecayOptimizer (create_optimizer settings, schedule)",
        21,
        BERT_SHAPES,
        bert_run(
            lambda: bert.AdamWeightDecayOptimizer(
                learning_rate=lambda global_step: 0.03 * multiplier(global_step),
                **dict(
                    bert.CREATE_OPTIMIZER_SETTINGS,
                    weight_decay_rate=0.3,
                    beta_1=0.8,
                    beta_2=0.95,
                    epsilon=1e-3,
                ),
            )
        ),
        "bert-adamweightdecay",
        dict(ADAM_HYPER, weight_decay=0.3, schedule_multiplier=eta_zero_based),
        {
            "nothing excluded": {"exclude_from_weight_decay": ()},
            "only LayerNorm excluded": {"exclude_from_weight_decay": ("LayerNorm",)},
            "folded": {"bias_correction": "folded"},
            "schedule one step late": OFF_BY_ONE,
            "decay after the step": {"decay_applies_to": "updated_param"},
        },
    ),
    # HuggingFace transformers.AdamW.
    Case(
        "HF AdamW(correct_bias=True), LambdaLR",
        22,
        SHAPES,
        torch_style_run(
            lambda params: hf.AdamW(params, lr=0.03, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2),
            lr_schedule=eta_zero_based,
        ),
        "hf-adamw",
        dict(ADAM_HYPER, weight_decay=0.2, schedule_multiplier=eta_zero_based),
        {
            "decay of the old p": {"decay_applies_to": "old_param"},
            "explicit": {"bias_correction": "explicit"},
            "schedule one step late": OFF_BY_ONE,
        },
    ),
    Case(
        "HF AdamW(correct_bias=False)",
        23,
        SHAPES,
        torch_style_run(
            lambda params: hf.AdamW(
                params, lr=0.03, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2, correct_bias=False
            )
        ),
        "hf-adamw",
        dict(ADAM_HYPER, weight_decay=0.2, bias_correction="none"),
        {
            "folded": {"bias_correction": "folded"},
            "decay of the old p": {"decay_applies_to": "old_param"},
        },
    ),
    # fairseq.
    Case(
        "fairseq Adam (Python path), amsgrad",
        24,
        SHAPES,
        torch_style_run(
            lambda params: fairseq.Adam(
                params, lr=0.03, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2, amsgrad=True
            ),
            lr_schedule=eta_zero_based,
        ),
        "fairseq-adam",
        dict(ADAM_HYPER, weight_decay=0.2, amsgrad=True, schedule_multiplier=eta_zero_based),
        {
            "no amsgrad": {"amsgrad": "off"},
            "explicit": {"bias_correction": "explicit"},
            "L2": {"weight_decay_kind": "l2"},
            "decay after the step": {"decay_applies_to": "updated_param"},
        },
    ),
    Case(
        "fairseq Adam (Python path), no amsgrad",
        25,
        SHAPES,
        torch_style_run(
            lambda params: fairseq.Adam(
                params, lr=0.03, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2
            )
        ),
        "fairseq-adam",
        dict(ADAM_HYPER, weight_decay=0.2),
        {"amsgrad": {"amsgrad": "max_v"}},
    ),
    Case(
        "fairseq FusedAdamV1 (apex fused_adam_cuda kernel)",
        26,
        SHAPES,
        torch_style_run(
            lambda params: fairseq.FusedAdamV1(
                params, lr=0.03, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2
            ),
            lr_schedule=eta_zero_based,
        ),
        "fairseq-fusedv1",
        dict(ADAM_HYPER, weight_decay=0.2, schedule_multiplier=eta_zero_based),
        {
            "decay × lr": {"decay_multiplier": "lr"},
            "explicit": {"bias_correction": "explicit"},
            "decay after the step": {"decay_applies_to": "updated_param"},
        },
    ),
    Case(
        "fairseq FusedAdamV2 (apex multi_tensor_adam, adam_w_mode)",
        27,
        SHAPES,
        torch_style_run(
            lambda params: fairseq.FusedAdamV2(
                params, lr=0.03, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.2
            ),
            lr_schedule=eta_zero_based,
        ),
        "fairseq-fusedv2",
        dict(ADAM_HYPER, weight_decay=0.2, schedule_multiplier=eta_zero_based),
        {
            "folded": {"bias_correction": "folded"},
            "decay × bias-corrected lr": {"decay_multiplier": "bias_corrected_lr"},
            "L2": {"weight_decay_kind": "l2"},
        },
    ),
    Case(
        "TF1 tf.train.AdamOptimizer, dense kernel",
        28,
        SHAPES,
        tf1_run(lambda: tf1.AdamOptimizer(learning_rate=0.03, beta1=0.8, beta2=0.95, epsilon=1e-3)),
        "tf1-adam",
        ADAM_HYPER,
        {"explicit": {"bias_correction": "explicit"}},
    ),
    Case(
        "TF1 tf.train.AdamOptimizer, sparse path",
        29,
        SHAPES,
        tf1_run(
            lambda: tf1.AdamOptimizer(learning_rate=0.03, beta1=0.8, beta2=0.95, epsilon=1e-3),
            sparse=True,
        ),
        "tf1-adam",
        ADAM_HYPER,
        {"explicit": {"bias_correction": "explicit"}},
    ),
]
CASE_IDS = [case.name for case in CASES]


@cache
def _transcribed(case_index: int) -> list[dict]:
    case = CASES[case_index]
    return case.transcription(case.problem())


@pytest.mark.parametrize("case_index", range(len(CASES)), ids=CASE_IDS)
def test_preset_matches_transcription(case_index):
    """Catches a preset whose switches or defaults differ from the code it cites, and any
    change of the reference step that alters one of the implementations (ε placement,
    bias correction, the decay's kind, multiplier or order, AMSGrad's maximum, gradient
    preprocessing, the schedule's index, name exclusions)."""
    case = CASES[case_index]
    config = variants.get(case.preset, **case.overrides)
    expected = _transcribed(case_index)
    actual = reference_trajectory(config, case.problem())
    assert deviation(actual, expected) <= RTOL
    moved = deviation(expected[:1], expected[-1:])
    assert moved > 1e-2, "the run must move the parameters, or agreement proves nothing"


MUTANTS = [(i, label) for i, case in enumerate(CASES) for label in case.mutants]


@pytest.mark.parametrize(
    "case_index, mutant", MUTANTS, ids=[f"{CASES[i].name} / {label}" for i, label in MUTANTS]
)
def test_each_case_notices_every_switch_it_relies_on(case_index, mutant):
    """Catches a comparison too weak to tell two implementations apart (a tiny ε, no active
    clipping, a decay too small to matter, a schedule that is constant where it is read): with
    any one switch of the preset flipped, adamlib must miss the transcription by far more than
    the tolerance, so test_preset_matches_transcription would fail for that wrong preset."""
    case = CASES[case_index]
    config = variants.get(case.preset, **{**case.overrides, **case.mutants[mutant]})
    actual = reference_trajectory(config, case.problem())
    assert deviation(actual, _transcribed(case_index)) > MUTANT_MARGIN


def test_mxnet_comparisons_clip_some_coordinates_but_not_all():
    """Catches a comparison in which clipping never acts (or always acts), where the L2/clip
    order and the clipping itself could be wrong unnoticed."""
    fractions = []
    for index, case in enumerate(CASES):
        if case.overrides.get("clip_gradient") is None:
            continue
        problem = case.problem()
        scaled = np.concatenate(
            [
                np.abs(case.overrides["rescale_grad"] * problem.grad(params, t)[n]).ravel()
                for t, params in enumerate(_transcribed(index)[:-1], start=1)
                for n in params
            ]
        )
        fractions.append(float(np.mean(scaled > case.overrides["clip_gradient"])))
    assert len(fractions) >= 8
    assert all(0.05 < f < 0.95 for f in fractions), fractions


def test_bert_exclusions_decay_only_the_kernels():
    """Catches exclusion patterns applied with re.match instead of re.search, on the ':0'
    tensor name instead of the variable name, or not at all: the excluded parameters must move
    exactly as without weight decay, the others not."""
    problem = NoisyQuadratic(BERT_SHAPES, 21)
    settings = dict(ADAM_HYPER, weight_decay=0.3)
    with_decay = reference_trajectory(variants.get("bert-adamweightdecay", **settings), problem)
    without = reference_trajectory(
        variants.get("bert-adamweightdecay", **dict(settings, weight_decay=0.0)), problem
    )
    for name in BERT_SHAPES:
        same = all(np.array_equal(a[name], b[name]) for a, b in zip(with_decay, without))
        assert same == (name not in BERT_DECAYED), name


# -- defaults --------------------------------------------------------------------------------

SOURCE_DEFAULTS = {
    # name: (lr, betas, eps, weight_decay), copied from the cited constructors/papers.
    "paper-adam": (1e-3, (0.9, 0.999), 1e-8, 0.0),  # Algorithm 1 caption
    "paper-adam-epshat": (1e-3, (0.9, 0.999), 1e-8, 0.0),
    "paper-adamw": (1e-3, (0.9, 0.999), 1e-8, 0.0),  # Algorithm 2 line 1; λ ∈ ℝ has no default
    "keras-adam": (1e-3, (0.9, 0.999), 1e-7, 0.0),  # weight_decay=None
    "keras-adamw": (1e-3, (0.9, 0.999), 1e-7, 0.004),
    "optax-adam": (1e-3, (0.9, 0.999), 1e-8, 0.0),  # learning_rate required
    "optax-adamw": (1e-3, (0.9, 0.999), 1e-8, 1e-4),
    "optax-amsgrad": (1e-3, (0.9, 0.999), 1e-8, 0.0),
    "mxnet1-adam": (1e-3, (0.9, 0.999), 1e-8, 0.0),
    "mxnet2-adam": (1e-3, (0.9, 0.999), 1e-8, 0.0),
    "mxnet2-adamw": (1e-3, (0.9, 0.999), 1e-6, 0.0),
    "bert-adamweightdecay": (1e-3, (0.9, 0.999), 1e-6, 0.01),  # create_optimizer; init_lr required
    "hf-adamw": (1e-3, (0.9, 0.999), 1e-6, 0.0),
    "fairseq-adam": (1e-3, (0.9, 0.999), 1e-8, 0.0),  # the class's lr; fairseq-train: 0.25
    "fairseq-fusedv1": (1e-3, (0.9, 0.999), 1e-8, 0.0),
    "fairseq-fusedv2": (1e-3, (0.9, 0.999), 1e-8, 0.0),
    "tf1-adam": (1e-3, (0.9, 0.999), 1e-8, 0.0),
}


@pytest.mark.parametrize("name", sorted(SOURCE_DEFAULTS))
def test_preset_defaults_are_the_sources_defaults(name):
    """Catches a preset carrying another framework's default ε or weight decay (Keras 1e-7,
    BERT/HF/MXNet-AdamW 1e-6, Keras AdamW 0.004, optax adamw 1e-4, BERT 0.01)."""
    config = variants.get(name)
    lr, betas, eps, weight_decay = SOURCE_DEFAULTS[name]
    assert (config.lr, config.betas, config.eps, config.weight_decay) == (
        lr,
        betas,
        eps,
        weight_decay,
    )


DEFAULT_RUNS = {
    # name: (shapes, the transcription built with its own defaults, plus the learning rate
    # where the source requires one)
    "paper-adam": (VECTOR, vector_run(lambda: papers.KingmaBaAlgorithm1().step)),
    "paper-adam-epshat": (VECTOR, vector_run(lambda: papers.KingmaBaEpsilonHat().step)),
    "keras-adam": (SHAPES, keras_run(keras.Adam)),
    "keras-adamw": (SHAPES, keras_run(keras.AdamW)),
    "optax-adam": (SHAPES, optax_run(lambda: optax.adam(1e-3))),
    "optax-adamw": (SHAPES, optax_run(lambda: optax.adamw(1e-3))),
    "optax-amsgrad": (SHAPES, optax_run(lambda: optax.amsgrad(1e-3))),
    "mxnet1-adam": (SHAPES, mxnet1_run(mxnet.AdamV1)),
    "mxnet2-adam": (SHAPES, mxnet2_run(mxnet.AdamV2)),
    "mxnet2-adamw": (SHAPES, mxnet2_run(mxnet.AdamWV2)),
    "bert-adamweightdecay": (
        BERT_SHAPES,
        bert_run(lambda: bert.AdamWeightDecayOptimizer(1e-3, **bert.CREATE_OPTIMIZER_SETTINGS)),
    ),
    "hf-adamw": (SHAPES, torch_style_run(hf.AdamW)),
    "fairseq-adam": (SHAPES, torch_style_run(fairseq.Adam)),
    "fairseq-fusedv1": (SHAPES, torch_style_run(fairseq.FusedAdamV1)),
    "fairseq-fusedv2": (SHAPES, torch_style_run(fairseq.FusedAdamV2)),
    "tf1-adam": (SHAPES, tf1_run(tf1.AdamOptimizer)),
}


@pytest.mark.parametrize("name", sorted(DEFAULT_RUNS))
def test_preset_with_defaults_matches_transcription_with_defaults(name):
    """Catches a preset whose defaults, switches included, differ from what the framework does
    when constructed with nothing but the required learning rate."""
    shapes, run = DEFAULT_RUNS[name]
    expected = run(NoisyQuadratic(shapes, 31))
    actual = reference_trajectory(variants.get(name), NoisyQuadratic(shapes, 31))
    assert deviation(actual, expected) <= RTOL


# -- amsgrad=True means each framework's own AMSGrad -----------------------------------------


@pytest.mark.parametrize(
    "name, form",
    [
        ("pytorch-adam", "max_v"),
        ("pytorch-adamw", "max_v"),
        ("keras-adam", "max_v"),
        ("keras-adamw", "max_v"),
        ("fairseq-adam", "max_v"),
        ("optax-adam", "max_vhat"),
        ("optax-adamw", "max_vhat"),
        ("optax-amsgrad", "max_vhat"),
    ],
)
def test_amsgrad_true_selects_the_frameworks_form(name, form):
    """Catches amsgrad=True mapped to the other framework's maximum (PyTorch/Keras/fairseq max
    the raw v; optax the bias-corrected v̂), and amsgrad=False not turning it off."""
    assert variants.get(name, amsgrad=True).amsgrad == form
    assert variants.get(name, amsgrad=False).amsgrad == "off"


@pytest.mark.parametrize(
    "name",
    [
        "paper-adam",
        "paper-adamw",
        "mxnet1-adam",
        "mxnet2-adam",
        "mxnet2-adamw",
        "bert-adamweightdecay",
        "hf-adamw",
        "fairseq-fusedv1",
        "fairseq-fusedv2",
        "tf1-adam",
    ],
)
def test_amsgrad_true_is_refused_where_the_source_has_none(name):
    """Catches a preset that silently invents AMSGrad for an implementation without it."""
    with pytest.raises(AdamConfigError, match=f"amsgrad=True is not allowed for '{name}'"):
        variants.get(name, amsgrad=True)


def test_transcriptions_do_not_use_adamlib():
    """Catches a transcription that imports adamlib, which would make the comparison circular
    (adamlib checked against itself)."""
    package = Path(__file__).parent / "transcriptions"
    for module in package.glob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+adamlib", module.read_text(), re.M), module.name


def test_every_preset_is_checked_against_a_transcription():
    """Catches a preset added without a transcription test (the PyTorch presets are compared
    with torch.optim itself in test_adamlib_reference.py)."""
    transcribed = {case.preset for case in CASES} | set(DEFAULT_RUNS)
    assert set(variants.names()) - transcribed == {"pytorch-adam", "pytorch-adamw"}
