"""The glued numbers of chapters/failures.md against closed forms, independent transcriptions of
the papers' algorithms, and adamlib.

Closed forms are derived here by hand (not read from the chapter); the synthetic experiment is
re-run with a literal NumPy transcription of Reddi et al.'s algorithms instead of adamlib, so a
mistake in the chapter's use of adamlib, or in adamlib, shows up as a disagreement.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from adamlib import AdamConfig, radam, reference
from tests.notebooks import executed, glued, glued_outputs


@pytest.fixture(scope="module")
def g():
    return glued("failures")


# -- the counterexample (Theorem 1 of Reddi et al.) --------------------------------------------


def _paper_adam(C: float, amsgrad: str = "off", bias_correction: str = "none") -> AdamConfig:
    beta2 = 1 / (1 + C**2)
    return AdamConfig(
        lr=0.9 * math.sqrt(1 - beta2),
        betas=(0.0, beta2),
        eps=0.0,
        bias_correction=bias_correction,
        amsgrad=amsgrad,
        schedule_multiplier=lambda t: 1 / math.sqrt(t),
    )


def _adamlib_mod3(C: float, steps: int, **switches) -> np.ndarray:
    config = _paper_adam(C, **switches)
    theta = np.ones(1)
    state = reference.init(theta, config)
    history = [theta[0]]
    for t in range(1, steps + 1):
        theta, state = reference.step(theta, np.array([C if t % 3 == 1 else -1.0]), state, config)
        theta = np.clip(theta, -1.0, 1.0)
        history.append(theta[0])
    return np.array(history)


def test_exact_run_returns_to_one_and_first_step_is_one_tenth(g):
    """Catches an exact derivation that projects wrongly (the period would not restart at
    exactly 1) or that applies bias correction (θ_1 would be 1 - 0.9·√(1-β₂) ≠ 1/10)."""
    assert g["fail_exact_period_starts"] == ["1"] * (g["fail_exact_steps"] // 3 + 1)
    # θ_1 = 1 - α_1·C/√((1-β₂)C²) = 1 - α/√(1-β₂) = 1 - 9/10.
    assert sp.sympify(g["fail_exact_theta_1"]) == sp.Rational(1, 10)


def test_adamlib_reproduces_the_exact_runs(g):
    """Catches adamlib (or the chapter's use of it) with η_t evaluated at the wrong step, with
    bias correction under bias_correction='none', or with AMSGrad's maximum taken wrongly: the
    float64 trajectory would leave the exact one."""
    steps = g["fail_exact_steps"]
    np.testing.assert_allclose(
        _adamlib_mod3(3.0, steps), g["fail_exact_adam_floats"], rtol=0, atol=1e-14
    )
    np.testing.assert_allclose(
        _adamlib_mod3(3.0, steps, amsgrad="max_v"),
        g["fail_exact_amsgrad_floats"],
        rtol=0,
        atol=1e-14,
    )
    assert g["fail_exact_vs_adamlib"] < 1e-14 and g["fail_exact_vs_adamlib_amsgrad"] < 1e-14


def test_regret_limit_is_two_c_minus_four_over_three(g):
    """Catches a regret limit derived with the wrong optimum or period: per period Adam pays
    C - 2 at x = 1 and the best point pays 2 - C."""
    C = sp.Symbol("C", positive=True)
    assert (
        sp.simplify(sp.sympify(g["fail_regret_limit_str"], locals={"C": C}) - (2 * C - 4) / 3) == 0
    )
    assert g["fail_regret_limit_C3"] == pytest.approx(2 / 3, rel=1e-15)
    assert g["fail_regret_limit_C10"] == pytest.approx(16 / 3, rel=1e-15)


@pytest.mark.parametrize("C", [3, 10])
def test_average_regret_approaches_the_limit_from_above_within_the_bound(g, C):
    """Catches a wrong average-regret computation or a run that is not the theorem's: the excess
    over (2C-4)/3 is the left steps' cost (1-θ_{3k+1}) + (1-θ_{3k+2}) <= 2 s_1(k), with
    s_1(k) <= α/√((1-β₂)(3k+1)) = 0.9/√(3k+1)."""
    T = g["fail_mod3_steps"]
    limit = (2 * C - 4) / 3
    excess_bound = sum(2 * 0.9 / math.sqrt(3 * k + 1) for k in range(T // 3 + 1)) / T
    excess = g[f"fail_adam_avg_regret_C{C}"] - limit
    assert 0 < excess <= excess_bound
    assert g["fail_adam_max_dev_from_1"] == 0.0
    assert g["fail_adam_min_theta"] == pytest.approx(0.1, abs=1e-15)


def test_the_proofs_lower_bound(g):
    """Catches a wrong worst-case ratio: at u = (1-β₂)C², k = 0 the squared ratios are
    (C²+1)/(2(2C²+1)) and (C²+1)²/(3(C⁴+4C²+2)), derived here from v₂ = β₂u + 1-β₂ and
    v₃ = β₂v₂ + 1-β₂."""

    def bound(C):
        c = C * C
        return math.sqrt((c + 1) / (2 * (2 * c + 1))) + math.sqrt(
            (c + 1) ** 2 / (3 * (c * c + 4 * c + 2))
        )

    assert g["fail_worst_case_at_2"] == pytest.approx(bound(2.0), rel=1e-12)
    assert g["fail_worst_case_limit"] == pytest.approx(0.5 + 1 / math.sqrt(3), rel=1e-12)
    c_star = math.sqrt(2 + math.sqrt(6))
    interval = math.sqrt((c_star**2 + 1) / (2 * (2 * c_star**2 + 1))) + math.sqrt(25 / (3 * 34))
    assert g["fail_interval_bound"] == pytest.approx(interval, rel=1e-12)
    assert g["fail_interval_bound"] > 1
    assert min(bound(C) for C in np.linspace(2.0, 100.0, 2000)) > 1


def test_amsgrad_escapes_on_the_counterexample(g):
    """Catches an AMSGrad run that is really Adam (it would stay positive) or that lost the
    projection (it would leave [-1, 1])."""
    for C in (3, 10):
        assert -1 <= g[f"fail_amsgrad_theta_T_C{C}"] < -0.95
        assert g[f"fail_amsgrad_avg_regret_C{C}"] < 0.1 * (2 * C - 4) / 3
    assert g["fail_exact_amsgrad_last"] < 0


def test_bias_corrected_counterexample_exercise(g):
    """Catches an exercise that did not switch bias correction on: its lowest iterate would be
    exactly 1/10, while with v̂_1 = C² the first step is α and θ_1 = 1 - 0.9·√(1-β₂) (C = 10)."""
    assert g["fail_ex_bc_max_dev"] == 0.0
    assert g["fail_ex_bc_factor_t1_C3"] == pytest.approx(1 / math.sqrt(1 - 1 / 10), rel=1e-15)
    beta2_c10 = 1 / 101
    assert g["fail_ex_bc_min_theta"] == pytest.approx(1 - 0.9 * math.sqrt(1 - beta2_c10), rel=1e-12)
    np.testing.assert_allclose(
        _adamlib_mod3(10.0, 300, bias_correction="explicit")[::3], 1.0, rtol=0, atol=0
    )


# -- the synthetic experiment ------------------------------------------------------------------


def _transcribed_synthetic(alphas, steps, amsgrad, big_draws):
    """Reddi et al.'s Adam (Algorithm 1 without bias correction) or AMSGrad (Algorithm 2), ε = 0,
    α_t = α/√t, clipping to [-1, 1]; written from the paper, not from adamlib."""
    period, n_stochastic = 101, big_draws.shape[1]
    phases = np.arange(period)
    x = np.zeros((len(alphas), period + n_stochastic))
    m, v, v_max = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    history = np.empty((steps + 1,) + x.shape)
    history[0] = x
    gradients = np.empty((steps,) + x.shape)
    for t in range(1, steps + 1):
        grad = np.concatenate(
            [
                np.where((t - phases) % period == 1, 1010.0, -10.0),
                np.where(big_draws[t - 1], 1010.0, -10.0),
            ]
        )
        m = 0.9 * m + 0.1 * grad
        v = 0.99 * v + 0.01 * grad**2
        v_max = np.maximum(v_max, v)
        denominator = np.sqrt(v_max if amsgrad else v)
        x = np.clip(x - (np.asarray(alphas)[:, None] / np.sqrt(t)) * m / denominator, -1, 1)
        history[t], gradients[t - 1] = x, grad
    return history, gradients


@pytest.fixture(scope="module")
def synthetic(g):
    steps = g["fail_syn_steps"]
    big_draws = np.random.default_rng(2018).random((steps, g["fail_syn_n_stochastic"])) < 0.01
    alphas = [g["fail_syn_alpha_small"], g["fail_syn_alpha_large"]]
    return {
        name: _transcribed_synthetic(alphas, steps, name == "AMSGrad", big_draws)
        for name in ("Adam", "AMSGrad")
    }


def test_synthetic_closed_forms(g):
    """Catches a wrong period sum (1010 - 100·10 = 10), regret floor (2·10/101) or stochastic
    mean gradient (0.01·1010 - 0.99·10 = 0.2)."""
    assert g["fail_syn_cycle_slope"] == 10
    assert g["fail_syn_regret_floor_str"] == "20/101"
    assert g["fail_syn_regret_floor"] == pytest.approx(20 / 101, rel=1e-15)
    assert g["fail_syn_mean_gradient"] == pytest.approx(
        float(Fraction(1, 100) * 1010 - Fraction(99, 100) * 10)
    )


def test_synthetic_runs_match_a_transcription_of_the_paper(g, synthetic):
    """Catches the chapter's synthetic run using a config that is not the paper's algorithm (bias
    correction, ε, AMSGrad flavour, schedule, phase shift or projection): its tail means and
    regrets would differ from a literal transcription of Algorithms 1 and 2."""
    tail = g["fail_syn_tail"]
    for row, alpha in enumerate((1, 4)):
        tails = {
            name: history[-tail:].mean(axis=0)[row] for name, (history, _) in synthetic.items()
        }
        assert g[f"fail_syn_adam_online_min_a{alpha}"] == pytest.approx(
            tails["Adam"][:101].min(), abs=1e-9
        )
        assert g[f"fail_syn_amsgrad_online_max_a{alpha}"] == pytest.approx(
            tails["AMSGrad"][:101].max(), abs=1e-9
        )
        assert g[f"fail_syn_amsgrad_online_min_a{alpha}"] == pytest.approx(
            tails["AMSGrad"][:101].min(), abs=1e-9
        )
        assert g[f"fail_syn_amsgrad_phase0_a{alpha}"] == pytest.approx(
            tails["AMSGrad"][0], abs=1e-9
        )
        assert g[f"fail_syn_adam_stochastic_a{alpha}"] == pytest.approx(
            tails["Adam"][101:].mean(), abs=1e-9
        )
        assert g[f"fail_syn_amsgrad_stochastic_a{alpha}"] == pytest.approx(
            tails["AMSGrad"][101:].mean(), abs=1e-9
        )
        assert g[f"fail_syn_stochastic_below_a{alpha}"] == int(
            np.sum(tails["AMSGrad"][101:] < tails["Adam"][101:])
        )
        for name, key in (("Adam", "adam"), ("AMSGrad", "amsgrad")):
            history, gradients = synthetic[name]
            T = len(gradients)
            regret = (
                gradients[:, row, 0] @ history[:-1, row, 0] + abs(gradients[:, row, 0].sum())
            ) / T
            assert g[f"fail_syn_{key}_regret_a{alpha}"] == pytest.approx(regret, rel=1e-9)


def test_synthetic_claims_of_the_prose(g):
    """Catches a run whose numbers no longer support the text: Adam near +1 in every phase,
    AMSGrad below 0 in every phase with α = 4 but not with α = 1, regrets above Adam's floor."""
    assert g["fail_syn_adam_online_min_a1"] > 0.9 and g["fail_syn_adam_online_min_a4"] > 0.8
    assert g["fail_syn_amsgrad_online_max_a4"] < -0.3
    assert g["fail_syn_amsgrad_online_min_a1"] < -0.3 < 0.3 < g["fail_syn_amsgrad_online_max_a1"]
    assert g["fail_syn_amsgrad_stochastic_a4"] < g["fail_syn_adam_stochastic_a4"]
    assert g["fail_syn_stochastic_below_a4"] >= 0.9 * g["fail_syn_n_stochastic"]
    for alpha in (1, 4):
        assert (
            min(g[f"fail_syn_adam_regret_a{alpha}"], g[f"fail_syn_amsgrad_regret_a{alpha}"])
            > g["fail_syn_regret_floor"]
        )


# -- three AMSGrads ----------------------------------------------------------------------------

B1, B2 = 0.9, 0.999
M1 = (1 - B1) * 1.0
M2 = B1 * M1 + (1 - B1) * 0.5
V1 = (1 - B2) * 1.0
V2 = B2 * V1 + (1 - B2) * 0.25
TWO_STEP = {
    # max of raw v: V2 > V1, so the maximum is V2 and the step is Adam's.
    "pytorch": -(1.0 + (M2 / (1 - B1**2)) / math.sqrt(V2 / (1 - B2**2))),
    # max of v̂: v̂_1 = 1 > v̂_2, so the second denominator is 1.
    "optax": -(1.0 + M2 / (1 - B1**2)),
    # no bias correction: m/√max(v) = m_1/√V1 + m_2/√V2.
    "paper": -(M1 / math.sqrt(V1) + M2 / math.sqrt(V2)),
    "adam": -(1.0 + (M2 / (1 - B1**2)) / math.sqrt(V2 / (1 - B2**2))),
}


@pytest.mark.parametrize("name", TWO_STEP)
def test_two_step_amsgrad_values(g, name):
    """Catches a chapter derivation (or an adamlib switch) that takes the maximum of the wrong
    quantity or corrects it at the wrong time: θ_2 after g = (1, 1/2) differs between the three."""
    assert g[f"fail_two_step_{name}"] == pytest.approx(TWO_STEP[name], rel=1e-12)
    switches = {
        "pytorch": {"amsgrad": "max_v"},
        "optax": {"amsgrad": "max_vhat"},
        "paper": {"amsgrad": "max_v", "bias_correction": "none"},
        "adam": {},
    }[name]
    config = AdamConfig(lr=1.0, betas=(B1, B2), eps=0.0, **switches)
    theta = np.zeros(1)
    state = reference.init(theta, config)
    for grad in (1.0, 0.5):
        theta, state = reference.step(theta, np.array([grad]), state, config)
    assert theta[0] == pytest.approx(TWO_STEP[name], rel=1e-12)


def test_two_step_values_are_three_different_numbers(g):
    """Catches an example in which two AMSGrad definitions coincide (then it shows nothing)."""
    values = {round(g[f"fail_two_step_{n}"], 9) for n in ("pytorch", "optax", "paper")}
    assert len(values) == 3


def test_amsgrad_threshold_exercise(g):
    """Catches wrong binding thresholds: PyTorch's max binds iff g_2² < (1-β₂)g_1², optax's iff
    g_2 < g_1 (from (β₂ + g_2²)/(1+β₂) < 1)."""
    assert g["fail_ex_torch_threshold_999"] == pytest.approx(math.sqrt(1 - 0.999), rel=1e-12)
    assert g["fail_ex_torch_binds"] == {"below": True, "above": False}
    assert g["fail_ex_optax_binds_below_1"] is True


# -- RAdam -------------------------------------------------------------------------------------


def _rho(t, b):
    return 2 / (1 - b) - 1 - 2 * t * b**t / (1 - b**t)


def _r(t, b):
    rho_t, rho_inf = _rho(t, b), 2 / (1 - b) - 1
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))


