"""``adamlib.optim`` against ``torch.optim`` and against the reference step.

Three layers: (1) the PyTorch presets against ``torch.optim.Adam``/``AdamW`` themselves, with
everything torch lets vary (AMSGrad, maximize, weight decay, param groups, an LR scheduler);
(2) every preset, through every execution path (torch's fused kernel with per-step scalars,
foreach ops, one tensor at a time), against :mod:`adamlib.reference`; (3) the optimizer's
contract: closures, ``zero_grad``, checkpoints (its own and torch's), named parameters, and bad
input refused with nothing changed. Float64, seeded noisy-quadratic gradients that depend on
the parameters (so that a difference feeds back), at least 100 steps.
"""

from __future__ import annotations

import copy
import io
import math
from functools import cache

import numpy as np
import pytest
import torch

from adamlib import AdamConfig, AdamConfigError, NonFiniteGradientError, optim, reference, variants
from tests import helpers
from tests.transcriptions.compare import RTOL, deviation
from tests.transcriptions.problem import NoisyQuadratic

STEPS = 100
SHAPES = {
    "encoder.dense.weight": (4, 3),
    "encoder.dense.bias": (3,),
    "encoder.LayerNorm.weight": (3,),
}
PATHS = {"fused": {"fused": True}, "foreach": {"foreach": True}, "per_tensor": {"foreach": False}}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The tensors here are tiny: a second thread only adds wake-up latency, which on a busy
    two-core machine made this file several times slower. Results do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def eta(t: int) -> float:
    """A schedule multiplier η_t that changes at every step."""
    return 0.5 * (1 + math.cos(math.pi * t / 300))


def stress_overrides(name: str, maximize: bool) -> dict:
    """Hyperparameters under which the preset's switches show: a large ε (its placement
    matters), weight decay, a schedule, AMSGrad where the framework has it, clipping and
    rescaling for MXNet, and an exclusion by name (BERT's own, or "bias")."""
    overrides = {
        "lr": 0.02,
        "eps": 1e-4,
        "weight_decay": 0.05,
        "maximize": maximize,
        "schedule_multiplier": eta,
    }
    if variants.info(name).amsgrad_form is not None:
        overrides["amsgrad"] = True
    if name.startswith("mxnet"):
        overrides.update(rescale_grad=0.5, clip_gradient=2.0)
    if not variants.get(name).exclude_from_weight_decay:
        overrides["exclude_from_weight_decay"] = ("bias",)
    return overrides


def reference_trajectory(config: AdamConfig, problem: NoisyQuadratic, steps: int = STEPS):
    return helpers.reference_trajectory(config, problem, steps)


def optim_trajectory(
    make_optimizer,
    problem: NoisyQuadratic,
    steps: int = STEPS,
    dtype=torch.float64,
    groups=None,
    scheduler=None,
):
    """Run an optimizer made by ``make_optimizer(named_params)`` (or over ``groups(params)``)
    on ``problem``; returns ``[θ_0, ..., θ_steps]`` as dicts of float64 arrays."""
    params = {
        n: torch.tensor(a, dtype=dtype, requires_grad=True) for n, a in problem.initial().items()
    }
    optimizer = make_optimizer(groups(params) if groups else list(params.items()))
    schedule = scheduler(optimizer) if scheduler else None
    history = [snapshot(params)]
    for t in range(1, steps + 1):
        set_grads(params, problem.grad(snapshot(params), t))
        optimizer.step()
        if schedule:
            schedule.step()
        history.append(snapshot(params))
    return history


def snapshot(params: dict) -> dict:
    return {n: p.detach().numpy().astype(np.float64) for n, p in params.items()}


def set_grads(params: dict, grads: dict) -> None:
    for n, p in params.items():
        p.grad = torch.tensor(grads[n], dtype=p.dtype)


# -- (1) the PyTorch presets against torch.optim ---------------------------------------------


def two_groups(params: dict) -> list[dict]:
    """Two param groups that differ in every hyperparameter torch lets a group set."""
    names = list(params)
    return [
        {"params": [params[n] for n in names[:2]]},
        {
            "params": [params[names[2]]],
            "lr": 5e-3,
            "betas": (0.8, 0.99),
            "eps": 1e-6,
            "weight_decay": 0.3,
        },
    ]


