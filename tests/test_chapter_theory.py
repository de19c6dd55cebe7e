"""The glued numbers of chapters/theory.md against independent computations.

The thresholds are recomputed by iterating the second-moment recurrence to its steady state
(not from the chapter's SymPy solution); the runs are re-done with literal NumPy transcriptions
of the papers' algorithms or with torch.optim (Adam, AdamW, RAdam), never with adamlib; the
Défossez et al. bound is typed here again from the paper's Theorem 2; the box-constrained
minimiser comes from SciPy; the equilibrium rotation from Kosson et al.'s formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize
import sympy as sp
import torch

from tests.notebooks import glued


@pytest.fixture(scope="module")
def g():
    return glued("theory")


# -- the β₂ threshold on the mod-3 problem -------------------------------------------------------


def _steady_drift(C: float, b: float) -> float:
    """C/√v₁ - 1/√v₂ - 1/√v₃ with the 3-periodic v found by iterating the recurrence (from
    the mean square (C² + 2)/3, which the steady state approaches for β₂ → 1)."""
    v = np.full(3, (C * C + 2) / 3)
    last = 0.0
    for _ in range(1_000_000):
        last = v[2]
        v[0] = b * v[2] + (1 - b) * C * C
        v[1] = b * v[0] + (1 - b)
        v[2] = b * v[1] + (1 - b)
        if abs(v[2] - last) < 1e-15 * max(1.0, v[2]):
            break
    return C / math.sqrt(v[0]) - 1 / math.sqrt(v[1]) - 1 / math.sqrt(v[2])


@pytest.mark.parametrize(
    "C, key", [(2.01, "C201"), (2.1, "C21"), (3, "C3"), (10, "C10"), (100, "C100")]
)
def test_thresholds_are_the_root_of_the_iterated_steady_state(g, C, key):
    """Catches a wrong steady state (e.g. the (1-β₂) factor on the wrong term) or a root of the
    wrong function: the threshold must be where the iterated steady-state drift changes sign,
    and lie above Reddi et al.'s β₂ = 1/(1 + C²)."""
    root = scipy.optimize.brentq(lambda b: _steady_drift(C, b), 1e-9, 1 - 1e-6, xtol=1e-13)
    assert g[f"theory_threshold_{key}"] == pytest.approx(root, rel=1e-6)
    assert g[f"theory_threshold_{key}"] > 1 / (1 + C * C)


def test_threshold_tends_to_one_near_two_and_decreases_with_C(g):
    """Catches the prose's claim inverted (the threshold falls, not rises, with C > 3)."""
    t = g["theory_thresholds"]
    values = [t[k] for k in ("2.01", "2.1", "2.5", "3", "10", "100")]
    assert all(a > b for a, b in zip(values, values[1:]))
    assert values[0] > 0.98


def _projected_adam_grid(beta2: np.ndarray, C: float, alpha: float, steps: int, tail: int):
    """Reddi et al.'s projected Adam (β₁ = 0, no bias correction, ε = 0, α_t = α/√t, clipping
    to [-1, 1]), written from the paper, one column per β₂; the mean of the last `tail` θ."""
    x, v, tail_sum = np.ones_like(beta2), np.zeros_like(beta2), np.zeros_like(beta2)
    for t in range(1, steps + 1):
        grad = C if t % 3 == 1 else -1.0
        v = beta2 * v + (1 - beta2) * grad**2
        x = np.clip(x - alpha / math.sqrt(t) * grad / np.sqrt(v), -1, 1)
        if t > steps - tail:
            tail_sum += x
    return tail_sum / tail