def _var_exact(rho):
    """Var[√(ρ/Y)], Y ~ χ²_ρ: E[ρ/Y] = ρ/(ρ-2) and E[√(ρ/Y)] = √(ρ/2)·Γ((ρ-1)/2)/Γ(ρ/2), in 30
    digits because the two terms cancel to about 1/ρ."""
    with mpmath.workdps(30):
        rho = mpmath.mpf(rho)
        return float(
            rho / (rho - 2) - rho / 2 * (mpmath.gamma((rho - 1) / 2) / mpmath.gamma(rho / 2)) ** 2
        )


def test_rho_t_is_liu_et_al_sma_length(g):
    """Catches a centre-of-mass derivation with an off-by-one (SMA centre ρ/2 instead of
    (ρ-1)/2) or the wrong EMA weights: it would not simplify to Liu et al.'s ρ_t."""
    beta2, t = sp.symbols("beta2 t", positive=True)
    derived = sp.sympify(g["fail_rho_t_str"], locals={"beta2": beta2, "t": t})
    assert sp.simplify(derived - (2 / (1 - beta2) - 1 - 2 * t * beta2**t / (1 - beta2**t))) == 0
    assert g["fail_rho_inf_999"] == 1999.0
    assert g["fail_rho_first_steps_999"] == [round(_rho(t, 0.999), 6) for t in range(1, 8)]
    assert g["fail_rho_first_steps_999"][0] == 1.0