def lambda_lr(optimizer):
    """A per-group LambdaLR: the lr changes at every step, differently in each group."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, [lambda s: 1 / (1 + 0.05 * s), lambda s: 0.5 + 0.5 * math.cos(s / 10)]
    )


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize(
    "ours, theirs", [(optim.Adam, torch.optim.Adam), (optim.AdamW, torch.optim.AdamW)]
)
def test_pytorch_presets_match_torch_optim(ours, theirs, amsgrad, maximize, path):
    """Catches any departure from torch's arithmetic: the ε̂ form instead of form A, L2 added
    before the maximize negation, AdamW decay by a bias-corrected lr or after the Adam step,
    AMSGrad over v̂ instead of the raw v, one group's hyperparameters used for another, and an
    lr read once at construction instead of at every step (the scheduler changes it)."""
    problem = NoisyQuadratic(SHAPES, seed=11)
    settings = {"lr": 0.02, "weight_decay": 0.1, "amsgrad": amsgrad, "maximize": maximize}
    expected = optim_trajectory(
        lambda g: theirs(g, **settings), problem, 120, groups=two_groups, scheduler=lambda_lr
    )
    actual = optim_trajectory(
        lambda g: ours(g, **settings, **PATHS[path]),
        problem,
        120,
        groups=two_groups,
        scheduler=lambda_lr,
    )
    assert deviation(actual, expected) <= RTOL
    assert deviation(actual, [expected[0]] * len(expected)) > 0.1  # the parameters did move


# -- (2) every preset, every path, against the reference -------------------------------------


@cache
def expected_trajectory(name: str, maximize: bool, dtype=np.float64):
    config = variants.get(name, **stress_overrides(name, maximize))
    problem = NoisyQuadratic(SHAPES, seed=5)
    if dtype == np.float64:
        return reference_trajectory(config, problem)
    # The reference in float32 arithmetic: gradients rounded to float32 like the optimizer's.
    params = {n: a.astype(dtype) for n, a in problem.initial().items()}
    state = reference.init(params, config)
    history = [params]
    for t in range(1, 21):
        grads = {n: g.astype(dtype) for n, g in problem.grad(params, t).items()}
        params, state = reference.step(params, grads, state, config)
        history.append(params)
    return history


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("name", variants.names())
def test_every_preset_and_path_matches_the_reference(name, maximize, path):
    """Catches a wrong mapping of a form onto the fused kernel (ε̂ not divided by √(1-β₂ᵗ), a
    missing (1-β₁ᵗ)/√(1-β₂ᵗ) for no bias correction, a decay rate not divided by the kernel's
    lr, the updated-θ decay not scaling the Adam step, AMSGrad of v̂ not rescaled), a foreach
    or per-tensor path that drifts from the reference (clip/rescale/L2 order, η_t not applied
    to the decay), and exclusions by name not applied."""
    overrides = stress_overrides(name, maximize)
    actual = optim_trajectory(
        lambda p: optim.Adam(p, variant=name, **overrides, **PATHS[path]),
        NoisyQuadratic(SHAPES, seed=5),
    )
    assert deviation(actual, expected_trajectory(name, maximize)) <= RTOL


@pytest.mark.parametrize("name", variants.names())
def test_float32_parameters_follow_the_float32_reference(name):
    """Catches a path that breaks for float32 (scalars cast wrongly, state in another dtype, a
    kernel call refused) or that silently computes in a different precision than the
    parameters' (the optimizer's state must stay float32)."""
    problem = NoisyQuadratic(SHAPES, seed=5)
    params = {
        n: torch.tensor(a, dtype=torch.float32, requires_grad=True)
        for n, a in problem.initial().items()
    }
    optimizer = optim.Adam(
        list(params.items()), variant=name, **stress_overrides(name, maximize=False)
    )
    expected = expected_trajectory(name, False, np.float32)
    for t in range(1, len(expected)):
        # The reference's gradients, so that float32 rounding does not feed back.
        grads = problem.grad(expected[t - 1], t)
        for n, p in params.items():
            p.grad = torch.from_numpy(grads[n].astype(np.float32))
        optimizer.step()
        for n, p in params.items():
            np.testing.assert_allclose(p.detach().numpy(), expected[t][n], rtol=2e-5, atol=1e-6)
    assert all(s["exp_avg"].dtype == torch.float32 for s in optimizer.state.values())


def test_default_dispatch_uses_the_fused_kernel_for_every_preset(monkeypatch):
    """Catches a configuration that silently falls back to the slower foreach path: each
    preset's defaults (and AMSGrad where it has one) must run through torch's fused kernel."""
    calls = []
    for kernel in ("_fused_adam_", "_fused_adamw_"):

        def counting(*args, _kernel=getattr(torch, kernel), **kwargs):  # noqa: B008
            calls.append(_kernel)
            return _kernel(*args, **kwargs)

        monkeypatch.setattr(torch, kernel, counting)
    for name in variants.names():
        for amsgrad in [False, True] if variants.info(name).amsgrad_form else [False]:
            p = torch.ones(3, requires_grad=True)
            p.grad = torch.ones(3)
            calls.clear()
            optim.Adam([("w", p)], variant=name, amsgrad=amsgrad).step()
            assert calls, f"{name} (amsgrad={amsgrad}) did not use the fused kernel"


@pytest.mark.parametrize(
    "case", ["eps_root", "eps_root_folded", "zero_lr_with_schedule_decay", "non_contiguous"]
)
def test_what_the_kernel_cannot_express_takes_the_foreach_path(case):
    """Catches a fused call for what the kernel cannot compute: eps_root inside the square root
    (optax), a decoupled decay at lr = 0 (paper AdamW: the decay rate is η_t·λ, but the kernel's
    is lr·wd), and tensors whose strides differ (the kernel walks raw memory)."""
    name, overrides = {
        "eps_root": ("optax-adam", {"eps_root": 1e-3}),
        "eps_root_folded": ("keras-adam", {"eps_root": 1e-3, "weight_decay": 0.1}),
        "zero_lr_with_schedule_decay": ("paper-adamw", {"lr": 0.0, "weight_decay": 0.1}),
        "non_contiguous": ("hf-adamw", {"weight_decay": 0.1}),
    }[case]
    config = variants.get(name, **overrides)
    problem = NoisyQuadratic({"w": (4, 3)}, seed=3)
    expected = reference_trajectory(config, problem, 30)
    w = (
        torch.tensor(problem.initial()["w"].T.copy()).T
        if case == "non_contiguous"
        else torch.tensor(problem.initial()["w"])
    )
    w.requires_grad_()
    optimizer = optim.Adam([("w", w)], variant=name, **overrides)
    for t in range(1, 31):
        g = problem.grad({"w": w.detach().numpy().copy()}, t)["w"]
        w.grad = torch.tensor(g.T.copy()).T if case == "non_contiguous" else torch.tensor(g)
        optimizer.step()
        assert deviation([{"w": w.detach().numpy()}], [expected[t]]) <= RTOL
    optimizer.param_groups[0]["fused"] = True
    with pytest.raises(AdamConfigError, match="fused=True is not allowed"):
        optimizer.step()


@pytest.mark.parametrize("path", [{}, {"foreach": True}, {"foreach": False}])
def test_clipping_without_rescaling_on_every_path(path):
    """Catches a clip that is only right when rescale_grad != 1 (the paths preprocess the
    gradient in place only after rescaling copied it): MXNet 2 Adam with rescale_grad = 1 and a
    clip that cuts most coordinates, against the reference."""
    overrides = {"clip_gradient": 0.05, "weight_decay": 0.1, "rescale_grad": 1.0}
    config = variants.get("mxnet2-adam", **overrides)
    problem = NoisyQuadratic({"w": (4, 3)}, seed=5)
    expected = reference_trajectory(config, problem, 30)
    w = torch.tensor(problem.initial()["w"], requires_grad=True)
    optimizer = optim.Adam([("w", w)], variant="mxnet2-adam", **overrides, **path)
    for t in range(1, 31):
        w.grad = torch.tensor(problem.grad({"w": w.detach().numpy().copy()}, t)["w"])
        optimizer.step()
        assert deviation([{"w": w.detach().numpy()}], [expected[t]]) <= RTOL


# -- (3) the optimizer's contract ------------------------------------------------------------


@pytest.mark.parametrize(
    "ours, theirs", [(optim.Adam, torch.optim.Adam), (optim.AdamW, torch.optim.AdamW)]
)
def test_defaults_are_torchs(ours, theirs):
    """Catches a default that differs from torch's (AdamW's weight_decay=1e-2, say) or a torch
    group key missing (a torch checkpoint would then not carry it)."""
    expected = theirs([torch.zeros(1, requires_grad=True)]).defaults
    actual = ours([torch.zeros(1, requires_grad=True)]).defaults
    assert {key: actual[key] for key in expected} == expected


def test_config_variant_and_group_switches_select_the_same_step():
    """Catches a config argument or a param group's own switches being ignored: a
    keras-adam config with an override must equal the variant with that override, and a group
    that switches bias correction, decay kind and AMSGrad must follow the reference for that
    configuration while the other group keeps the optimizer's."""
    parts = {"a": NoisyQuadratic({"a": (5,)}, seed=4), "b": NoisyQuadratic({"b": (4,)}, seed=6)}
    problem = Joined(parts.values())
    as_config = optim_trajectory(
        lambda p: optim.Adam(p, variants.get("keras-adam"), weight_decay=0.1), problem, 40
    )
    as_variant = optim_trajectory(
        lambda p: optim.Adam(p, variant="keras-adam", weight_decay=0.1), problem, 40
    )
    assert deviation(as_config, as_variant) == 0

    switched = {"bias_correction": "folded", "decoupled_weight_decay": False, "amsgrad": True}
    actual = optim_trajectory(
        lambda p: optim.AdamW(p, lr=0.02, weight_decay=0.1),
        problem,
        100,
        groups=lambda p: [{"params": [p["a"]]}, {"params": [p["b"]], **switched}],
    )
    for name, config in [
        ("a", variants.get("pytorch-adamw", lr=0.02, weight_decay=0.1)),
        (
            "b",
            variants.get(
                "pytorch-adam", lr=0.02, weight_decay=0.1, bias_correction="folded", amsgrad=True
            ),
        ),
    ]:
        expected = reference_trajectory(config, parts[name])
        assert deviation([{name: x[name]} for x in actual], expected) <= RTOL, name


