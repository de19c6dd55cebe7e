"""Chapter "AdamW": its glued values against closed forms derived here, against the numbers of
shared/reference/papers.md, and against single-configuration reruns of its vectorised sweep.

Expected values never come from the chapter's code: schedules, products and sums are recomputed
here from their definitions, and sweep cells are retrained one configuration at a time (the
chapter trains all of them as one grid).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from adamlib import AdamConfig, models
from tests.notebooks import glued

ALPHA, LAM = sp.symbols("alpha lambda", positive=True)
BETA1, BETA2 = sp.symbols("beta1 beta2", positive=True)
T = sp.Symbol("t", integer=True, positive=True)
BETAS = (0.9, 0.999)


@pytest.fixture(scope="module")
def g() -> dict:
    return glued("adamw")


def _cosine(step: int, total: int) -> float:
    """The chapter's schedule as stated in its text: η_1 = 1, decaying to near 0 at t = T."""
    return 0.5 * (1 + math.cos(math.pi * (step - 1) / total))


def _bias_factor(step) -> np.ndarray:
    """c_t = √(1 - β₂ᵗ)/(1 - β₁ᵗ) for the default betas."""
    step = np.asarray(step, dtype=float)
    return np.sqrt(1 - BETAS[1] ** step) / (1 - BETAS[0] ** step)


# -- the algorithm --------------------------------------------------------------------------------


def test_paper_defaults_and_first_step(g):
    """Catches a box with the wrong defaults, a preset that drifted from Algorithm 2, and a first
    step or zero-gradient decay in which adamlib and eq-adamw-update disagree (e.g. λ multiplied
    by α as well)."""
    assert (g["adamw_paper_beta1"], g["adamw_paper_beta2"]) == BETAS
    assert g["adamw_preset_matches_paper"] is True
    assert g["adamw_first_step_difference"] < 1e-15
    lam, steps = g["adamw_check_lam"], 10
    product = np.prod([1 - _cosine(k, steps) * lam for k in range(1, steps + 1)])
    assert g["adamw_zero_gradient_factor"] == pytest.approx(product, rel=1e-14)
    assert g["adamw_zero_gradient_difference"] < 1e-15


# -- conventions ----------------------------------------------------------------------------------


def test_conversions_between_conventions(g):
    """Catches a wrong conversion: λ_lr must be λ/α and λ_bc must be λ/(α c_t)."""
    c_t = sp.sqrt(1 - BETA2**T) / (1 - BETA1**T)
    assert sp.simplify(sp.sympify(g["adamw_to_lr_srepr"]) - LAM / ALPHA) == 0
    assert sp.simplify(sp.sympify(g["adamw_to_bc_srepr"]) - LAM / (ALPHA * c_t)) == 0
    assert g["adamw_torch_default_wd"] == 0.01
    assert g["adamw_torch_default_as_paper"] == pytest.approx(1e-5)


def test_bias_correction_factor_values(g):
    """Catches wrong c_t values, a wrong minimum or its step (found here by brute force), and a
    wrong limit; the t = 1, 10, 100, 1000 values are those of adam-variants.md §10 item 4."""
    for step in (1, 10, 100, 1000):
        assert g[f"adamw_c_{step}"] == pytest.approx(float(_bias_factor(step)), rel=1e-12)
    assert [round(g[f"adamw_c_{s}"], 3) for s in (1, 10, 100, 1000)] == [0.316, 0.153, 0.309, 0.795]
    steps = np.arange(1, 20001)
    values = _bias_factor(steps)
    assert g["adamw_c_argmin"] == int(steps[values.argmin()])
    assert g["adamw_c_min"] == pytest.approx(values.min(), rel=1e-12)
    assert g["adamw_c_limit"] == 1


