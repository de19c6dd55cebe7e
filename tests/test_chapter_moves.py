"""The numbers and interactive data of "How Adam moves" against closed forms and direct adamlib runs.

Every expected value is computed here: from closed forms (the contraction factors of gradient
descent, erf, the stationary moments), from one-dimensional recursions written out in this file,
or from adamlib runs with a single scalar configuration, never from the chapter's own grid runs.
"""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np
import pytest
import sympy as sp

from adamlib import AdamConfig, reference
from tests.notebooks import executed, glued

CHAPTER = "moves"
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
KAPPAS, ANGLES, TOL, STEPS = (100, 1000, 10000), (0, 45), 1e-3, 3000


@pytest.fixture(scope="module")
def g():
    return glued(CHAPTER)


@pytest.fixture(scope="module")
def payloads() -> dict[str, dict]:
    """The JSON data of each interactive figure, as embedded in the executed chapter's HTML."""
    found = {}
    for cell in executed(CHAPTER).cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            match = re.search(r'<script type="application/json">(.*?)</script>', html, re.S)
            if 'class="adam-widget"' in html and match:
                payload = json.loads(match.group(1))
                found[payload["kind"]] = payload
                found[payload["kind"] + "_html_bytes"] = len(html.encode())
    return found


def rotation(degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[c, -s], [s, c]])


def hessian(kappa: float, degrees: float) -> np.ndarray:
    return rotation(degrees) @ np.diag([1.0, kappa]) @ rotation(degrees).T


def adam_path(H, theta0, lr, beta1=BETA1, beta2=BETA2, eps=EPS, steps=STEPS) -> np.ndarray:
    """One scalar-configuration adamlib run on f = θᵀHθ/2."""
    config = AdamConfig(lr=lr, betas=(beta1, beta2), eps=eps)
    return np.array(reference.trajectory(np.asarray(theta0, float), lambda th, t: H @ th,
                                         config, steps))


def steps_to_stay_below(norms: np.ndarray, tol: float) -> int:
    above = np.nonzero(norms > tol)[0]
    if len(above) and above[-1] == len(norms) - 1:
        return -1
    return 0 if len(above) == 0 else int(above[-1]) + 1


def test_gradient_descent_counts_are_the_closed_form(g):
    """Catches a wrong GD step rule or tolerance: with α = 2/(1+κ) both eigen-components shrink by
    ρ = (κ-1)/(κ+1) per step, so ‖θ_t‖ = √2 ρ^t and the count is the first t with ρ^t ≤ 10⁻³, for
    either rotation (GD commutes with rotations)."""
    for kappa in KAPPAS:
        rho = (kappa - 1) / (kappa + 1)
        expected = math.ceil(math.log(TOL) / math.log(rho))
        for angle in ANGLES:
            assert g[f"moves_iters_GD_{kappa}_{angle}"] == pytest.approx(expected, abs=1)


def test_heavy_ball_counts_from_the_eigen_recursion(g):
    """Catches wrong Polyak constants or a heavy-ball update with the wrong sign or lag: the count
    from two scalar recursions x_{t+1} = x_t - αλx_t + β(x_t - x_{t-1}), λ ∈ {1, κ}."""
    for kappa in KAPPAS:
        lr = 4 / (math.sqrt(kappa) + 1) ** 2
        beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
        x = np.array([1.0, 1.0])
        previous, lam, norms = x.copy(), np.array([1.0, kappa]), [math.sqrt(2)]
        for _ in range(2000):
            x, previous = x - lr * lam * x + beta * (x - previous), x
            norms.append(float(np.linalg.norm(x)))
        expected = steps_to_stay_below(np.array(norms), TOL * math.sqrt(2))
        for angle in ANGLES:
            assert g[f"moves_iters_heavy_ball_{kappa}_{angle}"] == pytest.approx(expected, abs=1)