class Joined:
    """Several problems as one (each part's gradient depends on its own parameters only)."""

    def __init__(self, parts):
        self.parts = list(parts)

    def initial(self) -> dict:
        return {n: a for part in self.parts for n, a in part.initial().items()}

    def grad(self, params: dict, t: int) -> dict:
        return {
            n: g
            for part in self.parts
            for n, g in part.grad({n: params[n] for n in part.shapes}, t).items()
        }


def test_closure_is_evaluated_with_gradients_and_its_loss_returned():
    """Catches a step that ignores the closure, runs it under no_grad (backward would fail),
    or does not return its loss."""
    torch.manual_seed(0)
    target = torch.randn(5, dtype=torch.float64)
    w = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    w_manual = w.detach().clone().requires_grad_()
    optimizer, manual = optim.AdamW([w], lr=0.1), optim.AdamW([w_manual], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = ((w - target) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(10):
        expected_loss = ((w_manual - target) ** 2).sum()
        manual.zero_grad()
        expected_loss.backward()
        manual.step()
        assert optimizer.step(closure).item() == expected_loss.item()
    assert torch.equal(w, w_manual)


def test_parameters_without_gradient_are_left_alone():
    """Catches treating a missing gradient (after zero_grad) as zero: with decoupled decay that
    would still shrink θ and advance the step count."""
    w = torch.ones(3, requires_grad=True)
    optimizer = optim.AdamW([w], weight_decay=0.5)
    w.grad = torch.ones(3)
    optimizer.step()
    optimizer.zero_grad()
    assert w.grad is None
    before, state = w.detach().clone(), copy.deepcopy(optimizer.state[w])
    optimizer.step()
    assert torch.equal(w, before)
    assert all(torch.equal(state[k], optimizer.state[w][k]) for k in state)


def _train(optimizer, params: dict, problem: NoisyQuadratic, steps: range) -> None:
    for t in steps:
        set_grads(params, problem.grad(snapshot(params), t))
        optimizer.step()


def _named_params(problem: NoisyQuadratic, dtype=torch.float64) -> dict:
    return {
        n: torch.tensor(a, dtype=dtype, requires_grad=True) for n, a in problem.initial().items()
    }


@pytest.mark.parametrize("name", ["pytorch-adamw", "optax-amsgrad", "hf-adamw", "mxnet1-adam"])
def test_state_dict_round_trip_continues_bit_identically(name):
    """Catches state that a checkpoint loses or alters: the step count (bias correction would
    restart), the AMSGrad maximum, a group's own hyperparameters or switches, or a dtype
    changed on the way through torch.save/torch.load."""
    problem = NoisyQuadratic(SHAPES, seed=8)
    overrides = stress_overrides(name, maximize=False)
    params = _named_params(problem)
    optimizer = optim.Adam(list(params.items()), variant=name, **overrides)
    optimizer.param_groups[0]["lr"] = 0.01
    _train(optimizer, params, problem, range(1, 31))

    buffer = io.BytesIO()
    torch.save(optimizer.state_dict(), buffer)
    buffer.seek(0)
    resumed_params = {n: p.detach().clone().requires_grad_() for n, p in params.items()}
    resumed = optim.Adam(list(resumed_params.items()), variant=name, **overrides)
    resumed.load_state_dict(torch.load(buffer))

    _train(optimizer, params, problem, range(31, 61))
    _train(resumed, resumed_params, problem, range(31, 61))
    assert all(torch.equal(params[n], resumed_params[n]) for n in params)
    assert resumed.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize("amsgrad", [False, True])
def test_torch_adamw_checkpoints_move_both_ways(amsgrad):
    """Catches a state layout that differs from torch's (key names, step as a tensor, the
    AMSGrad buffer) or group keys that do not round-trip: with fused=True in the checkpoint,
    torch.optim.AdamW -> adamlib.optim.AdamW and back continue bit-identically; with torch's
    default (single-tensor) path on one side, to rounding."""
    problem = NoisyQuadratic(SHAPES, seed=9)
    settings = {"lr": 0.02, "weight_decay": 0.1, "amsgrad": amsgrad}

    def run(first, second):
        """θ after 30 steps of ``first`` and 30 more, and after 30 of ``first`` and 30 of
        ``second`` resumed from ``first``'s checkpoint."""
        params = _named_params(problem)
        a = first(list(params.values()))
        _train(a, params, problem, range(1, 31))
        b_params = {n: p.detach().clone().requires_grad_() for n, p in params.items()}
        b = second(list(b_params.values()))
        # Through bytes, as a checkpoint goes: a live state_dict shares its tensors.
        buffer = io.BytesIO()
        torch.save(a.state_dict(), buffer)
        buffer.seek(0)
        b.load_state_dict(torch.load(buffer))
        _train(a, params, problem, range(31, 61))
        _train(b, b_params, problem, range(31, 61))
        return snapshot(params), snapshot(b_params)

    torch_default = lambda p: torch.optim.AdamW(p, **settings)
    torch_fused = lambda p: torch.optim.AdamW(p, fused=True, **settings)
    ours = lambda p: optim.AdamW(p, **settings)
    ours_fused = lambda p: optim.AdamW(p, fused=True, **settings)
    # A checkpoint with fused=True makes both sides run the same kernel with the same scalars.
    for first, second in [(torch_fused, ours), (ours_fused, torch_default)]:
        continued, resumed = run(first, second)
        assert all(np.array_equal(continued[n], resumed[n]) for n in continued)
    for first, second in [(torch_default, ours), (ours, torch_default)]:
        continued, resumed = run(first, second)
        assert deviation([resumed], [continued]) <= RTOL
        assert deviation([resumed], [snapshot(_named_params(problem))]) > 0.1


def test_bert_preset_excludes_layer_norm_and_bias_by_name():
    """Catches exclusions that are ignored, matched against something other than the names of
    model.named_parameters(), or applied to every parameter. With zero gradients the Adam step
    is exactly zero, so only the decay moves θ: by lr·λ for decayed parameters, not at all for
    excluded ones."""
    model = torch.nn.Sequential()
    model.add_module("dense", torch.nn.Linear(3, 4))
    model.add_module("LayerNorm", torch.nn.LayerNorm(4))
    model.double()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = optim.AdamW(
        model.named_parameters(), variant="bert-adamweightdecay", lr=0.1, weight_decay=0.5
    )
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    after = dict(model.named_parameters())
    assert torch.equal(after["dense.weight"], before["dense.weight"] * (1 - 0.1 * 0.5))
    for name in ("dense.bias", "LayerNorm.weight", "LayerNorm.bias"):
        assert torch.equal(after[name], before[name]), name

    with pytest.raises(AdamConfigError, match=r"exclude_from_weight_decay=.*named_parameters"):
        optim.AdamW(model.parameters(), variant="bert-adamweightdecay")


# -- bad input: refused, naming what and why, with nothing changed ---------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1e-3}, r"lr=-0\.001 is not allowed: lr must be a finite number >= 0"),
        ({"lr": float("nan")}, r"lr=nan is not allowed"),
        ({"lr": float("inf")}, r"lr=inf is not allowed"),
        ({"betas": (1.0, 0.999)}, r"betas\[0\] \(β1\)=1\.0 is not allowed: .* in \[0, 1\)"),
        ({"betas": (0.9, -0.1)}, r"betas\[1\] \(β2\)=-0\.1 is not allowed"),
        ({"eps": -1e-8}, r"eps=-1e-08 is not allowed: eps must be a finite number >= 0"),
        ({"weight_decay": -0.1}, r"weight_decay=-0\.1 is not allowed"),
        (
            {"bias_correction": "sometimes"},
            r"bias_correction='sometimes' is not allowed: choose one",
        ),
        ({"nonfinite_grad": "ignore"}, r"nonfinite_grad='ignore' is not allowed"),
        ({"variant": "pytorch-adamx"}, r"unknown preset 'pytorch-adamx'.*did you mean"),
        (
            {"variant": "mxnet2-adam", "amsgrad": True},
            r"amsgrad=True is not allowed for 'mxnet2-adam'",
        ),
        ({"lr_rate": 0.1}, r"unknown override 'lr_rate'"),
        ({"capturable": True}, r"capturable=True is not supported"),
        ({"foreach": True, "fused": True}, r"fused=True and foreach=True is not allowed"),
        ({"config": AdamConfig(), "variant": "keras-adam"}, r"config and variant='keras-adam'"),
        ({"config": AdamConfig(), "amsgrad": True}, r"amsgrad=True is ambiguous"),
        ({"lr": np.array([1e-3, 1e-2])}, r"arrays: adamlib.optim takes one number each"),
    ],
)
def test_bad_hyperparameters_are_refused_naming_argument_value_and_range(kwargs, message):
    """Catches a hyperparameter or switch accepted although no Adam allows it (torch's own
    checks, plus adamlib's switches and presets), or an error that does not say which argument,
    which value and what is allowed."""
    with pytest.raises(AdamConfigError, match=message):
        optim.Adam([torch.zeros(2, requires_grad=True)], **kwargs)