def test_three_conventions_on_a_zero_gradient(g):
    """Catches a run in which the paper's and PyTorch's conventions (λ and λ/α) do not coincide,
    or in which either convention does not end at its product formula."""
    alpha, lam, steps = g["adamw_conv_alpha"], g["adamw_conv_lam"], g["adamw_conv_steps"]
    etas = np.array([_cosine(k, steps) for k in range(1, steps + 1)])
    paper = np.prod(1 - etas * lam)
    bias_corrected = np.prod(1 - etas * _bias_factor(np.arange(1, steps + 1)) * alpha * lam / alpha)
    final = g["adamw_conv_final"]
    assert final["schedule"] == pytest.approx(paper, rel=1e-12)
    assert final["lr"] == pytest.approx(paper, rel=1e-12)
    assert final["bias_corrected_lr"] == pytest.approx(bias_corrected, rel=1e-12)
    assert g["adamw_conv_lr_difference"] < 1e-14
    assert g["adamw_conv_bc_ratio"] == pytest.approx(bias_corrected / paper, rel=1e-12)


def test_normalised_weight_decay(g):
    """Catches a wrong normalisation formula (λ_norm·√(b/(BT))) against the numbers in
    papers.md §3.3, a wrong PyTorch conversion, or a wrong total decay λ·BT/b."""
    assert g["adamw_normalised_T100"] == pytest.approx(2.5298221e-4, rel=1e-7)
    assert g["adamw_normalised_T1800"] == pytest.approx(5.9628e-5, rel=1e-4)
    assert g["adamw_normalised_T100_half"] == pytest.approx(1.2649e-4, rel=1e-4)
    assert g["adamw_normalised_T100_torch"] == pytest.approx(2.5298221e-4 / 1e-3, rel=1e-7)
    assert g["adamw_normalised_steps"] == pytest.approx(50_000 * 100 / 128)
    lam_norm, b, n, epochs = sp.symbols("lambda_norm b B T", positive=True)
    total = sp.sympify(g["adamw_normalised_total_srepr"])
    assert sp.simplify(total - lam_norm * sp.sqrt(b / (n * epochs)) * n * epochs / b) == 0


# -- the sweep ------------------------------------------------------------------------------------


def _teacher_data():
    """The chapter's data, regenerated from its stated recipe (checked by its checksum)."""
    rng = np.random.default_rng(0)
    teacher_in = rng.standard_normal((16, 4)) / 4.0
    teacher_out = rng.standard_normal((4, 1))

    def draw(n):
        inputs = rng.standard_normal((n, 16))
        return inputs, np.tanh(inputs @ teacher_in) @ teacher_out

    x_train, clean = draw(64)
    y_train = clean + 0.5 * rng.standard_normal(clean.shape)
    x_test, y_test = draw(2000)
    return x_train, y_train, x_test, y_test


def _train_one(lr, decay, seed, **switches):
    """Test MSE of one configuration trained on its own (grid of size 1)."""
    x_train, y_train, x_test, y_test = _teacher_data()
    steps = 200
    config = AdamConfig(
        lr=lr, weight_decay=decay, schedule_multiplier=lambda step: _cosine(step, steps), **switches
    )
    params = models.mlp_init((16, 32, 1), 1, seed)
    history = models.train(
        params, config, (x_train, y_train), steps=steps, batch_size=32, seed=0, loss="mse"
    )
    return float(models.mlp_loss(history.params, x_test, y_test, loss="mse")[0])


def test_sweep_data_and_shapes(g):
    """Catches a chapter whose data recipe changed without its text (the checksum of the data
    regenerated here must match) and a grid of the wrong shape or with diverged runs."""
    _x_train, y_train, _x_test, y_test = _teacher_data()
    assert g["adamw_exp_data_checksum"] == pytest.approx(
        float(y_train.sum() + y_test.sum()), rel=1e-12
    )
    assert np.shape(g["adamw_exp_l2_mse"]) == (7, 8, 3)
    assert np.shape(g["adamw_exp_adamw_mse"]) == (7, 8, 3)
    assert g["adamw_exp_diverged"] == 0
    assert g["adamw_exp_n_params"] == 16 * 32 + 32 + 32 * 1 + 1


