"""A 64-configuration hyperparameter grid: one vectorised reference run against 64 runs.

    .venv/bin/python benchmarks/sweep.py [--preset pytorch-adamw] [--steps 200] [--dims 16 256 4096]

``adamlib.reference`` accepts hyperparameters that are arrays of shape (N,) against parameters
with a leading axis N, so a grid of 8 learning rates × 8 weight decays runs as one trajectory.
Each configuration minimises a noisy quadratic (the same curvatures and optimum, its own noise),
and the grid's row i must equal the sequential run of configuration i. For each size of the
problem the script prints both times (medians of interleaved repeats), the speed-up (target:
>= 10x) and the largest relative difference between a row and its run. The grid saves Python
overhead per step, so its advantage is largest for small problems and shrinks as NumPy's
per-element work grows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from adamlib import reference, variants

LRS = np.geomspace(1e-4, 1e-1, 8)
WEIGHT_DECAYS = np.array([0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1])


def problem(dim: int, steps: int, configs: int, seed: int = 0):
    """Curvatures, optimum, start and per-step noise of a quadratic, shared by all configs."""
    rng = np.random.default_rng(seed)
    curvature = 10.0 ** rng.uniform(-1, 1, dim)
    optimum = rng.standard_normal(dim)
    start = rng.standard_normal(dim)
    noise = rng.standard_normal((steps, configs, dim))
    return curvature, optimum, start, noise


def run(config, start: np.ndarray, curvature, optimum, noise) -> np.ndarray:
    """θ after len(noise) reference steps; ``start`` and ``noise[t]`` have the same shape."""
    params = start
    state = reference.init(params, config)
    for noise_t in noise:
        params, state = reference.step(
            params, curvature * (params - optimum) + noise_t, state, config
        )
    return params


def compare(preset: str, steps: int, dim: int, repeats: int) -> tuple[float, float, float]:
    """Median seconds of the vectorised grid and of the 64 sequential runs (interleaved
    repeats), and the largest relative difference between a grid row and its own run."""
    lrs, weight_decays = (grid.ravel() for grid in np.meshgrid(LRS, WEIGHT_DECAYS))
    n = lrs.size
    curvature, optimum, start, noise = problem(dim, steps, n)
    grid = variants.get(preset, lr=lrs, weight_decay=weight_decays)
    runs = {
        "vectorised": lambda: run(grid, np.tile(start, (n, 1)), curvature, optimum, noise),
        "sequential": lambda: np.stack(
            [
                run(
                    variants.get(preset, lr=float(lrs[i]), weight_decay=float(weight_decays[i])),
                    start.copy(),
                    curvature,
                    optimum,
                    noise[:, i],
                )
                for i in range(n)
            ]
        ),
    }
    results, times = {}, {key: [] for key in runs}
    for _ in range(repeats):  # interleaved, so that load from elsewhere hits both alike
        for key, fn in runs.items():
            began = time.perf_counter()
            results[key] = fn()
            times[key].append(time.perf_counter() - began)
    vectorised, sequential = results["vectorised"], results["sequential"]
    difference = np.max(np.abs(vectorised - sequential) / np.maximum(np.abs(sequential), 1e-2))
    return (
        statistics.median(times["vectorised"]),
        statistics.median(times["sequential"]),
        difference,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="pytorch-adamw", choices=variants.names())
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument(
        "--dims", type=int, nargs="+", default=[16, 256, 4096], help="parameters per configuration"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    print(
        f"{args.preset}: {LRS.size * WEIGHT_DECAYS.size} configurations (8 lr x 8 "
        f"weight_decay), {args.steps} steps; medians of {args.repeats} interleaved repeats"
    )
    print(
        f"{'params/config':>13} {'vectorised s':>12} {'sequential s':>12} {'speed-up':>9} "
        f"{'max rel. diff':>13}"
    )
    for dim in args.dims:
        vectorised, sequential, difference = compare(args.preset, args.steps, dim, args.repeats)
        print(
            f"{dim:13d} {vectorised:12.3f} {sequential:12.3f} {sequential / vectorised:8.1f}x "
            f"{difference:13.1e}"
        )
    print("target: >= 10x; max rel. diff compares each grid row with its own sequential run")


if __name__ == "__main__":
    main()