def test_grid_runs_match_a_transcription_and_bracket_the_closed_form(g):
    """Catches the chapter's grid run using adamlib with another algorithm (bias correction, ε,
    schedule off by one): the tail means would differ from the transcription. Also catches a
    threshold on the grid's edge or outside the bracket of stuck and converged runs."""
    beta2 = np.array(g["theory_grid_beta2"])
    means = _projected_adam_grid(beta2, 10.0, 0.5, g["theory_grid_steps"], g["theory_grid_tail"])
    np.testing.assert_allclose(g["theory_grid_tail_means"], means, rtol=0, atol=1e-10)
    stuck = np.flatnonzero(means > 0.9).max()
    converged = np.flatnonzero(means < -0.9).min()
    assert 0 < stuck < converged < len(beta2) - 1
    assert g["theory_grid_low"] == beta2[stuck] and g["theory_grid_high"] == beta2[converged]
    assert g["theory_grid_low"] < g["theory_threshold_C10"] < g["theory_grid_high"]
    assert g["theory_grid_n_between"] == converged - stuck - 1
    between = range(stuck + 1, converged)
    assert g["theory_grid_between_beta2_text"] == ", ".join(f"{beta2[i]:.4f}" for i in between)
    # In transit: neither stuck nor arrived, and it lies above the closed-form threshold.
    assert all(-0.9 <= means[i] <= 0.9 and beta2[i] > g["theory_threshold_C10"] for i in between)
    assert g["theory_reddi_beta2_C10"] < g["theory_grid_low"]
    assert g["theory_grid_factor"] == pytest.approx(beta2[1] / beta2[0], rel=1e-12)


def _projected_adam_final(beta2: np.ndarray, C: float, alpha: float, steps: int) -> np.ndarray:
    """The last iterate of the same transcription (no tail mean: cheaper for long runs)."""
    x, v = np.ones_like(beta2), np.zeros_like(beta2)
    for t in range(1, steps + 1):
        grad = C if t % 3 == 1 else -1.0
        v = beta2 * v + (1 - beta2) * grad**2
        x = np.clip(x - alpha / math.sqrt(t) * grad / np.sqrt(v), -1, 1)
    return x


def test_finer_bracket_of_the_threshold(g):
    """Test-only check of the prose's finer bracket (the chapter does not run it). Catches the
    bracket stated on the wrong side of the switch or not containing the closed form: after
    the stated number of steps the lower β₂ is still near the worst point and the upper one has
    left it, and the closed form lies strictly between them."""
    low, high, steps = g["theory_fine_low"], g["theory_fine_high"], g["theory_fine_steps"]
    assert low < g["theory_threshold_C10"] < high
    x_end = _projected_adam_final(np.array([low, high]), 10.0, 0.5, steps)
    assert x_end[0] > 0.9  # near the worst point x = 1
    assert x_end[1] < 0.9  # on its way to the optimum
    # ...and still moving down: the iterate at the end is below the one a tenth of the way in.
    assert x_end[1] < _projected_adam_final(np.array([high]), 10.0, 0.5, steps // 10)[0]


# -- Défossez et al. -------------------------------------------------------------------------


def _defossez_bound(d, R, L, F_gap, alpha, beta2, eps, N):
    """Theorem 2 of Défossez et al. (2022) as the chapter states it, typed here again.

    This checks the chapter's *arithmetic* only: the same author typed the bound in the chapter
    and here, so a mis-transcription of the paper would be shared. The theorem's full text could
    not be retrieved when this test was written (only the abstract: rate O(d ln N/√N) for
    α = 1/√N, β₂ = 1 - 1/N), so the constants are not checked against the paper here."""
    E = 4 * d * R**2 / math.sqrt(1 - beta2) + alpha * d * R * L / (1 - beta2)
    return 2 * R * F_gap / (alpha * N) + E * (
        math.log(1 + R**2 / ((1 - beta2) * eps)) / N - math.log(beta2)
    )


def test_defossez_run_and_bound(g):
    """Catches a wrong mapping of Défossez et al.'s algorithm onto adamlib (ε placement, the
    1-β₂ scaling, bias correction) — the transcription of their update would give another
    measured value — and a mistyped constant in the bound."""
    d, sigma, eps, N, runs = (
        g[k]
        for k in (
            "theory_def_d",
            "theory_def_sigma",
            "theory_def_eps",
            "theory_def_steps",
            "theory_def_runs",
        )
    )
    centre = np.linspace(-2.0, 2.0, d)
    alpha, beta2 = 1 / math.sqrt(N), 1 - 1 / N
    rng = np.random.default_rng(2022)
    x, v, total = np.zeros((runs, d)), np.zeros((runs, d)), 0.0
    for n in range(1, N + 1):
        grad_F = np.tanh(x - centre)
        total += np.sum(grad_F**2) / runs
        grad = grad_F + rng.uniform(-sigma, sigma, size=x.shape)
        v = beta2 * v + grad**2  # their v, without the factor 1 - β₂
        alpha_n = alpha * math.sqrt((1 - beta2**n) / (1 - beta2))
        x = x - alpha_n * grad / np.sqrt(eps + v)
    measured = total / N
    assert g["theory_def_measured"] == pytest.approx(measured, rel=1e-9)
    R = 1 + sigma + math.sqrt(eps)
    bound = _defossez_bound(d, R, 1.0, float(np.sum(np.log(np.cosh(centre)))), alpha, beta2, eps, N)
    assert g["theory_def_bound"] == pytest.approx(bound, rel=1e-12)
    assert g["theory_def_bound"] > g["theory_def_measured"]
    assert g["theory_def_ratio"] == pytest.approx(bound / measured, rel=1e-9)


def test_defossez_exercise_terms(g):
    """Catches the exercise's terms computed with the wrong β₂ or the log term not divided by N."""
    d, sigma, eps, N = (
        g[k] for k in ("theory_def_d", "theory_def_sigma", "theory_def_eps", "theory_def_steps")
    )
    R, alpha, b = 1 + sigma + math.sqrt(eps), 1 / math.sqrt(N), 0.999
    E = 4 * d * R**2 / math.sqrt(1 - b) + alpha * d * R / (1 - b)
    terms = g["theory_ex_terms"]
    assert terms["-E ln β₂"] == pytest.approx(-E * math.log(b), rel=1e-12)
    assert terms["log term / N"] == pytest.approx(
        E * math.log(1 + R**2 / ((1 - b) * eps)) / N, rel=1e-12
    )
    # At N = 4096 the log term dominates; the constant term wins from N ≥ ln(...)/(-ln β₂).
    assert max(terms, key=terms.get) == "log term / N"
    crossing = math.log(1 + R**2 / ((1 - b) * eps)) / -math.log(b)
    assert g["theory_ex_crossing"] == math.ceil(crossing)


# -- warm-up and RAdam ------------------------------------------------------------------------


def _rho(t, b):
    return 2 / (1 - b) - 1 - 2 * t * b**t / (1 - b**t)


def _r(t, b):
    rho_t, rho_inf = _rho(t, b), 2 / (1 - b) - 1
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))