@pytest.mark.parametrize(
    ("method", "row", "column", "seed"),
    [
        ("l2", 5, 5, 0),  # the L2 best cell (λ' = 0.1 is column 5: column 0 is λ' = 0)
        ("l2", 2, 0, 2),  # a no-decay cell
        ("adamw", 5, 6, 1),  # the AdamW best cell
        ("adamw", 3, 4, 2),
    ],
)
def test_sweep_cells_match_single_runs(g, method, row, column, seed):
    """Catches a vectorised sweep whose grid members are mixed up (a hyperparameter paired with
    the wrong parameters or seed, a reshape in the wrong order): one configuration retrained on
    its own must give the glued value."""
    lr = g["adamw_exp_learning_rates"][row]
    if method == "l2":
        decay = g["adamw_exp_l2_coefficients"][column]
        expected = _train_one(lr, decay, seed, weight_decay_kind="l2")
        glued_value = g["adamw_exp_l2_mse"][row][column][seed]
    else:
        decay = g["adamw_exp_decays"][column]
        expected = _train_one(
            lr, decay, seed, weight_decay_kind="decoupled", decay_multiplier="schedule"
        )
        glued_value = g["adamw_exp_adamw_mse"][row][column][seed]
    assert glued_value == pytest.approx(expected, rel=1e-8)


def _torch_test_mse(kind, lr, decay, init_seed, order_seed=0):
    """Test MSE of one configuration retrained with torch.optim in float64 (not adamlib): Adam
    with L2 (`torch.optim.Adam(weight_decay=λ')`) or AdamW with the paper's λ passed as PyTorch's
    λ/α, a cosine LambdaLR, the MLP initialised as stated (N(0, 1/fan_in) weights, zero biases)
    and minibatches from epochs of seeded permutations."""
    torch = pytest.importorskip("torch")
    x_train, y_train, x_test, y_test = _teacher_data()
    steps, batch = 200, 32
    rng = np.random.default_rng(order_seed)
    epochs = -(-steps * batch // len(x_train))
    order = np.concatenate([rng.permutation(len(x_train)) for _ in range(epochs)])
    order = order[: steps * batch].reshape(steps, batch)
    init = np.random.default_rng(init_seed)
    w1 = init.standard_normal((16, 32)) / math.sqrt(16)
    w2 = init.standard_normal((32, 1)) / math.sqrt(32)
    params = [
        torch.tensor(w1, requires_grad=True),
        torch.zeros(32, dtype=torch.float64, requires_grad=True),
        torch.tensor(w2, requires_grad=True),
        torch.zeros(1, dtype=torch.float64, requires_grad=True),
    ]

    def predict(x):
        return torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3]

    if kind == "l2":
        optimiser = torch.optim.Adam(params, lr=lr, betas=BETAS, eps=1e-8, weight_decay=decay)
    else:
        optimiser = torch.optim.AdamW(params, lr=lr, betas=BETAS, eps=1e-8, weight_decay=decay / lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda k: 0.5 * (1 + math.cos(math.pi * k / steps))
    )
    xs, ys = torch.tensor(x_train), torch.tensor(y_train)
    for t in range(steps):
        index = torch.tensor(order[t])
        optimiser.zero_grad()
        ((predict(xs[index]) - ys[index]) ** 2).mean().backward()
        optimiser.step()
        schedule.step()
    with torch.no_grad():
        return float(((predict(torch.tensor(x_test)) - torch.tensor(y_test)) ** 2).mean())


