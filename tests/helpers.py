"""Helpers shared by the library's test modules: one trajectory runner, one fuzz depth.

``reference_trajectory`` runs :func:`adamlib.reference.trajectory` on a seeded problem whose
gradients depend on θ; ``fixed_gradient_trajectory`` runs a step function (the reference's, or
RAdam's) on a given gradient sequence. :func:`tests.transcriptions.compare.deviation` is the one
comparison of trajectories.
``examples(n)`` is the number of hypothesis examples of a property: ``n`` in the fast,
derandomised profile of ``make test``, ``DEEP_EXAMPLES`` under ``HYPOTHESIS_PROFILE=deep``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

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


def fixed_gradient_trajectory(
    params: Any,
    grads: list,
    config: Any,
    state: dict | None = None,
    step: Callable = reference.step,
) -> list:
    """θ_0..θ_T of ``step`` (default the reference's) from ``state`` (default
    ``reference.init``) for a gradient sequence that does not depend on θ."""
    state = reference.init(params, config) if state is None else state
    history = [params]
    for g in grads:
        params, state = step(params, g, state, config)
        history.append(params)
    return history
