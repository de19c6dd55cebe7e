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


def test_scale_adjusted_penalty_is_lambda_over_alpha(g):
    """Catches a wrong coefficient in Proposition 3 (e.g. the λ'/(2α) with λ' = λ/α of the
    paper's display read literally, which is λ/α²): with M = diag(1/s) and the penalty
    (c/2)Σ s_i θ_i², the step must equal the weight-decay step, checked on random numbers."""
    coefficient = _expr(g["l2wd_sreg_coefficient_srepr"])
    assert sp.simplify(coefficient - LAM / ALPHA) == 0
    rng = np.random.default_rng(3)
    scales, theta, grad = rng.random(5) + 0.1, rng.standard_normal(5), rng.standard_normal(5)
    alpha, lam = 0.03, 0.2
    c = float(coefficient.subs({ALPHA: alpha, LAM: lam}))
    sreg_step = theta - alpha / scales * (grad + c * scales * theta)
    decay_step = (1 - lam) * theta - alpha / scales * grad
    np.testing.assert_allclose(sreg_step, decay_step, rtol=1e-13)
    wrong = theta - alpha / scales * (grad + c / alpha * scales * theta)
    assert np.abs(wrong - decay_step).max() > 1e-3


def test_first_steps_against_torch(g):
    """Catches a wrong counterexample eq-l2wd-first-steps (e.g. AdamW's decay left out, or Adam +
    L2 steps that are not ±α): one step of the real torch.optim.Adam (weight_decay=λ') and AdamW
    with eps=0 must give the glued steps, every Adam + L2 coordinate moves by exactly α and
    AdamW's moves differ between coordinates."""
    torch = pytest.importorskip("torch")
    alpha, lam = g["l2wd_first_alpha"], g["l2wd_first_lam"]
    theta0 = np.array(g["l2wd_first_theta0"])
    grad = np.array(g["l2wd_first_grad"])

    def torch_step(cls, **kwargs):
        p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
        opt = cls([p], lr=alpha, eps=0.0, **kwargs)
        p.grad = torch.tensor(grad, dtype=torch.float64)
        opt.step()
        return (p.detach().numpy() - theta0) / alpha

    for penalty, glued_step in zip(g["l2wd_first_lam_l2"], g["l2wd_first_l2_steps"]):
        expected = torch_step(torch.optim.Adam, weight_decay=penalty)
        np.testing.assert_allclose(glued_step, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(np.abs(glued_step), 1.0, rtol=1e-12)
    adamw = torch_step(torch.optim.AdamW, weight_decay=lam)
    np.testing.assert_allclose(g["l2wd_first_adamw_steps"], adamw, rtol=1e-12, atol=1e-12)
    sizes = np.abs(adamw)
    np.testing.assert_allclose(sizes, np.abs(np.sign(grad) + lam * theta0), rtol=1e-12)
    assert sizes.max() - sizes.min() > 0.1
    assert g["l2wd_first_step_error"] < 1e-15


@pytest.fixture(scope="module")
def noise_runs(g):
    """The chapter's noisy-quadratic runs repeated with the NumPy transcription and the same
    random stream (one N(0, 1) draw of shape (replicas, scales) per step)."""
    scales = np.logspace(np.log10(g["l2wd_noise_s_min"]), np.log10(g["l2wd_noise_s_max"]),
                         g["l2wd_noise_count"])
    replicas, steps = g["l2wd_noise_replicas"], g["l2wd_noise_steps"]
    first_averaged = g["l2wd_noise_burn_in"]

    def run(**kwargs):
        rng = np.random.default_rng(0)

        def loss_grad(theta, _t):
            noise = rng.standard_normal(theta.shape)
            return (theta - 1.0) + scales * noise

        history = _adam_transcription(np.ones((replicas, len(scales))), loss_grad,
                                      g["l2wd_noise_alpha"], steps, **kwargs)
        return history[first_averaged:].mean(axis=(0, 1))

    return scales, {"l2": run(l2=g["l2wd_noise_lam_l2"]), "adamw": run(decay=g["l2wd_noise_lam"])}


def test_noise_experiment_matches_a_transcription(g, noise_runs):
    """Catches stationary means that are not what the stated setup produces (wrong preset,
    decay convention, averaging window or noise): rerun here with the transcription."""
    _, means = noise_runs
    np.testing.assert_allclose(g["l2wd_noise_l2_means"], means["l2"], rtol=1e-8)
    np.testing.assert_allclose(g["l2wd_noise_adamw_means"], means["adamw"], rtol=1e-8)


def test_noise_experiment_claims(g, noise_runs):
    """Catches the figure's claims failing: Adam + L2 must settle at the ridge minimiser
    hc/(h + λ') = 1/2 for every noise scale, AdamW's means must fall with the noise scale and
    follow the mean-field balance h(c - θ) = λθ√(h²(c - θ)² + s²), solved here by bisection."""
    scales, means = noise_runs
    lam_l2, lam = g["l2wd_noise_lam_l2"], g["l2wd_noise_lam"]
    ridge = 1.0 / (1.0 + lam_l2)
    assert g["l2wd_noise_ridge"] == pytest.approx(ridge, rel=1e-12)
    assert np.abs(means["l2"] - ridge).max() < 0.02
    assert g["l2wd_noise_l2_ridge_gap"] == pytest.approx(np.abs(means["l2"] - ridge).max(), rel=1e-6)

    def balance_root(s):
        low, high = 0.0, 1.0
        for _ in range(100):
            mid = (low + high) / 2
            if (1 - mid) - lam * mid * np.sqrt((1 - mid) ** 2 + s**2) > 0:
                low = mid
            else:
                high = mid
        return low

    predicted = np.array([balance_root(s) for s in scales])
    np.testing.assert_allclose(g["l2wd_noise_adamw_predicted"], predicted, rtol=1e-10)
    assert np.all(np.diff(means["adamw"]) < 0)
    assert means["adamw"][0] == pytest.approx(0.843, abs=0.01)
    assert means["adamw"][-1] == pytest.approx(0.093, abs=0.01)
    assert np.abs(means["adamw"] / predicted - 1).max() < 0.05
    assert g["l2wd_noise_adamw_heuristic_error"] == pytest.approx(
        np.abs(means["adamw"] / predicted - 1).max(), rel=1e-6)
    assert g["l2wd_noise_window_gap"] < 0.02


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
    assert g["l2wd_scale_max_relative_error"] == pytest.approx(
        np.max(np.abs(l2_rates / (alpha * lam / np.sqrt(scales**2 + (lam * theta_mid) ** 2)) - 1)),
        rel=1e-6)

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