@pytest.mark.parametrize(
    ("method", "row", "column", "seed"),
    [
        ("l2", 5, 5, 0),
        ("l2", 5, 5, 2),
        ("adamw", 5, 6, 0),
        ("adamw", 5, 6, 1),
        ("adamw", 1, 2, 2),
    ],
)
def test_sweep_cells_match_torch(g, method, row, column, seed):
    """Catches an adamlib sweep that is internally consistent but wrong (a bias correction,
    decay or schedule that differs from PyTorch's): grid cells, including both best cells,
    retrained with torch.optim in float64 must give the glued values."""
    lr = g["adamw_exp_learning_rates"][row]
    if method == "l2":
        decay = g["adamw_exp_l2_coefficients"][column]
        glued_value = g["adamw_exp_l2_mse"][row][column][seed]
    else:
        decay = g["adamw_exp_decays"][column]
        glued_value = g["adamw_exp_adamw_mse"][row][column][seed]
    assert glued_value == pytest.approx(_torch_test_mse(method, lr, decay, seed), rel=1e-6)


def test_minibatch_order_reruns_match_torch(g):
    """Catches a wrong minibatch-order experiment: the best AdamW and Adam + L2 cells retrained
    with torch.optim under the other minibatch orders must give the glued means."""
    lr = g["adamw_exp_adamw_best_lr"]
    for index, order_seed in enumerate(g["adamw_exp_order_seeds"]):
        adamw = np.mean(
            [
                _torch_test_mse("adamw", lr, g["adamw_exp_adamw_best_decay"], seed, order_seed)
                for seed in range(3)
            ]
        )
        assert g["adamw_exp_order_adamw"][index] == pytest.approx(adamw, rel=1e-6)
        l2 = np.mean(
            [
                _torch_test_mse(
                    "l2",
                    g["adamw_exp_l2_best_lr"],
                    g["adamw_exp_l2_best_coefficient"],
                    seed,
                    order_seed,
                )
                for seed in range(3)
            ]
        )
        assert g["adamw_exp_order_l2"][index] == pytest.approx(l2, rel=1e-6)


def test_paper_cell_equals_pytorch_convention_run(g):
    """Catches a sheared PyTorch-units panel that is not the same runs: AdamW in PyTorch's
    convention with λ/α must reproduce the paper-convention cell (prop-adamw-conventions)."""
    row, column, seed = 4, 4, 0
    lr, decay = g["adamw_exp_learning_rates"][row], g["adamw_exp_decays"][column]
    torch_convention = _train_one(
        lr, decay / lr, seed, weight_decay_kind="decoupled", decay_multiplier="lr"
    )
    assert g["adamw_exp_adamw_mse"][row][column][seed] == pytest.approx(torch_convention, rel=1e-8)


