"""The numbers of "Adam from first principles" against closed forms derived here and adamlib.

Every expected value is computed in this file, from the definitions (plain sums, SymPy) or by
running adamlib; none is read from the chapter's own computations.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy as sp

from adamlib import AdamConfig, reference, variants
from tests.notebooks import CHAPTERS_DIR, glued

CHAPTER = "first_principles"
BETA1, BETA2 = 0.9, 0.999


@pytest.fixture(scope="module")
def g():
    return glued(CHAPTER)


def worst_case_bound(beta1: float, beta2: float, t: int) -> float:
    """B_t of thm-fp-step-bound from its definition: the Cauchy–Schwarz constant, summed term by
    term (no closed form), times the bias-correction factors."""
    ages = np.arange(t)
    cauchy_schwarz = math.sqrt(np.sum((beta1**ages / np.sqrt(beta2) ** ages) ** 2))
    return (1 - beta1) / (1 - beta1**t) * math.sqrt((1 - beta2**t) / (1 - beta2)) * cauchy_schwarz


def test_defaults_are_those_of_the_paper_preset(g):
    """Catches a chapter quoting defaults that differ from Algorithm 1 as adamlib encodes it."""
    paper = variants.get("paper-adam")
    assert (g["alpha_default"], g["beta1_default"], g["beta2_default"], g["eps_default"]) == (
        paper.lr,
        paper.betas[0],
        paper.betas[1],
        paper.eps,
    )


def test_ema_weights_sum_to_one_minus_beta_power(g):
    """Catches a wrong geometric sum (e.g. 1 - β^(t+1), or (1 - β^t)/(1 - β) without the
    (1 - β) factor): the glued closed form must equal the sum of the weights for several t."""
    beta1, t = sp.symbols("beta1 t", positive=True)
    closed_form = sp.sympify(g["fp_weight_sum_str"], locals={"beta1": beta1, "t": t})
    for steps in (1, 2, 7, 40):
        for beta in (0.5, 0.9, 0.999):
            direct = sum((1 - beta) * beta ** (steps - i) for i in range(1, steps + 1))
            assert float(closed_form.subs({beta1: beta, t: steps})) == pytest.approx(
                direct, rel=1e-12
            )
    assert g["fp_weight_sum_beta2_t100"] == pytest.approx(1 - BETA2**100, rel=1e-12)


def test_worst_case_step_bound(g):
    """Catches a wrong closed form for B_t or its limit (e.g. the paper's (1-β₁)/√(1-β₂)
    taken as the worst case), and an adamlib step that does not reach it on the extremal
    gradient sequence."""
    t = g["fp_burst_t"]
    expected = worst_case_bound(BETA1, BETA2, t)
    assert g["fp_worst_case_burst"] == pytest.approx(expected, rel=1e-10)
    assert g["fp_burst_step"] == pytest.approx(expected, rel=1e-10)
    gamma = BETA1**2 / BETA2
    assert g["fp_worst_case_limit"] == pytest.approx(
        (1 - BETA1) / math.sqrt((1 - BETA2) * (1 - gamma)), rel=1e-12
    )
    assert worst_case_bound(BETA1, BETA2, 60_000) == pytest.approx(
        g["fp_worst_case_limit"], rel=1e-9
    )
    assert g["fp_paper_bound"] == pytest.approx((1 - BETA1) / math.sqrt(1 - BETA2), rel=1e-12)
    assert g["fp_worst_case_limit"] > g["fp_paper_bound"]


def test_no_gradient_sequence_beats_the_bound():
    """Catches a bound that is not an upper bound: random positive and mixed-sign gradient
    sequences run through adamlib never step further than B_t."""
    rng = np.random.default_rng(0)
    t = 30
    streams = np.concatenate(
        [rng.standard_normal((t, 200)), np.exp(rng.standard_normal((t, 200)) * 3)], axis=1
    )
    config = AdamConfig(lr=1.0, betas=(BETA1, BETA2), eps=0.0)
    thetas = reference.trajectory(np.zeros(400), lambda theta, s: streams[s - 1], config, t)
    assert np.abs(thetas[-1] - thetas[-2]).max() <= worst_case_bound(BETA1, BETA2, t) * (1 + 1e-12)


def test_sparse_spike_step(g):
    """Catches a wrong severe-sparsity step: one gradient after t-1 zero gradients moves by
    (1-β₁)/(1-β₁ᵗ)·√((1-β₂ᵗ)/(1-β₂)) α, by the closed form and by adamlib."""
    t = g["fp_spike_t"] + 1
    expected = (1 - BETA1) / (1 - BETA1**t) * math.sqrt((1 - BETA2**t) / (1 - BETA2))
    assert g["fp_spike_step_t1000"] == pytest.approx(expected, rel=1e-12)
    assert g["fp_spike_step_adamlib"] == pytest.approx(expected, rel=1e-10)


def test_invariances_and_special_cases(g):
    """Catches a chapter whose rescaling check is not sensitive (ε = 0 must agree to rounding,
    ε > 0 must visibly differ for tiny gradients) and a sign-descent check that is not exact."""
    assert g["fp_rescale_change_without_eps"] < 1e-12
    assert g["fp_rescale_change_with_eps"] > 1e-3
    assert g["fp_sign_descent_error"] < 1e-15


def test_trajectory_matches_torch_and_adamlib(g):
    """Catches a chapter whose torch comparison is loose, or whose stated settings (step size,
    number of steps) are not the ones it ran: the final point is recomputed with adamlib."""
    assert 0 <= g["fp_torch_max_difference"] < 1e-12
    config = AdamConfig(lr=g["fp_rosenbrock_lr"], betas=(BETA1, BETA2), eps=1e-8)

    def grad(theta, t):
        x, y = theta
        return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])

    final = reference.trajectory(np.array([-1.2, 1.0]), grad, config, g["fp_rosenbrock_steps"])[-1]
    assert (g["fp_rosenbrock_final_x"], g["fp_rosenbrock_final_y"]) == pytest.approx(
        tuple(final), rel=1e-12
    )


def test_exercise_solutions(g):
    """Catches wrong exercise answers: the m₃ weights, the step at |g| = ε, and RMSprop's
    worst case (its limit 1/√(1-β₂) and the spike after 999 zeros)."""
    assert g["fp_ex_weights_m3"] == pytest.approx([0.1 * 0.9**2, 0.1 * 0.9, 0.1], rel=1e-12)
    assert g["fp_ex_weights_m3_sum"] == pytest.approx(1 - 0.9**3, rel=1e-12)
    assert g["fp_ex_eps_step"] == pytest.approx(0.5, rel=1e-9)
    assert g["fp_ex_rmsprop_limit"] == pytest.approx(1 / math.sqrt(1 - BETA2), rel=1e-12)
    spike = math.sqrt((1 - BETA2**1000) / (1 - BETA2))
    assert g["fp_ex_rmsprop_spike"] == pytest.approx(spike, rel=1e-10)
    assert g["fp_ex_rmsprop_bound_t1000"] == pytest.approx(spike, rel=1e-10)


@pytest.mark.parametrize(
    "label",
    [
        "alg-adam",
        "eq-adam-init",
        "eq-adam-m",
        "eq-adam-v",
        "eq-adam-bias-correction",
        "eq-adam-update",
    ],
)
def test_cited_labels_are_defined_once_in_the_book(label):
    """Catches a renamed or duplicated label that adamlib's docstrings and teachers cite."""
    pattern = re.compile(
        rf"(\$\$\s*\({re.escape(label)}\)|^:label:\s*{re.escape(label)}\s*$)", re.M
    )
    definitions = {
        path.name: len(pattern.findall(path.read_text())) for path in CHAPTERS_DIR.glob("*.md")
    }
    assert sum(definitions.values()) == 1, {k: v for k, v in definitions.items() if v}
    assert definitions.get(f"{CHAPTER}.md") == 1


