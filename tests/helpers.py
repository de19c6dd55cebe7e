"""Helpers shared by the library's test modules: one trajectory runner, one fuzz depth.

``reference_trajectory`` runs :func:`adamlib.reference.trajectory` on a seeded problem (the one
runner that test_optim, test_adamlib_presets and the property tests share);
:func:`tests.transcriptions.compare.deviation` is the one comparison of trajectories.
``examples(n)`` is the number of hypothesis examples of a property: ``n`` in the fast,
derandomised profile of ``make test``, ``DEEP_EXAMPLES`` under ``HYPOTHESIS_PROFILE=deep``.
"""

from __future__ import annotations

import os

from adamlib import AdamConfig, reference
from tests.transcriptions.problem import NoisyQuadratic

DEEP_EXAMPLES = int(os.environ.get("DEEP_EXAMPLES", "10000"))
"""Examples of each cross-checking property under ``HYPOTHESIS_PROFILE=deep`` (10 000, or
``DEEP_EXAMPLES`` from the environment)."""


def deep() -> bool:
    return os.environ.get("HYPOTHESIS_PROFILE") == "deep"


def examples(fast: int) -> int:
    """``fast`` examples in the default profile, :data:`DEEP_EXAMPLES` in the deep one."""
    return DEEP_EXAMPLES if deep() else fast


def reference_trajectory(config: AdamConfig, problem: NoisyQuadratic, steps: int) -> list[dict]:
    """θ_0..θ_steps of the reference step on ``problem`` (gradients depend on θ)."""
    return reference.trajectory(problem.initial(), problem.grad, config, steps)