def test_sweep_summary_supports_the_text(g):
    """Catches summary numbers that do not follow from the glued grid (whose cells the test above
    pins to single-configuration reruns), an optimum used in a fit that sits on the grid's edge
    (the finding that made the old 6×6 grid's slopes meaningless), and prose claims the grid does
    not support: Adam + L2's best λ' the same at every fitted α, AdamW's rising in the paper's
    units."""
    learning_rates = np.array(g["adamw_exp_learning_rates"])
    l2 = np.array(g["adamw_exp_l2_mse"]).mean(axis=-1)
    adamw = np.array(g["adamw_exp_adamw_mse"]).mean(axis=-1)
    l2_coefficients = np.array(g["adamw_exp_l2_coefficients"])[1:]
    decays = np.array(g["adamw_exp_decays"])
    no_decay, l2 = l2[:, 0], l2[:, 1:]
    fitted = np.arange(len(learning_rates)) > 0
    assert g["adamw_exp_n_fitted"] == fitted.sum() == 6
    assert g["adamw_exp_no_decay_train_smallest_lr"] > 5 * g["adamw_exp_no_decay_train_others_max"]

    # no optimum used in a fit on an edge, for both methods, and neither best cell
    edges = 0
    for mean, n_columns in ((l2, len(l2_coefficients)), (adamw, len(decays))):
        columns = mean.argmin(axis=1)[fitted]
        edges += int(np.sum((columns == 0) | (columns == n_columns - 1)))
        rows = np.flatnonzero(fitted)
        row, column = np.unravel_index(mean[rows].argmin(), mean[rows].shape)
        edges += int(rows[row] in (0, len(learning_rates) - 1) or column in (0, n_columns - 1))
    assert edges == 0
    assert g["adamw_exp_edge_optima"] == 0

    rows = np.flatnonzero(fitted)
    assert g["adamw_exp_no_decay_best"] == pytest.approx(no_decay[rows].min())
    assert g["adamw_exp_l2_best"] == pytest.approx(l2[rows].min())
    assert g["adamw_exp_adamw_best"] == pytest.approx(adamw[rows].min())
    best_l2 = l2_coefficients[l2.argmin(axis=1)]
    best_paper = decays[adamw.argmin(axis=1)]
    np.testing.assert_allclose(g["adamw_exp_best_l2_per_lr"], best_l2)
    np.testing.assert_allclose(g["adamw_exp_best_paper_per_lr"], best_paper)
    np.testing.assert_allclose(
        g["adamw_exp_best_torch_per_lr"], best_paper / learning_rates, rtol=1e-9
    )
    for key, best in (
        ("l2", best_l2),
        ("paper", best_paper),
        ("torch", best_paper / learning_rates),
    ):
        slope = np.polyfit(np.log10(learning_rates[fitted]), np.log10(best[fitted]), 1)[0]
        assert g[f"adamw_exp_slope_{key}"] == pytest.approx(slope, abs=1e-6)
    # the text's claims, with counts
    assert len(np.unique(best_l2[fitted])) == g["adamw_exp_l2_distinct"] == 1
    assert g["adamw_exp_l2_common"] == pytest.approx(best_l2[fitted][0])
    assert np.all(np.diff(np.log10(best_paper[fitted])) >= 0)  # climbs, never falls
    assert best_paper[fitted][-1] > best_paper[fitted][0]
    trailing = best_paper[fitted][::-1]
    run = int(np.argmax(trailing != trailing[0])) or len(trailing)
    assert g["adamw_exp_paper_trailing"] == run and 1 < run < fitted.sum()
    assert g["adamw_exp_mse_min"] == pytest.approx(min(l2.min(), adamw.min()))