def test_variance_formulas(g):
    """Catches a wrong variance integral or delta-method step: the exact variance is
    ρ/(ρ-2) - (ρ/2)(Γ((ρ-1)/2)/Γ(ρ/2))² and the first-order one ρ/(2(ρ-2)(ρ-4))."""
    rho = sp.Symbol("rho", positive=True)
    first_order = sp.sympify(g["fail_var_first_order_str"], locals={"rho": rho})
    assert sp.simplify(first_order - rho / (2 * (rho - 2) * (rho - 4))) == 0
    for rho_value in (5, 10, 100, 500):
        assert g[f"fail_var_exact_{rho_value}"] == pytest.approx(_var_exact(rho_value), rel=1e-12)
        assert g[f"fail_var_first_order_{rho_value}"] == pytest.approx(
            rho_value / (2 * (rho_value - 2) * (rho_value - 4)), rel=1e-14
        )
    assert g["fail_var_ratio_exact"] == pytest.approx(_var_exact(5) / _var_exact(500), rel=1e-12)
    assert g["fail_var_ratio_first_order"] == pytest.approx(
        float(Fraction(5, 6) / Fraction(500, 2 * 498 * 496)), rel=1e-14
    )
    assert 100 < g["fail_var_ratio_exact"] < g["fail_var_ratio_first_order"]