def test_positional_lr_is_refused():
    """Catches torch's positional ``Adam(params, 0.01)`` being taken as a config."""
    with pytest.raises(TypeError, match=r"config=0\.01 is not an AdamConfig.*lr=0\.01"):
        optim.Adam([torch.zeros(2, requires_grad=True)], 0.01)


def test_an_invalid_param_group_is_refused_and_not_added():
    """Catches a group with bad hyperparameters or a non-float parameter being half-added (it
    would fail at the next step, after other groups might already have moved)."""
    optimizer = optim.Adam([torch.zeros(2, requires_grad=True)])
    with pytest.raises(AdamConfigError, match=r"param_groups\[1\]: betas\[0\] \(β1\)=1\.5"):
        optimizer.add_param_group(
            {"params": [torch.zeros(2, requires_grad=True)], "betas": (1.5, 0.9)}
        )
    with pytest.raises(ValueError, match=r"has dtype torch.int64: .* real floating-point"):
        optimizer.add_param_group({"params": [torch.zeros(2, dtype=torch.int64)]})
    with pytest.raises(AdamConfigError, match=r"amsgrad='max_vhat' is not allowed: give True"):
        optimizer.add_param_group(
            {"params": [torch.zeros(2, requires_grad=True)], "amsgrad": "max_vhat"}
        )
    assert len(optimizer.param_groups) == 1