def test_sweep_uncertainty_statements(g):
    """Catches slopes quoted without (or with a wrong) standard error, checked with scipy's
    linregress rather than the chapter's formula; a wrong count of where PyTorch's best λ/α is
    level, or a 'fall' that does not need λ ≥ 1; near ties and paired seed differences that do
    not follow from the grid; and an excluded smallest α whose optimum is not on the edge."""
    from scipy import stats

    learning_rates = np.array(g["adamw_exp_learning_rates"])
    decays = np.array(g["adamw_exp_decays"])
    l2_coefficients = np.array(g["adamw_exp_l2_coefficients"])
    l2_cells = np.array(g["adamw_exp_l2_mse"])
    adamw_cells = np.array(g["adamw_exp_adamw_mse"])
    l2, adamw = l2_cells.mean(axis=-1)[:, 1:], adamw_cells.mean(axis=-1)
    rows = np.arange(1, len(learning_rates))
    best_paper = decays[adamw.argmin(axis=1)]
    x = np.log10(learning_rates)
    for key, best in (("paper", best_paper), ("torch", best_paper / learning_rates)):
        fit = stats.linregress(x[rows], np.log10(best[rows]))
        assert g[f"adamw_exp_slope_{key}"] == pytest.approx(fit.slope, abs=1e-6)
        assert g[f"adamw_exp_slope_{key}_se"] == pytest.approx(fit.stderr, rel=1e-9)
        every = stats.linregress(x, np.log10(best))
        assert g[f"adamw_exp_slope_{key}_all"] == pytest.approx(every.slope, abs=1e-6)
    torch_fit = stats.linregress(x[rows], np.log10(best_paper[rows] / learning_rates[rows]))
    assert g["adamw_exp_torch_slope_in_se"] == pytest.approx(
        abs(torch_fit.slope) / torch_fit.stderr
    )
    # the smallest α: its best λ is on the grid's edge
    assert g["adamw_exp_smallest_lr_on_edge"] is True
    assert adamw[0].argmin() in (0, len(decays) - 1)
    assert g["adamw_exp_smallest_lr_best_decay"] == pytest.approx(best_paper[0])

    # PyTorch units: level value, its count, the fall only above the last level row, and the
    # paper λ that keeping the level would need there (≥ 1: 1 - η₁λ ≤ 0 at the first step)
    torch_exponents = np.round(np.log10(best_paper[rows] / learning_rates[rows]), 6)
    values, counts = np.unique(torch_exponents, return_counts=True)
    level = values[counts.argmax()]
    assert g["adamw_exp_torch_level"] == pytest.approx(10**level)
    assert g["adamw_exp_torch_level_count"] == counts.max()
    above = np.arange(len(rows)) > np.flatnonzero(torch_exponents == level).max()
    assert g["adamw_exp_torch_fall_count"] == above.sum() > 0
    assert np.all(torch_exponents[above] < level)
    needed = learning_rates[rows][above] * 10**level
    assert g["adamw_exp_torch_fall_needed_min"] == pytest.approx(needed.min())
    assert needed.min() >= 1 - 1e-12
    # the first fitted row is a near tie whose runner-up has the level value
    second = np.argsort(adamw[rows[0]])[1]
    assert g["adamw_exp_paper_first_runner_up"] == pytest.approx(decays[second])
    assert g["adamw_exp_torch_first_runner_up"] == pytest.approx(10**level)
    gap = adamw[rows[0], second] - adamw[rows[0]].min()
    assert g["adamw_exp_paper_first_gap"] == pytest.approx(gap)

    # Adam + L2's closest call
    gaps = {row: np.diff(np.sort(l2[row]))[0] for row in rows}
    tie = min(gaps, key=gaps.get)
    assert g["adamw_exp_l2_tie_lr"] == pytest.approx(learning_rates[tie])
    assert g["adamw_exp_l2_tie_gap"] == pytest.approx(gaps[tie])
    first, runner = np.argsort(l2[tie])[:2] + 1
    per_seed = l2_cells[tie, runner] - l2_cells[tie, first]
    assert g["adamw_exp_l2_tie_text"] == ", ".join(f"{v:+.3f}".replace("-", "−") for v in per_seed)
    assert g["adamw_exp_l2_tie_runner_up"] == pytest.approx(l2_coefficients[runner])

    # the two best cells, paired by seed
    l2_row, l2_col = np.unravel_index(l2[rows].argmin(), l2[rows].shape)
    w_row, w_col = np.unravel_index(adamw[rows].argmin(), adamw[rows].shape)
    paired = l2_cells[rows[l2_row], l2_col + 1] - adamw_cells[rows[w_row], w_col]
    np.testing.assert_allclose(g["adamw_exp_paired_difference"], paired, rtol=1e-12)
    assert g["adamw_exp_paired_l2_wins"] == int(np.sum(paired < 0))
    assert g["adamw_exp_best_cell_std_l2"] == pytest.approx(
        l2_cells[rows[l2_row], l2_col + 1].std()
    )
    assert g["adamw_exp_best_cell_std_adamw"] == pytest.approx(
        adamw_cells[rows[w_row], w_col].std()
    )
    assert g["adamw_exp_best_gap"] == pytest.approx(abs(l2[rows].min() - adamw[rows].min()))
    # the text: the minibatch order alone moves AdamW's best cell by more than the gap between
    # the methods, but far less than the gain of either decay over none ("decay matters")
    assert g["adamw_exp_order_adamw_shift"] > g["adamw_exp_best_gap"]
    no_decay_best = l2_cells.mean(axis=-1)[rows, 0].min()
    assert (
        no_decay_best - max(l2[rows].min(), adamw[rows].min())
        > 5 * g["adamw_exp_order_adamw_shift"]
    )