def test_axis_aligned_adam_does_not_see_kappa(g):
    """Catches a false thm-moves-axis-invariance or a mis-indexed grid: a direct adamlib run on the
    unit-curvature problem (λ = 1, 1) at the glued best α needs exactly the glued number of steps,
    which is the same for every κ."""
    counts = {g[f"moves_iters_Adam_{k}_0"] for k in KAPPAS}
    assert len(counts) == 1
    lr = g["moves_best_lr_Adam_100_0"]
    path = adam_path(np.eye(2), [1.0, 1.0], lr)
    assert steps_to_stay_below(np.linalg.norm(path, axis=1), TOL * math.sqrt(2)) == counts.pop()
    assert {g[f"moves_iters_RMSprop_{k}_0"] for k in KAPPAS} == {g["moves_iters_RMSprop_100_0"]}


@pytest.mark.parametrize("kappa", KAPPAS)
def test_rotated_adam_counts_match_a_direct_run(g, kappa):
    """Catches a grid that pairs a step size with the wrong problem: the glued count for the
    rotated valley is reproduced by one direct run at the glued α, and the grid's two edge values
    of α do worse (so the optimum is inside the grid)."""
    H, start = hessian(kappa, 45), rotation(45) @ [1.0, 1.0]

    def count(lr):
        n = steps_to_stay_below(np.linalg.norm(adam_path(H, start, lr), axis=1),
                                TOL * math.sqrt(2))
        return math.inf if n < 0 else n

    glued_count = g[f"moves_iters_Adam_{kappa}_45"]
    # The batched and the single run round differently (einsum against matmul), and after
    # thousands of steps on a κ = 10⁴ valley that moves the last crossing of the tolerance by a
    # few steps; a mis-paired grid would be off by far more.
    assert count(g[f"moves_best_lr_Adam_{kappa}_45"]) == pytest.approx(glued_count, rel=0.01)
    assert count(1e-3) > glued_count and count(1.0) > glued_count
    assert g["moves_grid_optima_on_edge"] == 0


def test_rotation_hurts_adam(g):
    """Catches prose claiming more than measured: rotated counts grow with κ and exceed the
    axis-aligned one; rotated, Adam sits between tuned heavy ball and GD at every κ."""
    rotated = [g[f"moves_iters_Adam_{k}_45"] for k in KAPPAS]
    assert all(n > g["moves_iters_Adam_100_0"] for n in rotated)
    assert rotated == sorted(rotated)
    for k in KAPPAS:
        assert (g[f"moves_iters_heavy_ball_{k}_45"] < g[f"moves_iters_Adam_{k}_45"]
                < g[f"moves_iters_GD_{k}_45"])
    assert g["moves_iters_RMSprop_100_0"] < g["moves_iters_Adam_100_0"]
    assert g["moves_iters_RMSprop_100_45"] > 0
    assert g["moves_iters_RMSprop_1000_45"] == g["moves_iters_RMSprop_10000_45"] == -1


def decode(b64: str, box: float) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<i2").astype(float) / 32767 * box


def test_race_payload_matches_direct_adamlib_runs(payloads, g):
    """Catches a slider that shows the wrong trajectory (axes of the grid transposed, a wrong
    ravel order, a broken quantisation): decoded grid points against direct adamlib runs with one
    scalar configuration each."""
    race = payloads["race"]
    sliders = race["sliders"]
    shape = [len(s["values"]) for s in sliders]
    T = race["steps"] + 1
    adam = decode(race["adam"], race["box"]).reshape(*shape, T, 2)
    reference_paths = decode(race["reference"], race["box"]).reshape(2, *shape[3:], T, 2)
    resolution = race["box"] / 32767
    rng = np.random.default_rng(0)
    picks = [tuple(s["default"] for s in sliders)] + [
        tuple(int(rng.integers(n)) for n in shape) for _ in range(4)
    ]
    for index in picks:
        lr, b1, b2, kappa, angle = (s["values"][i] for s, i in zip(sliders, index))
        H, start = hessian(kappa, angle), rotation(angle) @ [1.0, 1.0]
        direct = np.clip(adam_path(H, start, lr, b1, b2, EPS, race["steps"]), -race["box"],
                         race["box"])
        np.testing.assert_allclose(adam[index], direct, atol=resolution)
        lr_hb = 4 / (math.sqrt(kappa) + 1) ** 2
        beta_hb = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
        for m, (step, beta) in enumerate([(2 / (1 + kappa), 0.0), (lr_hb, beta_hb)]):
            x, previous, path = start.copy(), start.copy(), [start.copy()]
            for _ in range(race["steps"]):
                x, previous = x - step * H @ x + beta * (x - previous), x
                path.append(x)
            np.testing.assert_allclose(reference_paths[(m, *index[3:])],
                                       np.clip(path, -race["box"], race["box"]), atol=resolution)
    default = tuple(s["default"] for s in sliders)
    assert [s["values"][i] for s, i in zip(sliders, default)] == [0.1, 0.9, 0.999, 100.0, 0.0]
    assert g["moves_race_final_Adam_0"] == pytest.approx(
        float(np.linalg.norm(adam_path(hessian(100, 0), [1.0, 1.0], 0.1, steps=100)[-1])),
        rel=1e-9)
    assert g["moves_race_configs"] == int(np.prod(shape))


