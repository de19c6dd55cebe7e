"""Chapter "L2 regularisation is not weight decay": its glued values against closed forms derived
here and against plain transcriptions of the update rules written here.

Expected values never come from the chapter's own code: the SymPy results are re-derived in a
different way (explicit recurrences instead of the chapter's unrolled sums), and the numerical
experiments are repeated with a NumPy transcription of PyTorch's Adam/AdamW step that does not use
adamlib.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from tests.notebooks import glued

# The chapter's SymPy symbols, with the same names and assumptions, so that its glued srepr
# strings parse to expressions comparable with the ones derived here.
ALPHA, LAM = sp.symbols("alpha lambda", positive=True)
LAM_L2 = sp.Symbol(r"\lambda'", positive=True)
MU = sp.Symbol("mu")
T = sp.Symbol("t", integer=True, positive=True)
THETA = sp.IndexedBase("theta")

# The chapter's quadratic test problem (stated in its prose: H = diag(100, 1)).
HESSIAN = np.array([100.0, 1.0])
CENTRE = np.array([1.0, 1.0])
THETA0 = np.array([0.3, -0.2])


@pytest.fixture(scope="module")
def g() -> dict:
    return glued("l2_vs_weight_decay")


def _expr(text: str) -> sp.Expr:
    return sp.sympify(text)


def _adam_transcription(theta0, loss_grad, lr, steps, l2=0.0, decay=0.0, eps=1e-8,
                        betas=(0.9, 0.999)):
    """PyTorch's Adam (l2: weight_decay of torch.optim.Adam) or AdamW (decay: weight_decay of
    torch.optim.AdamW, θ ← θ(1 - lr·λ) before the step), form A, written from the algorithm box.
    Returns every iterate."""
    beta1, beta2 = betas
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    history = [theta]
    for t in range(1, steps + 1):
        grad = loss_grad(theta, t) + l2 * theta
        theta = theta * (1 - lr * decay)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        history.append(theta)
    return np.array(history)


# -- plain SGD ------------------------------------------------------------------------------------

def test_sgd_equivalent_penalty_is_lambda_over_alpha(g):
    """Catches a chapter whose proposition derives the wrong equivalence (λ' = λ·α, λ' = λ, or a
    sign error in either update rule)."""
    theta, grad = sp.symbols("theta grad", real=True)
    for lam_l2 in (_expr(g["l2wd_sgd_lam_l2_srepr"]), _expr(g["l2wd_ex_schedule_lam_l2_srepr"])):
        step_l2 = theta - ALPHA * (grad + lam_l2 * theta)
        step_decay = (1 - LAM) * theta - ALPHA * grad
        assert sp.simplify(step_l2 - step_decay) == 0
    assert sp.simplify(_expr(g["l2wd_sgd_lam_l2_srepr"]) - LAM / ALPHA) == 0


def test_sgd_trajectories_coincide(g):
    """Catches a numerical check run with a mismatched penalty (the difference would then grow
    to order λθ) or one that compares a trajectory with itself under different glue."""
    assert g["l2wd_sgd_lam_l2_value"] == pytest.approx(g["l2wd_sgd_lam"] / g["l2wd_sgd_alpha"])
    assert 0 <= g["l2wd_sgd_max_difference"] < 1e-14


# -- momentum -------------------------------------------------------------------------------------

def _explicit_momentum_difference(k: int) -> sp.Expr:
    """θ_k(L2) - θ_k(decay) after a shared history θ_0..θ_{k-1}, from the recurrences step by
    step (no sums), with λ' = λ/α."""
    grads = sp.symbols(f"g1:{k + 1}", real=True)
    buffer_decay = buffer_l2 = 0
    for i in range(1, k + 1):
        buffer_decay = MU * buffer_decay + grads[i - 1]
        buffer_l2 = MU * buffer_l2 + grads[i - 1] + LAM / ALPHA * THETA[i - 1]
    next_l2 = THETA[k - 1] - ALPHA * buffer_l2
    next_decay = (1 - LAM) * THETA[k - 1] - ALPHA * buffer_decay
    return sp.expand(next_l2 - next_decay)


def test_momentum_difference_matches_the_recurrences(g):
    """Catches a wrong closed form for the momentum difference (an off-by-one in the sum's range
    or exponent, a missing μ), checked against the recurrences unrolled by hand for t = 1..6."""
    general = _expr(g["l2wd_momentum_general_difference_srepr"])
    for k in range(1, 7):
        assert sp.expand(general.subs(T, k).doit() - _explicit_momentum_difference(k)) == 0
    second = _expr(g["l2wd_momentum_second_difference_srepr"])
    assert sp.expand(second - (-MU * LAM * THETA[0])) == 0
    assert sp.expand(second - _explicit_momentum_difference(2)) == 0