def test_teacher_test_targets_are_noise_free(g):
    """Catches a text that calls σ² a floor of the test MSE: the test targets regenerated from the
    recipe are exactly the teacher's outputs."""
    _x_train, _y_train, x_test, y_test = _teacher_data()
    rng = np.random.default_rng(0)
    teacher_in = rng.standard_normal((16, 4)) / 4.0
    teacher_out = rng.standard_normal((4, 1))
    np.testing.assert_allclose(y_test, np.tanh(x_test @ teacher_in) @ teacher_out, rtol=1e-15)


def test_linf_box_and_l2_balance(g):
    """Catches a wrong AdamW fixed point on f(θ) = -θ (it is α/(λ(1+ε)), the ℓ∞ box of Xie & Li)
    or an Adam + L2 one that depends on α (it is 1/λ'), and an AdamW 'box' that follows the loss
    scale in the exercise (it is αc/(λ(c+ε)); Adam + L2's is c/λ')."""
    eps, lam, lam_l2 = 1e-8, g["adamw_bound_lam"], g["adamw_bound_lam_l2"]
    assert g["adamw_bound_adamw_small"] == pytest.approx(1e-2 / (lam * (1 + eps)), rel=1e-9)
    assert g["adamw_bound_adamw_large"] == pytest.approx(3e-2 / (lam * (1 + eps)), rel=1e-9)
    for key, lr in (("small", 1e-2), ("large", 3e-2)):
        assert abs(g[f"adamw_bound_l2_{key}"] - 1 / lam_l2) < lr
    for key, c in (("small", 0.1), ("large", 10.0)):
        assert g[f"adamw_ex_box_adamw_{key}"] == pytest.approx(
            1e-2 * c / (1e-2 * (c + eps)), rel=1e-9
        )
        assert abs(g[f"adamw_ex_box_l2_{key}"] - c / 1.0) < 1e-2


def _rotation_angle(lr, wd, beta1, dim=256, steps=6000, seed=7):
    """From-scratch random walk of a scale-invariant weight under PyTorch-style AdamW (one case,
    its own seed): mean angle between consecutive weights over the second half."""
    rng = np.random.default_rng(seed)
    w = 0.2 * rng.standard_normal(dim)
    m, v, angles = np.zeros(dim), np.zeros(dim), []
    for t in range(1, steps + 1):
        g = rng.standard_normal(dim)
        g = (g - (g @ w) / (w @ w) * w) / np.linalg.norm(w)
        m = beta1 * m + (1 - beta1) * g
        v = BETAS[1] * v + (1 - BETAS[1]) * g * g
        new = w * (1 - lr * wd) - lr * (m / (1 - beta1**t)) / (
            np.sqrt(v / (1 - BETAS[1] ** t)) + 1e-8
        )
        if t > steps // 2:
            angles.append(math.acos(min(1.0, new @ w / np.linalg.norm(new) / np.linalg.norm(w))))
        w = new
    return float(np.mean(angles))