def test_schedule_means(g):
    """Catches a rectifier with the wrong threshold (ρ_t > 5 in torch) or a warm-up of the wrong
    length: the mean multipliers over 2/(1-β₂) steps, from Liu et al.'s r_t written here."""
    for b, key in ((0.999, "999"), (0.99, "99")):
        n = round(2 / (1 - b))
        radam_mean = sum(_r(t, b) if _rho(t, b) > 5 else 0.0 for t in range(1, n + 1)) / n
        assert g[f"theory_warm_radam_mean_{key}"] == pytest.approx(radam_mean, rel=1e-10)
    n = 2000
    assert g["theory_warm_linear_mean_999"] == pytest.approx(
        sum(min(1.0, 0.0005 * t) for t in range(1, n + 1)) / n, rel=1e-12
    )


def test_radam_tail_below_the_linear_ramp(g):
    """Catches a wrong crossing step or end value in the prose (from Liu et al.'s r_t written
    here): RAdam's multiplier is below the linear ramp from the glued step to 2/(1-β₂) and not
    just before it; at 2/(1-β₂) it equals the glued value; after that it stays below 1 and
    increases (checked up to 20 000 steps, where 1 - r_t is still far above rounding)."""
    b, n = 0.999, 2000
    radam = [_r(t, b) if _rho(t, b) > 5 else 0.0 for t in range(1, n + 1)]
    linear = [min(1.0, (1 - b) / 2 * t) for t in range(1, n + 1)]
    cross = g["theory_warm_cross_999"]
    assert all(radam[t - 1] < linear[t - 1] for t in range(cross, n + 1))
    assert radam[cross - 2] >= linear[cross - 2]
    assert g["theory_warm_r_end_999"] == pytest.approx(_r(n, b), rel=1e-12)
    later = [_r(t, b) for t in range(n, 20_001, 500)]
    assert all(r < 1 for r in later) and all(a < c for a, c in zip(later, later[1:]))