def test_momentum_second_step_on_numbers(g):
    """Catches a numerical check whose second step does not show -μλθ_0 (e.g. the decay applied
    to the buffer, or L2 left out of it)."""
    expected = -g["l2wd_momentum_mu"] * g["l2wd_sgd_lam"] * THETA0
    np.testing.assert_allclose(g["l2wd_momentum_second_step_gap"], expected, rtol=0, atol=1e-15)
    assert g["l2wd_momentum_first_step_gap"] < 1e-15
    assert g["l2wd_momentum_second_step_error"] < 1e-15


def test_long_run_momentum_penalty(g):
    """Catches a wrong long-run L2 coefficient: 1 - λ must be an eigenvalue of the zero-loss
    L2 momentum map, and the glued ratio must be (1 - μ - λ)/(1 - λ)."""
    lam_l2 = _expr(g["l2wd_ex_long_run_l2_srepr"])
    # (θ_t, b_t) from (θ_{t-1}, b_{t-1}) with f ≡ 0: b_t = μ b + λ'θ, θ_t = θ - α b_t.
    step_map = sp.Matrix([[1 - ALPHA * lam_l2, -ALPHA * MU], [lam_l2, MU]])
    assert sp.simplify((step_map - (1 - LAM) * sp.eye(2)).det()) == 0
    mu, lam = g["l2wd_momentum_mu"], 1e-3
    assert g["l2wd_ex_long_run_ratio"] == pytest.approx((1 - mu - lam) / (1 - lam), rel=1e-12)
    assert g["l2wd_ex_long_run_measured_factor"] == pytest.approx(1 - lam, abs=1e-9)


# -- Adam -----------------------------------------------------------------------------------------

def test_preconditioner_admits_no_penalty(g):
    """Catches a derivation that finds a spurious λ' for an anisotropic preconditioner, or the
    wrong isotropic one (λ/(αp) is the only solution of αλ'p = λ)."""
    assert g["l2wd_precond_solution_count"] == 0
    p1 = sp.Symbol("p_1", real=True)
    isotropic = _expr(g["l2wd_precond_isotropic_srepr"])
    # With P = p_1·I, the L2 step θ - αp_1(∇f + λ'θ) must equal (1 - λ)θ - αp_1∇f.
    theta, grad = sp.symbols("theta grad", real=True)
    step_l2 = theta - ALPHA * p1 * (grad + isotropic * theta)
    assert sp.simplify(step_l2 - ((1 - LAM) * theta - ALPHA * p1 * grad)) == 0


def test_proposition_2_example_matches_a_transcription(g):
    """Catches a wrong endpoint or distance in the Proposition 2 example (wrong preset, decay
    convention or grid), by rerunning it with the NumPy transcription; also pins the published
    numbers of shared/reference/papers.md §3.1 (distance 0.150 at λ' ≈ 0.25)."""
    def loss_grad(theta, _t):
        return HESSIAN * (theta - CENTRE)

    steps, lr = g["l2wd_prop2_steps"], g["l2wd_prop2_alpha"]
    penalties = np.logspace(np.log10(g["l2wd_prop2_lam_l2_min"]),
                            np.log10(g["l2wd_prop2_lam_l2_max"]), g["l2wd_prop2_grid_size"])
    adamw_end = _adam_transcription(THETA0, loss_grad, lr, steps, decay=g["l2wd_prop2_lam"])[-1]
    l2_ends = _adam_transcription(np.tile(THETA0, (len(penalties), 1)), loss_grad, lr, steps,
                                  l2=penalties[:, None])[-1]
    distances = np.linalg.norm(l2_ends - adamw_end, axis=1)
    np.testing.assert_allclose(g["l2wd_prop2_adamw_end_exact"], adamw_end, rtol=1e-10)
    assert g["l2wd_prop2_closest_distance"] == pytest.approx(distances.min(), rel=1e-9)
    assert g["l2wd_prop2_best_lam_l2"] == pytest.approx(penalties[distances.argmin()], rel=1e-12)
    assert g["l2wd_prop2_closest_distance"] == pytest.approx(0.150, abs=5e-4)
    assert g["l2wd_prop2_best_lam_l2"] == pytest.approx(0.25, rel=0.02)