def test_second_case_of_the_paper_is_a_heuristic_too(g):
    """Catches a chapter that shows only the first case of Kingma & Ba's bound failing: for
    (0.95, 0.99) the paper's bound is α (second case), while the worst case B_t, summed term by
    term here, tends to (1-β₁)/√((1-β₂)(1-β₁²/β₂)) ≈ 1.68 α, and adamlib's step on the
    extremal sequence reaches it."""
    b1, b2 = g["fp_second_case_beta1"], g["fp_second_case_beta2"]
    assert (b1, b2) == (0.95, 0.99)
    assert 1 - b1 < math.sqrt(1 - b2)  # the paper's second case
    assert g["fp_second_case_paper"] == 1.0
    t = g["fp_burst_t"]
    assert g["fp_second_case_burst"] == pytest.approx(worst_case_bound(b1, b2, t), rel=1e-10)
    assert g["fp_second_case_burst_step"] == pytest.approx(worst_case_bound(b1, b2, t), rel=1e-9)
    limit = worst_case_bound(b1, b2, 20_000)
    assert g["fp_second_case_limit"] == pytest.approx(limit, rel=1e-9)
    assert g["fp_second_case_limit"] == pytest.approx(1.6819, abs=1e-4)
    assert g["fp_second_case_limit"] > 1.5 * g["fp_second_case_paper"]


def test_bound_grows_without_limit_when_beta1_exceeds_root_beta2():
    """Catches a chapter claim that B_t stays bounded for β₁ ≥ √β₂ (Reddi et al.'s condition
    β₁ < √β₂): summed term by term, B_t grows like √t at β₁² = β₂ and geometrically beyond."""
    b2 = 0.81
    at_boundary = [worst_case_bound(0.9, b2, t) for t in (100, 400)]
    assert at_boundary[1] / at_boundary[0] == pytest.approx(2.0, rel=1e-2)
    beyond = [worst_case_bound(0.95, b2, t) for t in (50, 100)]
    assert beyond[1] > 10 * beyond[0]