def test_rotational_equilibrium_angle(g):
    """Catches the momentum-free angle √(d(2-d)) (4.4× too large at β₁ = 0.9) and any formula
    that disagrees with the equilibrium angular update of Kosson et al.'s code (epfml/REQ
    `adamw_etar_func`: √(2·lr·wd·(1-β₁)/(1+β₁))), against a from-scratch simulation written
    here; and a paper-convention angle that involves α."""
    alpha, lam, beta1 = sp.symbols("alpha lambda beta1", positive=True)
    lam_lr = sp.Symbol("lambda_lr", positive=True)
    paper = sp.sympify(g["adamw_rotation_angle_paper_srepr"])
    k = (1 - beta1) / (1 + beta1)
    assert sp.simplify(paper**2 - k * lam * (2 - lam)) == 0
    assert alpha not in paper.free_symbols
    # for small λ it is Kosson et al.'s √(2λk)
    for value in (sp.Rational(9, 10), sp.Integer(0)):
        ratio = (paper / sp.sqrt(2 * lam * k)).subs(beta1, value)
        assert sp.limit(ratio, lam, 0) == 1
    torch_angle = sp.sympify(g["adamw_rotation_angle_torch_srepr"])
    product = sp.Symbol("p", positive=True)
    assert (
        sp.simplify(torch_angle.subs(lam_lr, product / alpha) ** 2 - k * product * (2 - product))
        == 0
    )

    for case, measured in zip(g["adamw_rot_cases"], g["adamw_rot_measured"]):
        lr, wd, b1 = case
        kosson = math.sqrt(2 * lr * wd * (1 - b1) / (1 + b1))
        simulated = _rotation_angle(lr, wd, b1)
        assert simulated == pytest.approx(kosson, rel=0.03)
        assert measured == pytest.approx(simulated, rel=0.03)
    # the momentum-free formula is far off at β₁ = 0.9, right at β₁ = 0
    d = 1e-2 * 0.1
    assert g["adamw_rot_measured_0"] < 0.3 * math.sqrt(d * (2 - d))
    assert g["adamw_rot_no_momentum_ratio"] == pytest.approx(math.sqrt(1.9 / 0.1))


def test_single_step_direction_exceeds_one(g):
    """Catches the claim |u| ≤ 1 per step: a spike after a quiet stretch, recomputed here from
    Adam's definition (bias-corrected moments), gives |u| ≈ 3.18."""
    quiet, small, big = (
        g["adamw_spike_quiet_steps"],
        g["adamw_spike_quiet_size"],
        g["adamw_spike_size"],
    )
    m = v = 0.0
    for t in range(1, quiet + 2):
        grad = big if t > quiet else small
        m = BETAS[0] * m + (1 - BETAS[0]) * grad
        v = BETAS[1] * v + (1 - BETAS[1]) * grad**2
    u = (m / (1 - BETAS[0] ** t)) / (math.sqrt(v / (1 - BETAS[1] ** t)) + 1e-8)
    assert g["adamw_spike_u"] == pytest.approx(u, rel=1e-9)
    assert u > 3


def test_stationary_point(g):
    """Catches a wrong AdamW stationarity condition: α·u + λθ = 0 gives u = -λθ/α."""
    theta = sp.Symbol("theta")
    direction = sp.sympify(g["adamw_stationary_paper_srepr"])
    assert sp.simplify(direction + LAM * theta / ALPHA) == 0


# -- exercises ------------------------------------------------------------------------------------


def test_exercise_mxnet_deficit(g):
    """Catches a wrong step from which c_t stays within 1 % of one, a wrong deficit Σ(1 - c_t),
    or a wrong integral estimate 2(1 - ln 2)/(-ln β₂)."""
    steps = np.arange(1, 400_001)
    values = _bias_factor(steps)
    assert g["adamw_ex_mxnet_within"] == int(steps[np.nonzero(values < 0.99)[0][-1]] + 1)
    assert g["adamw_ex_mxnet_missing"] == pytest.approx(float(np.sum(1 - values)), rel=1e-9)
    assert g["adamw_ex_mxnet_integral"] == pytest.approx(
        2 * (1 - math.log(2)) / -math.log(BETAS[1]), rel=1e-12
    )


def test_exercise_decay_of_updated_parameter(g):
    """Catches a wrong closed form of the old- vs updated-parameter gap (d·s_t) or a measured gap
    that disagrees with it (at t = 1 the adaptive step is α·sign(g) up to ε)."""
    d, s_t = sp.symbols("d s_t", real=True)
    assert sp.sympify(g["adamw_ex_updated_gap_srepr"]) == d * s_t
    alpha, lam = 1e-2, 0.1
    assert g["adamw_ex_updated_predicted"] == pytest.approx(alpha * lam * alpha)
    assert g["adamw_ex_updated_measured"] == pytest.approx(
        g["adamw_ex_updated_predicted"], rel=1e-6
    )