def test_rectification_and_thresholds(g):
    """Catches an r_t with the ratio inverted or a threshold convention swapped: the first step
    with ρ_t > 4 is t = 5 and with ρ_t > 5 is t = 6, for β₂ = 0.9, 0.99, 0.999."""
    rho_t, rho_inf = sp.symbols("rho_t rho_infty", positive=True)
    r_t = sp.sympify(g["fail_rect_str"], locals={"rho_t": rho_t, "rho_infty": rho_inf})
    expected = sp.sqrt(
        (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
    )
    for values in ({rho_t: 5, rho_inf: 1999}, {rho_t: 37, rho_inf: 199}):
        assert float(r_t.subs(values)) == pytest.approx(float(expected.subs(values)), rel=1e-14)
    for b in ("0.9", "0.99", "0.999"):
        firsts = {th: next(t for t in range(1, 100) if _rho(t, float(b)) > th) for th in (4, 5)}
        assert g["fail_first_rectified_all"][b] == firsts
    assert (g["fail_first_rectified_paper"], g["fail_first_rectified_torch"]) == (5, 6)
    for t in (5, 6, 10, 100, 1000):
        assert g[f"fail_rect_999_t{t}"] == pytest.approx(_r(t, 0.999), rel=1e-10)
        assert g[f"fail_rect_999_t{t}"] == pytest.approx(radam.rectification(t, 0.999), rel=1e-10)


def test_monte_carlo_agrees_with_the_derivation(g):
    """Catches a variance formula off by a constant or a Monte Carlo of the wrong quantity: the
    seeded estimates must agree with the exact model within sampling error (400 000 draws) and,
    on Gaussian gradients, within the SMA approximation the text states (about ten per cent)."""
    for rho_value, tolerance in ((5, 0.05), (10, 0.02), (100, 0.02)):
        assert g[f"fail_mc_model_var_{rho_value}"] == pytest.approx(
            _var_exact(rho_value), rel=tolerance
        )
    for t in (5, 10, 100, 1000):
        assert g[f"fail_mc_var_model_t{t}"] == pytest.approx(_var_exact(_rho(t, 0.999)), rel=1e-11)
        assert g[f"fail_mc_var_psi_t{t}"] == pytest.approx(g[f"fail_mc_var_model_t{t}"], rel=0.12)
    assert g["fail_mc_var_ratio_t5_last"] > 100
    assert g["fail_mc_rectified_spread"] < 5


def test_radam_constant_gradient_moves(g):
    """Catches a RAdam whose fallback step is normalised (it would move α, not α·g) or whose
    threshold is off by one step: with g = 3 and ε = 0 the moves are 3α until ρ_t passes the
    threshold, then α·r_t."""
    r = {t: _r(t, 0.999) for t in range(5, 9)}
    paper = [3.0] * 4 + [r[t] for t in range(5, 9)]
    torch = [3.0] * 5 + [r[t] for t in range(6, 9)]
    np.testing.assert_allclose(g["fail_radam_moves_paper"], paper, rtol=0, atol=1e-6)
    np.testing.assert_allclose(g["fail_radam_moves_torch"], torch, rtol=0, atol=1e-6)
    assert g["fail_radam_adam_identity"] < 1e-10


def test_warmup_points(g):
    """Catches a warm-up statement computed from a wrong r_t: the first t with r_t >= 1/2 and
    >= 9/10 for β₂ = 0.999."""
    assert g["fail_warmup_half_999"] == next(t for t in range(5, 10**5) if _r(t, 0.999) >= 0.5)
    assert g["fail_warmup_09_999"] == next(t for t in range(5, 10**5) if _r(t, 0.999) >= 0.9)
    assert g["fail_warmup_half_over_rho_inf"] == pytest.approx(
        g["fail_warmup_half_999"] / 1999, rel=1e-12
    )


def test_never_rectified_exercise(g):
    """Catches the β₂ bounds solved for the wrong ρ_∞: 2/(1-β₂) - 1 = 4 gives 3/5, = 5 gives 2/3."""
    assert g["fail_ex_beta2_bounds"] == {4: "3/5", 5: "2/3"}
    assert g["fail_ex_beta2_bound_paper"] == pytest.approx(0.6, rel=1e-15)
    assert g["fail_ex_beta2_bound_torch"] == pytest.approx(2 / 3, rel=1e-15)
    assert g["fail_ex_momentum_only_max_dev"] < 1e-12


# -- longer runs and the real torch optimizers -------------------------------------------------


def _scalar_paper_run(alpha: float, phase: int, amsgrad: bool, horizons: tuple[int, ...]):
    """One coordinate of Reddi et al.'s Adam (Algorithm 1 without bias correction) or AMSGrad
    (Algorithm 2) on the 101-periodic synthetic losses, ε = 0, α_t = α/√t, θ_0 = 0, clipping;
    written statement by statement from the paper in plain Python floats, independent of the
    chapter's vectorised scan. Returns, per horizon H, the mean of θ_t over the last H/5 steps
    and the average regret R_H/H."""
    m = v = v_max = x = loss = g_sum = 0.0
    tail_sums = dict.fromkeys(horizons, 0.0)
    results = {}
    for t in range(1, max(horizons) + 1):
        g = 1010.0 if (t - phase) % 101 == 1 else -10.0
        loss += g * x
        g_sum += g
        m = 0.9 * m + 0.1 * g
        v = 0.99 * v + 0.01 * g * g
        v_max = max(v_max, v)
        x = min(1.0, max(-1.0, x - alpha / math.sqrt(t) * m / math.sqrt(v_max if amsgrad else v)))
        for h in horizons:
            if h - h // 5 < t <= h:
                tail_sums[h] += x
        if t in tail_sums:
            results[t] = (tail_sums[t] / (t // 5), (loss + abs(g_sum)) / t)
    return results


def test_long_runs_against_a_scalar_transcription(g):
    """Catches a wrong vectorised scan (clamp composition, lfilter state carried across chunks,
    running maximum) or prose numbers that no longer match: AMSGrad's worst phase with α = 1 is
    above zero after 101 000 steps and below after 404 000; with α = 4 phase 0 is near -1 after
    101 000 steps; phase 0's AMSGrad regret (α = 1) ends below Adam's floor 20/101."""
    assert g["fail_long_vs_adamlib"] < 1e-12
    short, long, longest = g["fail_syn_steps"], g["fail_long_steps"], g["fail_longest_steps"]
    assert (short, long, longest) == (12_120, 101_000, 404_000)
    worst = _scalar_paper_run(1.0, g["fail_long_worst_phase"], True, (short, long, longest))
    for i, h in enumerate((short, long, longest)):
        assert g[f"fail_worst_tail_a1_{i}"] == pytest.approx(worst[h][0], abs=1e-9)
    assert g["fail_worst_tail_a1_1"] > 0 > g["fail_worst_tail_a1_2"]
    assert g["fail_long_amsgrad_a1_max"] == pytest.approx(worst[long][0], abs=1e-9)
    phase0 = _scalar_paper_run(1.0, 0, True, (short, long, longest))
    for i, h in enumerate((short, long, longest)):
        assert g[f"fail_regret_amsgrad_a1_{i}"] == pytest.approx(phase0[h][1], rel=1e-9)
    assert g["fail_regret_amsgrad_a1_2"] < 20 / 101 < g["fail_regret_amsgrad_a1_1"]
    phase0_a4 = _scalar_paper_run(4.0, 0, True, (long,))
    assert g["fail_long_amsgrad_a4_min"] <= phase0_a4[long][0] <= g["fail_long_amsgrad_a4_max"]
    assert g["fail_long_amsgrad_a4_max"] < -0.95
    assert g["fail_regret_adam_a1_2"] > 20 / 101 and g["fail_regret_amsgrad_a4_2"] > 20 / 101


def test_real_torch_amsgrad_and_radam(g):
    """Catches a chapter that shows PyTorch's behaviour from adamlib instead of torch, or a torch
    whose AMSGrad takes the maximum of the corrected v̂ (θ_2 would be the optax value) or whose
    RAdam rectifies at ρ_t > 4 (step 5 would be rectified): compared with closed forms."""
    assert g["fail_torch_amsgrad_theta_2"] == pytest.approx(TWO_STEP["pytorch"], rel=1e-12)
    assert g["fail_torch_amsgrad_theta_2"] != pytest.approx(TWO_STEP["optax"], rel=1e-6)
    assert g["fail_torch_amsgrad_max_v"] == pytest.approx(V2, rel=1e-12)
    beta2, rho_inf = 0.999, 2 / (1 - 0.999) - 1

    def r(t):
        rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        return math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))

    expected = [3.0] * 5 + [r(t) for t in (6, 7, 8)]
    assert g["fail_torch_radam_moves"] == pytest.approx(expected, abs=2e-6)
    assert g["fail_torch_radam_first_rectified"] == 6


@pytest.mark.parametrize(
    "name, pieces",
    [
        ("fail_worst_case", [r"\min_{k \ge 0} \frac{s_2 + s_3}{s_1}", r"\sqrt"]),
        ("fail_regret_limit", [r"\lim_{T \to \infty} \frac{R_T}{T}", r"\frac{2 C}{3}"]),
    ],
)
def test_glued_equations_render_as_latex(name, pieces):
    """Catches a glued equation whose left-hand side is a SymPy Symbol with a LaTeX name, which
    SymPy mangles (the old "min_{k (s 2 + s 3)/s 1}")."""
    latex = glued_outputs(executed("failures"))[name]["text/latex"]
    for piece in pieces:
        assert piece in latex
    assert "s 2" not in latex and "s 1" not in latex


# -- referee round: independent checks of the long runs, the RAdam identity and the prose format -


def _time_stepped_all_phases(alphas, steps, amsgrad):
    """Reddi et al.'s Adam (Algorithm 1 without bias correction) or AMSGrad (Algorithm 2) on the
    101-periodic synthetic losses, for all 101 phases and each α at once, stepped in time (not the
    chapter's period-wise clamp scan): ε = 0, α_t = α/√t, θ_0 = 0, clipping. Returns the mean of
    θ_t over the last steps/5 steps, shape (len(alphas), 101)."""
    phases = np.arange(101)
    alphas = np.asarray(alphas, dtype=float)[:, None]
    x = np.zeros((len(alphas), 101))
    m, v, v_max, tail = np.zeros(101), np.zeros(101), np.zeros(101), np.zeros_like(x)
    for t in range(1, steps + 1):
        grad = np.where((t - phases) % 101 == 1, 1010.0, -10.0)
        m = 0.9 * m + 0.1 * grad
        v = 0.99 * v + 0.01 * grad * grad
        v_max = np.maximum(v_max, v)
        x = np.clip(x - alphas / math.sqrt(t) * (m / np.sqrt(v_max if amsgrad else v)), -1.0, 1.0)
        if t > steps - steps // 5:
            tail += x
    return tail / (steps // 5)


@pytest.fixture(scope="module")
def long_tails(g):
    steps = g["fail_long_steps"]
    return {
        name: _time_stepped_all_phases([1.0, 4.0], steps, name == "AMSGrad")
        for name in ("Adam", "AMSGrad")
    }


def test_long_run_numbers_of_the_prose(g, long_tails):
    """Catches prose numbers of the 101 000-step runs that a time-stepped transcription over all
    101 phases does not give: AMSGrad's range and count of phases below zero (α = 1), its range
    with α = 4, the worst phase (found here, not taken from the chapter), and Adam's lowest end
    point over phase 0 and that worst phase."""
    ams = long_tails["AMSGrad"]
    assert g["fail_long_amsgrad_a1_min"] == pytest.approx(ams[0].min(), abs=1e-9)
    assert g["fail_long_amsgrad_a1_max"] == pytest.approx(ams[0].max(), abs=1e-9)
    assert g["fail_long_amsgrad_a1_below_0"] == int(np.sum(ams[0] < 0))
    assert 0 < g["fail_long_amsgrad_a1_below_0"] < 101  # the table's "partly"
    assert g["fail_long_amsgrad_a4_min"] == pytest.approx(ams[1].min(), abs=1e-9)
    assert g["fail_long_amsgrad_a4_max"] == pytest.approx(ams[1].max(), abs=1e-9)
    worst = int(np.argmax(ams[0]))
    assert g["fail_long_worst_phase"] == worst
    adam_two_phases = long_tails["Adam"][:, [0, worst]]
    assert g["fail_long_adam_min"] == pytest.approx(adam_two_phases.min(), abs=1e-9)
    assert long_tails["Adam"].min() > 0.9  # Adam near +1 in every phase, both α


def _sci(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(abs(mantissa), digits) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    superscript = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return f"{mantissa:.{digits}f} × 10" + str(exponent).translate(superscript)


def test_prose_formats_numbers_for_readers(g, long_tails):
    """Catches raw Python lists, '0.0' and e-notation in the prose: the glued texts are the
    formatted forms of independently computed values."""
    assert g["fail_var_exact_500_text"] == _sci(_var_exact(500), 3) == "1.008 × 10⁻³"
    assert g["fail_var_first_order_500_text"] == _sci(500 / (2 * 498 * 496), 3)
    assert g["fail_adam_max_dev_from_1_text"] == "0" and g["fail_ex_bc_max_dev_text"] == "0"
    for key in (
        "fail_exact_vs_adamlib",
        "fail_exact_vs_adamlib_amsgrad",
        "fail_long_vs_adamlib",
        "fail_radam_adam_identity",
        "fail_ex_momentum_only_max_dev",
    ):
        assert g[f"{key}_text"] == _sci(g[key], 1)
        assert "e-" not in g[f"{key}_text"]
    assert g["fail_rho_first_steps_999_text"] == ", ".join(
        f"{_rho(t, 0.999):.4f}" for t in range(1, 8)
    )
    r = {t: _r(t, 0.999) for t in range(5, 9)}
    assert g["fail_radam_moves_paper_text"] == ", ".join(
        f"{x:.4f}" for x in [3.0] * 4 + [r[t] for t in range(5, 9)]
    )
    torch_moves = [3.0] * 5 + [r[t] for t in range(6, 9)]
    assert (
        g["fail_radam_moves_torch_text"]
        == g["fail_torch_radam_moves_text"]
        == ", ".join(f"{x:.4f}" for x in torch_moves)
    )
    lo, hi = (f"{x:.3f}" for x in (long_tails["AMSGrad"][1].min(), long_tails["AMSGrad"][1].max()))
    expected = f"at {lo} in every phase" if lo == hi else f"between {lo} and {hi} in every phase"
    assert g["fail_long_amsgrad_a4_range"] == expected


def test_radam_is_rectified_adam_folded_in_torch():
    """Catches the chapter's identity 'RAdam = r_t × Adam with the ε̂ placement' holding only for
    adamlib: torch.optim.RAdam on the chapter's gradients (seed 7, 200 × 5, α = 10⁻², ε = 10⁻⁸)
    against a transcription of Adam with ε added to √v_t, from t = 6 (ρ_t > 5) on."""
    import torch

    gradients = np.random.default_rng(7).normal(size=(200, 5))
    theta = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.RAdam([theta], lr=1e-2, eps=1e-8)
    m, v, worst = np.zeros(5), np.zeros(5), 0.0
    for t, grad in enumerate(gradients, start=1):
        before = theta.detach().numpy().copy()
        theta.grad = torch.tensor(grad, dtype=torch.float64)
        optimizer.step()
        torch_step = theta.detach().numpy() - before
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        adam_folded = -1e-2 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-8)
        if t >= 6:
            worst = max(worst, np.max(np.abs(torch_step / (_r(t, 0.999) * adam_folded) - 1)))
    assert worst < 1e-10
