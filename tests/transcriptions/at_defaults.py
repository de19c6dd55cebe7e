"""Every transcribed implementation constructed with its own defaults, run on one problem.

``RUNS[name](problem, steps)`` returns the trajectory ``[θ_0, θ_1, ...]`` (dicts of arrays) of
the transcription that preset ``name`` claims to match, built with nothing but the learning
rate where the source requires one (1e-3, the papers' default) and the AdamW paper's λ = 0
(it gives none). The PyTorch presets are absent: they are run on ``torch.optim`` itself.
Like every transcription module, this does not import adamlib.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import bert, fairseq, hf, keras, mxnet, optax, papers, tf1
from .shims import Parameter, Variable


def _snapshot(arrays: dict) -> dict:
    return {n: np.array(v, dtype=np.float64) for n, v in arrays.items()}


def _vector(make: Callable) -> Callable:
    def run(problem, steps):
        step = make().step
        params = {n: v.ravel() for n, v in problem.initial().items()}
        (name,) = params
        history = [_snapshot(params)]
        for t in range(1, steps + 1):
            params = {name: step(params[name], problem.grad(params, t)[name])}
            history.append(_snapshot(params))
        return history

    return run


def keras_driver(make: Callable) -> Callable:
    def run(problem, steps):
        opt = make()
        variables = [Variable(v, n) for n, v in problem.initial().items()]
        history = [_snapshot({v.name: v for v in variables})]
        for t in range(1, steps + 1):
            grads = problem.grad(history[-1], t)
            opt.apply([grads[v.name] for v in variables], variables)
            history.append(_snapshot({v.name: v for v in variables}))
        return history

    return run


def _optax(make: Callable) -> Callable:
    def run(problem, steps):
        opt = make()
        params = problem.initial()
        state = opt.init(params)
        history = [_snapshot(params)]
        for t in range(1, steps + 1):
            updates, state = opt.update(problem.grad(params, t), state, params)
            params = optax.apply_updates(params, updates)
            history.append(_snapshot(params))
        return history

    return run


def mxnet1_driver(make: Callable) -> Callable:
    def run(problem, steps):
        opt = make()
        weights = problem.initial()
        states = {i: opt.create_state(i, w) for i, w in enumerate(weights.values())}
        history = [_snapshot(weights)]
        for t in range(1, steps + 1):
            grads = problem.grad(weights, t)
            for i, name in enumerate(weights):
                opt.update(i, weights[name], grads[name], states[i])
            history.append(_snapshot(weights))
        return history

    return run


def mxnet2_driver(make: Callable) -> Callable:
    def run(problem, steps):
        opt = make()
        weights = problem.initial()
        names = list(weights)
        indices = list(range(len(names)))
        states = [opt.create_state(i, weights[n]) for i, n in zip(indices, names)]
        history = [_snapshot(weights)]
        for t in range(1, steps + 1):
            grads = problem.grad(weights, t)
            opt.update(indices, [weights[n] for n in names], [grads[n] for n in names], states)
            history.append(_snapshot(weights))
        return history

    return run


def _bert(make: Callable) -> Callable:
    def run(problem, steps):
        opt = make()
        variables = [Variable(v, n) for n, v in problem.initial().items()]
        history = [_snapshot({v.name: v for v in variables})]
        for t in range(1, steps + 1):
            grads = problem.grad(history[-1], t)
            opt.apply_gradients(
                zip([grads[v.name] for v in variables], variables), global_step=t - 1
            )
            history.append(_snapshot({v.name: v for v in variables}))
        return history

    return run


def _torch_style(make: Callable) -> Callable:
    def run(problem, steps):
        params = [Parameter(v, n) for n, v in problem.initial().items()]
        opt = make(params)
        history = [_snapshot({p.name: p.data for p in params})]
        for t in range(1, steps + 1):
            grads = problem.grad(history[-1], t)
            for p in params:
                p.grad = grads[p.name]
            opt.step()
            history.append(_snapshot({p.name: p.data for p in params}))
        return history

    return run


def _tf1(make: Callable) -> Callable:
    def run(problem, steps):
        opt = make()
        variables = problem.initial()
        history = [_snapshot(variables)]
        for t in range(1, steps + 1):
            grads = problem.grad(variables, t)
            opt.apply_gradients([(grads[n], variables[n]) for n in variables])
            history.append(_snapshot(variables))
        return history

    return run


RUNS: dict[str, Callable] = {
    "paper-adam": _vector(papers.KingmaBaAlgorithm1),
    "paper-adam-epshat": _vector(papers.KingmaBaEpsilonHat),
    "paper-adamw": _vector(
        lambda: papers.LoshchilovHutterAlgorithm2(
            lam=0.0, SetScheduleMultiplier=lambda t: 1.0, variant="adamw"
        )
    ),
    "tf1-adam": _tf1(tf1.AdamOptimizer),
    "keras-adam": keras_driver(keras.Adam),
    "keras-adamw": keras_driver(keras.AdamW),
    "optax-adam": _optax(lambda: optax.adam(1e-3)),
    "optax-adamw": _optax(lambda: optax.adamw(1e-3)),
    "optax-amsgrad": _optax(lambda: optax.amsgrad(1e-3)),
    "mxnet1-adam": mxnet1_driver(mxnet.AdamV1),
    "mxnet2-adam": mxnet2_driver(mxnet.AdamV2),
    "mxnet2-adamw": mxnet2_driver(mxnet.AdamWV2),
    "bert-adamweightdecay": _bert(
        lambda: bert.AdamWeightDecayOptimizer(1e-3, **bert.CREATE_OPTIMIZER_SETTINGS)
    ),
    "hf-adamw": _torch_style(hf.AdamW),
    "fairseq-adam": _torch_style(fairseq.Adam),
    "fairseq-fusedv1": _torch_style(fairseq.FusedAdamV1),
    "fairseq-fusedv2": _torch_style(fairseq.FusedAdamV2),
}