def test_embedded_data_is_small(payloads):
    """Catches a grid grown past what a reader should download with one page."""
    assert payloads["race_html_bytes"] + payloads["snr_html_bytes"] < 300_000


def test_snr_ratio_closed_form(g, payloads):
    """Catches a wrong stationary ratio (e.g. μ/σ, or a missing square root): the glued SymPy
    result against μ/√(μ²+σ²) derived here, and the payload's curves against it and erf."""
    r = sp.Symbol("r", positive=True)
    derived = sp.sympify(g["moves_snr_ratio_str"], locals={"r": r})
    for value in (0.03, 0.5, 1.0, 7.0):
        assert float(derived.subs(r, value)) == pytest.approx(value / math.sqrt(1 + value**2),
                                                              rel=1e-12)
    snr = np.array(payloads["snr"]["snr"])
    np.testing.assert_allclose(payloads["snr"]["predicted"], snr / np.sqrt(1 + snr**2),
                               atol=1e-5)
    np.testing.assert_allclose(payloads["snr"]["sign_predicted"],
                               [math.erf(x / math.sqrt(2)) for x in snr], atol=1e-5)
    assert g["moves_snr_pred_at_1"] == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    assert g["moves_snr_erf_at_1"] == pytest.approx(math.erf(1 / math.sqrt(2)), rel=1e-12)


def test_snr_measurement_matches_a_direct_run(g, payloads):
    """Catches measured SNR curves that belong to another (β₁, β₂) or are mis-scaled: a fresh
    adamlib run with another seed at three grid points agrees within Monte Carlo error, and the
    default setting and sign descent agree with their closed forms."""
    snr_data = payloads["snr"]
    b1s, b2s = snr_data["sliders"][0]["values"], snr_data["sliders"][1]["values"]
    snr = np.array(snr_data["snr"])
    rng = np.random.default_rng(2024)
    for b1, b2, k in [(0.9, 0.999, 9), (0.0, 0.5, 4), (0.99, 0.9, 14)]:
        config = AdamConfig(lr=1.0, betas=(b1, b2), eps=EPS)
        theta = np.zeros(256)
        state = reference.init(theta, config)
        total = 0.0
        for t in range(1, 401):
            new, state = reference.step(theta, snr[k] + rng.standard_normal(256), state, config)
            if t > 200:
                total -= (new - theta).mean() / 200
            theta = new
        assert snr_data["measured"][b1s.index(b1)][b2s.index(b2)][k] == pytest.approx(total,
                                                                                      abs=0.04)
    assert g["moves_snr_max_dev_default"] < 0.03
    assert g["moves_snr_max_dev_sign"] < 0.03
    assert g["moves_snr_sign_at_1"] == pytest.approx(math.erf(1 / math.sqrt(2)), abs=0.02)


