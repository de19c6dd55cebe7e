"""A seeded noisy quadratic whose gradients both sides of every comparison consume.

The gradient depends on the current parameters, so a difference between two implementations
feeds back into later gradients instead of washing out; curvatures span two decades and noise
scales three across coordinates, so that element-wise clipping cuts some coordinates and not
others, and L2 terms and data gradients are of comparable size for some coordinates.
"""

from __future__ import annotations

import numpy as np


class NoisyQuadratic:
    """``g(θ, t) = h ⊙ (θ − θ*) + s ⊙ ξ_t`` per named array, with ``ξ_t`` standard normal.

    ``ξ_t`` is drawn from ``default_rng([seed, t])``, so the gradient at step t does not depend
    on how many gradients were asked for before (a skipped or repeated call changes nothing).
    """

    def __init__(self, shapes: dict[str, tuple[int, ...]], seed: int, noise: float = 1.0):
        rng = np.random.default_rng(seed)
        self.shapes = dict(shapes)
        self.seed = seed
        self.curvature = {n: 10.0 ** rng.uniform(-1.0, 1.0, s) for n, s in self.shapes.items()}
        self.noise_scale = {
            n: noise * 10.0 ** rng.uniform(-2.0, 1.0, s) for n, s in self.shapes.items()
        }
        self.optimum = {n: rng.standard_normal(s) for n, s in self.shapes.items()}
        self._initial = {n: rng.standard_normal(s) for n, s in self.shapes.items()}

    def initial(self) -> dict[str, np.ndarray]:
        """Fresh copies of θ_0."""
        return {n: v.copy() for n, v in self._initial.items()}

    def grad(self, params: dict[str, np.ndarray], t: int) -> dict[str, np.ndarray]:
        """The gradient at the 1-based step t for the parameters ``params`` (not modified)."""
        rng = np.random.default_rng([self.seed, t])
        return {
            n: self.curvature[n] * (params[n] - self.optimum[n])
            + self.noise_scale[n] * rng.standard_normal(s)
            for n, s in self.shapes.items()
        }