def _two_group_optimizer(**overrides):
    """An optimizer with two groups that has taken 3 steps, and a snapshot of everything."""
    a = torch.ones(3, dtype=torch.float64, requires_grad=True)
    b = torch.ones(2, dtype=torch.float64, requires_grad=True)
    optimizer = optim.AdamW([{"params": [a]}, {"params": [b]}], amsgrad=True, **overrides)
    for _ in range(3):
        a.grad, b.grad = (
            torch.full((3,), 0.5, dtype=torch.float64),
            torch.ones(2, dtype=torch.float64),
        )
        optimizer.step()
    return optimizer, a, b


def _everything(optimizer) -> list[torch.Tensor]:
    params = [p.detach().clone() for g in optimizer.param_groups for p in g["params"]]
    state = [v.clone() for s in optimizer.state.values() for v in s.values()]
    return params + state


def _unchanged(before, optimizer) -> bool:
    after = _everything(optimizer)
    return len(before) == len(after) and all(torch.equal(x, y) for x, y in zip(before, after))


@pytest.mark.parametrize(
    "breakage, error, message",
    [
        (
            "nan",
            NonFiniteGradientError,
            r"gradient of param_groups\[1\]\['params'\]\[0\] holds NaN",
        ),
        ("inf", NonFiniteGradientError, r"holds NaN or Inf; parameters and state are unchanged"),
        ("sparse", ValueError, r"has layout torch.sparse_coo: .* dense"),
        ("shape", ValueError, r"shape \(4,\), .* must match the parameter's shape \(2,\)"),
        (
            "dtype",
            ValueError,
            r"dtype torch.float32, .* must match the parameter's .* torch.float64",
        ),
        ("lr", AdamConfigError, r"param_groups\[1\]: lr=-0\.5 is not allowed"),
        ("state", ValueError, r"state\['exp_avg'\] of .* has shape \(5,\)"),
    ],
)
def test_a_bad_step_raises_before_anything_changes(breakage, error, message):
    """Catches checks that run after some tensors were already updated: the first group is
    fine and comes first, the second is broken, and neither parameters nor state (step counts,
    moments, AMSGrad maximum) of either group may change."""
    optimizer, a, b = _two_group_optimizer()
    a.grad = torch.full((3,), 0.5, dtype=torch.float64)
    b.grad = torch.ones(2, dtype=torch.float64)
    if breakage in ("nan", "inf"):
        b.grad[1] = float(breakage)
    elif breakage == "sparse":
        b.grad = torch.ones(2, dtype=torch.float64).to_sparse()
    elif breakage == "shape":
        b.grad.set_(torch.ones(4, dtype=torch.float64))
    elif breakage == "dtype":
        b.grad.data = torch.ones(2, dtype=torch.float32)
    elif breakage == "lr":
        optimizer.param_groups[1]["lr"] = -0.5
    elif breakage == "state":
        optimizer.state[b]["exp_avg"] = torch.zeros(5, dtype=torch.float64)
    before = _everything(optimizer)
    with pytest.raises(error, match=message):
        optimizer.step()
    assert _unchanged(before, optimizer)