def test_scale_statements(g):
    """Catches a false 'α is a length' claim: scaling start and α by 10 scales the path exactly
    (ε = 0), and scaling the loss by 10³ leaves it unchanged, both by direct adamlib runs."""
    H, start = hessian(100, 0), np.array([1.0, 1.0])
    base = adam_path(H, start, 0.1, eps=0.0, steps=200)
    np.testing.assert_allclose(adam_path(H, 10 * start, 1.0, eps=0.0, steps=200) / 10, base,
                               atol=1e-13)
    np.testing.assert_allclose(adam_path(1e3 * H, start, 0.1, eps=0.0, steps=200), base,
                               atol=1e-13)
    assert g["moves_distance_scale_change"] < 1e-13
    assert g["moves_loss_scale_change"] < 1e-4


def test_eps_regime_is_momentum_sgd(g):
    """Catches a wrong ε-regime step (α·ε, or without bias correction): EMA momentum SGD with step
    α/ε, written out here, against adamlib with ε = 10⁴, α = 100."""
    H, start = hessian(100, 45), rotation(45) @ [1.0, 1.0]
    adam = adam_path(H, start, 100.0, eps=1e4, steps=200)
    x, m, path = start.copy(), np.zeros(2), [start.copy()]
    for t in range(1, 201):
        m = BETA1 * m + (1 - BETA1) * (H @ x)
        x = x - 100.0 / 1e4 * m / (1 - BETA1**t)
        path.append(x)
    gap = np.abs(adam - np.array(path)).max()
    assert g["moves_eps_regime_gap"] == pytest.approx(gap, rel=1e-6)
    assert gap < 0.01


def test_rosenbrock_best_adam_run(g):
    """Catches a Rosenbrock result that a direct run does not reproduce."""
    def grad(th, t):
        x, y = th
        return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])

    config = AdamConfig(lr=g["moves_rosen_lr_Adam"], betas=(BETA1, BETA2), eps=EPS)
    x, y = reference.trajectory(np.array([-1.2, 1.0]), grad, config, 2000)[-1]
    assert g["moves_rosen_f_Adam"] == pytest.approx((1 - x) ** 2 + 100 * (y - x**2) ** 2,
                                                    rel=1e-6, abs=1e-20)
    assert g["moves_rosen_on_edge"] == 0


def test_equal_betas_never_step_beyond_alpha(g):
    """Catches a false exercise statement: random heavy-tailed streams, β₁ = β₂, never step more
    than α (up to rounding)."""
    rng = np.random.default_rng(5)
    for beta in (0.0, 0.3, 0.9, 0.999):
        config = AdamConfig(lr=1.0, betas=(beta, beta), eps=0.0)
        stream = rng.standard_cauchy((100, 300)) * np.exp(3 * rng.standard_normal((100, 1)))
        path = np.array(reference.trajectory(np.zeros(300), lambda th, t: stream[t - 1],
                                             config, 100))
        assert np.abs(np.diff(path, axis=0)).max() <= 1 + 1e-12
    assert g["moves_ex_equal_betas_max"] <= 1 + 1e-12


def test_sign_descent_exercise(g):
    """Catches a wrong erf argument (μ/σ instead of μ/(σ√2)) or slope."""
    assert g["moves_ex_sign_at_1"] == pytest.approx(math.erf(1 / math.sqrt(2)), rel=1e-12)
    assert g["moves_ex_adam_at_1"] == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    assert g["moves_ex_sign_slope"] == pytest.approx(math.sqrt(2 / math.pi), rel=1e-12)
    assert sp.simplify(sp.sympify(g["moves_ex_diagonal_45_str"]) - (sp.Symbol("kappa") + 1) / 2) == 0


def test_noisy_quadratic_statements(g):
    """Catches prose that outruns the measurement: steps near α early, near zero late, single
    steps still of order α, and agreement with the stationary formula only after the descent."""
    assert g["moves_noisy_step_early"] > 0.85
    assert g["moves_noisy_step_late"] < 0.01
    assert 0.02 < g["moves_noisy_rms_step_late"] < 1
    assert g["moves_noisy_max_dev_late"] < 0.05 < g["moves_noisy_max_dev"]