def test_zero_loss_trajectory_ignores_penalty_strength(g):
    """Catches a zero-loss run with ε ≠ 0 or a wrong preset (the two penalties would then give
    different paths), a first step other than -α·sign(θ_0), an AdamW factor other than
    (1 - αλ)^T, and a wrong step count for the L2 run's approach to zero."""
    assert g["l2wd_zero_loss_max_difference"] < 1e-12
    np.testing.assert_allclose(g["l2wd_zero_loss_first_steps_over_alpha"], [-1.0, 1.0, -1.0],
                               rtol=1e-12)
    alpha, lam, steps = g["l2wd_zero_loss_alpha"], g["l2wd_zero_loss_lam"], g["l2wd_zero_loss_steps"]
    np.testing.assert_allclose(g["l2wd_zero_loss_adamw_factors"], (1 - alpha * lam) ** steps,
                               rtol=1e-12)
    assert g["l2wd_zero_loss_adamw_factor"] == pytest.approx(0.606379, abs=5e-7)

    # The step at which the L2 run is first below 1 % of θ_0, rerun with the transcription.
    theta0 = np.array([1.0, -0.5, 0.25])
    l2_path = _adam_transcription(theta0, lambda theta, _t: np.zeros_like(theta), alpha, steps,
                                  l2=1e-4, eps=0.0)
    one_percent = int(np.argmax(np.abs(l2_path[:, 0]) < 0.01))
    assert g["l2wd_zero_loss_l2_one_percent_step"] == one_percent
    assert g["l2wd_zero_loss_adamw_at_that_step"] == pytest.approx((1 - alpha * lam) ** one_percent,
                                                                   rel=1e-12)


# -- decay against gradient scale -----------------------------------------------------------------

def test_l2_decay_rate_formula(g):
    """Catches a wrong steady-state rate: the mean L2 gradient λ'θ over the root of the second
    moment s² + λ'²θ², times α, per unit θ."""
    s, theta = sp.symbols("s theta", positive=True)
    expected = ALPHA * LAM_L2 * theta / sp.sqrt(s**2 + (LAM_L2 * theta) ** 2) / theta
    assert sp.simplify(_expr(g["l2wd_l2_decay_rate_srepr"]) - expected) == 0
    per_coordinate = _expr(g["l2wd_ex_per_coordinate_srepr"])
    assert sp.simplify(expected.subs(LAM_L2, per_coordinate) - ALPHA * LAM) == 0


def test_measured_decay_rates(g):
    """Catches a measurement that disagrees with the formula by more than the EMA transients
    allow (2 %), an AdamW rate other than -ln(1 - αλ), and a wrong glued ratio; two coordinates
    are rerun with the transcription to catch a measurement window or gradient sign error."""
    scales = np.array(g["l2wd_scale_gradient_scales"])
    alpha, lam, steps = g["l2wd_scale_alpha"], g["l2wd_scale_lam"], g["l2wd_scale_steps"]
    l2_rates = np.array(g["l2wd_scale_l2_rates"])
    theta_mid = np.array(g["l2wd_scale_l2_theta_mid"])
    np.testing.assert_allclose(l2_rates, alpha * lam / np.sqrt(scales**2 + (lam * theta_mid) ** 2),
                               rtol=0.02)
    np.testing.assert_allclose(g["l2wd_scale_adamw_rates"], -np.log(1 - alpha * lam), rtol=1e-3)
    assert g["l2wd_scale_l2_ratio"] == pytest.approx(l2_rates[0] / l2_rates[-1])
    assert g["l2wd_scale_l2_ratio"] == pytest.approx(scales[-1] / scales[0], rel=0.02)
    assert g["l2wd_scale_adamw_ratio"] == pytest.approx(1.0, abs=1e-6)
    assert g["l2wd_scale_max_relative_error"] < 0.02

    picked = np.array([0, len(scales) - 1])
    history = _adam_transcription(np.ones(2), lambda _theta, t: scales[picked] * (-1.0) ** t,
                                  alpha, steps, l2=lam)
    half = steps // 2
    np.testing.assert_allclose(l2_rates[picked], np.log(history[half] / history[-1]) / half,
                               rtol=1e-9)


def test_per_coordinate_penalty_matches_adamw(g):
    """Catches a wrong per-coordinate λ' (λs/√(1 - λ²θ²) for s = 10, θ = 1) or a check in which
    the two decay rates do not agree."""
    lam = g["l2wd_scale_lam"]
    assert g["l2wd_ex_per_coordinate_l2"] == pytest.approx(lam * 10 / np.sqrt(1 - lam**2), rel=1e-12)
    assert g["l2wd_ex_per_coordinate_rate_ratio"] == pytest.approx(1.0, abs=5e-3)