@pytest.mark.parametrize(
    "value, finite", [(1e200, True), (float("nan"), False), (-float("inf"), False)]
)
def test_finiteness_is_decided_element_by_element(value, finite):
    """Catches a shortcut test that is not exact: a sum or dot product of huge finite gradients
    overflows (which must not be taken for a non-finite gradient), and one NaN or -Inf at the
    end of a long vector (past any vectorised block) must still be seen."""
    w = torch.zeros(10_007, dtype=torch.float64, requires_grad=True)
    optimizer = optim.Adam([w])
    w.grad = torch.ones(10_007, dtype=torch.float64)
    w.grad[-2:] = value
    if finite:
        optimizer.step()
        assert optimizer.state[w]["step"].item() == 1
    else:
        with pytest.raises(NonFiniteGradientError):
            optimizer.step()
        assert not optimizer.state


def test_skip_policy_skips_the_step_as_if_it_never_happened():
    """Catches a 'skip' that still advances the step count (bias correction would shift), or
    updates the moments or the groups with finite gradients."""
    optimizer, a, b = _two_group_optimizer(nonfinite_grad="skip")
    twin, a_twin, b_twin = _two_group_optimizer(nonfinite_grad="skip")
    before = _everything(optimizer)
    a.grad = torch.full((3,), 0.5, dtype=torch.float64)
    b.grad = torch.tensor([1.0, float("nan")], dtype=torch.float64)
    optimizer.step()
    assert _unchanged(before, optimizer)
    for opt, x, y in ((optimizer, a, b), (twin, a_twin, b_twin)):
        x.grad, y.grad = (
            torch.full((3,), 0.2, dtype=torch.float64),
            torch.ones(2, dtype=torch.float64),
        )
        opt.step()
    assert torch.equal(a, a_twin) and torch.equal(b, b_twin)
    assert optimizer.state[a]["step"].item() == 4


