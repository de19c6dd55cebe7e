"""How the tests compare two trajectories: relative error per coordinate, every step.

A trajectory is a list ``[θ_0, θ_1, ...]`` of dicts of arrays. The parameters in the tests are of
order 1, so coordinates smaller than ``FLOOR`` are compared relative to ``FLOOR``: a coordinate
crossing zero has no meaningful relative error.
"""

from __future__ import annotations

import numpy as np

RTOL = 1e-12
"""Agreement required between adamlib and an independent implementation in float64."""
FLOOR = 1e-2
MUTANT_MARGIN = 1e3 * RTOL
"""How far a deliberately wrong configuration must land from the expected trajectory, so that
agreement to RTOL is evidence and not luck."""


def deviation(actual: list[dict], expected: list[dict], floor: float = FLOOR) -> float:
    """Largest relative difference over every coordinate of every step; coordinates of
    ``expected`` smaller than ``floor`` are compared relative to ``floor``."""
    if len(actual) != len(expected):
        raise ValueError(f"trajectories of {len(actual)} and {len(expected)} points")
    return max(
        float(np.max(np.abs(np.asarray(a[n]) - e[n]) / np.maximum(np.abs(e[n]), floor)))
        for a, e in zip(actual, expected)
        for n in e
    )