def _least_squares_problem():
    rng = np.random.default_rng(3)
    features, samples, steps, batch = 20, 512, 1000, 8
    scales = np.geomspace(0.01, 1.0, features)
    inputs = rng.standard_normal((samples, features)) * scales
    w_true = rng.standard_normal(features) / scales
    targets = inputs @ w_true + 0.1 * rng.standard_normal(samples)
    batches = rng.integers(0, samples, size=(steps, batch))
    return inputs, targets, batches


def _torch_final_loss(method: str, lr: float) -> float:
    inputs, targets, batches = _least_squares_problem()
    X, y = torch.tensor(inputs), torch.tensor(targets)
    w = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
    if method == "RAdam":
        opt = torch.optim.RAdam([w], lr=lr, betas=(0.9, 0.99))
    else:
        opt = torch.optim.Adam([w], lr=lr, betas=(0.9, 0.99))
    # LambdaLR gives update t the factor f(t - 1): ω_t = min(1, (1 - β₂) t / 2).
    factor = (lambda s: min(1.0, 0.01 / 2 * (s + 1))) if method == "warm-up" else (lambda s: 1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    for rows in batches:
        opt.zero_grad()
        Xb, yb = X[rows], y[rows]
        # ∇ of ½·mean((Xw - y)²) over the batch, set by hand as in the chapter.
        w.grad = Xb.T @ (Xb @ w.detach() - yb) / len(rows)
        opt.step()
        scheduler.step()
    with torch.no_grad():
        return float(0.5 * torch.mean((X @ w - y) ** 2))


def test_least_squares_finals_match_torch(g):
    """Catches the chapter's Adam, warm-up (off by one step) or RAdam runs differing from
    torch.optim.Adam + LambdaLR and torch.optim.RAdam on the same minibatches."""
    finals = g["theory_ls_finals"]
    for method in ("Adam", "warm-up", "RAdam"):
        expected = [_torch_final_loss(method, lr) for lr in g["theory_ls_lrs"]]
        np.testing.assert_allclose(finals[method], expected, rtol=1e-7)
    ratios = np.array(finals["warm-up"]) / np.array(finals["RAdam"])
    assert g["theory_ls_within_5"] == int(np.sum(np.abs(ratios - 1) < 0.05))
    assert g["theory_ls_adam_better"] == int(
        np.sum(np.array(finals["Adam"]) < np.array(finals["warm-up"]))
    )
    # The best learning rate of each method (finals just matched torch's): the same interior
    # grid point, where the order is warm-up < RAdam < Adam, as the prose says.
    lrs = g["theory_ls_lrs"]
    for key, method in (("adam", "Adam"), ("warmup", "warm-up"), ("radam", "RAdam")):
        values = np.array(finals[method])
        best = int(np.argmin(values))
        assert 0 < best < len(lrs) - 1, f"{method}'s best learning rate is on the grid's edge"
        assert g[f"theory_ls_best_lr_{key}"] == lrs[best]
        assert g[f"theory_ls_best_{key}"] == pytest.approx(values[best], rel=1e-7)
    assert (
        g["theory_ls_best_lr_adam"] == g["theory_ls_best_lr_warmup"] == g["theory_ls_best_lr_radam"]
    )
    assert g["theory_ls_best_warmup"] < g["theory_ls_best_radam"] < g["theory_ls_best_adam"]
    inputs, targets, _ = _least_squares_problem()
    w_star = np.linalg.lstsq(inputs, targets, rcond=None)[0]
    assert g["theory_ls_noise_floor"] == pytest.approx(
        0.5 * np.mean((inputs @ w_star - targets) ** 2), rel=1e-9
    )


# -- AdamW and the ℓ∞ box ---------------------------------------------------------------------

A = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.5]])
c = np.array([3.0, -2.5, 0.5])