def test_a_checkpoint_of_another_model_is_refused_before_loading():
    """Catches a load_state_dict that replaces the state with moments of the wrong shape (torch
    does not check), losing the optimizer's real state before the next step fails."""
    optimizer, _, _ = _two_group_optimizer()
    other, _, _ = _two_group_optimizer()
    checkpoint = other.state_dict()
    checkpoint["state"][1]["exp_avg"] = torch.zeros(7, dtype=torch.float64)
    before = _everything(optimizer)
    with pytest.raises(
        ValueError, match=r"state_dict\['state'\]\[1\]\['exp_avg'\] has shape \(7,\)"
    ):
        optimizer.load_state_dict(checkpoint)
    assert _unchanged(before, optimizer)


def test_unchecked_policy_lets_nan_through_like_torch():
    """Catches an 'unchecked' policy that still reads the gradients (raising or skipping, so the
    benchmark's opt-out would measure nothing), or that drops the step."""
    w = torch.ones(4, dtype=torch.float64, requires_grad=True)
    optimizer = optim.Adam([w], nonfinite_grad="unchecked", eps=0.0)
    w.grad = torch.tensor([1.0, float("nan"), 1.0, 1.0], dtype=torch.float64)
    optimizer.step()
    assert optimizer.state[w]["step"].item() == 1
    assert torch.isnan(w[1]) and torch.equal(
        w[[0, 2, 3]], torch.full((3,), 1 - 1e-3, dtype=torch.float64)
    )


def test_changing_a_group_key_between_steps_takes_effect():
    """Catches a cached group configuration that outlives a change of the group's keys (only lr
    is read afresh every step): eps and weight decay changed after 3 steps must be used."""
    p0 = np.array([1.0, -2.0, 0.5])
    w = torch.tensor(p0.copy(), requires_grad=True)
    optimizer = optim.AdamW([w], lr=0.1, weight_decay=0.1)
    before = variants.get("pytorch-adamw", lr=0.1, weight_decay=0.1)
    after = before.replace(eps=0.5, weight_decay=0.3)
    params, state = p0.copy(), reference.init(p0, before)
    for t in range(1, 7):
        if t == 4:
            optimizer.param_groups[0]["eps"] = 0.5
            optimizer.param_groups[0]["weight_decay"] = 0.3
        g = np.array([0.3, -0.1, 0.2]) * t
        w.grad = torch.tensor(g)
        optimizer.step()
        params, state = reference.step(params, g, state, before if t < 4 else after)
    np.testing.assert_allclose(w.detach().numpy(), params, rtol=1e-12)