def test_glued_limit_is_the_closed_form(g):
    """Catches a glued B_∞ that is not (1-β₁)/√((1-β₂)(1-γ)) (e.g. the paper's bound
    (1-β₁)/√(1-β₂)), compared at random points with γ = β₁²/β₂ < 1."""
    beta1, beta2, gamma = sp.symbols("beta1 beta2 gamma", positive=True)
    glued_limit = sp.sympify(
        g["fp_step_bound_limit_str"], locals={"beta1": beta1, "beta2": beta2, "gamma": gamma}
    )
    for b1, b2, t in ((0.9, 0.999, 40_000), (0.5, 0.6, 500), (0.95, 0.99, 20_000)):
        value = float(glued_limit.subs({beta1: b1, beta2: b2, gamma: b1**2 / b2}))
        assert value == pytest.approx(worst_case_bound(b1, b2, t), rel=1e-8)


def test_defaults_in_the_prose_are_powers_of_ten(g):
    """Catches prose that prints the defaults as 1e-08 / 0.001 or with a wrong exponent."""
    assert g["alpha_default_text"] == "10⁻³" and g["eps_default_text"] == "10⁻⁸"


def test_shrinking_gradients_drive_the_step_when_beta1_exceeds_root_beta2(g):
    """Catches the claim that the extremal gradients always grow: for (0.99, 0.9), β₁ > √β₂,
    g_i = (β₂/β₁)^i shrinks to (β₂/β₁)^99 ≈ 8e-5 of g₁ over 100 steps, yet the step at t = 100
    is B_100 ≈ 11.87 α (B_t summed term by term here; not the chapter's own numbers)."""
    b1, b2, t = g["fp_unbounded_beta1"], g["fp_unbounded_beta2"], g["fp_unbounded_t"]
    assert b1 > math.sqrt(b2) and (b1, b2, t) == (0.99, 0.9, 100)
    ratio = (b2 / b1) ** (t - 1)
    assert g["fp_unbounded_gradient_ratio"] == pytest.approx(ratio, rel=1e-10)
    assert g["fp_unbounded_gradient_ratio_text"] == "8 × 10⁻⁵"
    assert g["fp_unbounded_step"] == pytest.approx(worst_case_bound(b1, b2, t), rel=1e-9)
    assert g["fp_unbounded_step"] == pytest.approx(11.8736, abs=1e-4)


def test_what_it_takes_to_break_the_paper_bounds(g):
    """Catches a wrong crossing step or range: B_t (summed term by term) first exceeds
    (1-β₁)/√(1-β₂) at t = 210 for the defaults, with gradients growing ×β₂/β₁ = 1.11 per step
    (range 1.11^209 ≈ 10⁹; 1.11^1999 ≈ 10⁹¹); for (0.95, 0.99) B_t > 1 already at t = 2; and on
    the paper's boundary 1-β₁ = √(1-β₂) the limit is about 4.04 α, not below α."""
    paper = (1 - BETA1) / math.sqrt(1 - BETA2)
    crossing = next(t for t in range(1, 5000) if worst_case_bound(BETA1, BETA2, t) > paper)
    assert g["fp_cross_defaults_t"] == crossing == 210
    assert g["fp_cross_growth"] == pytest.approx(BETA2 / BETA1, rel=1e-14)
    assert g["fp_cross_range_exponent"] == round((crossing - 1) * math.log10(BETA2 / BETA1)) == 9
    assert g["fp_cross_range_text"] == "10⁹"
    burst_exponent = round((g["fp_burst_t"] - 1) * math.log10(BETA2 / BETA1))
    assert g["fp_burst_range_exponent"] == burst_exponent == 91
    assert g["fp_burst_range_text"] == "10⁹¹"
    second = next(t for t in range(1, 50) if worst_case_bound(0.95, 0.99, t) > 1.0)
    assert g["fp_cross_second_t"] == second == 2
    boundary = 1 - math.sqrt(1 - BETA2)
    assert g["fp_boundary_beta1"] == pytest.approx(boundary, rel=1e-14)
    assert g["fp_boundary_limit"] == pytest.approx(
        worst_case_bound(boundary, BETA2, 60_000), rel=1e-8
    )
    assert g["fp_boundary_limit"] == pytest.approx(4.0387, abs=1e-4)


def test_rounding_error_is_printed_as_a_power_of_ten(g):
    """Catches e-notation (1.7e-15) in the prose, or a text that does not round the glued
    float to one significant digit."""
    x = g["fp_rescale_change_without_eps"]
    exponent = math.floor(math.log10(x))
    mantissa = round(x / 10.0**exponent)
    text = g["fp_rescale_change_without_eps_text"]
    assert "e-" not in text and text.startswith(f"{mantissa} × 10")