def _box_minimiser(half_width: float) -> np.ndarray:
    result = scipy.optimize.minimize(
        lambda x: 0.5 * (x - c) @ A @ (x - c),
        np.zeros(3),
        jac=lambda x: A @ (x - c),
        bounds=[(-half_width, half_width)] * 3,
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    return result.x


def _torch_adamw(weight_decay: float, steps: int) -> np.ndarray:
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.AdamW([x], lr=0.3, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 / math.sqrt(s + 1))
    At, ct = torch.tensor(A), torch.tensor(c)
    for _ in range(steps):
        x.grad = At @ (x.detach() - ct)
        opt.step()
        scheduler.step()
    return x.detach().numpy()


def test_adamw_reaches_the_kkt_point_of_the_box(g):
    """Catches a run that is not PyTorch's AdamW (decay not multiplied by lr, schedule off by
    one) and a wrong KKT point: SciPy's box-constrained minimiser must equal the chapter's
    active-set solution, and the run must be close to it."""
    x_star = _box_minimiser(1 / g["theory_kkt_lambda"])
    np.testing.assert_allclose(g["theory_kkt_point"], x_star, atol=1e-6)
    x_torch = _torch_adamw(g["theory_kkt_lambda"], g["theory_kkt_steps"])
    # Rounding differs between the two implementations and 20 000 normalised steps amplify it
    # to ~1e-7; a wrong decay convention would differ by ~1e-1.
    np.testing.assert_allclose(g["theory_kkt_x"], x_torch, rtol=0, atol=1e-6)
    assert np.abs(np.array(g["theory_kkt_x"]) - x_star).max() == pytest.approx(
        g["theory_kkt_distance"], rel=1e-6
    )
    assert g["theory_kkt_distance"] < 0.01
    assert g["theory_kkt_boundary"] == [True, False, False] and g["theory_kkt_outward"] is True


def test_wide_box_exercise_ends_near_the_unconstrained_minimiser(g):
    """Catches an exercise run that kept λ = 0.5 (x₀ would be capped at 2, far from c₀ = 3)."""
    np.testing.assert_allclose(_box_minimiser(5.0), c, atol=1e-6)
    assert np.abs(np.array(g["theory_ex_wide_x"]) - c).max() < 0.1


# -- rotational equilibrium -------------------------------------------------------------------


def _torch_adamw_rotation(lr, product, beta1, dim, steps, tail, seed, start_norm):
    """The chapter's scale-invariant experiment with PyTorch's AdamW (float64, one row per
    setting, each row its own parameter group, the same draws from NumPy's generator): mean angle
    per step over the tail and the final norms. start_norm None starts every row at unit norm."""
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((len(lr), dim))
    w0 /= np.linalg.norm(w0, axis=1, keepdims=True)
    if start_norm is not None:
        w0 *= start_norm[:, None]
    rows = [torch.tensor(row, requires_grad=True) for row in w0]
    groups = [
        {"params": [p], "lr": float(a), "betas": (float(b), 0.999), "weight_decay": float(q / a)}
        for p, a, b, q in zip(rows, lr, beta1, product)
    ]
    opt = torch.optim.AdamW(groups, foreach=False)
    views = [p.detach().numpy() for p in rows]  # share the parameters' memory
    angle_sum = np.zeros(len(lr))
    w = w0
    for t in range(1, steps + 1):
        norm = np.linalg.norm(w, axis=1, keepdims=True)
        unit = w / norm
        xi = rng.standard_normal(w.shape)
        grad = (xi - np.sum(xi * unit, axis=1, keepdims=True) * unit) / norm
        for p, gr in zip(rows, torch.from_numpy(grad)):
            p.grad = gr
        opt.step()
        w_new = np.stack(views)
        if t > steps - tail:
            cos = np.sum(w_new * w, axis=1) / (np.linalg.norm(w_new, axis=1) * norm[:, 0])
            angle_sum += np.arccos(np.clip(cos, -1.0, 1.0))
        w = w_new
    return angle_sum / tail, np.linalg.norm(w, axis=1)


@pytest.fixture(scope="module")
def rotation_settings(g):
    lr = np.array(g["theory_rot_lr"])
    product, beta1 = np.array(g["theory_rot_product"]), np.array(g["theory_rot_beta1"])
    return lr, product, beta1, (g["theory_rot_C"], g["theory_rot_steps"], g["theory_rot_tail"])


def test_rotation_matches_torch_and_kosson_formula(g, rotation_settings):
    """Catches an AdamW run whose decay is not lr·λ per step (the angle would depend on the
    learning rate at fixed ηλ), a wrong momentum factor or a start not at the balance norm:
    the chapter's angles must equal torch.optim.AdamW's on the same draws, and every row must
    be within 1 % of √(2ηλ(1-β₁)/(1+β₁)) (Kosson et al.; epfml/REQ adamw_etar_func)."""
    lr, product, beta1, (dim, steps, tail) = rotation_settings
    balance = lr * np.sqrt(dim / (2 * product))
    angles, norms = _torch_adamw_rotation(lr, product, beta1, dim, steps, tail, 17, balance)
    measured = np.array(g["theory_rot_measured"])
    np.testing.assert_allclose(measured, angles, rtol=1e-6)
    predicted = np.sqrt(2 * product * (1 - beta1) / (1 + beta1))
    np.testing.assert_allclose(measured, predicted, rtol=0.01)
    assert g["theory_rot_max_rel_dev"] == pytest.approx(
        np.abs(angles / predicted - 1).max(), rel=1e-5
    )
    assert g["theory_rot_norm_dev"] == pytest.approx(np.abs(norms / balance - 1).max(), rel=1e-5)
    assert g["theory_rot_norm_dev"] < 0.05
    assert sorted(set(g["theory_rot_lr"])) == [1e-3, 1e-2, 1e-1]


def test_rotation_from_unit_norm_deviates_more(g, rotation_settings):
    """Catches the prose's start-up explanation being wrong: started at unit norm (far from the
    balance), the same runs deviate more from the formula, most at the largest learning rate."""
    lr, product, beta1, (dim, steps, tail) = rotation_settings
    angles, _ = _torch_adamw_rotation(lr, product, beta1, dim, steps, tail, 17, None)
    deviation = np.abs(angles / np.sqrt(2 * product * (1 - beta1) / (1 + beta1)) - 1)
    assert deviation.max() > 2 * g["theory_rot_max_rel_dev"]
    assert deviation[lr == 0.1].max() > deviation[lr == 0.001].max()


def test_norm_balance_gives_two_eta_lambda(g):
    """Catches the chapter's SymPy balance with a wrong factor: the glued equilibrium ‖w‖² must
    be the geometric-series sum η²C/(1 - (1-ηλ)²) written here, and the glued squared angle its
    first-order term 2ηλ (the exact value is 2ηλ - (ηλ)²)."""
    eta, lam, C = sp.symbols("eta lambda C", positive=True)
    names = {"eta": eta, "lam": lam, "C": C}

    def parse(key):  # the chapter's symbol is named "lambda", a Python keyword
        return sp.sympify(g[key].replace("lambda", "lam"), locals=names)

    w2 = eta**2 * C / (1 - (1 - eta * lam) ** 2)
    assert sp.simplify(parse("theory_rot_w2_eq") - w2) == 0
    assert sp.simplify(parse("theory_rot_angle_sq") - 2 * eta * lam) == 0
    assert sp.simplify(eta**2 * C / w2 - (2 * eta * lam - (eta * lam) ** 2)) == 0


# -- sign descent and the proof exercise ------------------------------------------------------


def test_sign_step(g):
    """Catches a 'sign descent' example that is not: with β₁ = β₂ = ε = 0 the step is α·sign(g)."""
    np.testing.assert_allclose(g["theory_sign_step"], [1.0, -1.0, 1.0, -1.0], rtol=1e-15)


def test_threshold_exercise_identities(g):
    """Catches a wrong Jensen gap or limit: at C = 2 the gap v₁ - (v₂+v₃)/2 is
    3(1-β₂)(2+β₂)/(2(1+β₂+β₂²)), and at β₂ → 1 the drift is (C-2)/√((C²+2)/3)."""
    b = sp.Symbol("beta2", positive=True)
    gap = sp.sympify(g["theory_ex_jensen_gap"], locals={"beta2": b})
    assert sp.simplify(gap - 3 * (1 - b) * (2 + b) / (2 * (1 + b + b**2))) == 0
    assert g["theory_ex_limit_at_one_residual"] == "0"
    for C in (2.5, 3.0, 10.0):
        assert _steady_drift(C, 1 - 1e-5) == pytest.approx(
            (C - 2) / math.sqrt((C**2 + 2) / 3), rel=1e-3
        )
    for b_value in (0.1, 0.5, 0.9, 0.99):
        assert _steady_drift(2.0, b_value) < 0