def test_a_key_made_invalid_after_some_steps_is_refused():
    """Catches validation done once at construction only (or cached past a change): a group
    edited to betas outside [0, 1) after steps were taken must be refused, naming the group."""
    optimizer, a, b = _two_group_optimizer()
    optimizer.param_groups[1]["betas"] = (0.9, 1.5)
    a.grad, b.grad = torch.ones(3, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    before = _everything(optimizer)
    with pytest.raises(AdamConfigError, match=r"param_groups\[1\]: betas\[1\] \(β2\)=1.5"):
        optimizer.step()
    assert _unchanged(before, optimizer)


def test_parameters_of_one_group_keep_their_own_step_counts():
    """Catches one step count for a whole group: b gets its first gradient at step 5, so its
    bias correction starts at t = 1 while a's is at t = 5."""
    config = variants.get("pytorch-adam", lr=0.1)
    a0, b0 = np.array([1.0, 2.0]), np.array([-1.0])
    a = torch.tensor(a0.copy(), requires_grad=True)
    b = torch.tensor(b0.copy(), requires_grad=True)
    optimizer = optim.Adam([a, b], lr=0.1)
    ref_a, state_a = a0.copy(), reference.init(a0, config)
    ref_b, state_b = b0.copy(), reference.init(b0, config)
    for t in range(1, 9):
        grad_a = np.array([0.5, -0.25]) * t
        a.grad = torch.tensor(grad_a)
        ref_a, state_a = reference.step(ref_a, grad_a, state_a, config)
        b.grad = None
        if t >= 5:
            grad_b = np.array([0.3 * t])
            b.grad = torch.tensor(grad_b)
            ref_b, state_b = reference.step(ref_b, grad_b, state_b, config)
        optimizer.step()
    np.testing.assert_allclose(a.detach().numpy(), ref_a, rtol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), ref_b, rtol=1e-12)


def test_a_raising_group_wins_over_a_skipping_one():
    """Catches 'skip the step if any group says skip': with a NaN in a group that says 'skip'
    and one in a group that says 'raise', the step must raise and change nothing."""
    optimizer, a, b = _two_group_optimizer()
    optimizer.param_groups[0]["nonfinite_grad"] = "skip"
    a.grad = torch.tensor([1.0, float("nan"), 1.0], dtype=torch.float64)
    b.grad = torch.tensor([float("nan"), 1.0], dtype=torch.float64)
    before = _everything(optimizer)
    with pytest.raises(NonFiniteGradientError):
        optimizer.step()
    assert _unchanged(before, optimizer)


def test_a_parameter_appended_to_a_group_after_steps_is_stepped():
    """Catches a cached group setup keyed on the group's hyperparameters alone: a tensor
    appended to ``group["params"]`` (no key changed) needs its own decay flag, and must then
    follow the reference from its own first step, as in torch.optim."""
    config = variants.get("pytorch-adamw", lr=0.1, weight_decay=0.1)
    a0, b0 = np.array([1.0, 2.0]), np.array([-1.0, 0.5])
    a, b = torch.tensor(a0.copy()), torch.tensor(b0.copy())
    optimizer = optim.AdamW([a], lr=0.1, weight_decay=0.1)
    ref_a, state_a = a0.copy(), reference.init(a0, config)
    ref_b, state_b = b0.copy(), reference.init(b0, config)
    for t in range(1, 7):
        if t == 4:
            optimizer.param_groups[0]["params"].append(b)
        grad_a = np.array([0.5, -0.25]) * t
        a.grad = torch.tensor(grad_a)
        ref_a, state_a = reference.step(ref_a, grad_a, state_a, config)
        if t >= 4:
            grad_b = np.array([0.3, 0.1]) * t
            b.grad = torch.tensor(grad_b)
            ref_b, state_b = reference.step(ref_b, grad_b, state_b, config)
        optimizer.step()
    np.testing.assert_allclose(a.numpy(), ref_a, rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), ref_b, rtol=1e-12)


@pytest.mark.parametrize("default_dtype", [torch.float32, torch.float64])
def test_step_counts_have_torchs_dtype_under_either_default_dtype(default_dtype):
    """Catches a step counter whose dtype differs from torch.optim.Adam's (torch makes it
    float64 when that is the default dtype): a checkpoint would then not move between the two
    with its state unchanged."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(default_dtype)
    try:
        states = []
        for make in (torch.optim.Adam, optim.Adam):
            w = torch.ones(2, dtype=torch.float64)
            optimizer = make([w], lr=0.1)
            w.grad = torch.ones(2, dtype=torch.float64)
            optimizer.step()
            states.append(optimizer.state_dict()["state"][0])
    finally:
        torch.set_default_dtype(previous)
    theirs, ours = states
    assert ours["step"].dtype == theirs["step"].dtype
    assert {k: (v.dtype, tuple(v.shape)) for k, v in ours.items()} == {
        k: (v.dtype, tuple(v.shape)) for k, v in theirs.items()
    }
