"""The numbers of chapters/errata.md against closed forms worked out here.

Each erratum's check is recomputed from the algebra written in the test's docstring, with exact
rationals in SymPy or plain arithmetic; the chapter's own cells are not reused.
"""

import math

import pytest
import sympy as sp

from tests.notebooks import glued

B1, B2 = sp.Rational(9, 10), sp.Rational(999, 1000)


@pytest.fixture(scope="module")
def g():
    return glued("errata")


def test_second_moment_is_not_the_variance(g):
    """Catches 'G_t estimates the variance': for gradients of mean 1 and standard deviation
    0.1, E[Ĝ_t] = μ² + σ² = 1.01, while the variance is 0.01."""
    mu, sigma = sp.symbols("mu sigma", positive=True)
    closed = sp.sympify(g["variance_closed_form"], locals={"mu": mu, "sigma": sigma})
    assert sp.simplify(closed - (mu**2 + sigma**2)) == 0
    assert g["variance_expected_G_hat"] == pytest.approx(1.01, rel=1e-12)
    # An EMA with β₂ = 0.999 averages about 1000 gradients: 1% sampling error is generous.
    assert g["variance_measured_G_hat"] == pytest.approx(1.01, rel=1e-2)
    assert g["variance_sample"] == pytest.approx(0.01, rel=5e-2)


def test_eps_inside_versus_outside(g):
    """Catches the two placements confused: g = ε = 1e-8, α = 1, t = 1 (m̂ = g, √v̂ = g):
    outside -g/(g + ε) = -1/2, inside -g/√(g² + ε)."""
    grad = eps = sp.Rational(1, 10**8)
    outside, inside = -grad / (grad + eps), -grad / sp.sqrt(grad**2 + eps)
    assert g["eps_outside_step"] == pytest.approx(float(outside), rel=1e-14)
    assert g["eps_inside_step"] == pytest.approx(float(inside), rel=1e-14)
    assert g["eps_outside_adamlib"] == pytest.approx(float(outside), rel=1e-12)
    assert g["eps_inside_adamlib"] == pytest.approx(float(inside), rel=1e-12)
    assert g["eps_inside_ratio"] == pytest.approx(float(outside / inside), rel=1e-12)


def test_second_line_of_the_derivation(g):
    """Catches a 'corrected' second line that still differs from the first at ε = 0, or a
    printed line whose failure of scale invariance is misreported (it scales by 1/k)."""
    assert g["second_line_corrected_gap"] == "0"
    k = sp.symbols("k", positive=True)
    assert (
        sp.simplify(sp.sympify(g["second_line_printed_scaling_str"], locals={"k": k}) - 1 / k) == 0
    )


def test_third_line_changes_eps(g):
    """Catches the claim that line 3 equals line 1: at t = 1, g = 1e-4, ε = 1e-8, α = 1,
    line 1 = -g/√(g² + ε) and line 3 = -√(1-β₂)·g/√((1-β₂)g² + ε)."""
    grad, eps = sp.Rational(1, 10**4), sp.Rational(1, 10**8)
    line1 = -grad / sp.sqrt(grad**2 + eps)
    line3 = -sp.sqrt(1 - B2) * grad / sp.sqrt((1 - B2) * grad**2 + eps)
    assert g["third_line_rescaled_gap"] == "0"
    assert g["third_line_line1"] == pytest.approx(float(line1), rel=1e-14)
    assert g["third_line_line3"] == pytest.approx(float(line3), rel=1e-14)
    assert g["third_line_ratio"] == pytest.approx(float(line1 / line3), rel=1e-14)


def test_beta1_typo_in_the_recurrence(g):
    """Catches a wrong unrolled factor: with coefficient (1-β₁) the EMA of a constant 1 tends
    to (1-β₁)/(1-β₂) = 100, with (1-β₂) to 1 (factor 1-β₂ᵗ)."""
    beta1, beta2, t = sp.symbols("beta1 beta2 t", positive=True)
    names = {"beta1": beta1, "beta2": beta2, "t": t}
    assert sp.simplify(sp.sympify(g["typo_correct_factor"], locals=names) - (1 - beta2**t)) == 0
    wrong = sp.sympify(g["typo_wrong_factor"], locals=names)
    assert sp.simplify(wrong - (1 - beta1) * (1 - beta2**t) / (1 - beta2)) == 0
    assert g["typo_steady_state"] == pytest.approx(float((1 - B1) / (1 - B2)), rel=1e-14)
    assert g["typo_iterated"] == pytest.approx(float((1 - B1) / (1 - B2)), rel=1e-6)


def test_early_steps_without_bias_correction(g):
    """Catches 'the moments are large': M₁ = (1-β₁)g₁, G₁ = (1-β₂)g₁², and the uncorrected
    first step is (1-β₁)/√(1-β₂) = √10 times the corrected one."""
    assert g["early_m_ratio"] == pytest.approx(0.1, rel=1e-12)
    assert g["early_v_ratio"] == pytest.approx(0.001, rel=1e-12)
    assert g["early_step_ratio"] == pytest.approx(math.sqrt(10), rel=1e-14)
    assert g["early_step_ratio_measured"] == pytest.approx(math.sqrt(10), rel=1e-12)


def _torch_shrink_rate(optimizer_class, lr, weight_decay, noise):
    """r = ln(mean θ_T without decay / mean θ_T with decay)/T, recomputed with torch.optim."""
    import torch

    ends = []
    for decay in (0.0, weight_decay):
        weight = torch.ones(noise.shape[1], dtype=torch.float64, requires_grad=True)
        optimizer = optimizer_class([weight], lr=lr, weight_decay=decay)
        for row in noise:
            weight.grad = torch.from_numpy(row.copy())
            optimizer.step()
        ends.append(float(weight.detach().mean()))
    return math.log(ends[0] / ends[1]) / noise.shape[0]


def test_coupling_of_decay_and_learning_rate(g):
    """Catches an L2 shrink that does not follow α·λ' (the coupling L&H describe), a paper AdamW
    shrink that depends on α, and a PyTorch AdamW shrink that does not. Every glued rate is
    recomputed with torch.optim on the same noise: Adam(weight_decay=λ') for Adam + L2,
    AdamW(weight_decay=λ/α) for the paper's λ (prop-adamw-conventions), AdamW for PyTorch's."""
    import numpy as np
    import torch

    steps, coordinates = g["coupling_steps"], g["coupling_coordinates"]
    noise = np.random.default_rng(1).standard_normal((steps, coordinates))
    for lr_key, lr in (("0.001", 1e-3), ("0.01", 1e-2)):
        row = g["coupling"][lr_key]
        expected = {
            "Adam + L2, λ' = 0.1": _torch_shrink_rate(torch.optim.Adam, lr, 0.1, noise),
            "paper AdamW, λ = 1e-3": _torch_shrink_rate(torch.optim.AdamW, lr, 1e-3 / lr, noise),
            "PyTorch AdamW, weight_decay = 0.1": _torch_shrink_rate(
                torch.optim.AdamW, lr, 0.1, noise
            ),
        }
        for key, value in expected.items():
            assert row[key] == pytest.approx(value, rel=1e-6), (lr_key, key)
        # the claims of the text, with their closed forms
        assert row["paper AdamW, λ = 1e-3"] == pytest.approx(-math.log(1 - 1e-3), rel=0.05)
        assert row["PyTorch AdamW, weight_decay = 0.1"] == pytest.approx(
            -math.log(1 - lr * 0.1), rel=0.05
        )
        assert row["Adam + L2, λ' = 0.1"] == pytest.approx(lr * 0.1, rel=0.25)
    assert g["coupling_l2_large_lr"] / g["coupling_l2_small_lr"] == pytest.approx(10, rel=0.25)


def test_mxnet_adamw_decay_multiplier(g):
    """Catches the seed's AdamW block read as decaying by αλ or λ. The expected shrink comes from
    MXNet 2's own AdamW (the transcription of adamW.py and the adamw_update kernel at a cited
    commit) run on zero gradients, not from the closed form the chapter states."""
    import numpy as np

    from tests.transcriptions.mxnet import AdamWV2

    optimizer = AdamWV2(learning_rate=1e-3, wd=1e-2, epsilon=1e-6)
    weight = np.ones(1)
    state = optimizer.create_state(0, weight)
    for t in range(1, 1001):
        before = float(weight[0])
        optimizer.fused_step([0], [weight], [np.zeros(1)], [state])
        if t in (1, 10, 100, 1000):
            expected = (1 - float(weight[0]) / before) / (1e-3 * 1e-2)
            assert g[f"mxnet_adamw_ratio_{t}"] == pytest.approx(expected, rel=1e-8)
            assert g["mxnet_adamw_ratio"][t] == g[f"mxnet_adamw_ratio_{t}"]
            assert expected == pytest.approx(float(sp.sqrt(1 - B2**t) / (1 - B1**t)), rel=1e-8)


def test_bert_omissions(g):
    """Catches BERT exclusions that decay biases/LayerNorm (checked against the transcription of
    BERT's own _do_use_weight_decay with create_optimizer's settings, not a hand-typed list), a
    warmup whose first lr is not 0, clipping that does not keep the direction ((3,4)/5), and a
    wrong peak of (1-β₁ᵗ)/√(1-β₂ᵗ)."""
    from tests.transcriptions.bert import CREATE_OPTIMIZER_SETTINGS, AdamWeightDecayOptimizer

    bert = AdamWeightDecayOptimizer(learning_rate=1e-4, **CREATE_OPTIMIZER_SETTINGS)
    expected_decay = {
        name: bert._do_use_weight_decay(bert._get_variable_name(name + ":0"))
        for name in g["bert_decayed"]
    }
    assert sum(expected_decay.values()) == 2  # the two kernels
    assert g["bert_decayed"] == expected_decay
    assert g["bert_decayed_adamlib"] == expected_decay
    assert g["bert_first_lr"] == 0.0
    assert g["bert_global_clip"] == pytest.approx([0.6, 0.8])
    assert g["bert_elementwise_clip"] == [1.0, 1.0]
    assert g["bert_global_clip_text"] == "(0.6, 0.8)"
    assert g["bert_elementwise_clip_text"] == "(1, 1)"
    assert g["bert_ratio_first"] == pytest.approx(math.sqrt(10), rel=1e-12)
    ratios = {t: float((1 - B1**t) / sp.sqrt(1 - B2**t)) for t in range(5, 25)}
    peak = max(ratios, key=ratios.get)
    assert g["bert_ratio_peak_step"] == peak
    assert g["bert_ratio_peak"] == pytest.approx(ratios[peak], rel=1e-12)


def test_folding_erratum(g):
    """Catches the claim that PyTorch folds the bias correction into α: torch.optim.Adam's first
    step on g = 1e-6 (lr 1, ε 1e-8) is g/(|g| + ε) (Algorithm 1), not g/(|g| + ε/√(1-β₂))."""
    import torch

    weight = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([weight], lr=1.0, eps=1e-8)
    weight.grad = torch.full((1,), 1e-6, dtype=torch.float64)
    optimizer.step()
    assert g["folding_torch_step"] == pytest.approx(-float(weight.detach()[0]), rel=1e-12)
    assert g["folding_unfolded"] == pytest.approx(1e-6 / (1e-6 + 1e-8), rel=1e-12)
    assert g["folding_folded"] == pytest.approx(1e-6 / (1e-6 + 1e-8 / math.sqrt(1e-3)), rel=1e-12)
    assert g["folding_torch_step"] == pytest.approx(g["folding_unfolded"], rel=1e-12)
    assert abs(g["folding_torch_step"] - g["folding_folded"]) > 0.1


def test_confirmed_claims(g):
    """Catches a failed SGD equivalence check, or a bias-correction factor whose minimum is
    misplaced: √(1-β₂ᵗ)/(1-β₁ᵗ) is smallest at the integer next to the root of its log's
    derivative."""
    assert g["confirmed_sgd_equivalent"] is True
    t = sp.symbols("t", positive=True)
    log_factor = sp.log(1 - B2**t) / 2 - sp.log(1 - B1**t)
    critical = float(sp.nsolve(sp.diff(log_factor, t), t, 10))
    candidates = {
        k: float(sp.sqrt(1 - B2**k) / (1 - B1**k))
        for k in (math.floor(critical), math.ceil(critical))
    }
    lowest = min(candidates, key=candidates.get)
    assert g["confirmed_factor_min_step"] == lowest
    assert g["confirmed_factor_min"] == pytest.approx(candidates[lowest], rel=1e-12)
    assert g["confirmed_factor_first"] == pytest.approx(math.sqrt(0.001) / 0.1, rel=1e-12)
    assert g["confirmed_factor_last"] == pytest.approx(
        math.sqrt(1 - 0.999**10000) / (1 - 0.9**10000), rel=1e-12
    )


def test_exercises(g):
    """Catches wrong exercise solutions: ε' = √ε; the inside excess at Ĝ = 1 is √(1+ε) - 1;
    the typo multiplies the denominator by √((1-β₁)/(1-β₂)) = 10; the folded form matches
    Algorithm 1 at step t only with ε̂_t = ε√(1-β₂ᵗ)."""
    assert g["ex_eps_prime"] == pytest.approx(1e-4, rel=1e-14)
    assert g["ex_inside_excess"] == pytest.approx(
        float(sp.sqrt(1 + sp.Rational(1, 10**8)) - 1), rel=1e-6
    )
    assert g["ex_typo_factor"] == pytest.approx(10.0, rel=1e-14)
    assert g["ex_typo_displacement_ratio"] == pytest.approx(10.0, rel=1e-12)
    assert (
        sp.simplify(
            sp.sympify(g["ex_eps_hat_srepr"])
            - sp.Symbol("epsilon", positive=True) * sp.sqrt(sp.Symbol("c_2", positive=True))
        )
        == 0
    )
    assert g["ex_eps_hat_1"] == pytest.approx(1e-8 * math.sqrt(1 - 0.999), rel=1e-12)
    assert g["ex_eps_hat_1000"] == pytest.approx(1e-8 * math.sqrt(1 - 0.999**1000), rel=1e-12)
    assert g["ex_eps_hat_gap"] < 1e-12
    assert g["ex_eps_hat_1_text"] == "3.162 × 10⁻¹⁰"
    assert g["ex_eps_hat_1000_text"] == "7.952 × 10⁻⁹"  # 1e-8·√(1-0.999¹⁰⁰⁰) = 7.9518e-9
    assert "e-" not in g["ex_eps_hat_gap_text"] and "× 10⁻" in g["ex_eps_hat_gap_text"]


def test_coupling_depends_on_the_gradient_scale(g):
    """Catches the unit-scale coincidence (L2 shrink = AdamW shrink) presented as general: with
    noise σ·N(0, 1), α = 1e-3 and λ' = wd = 0.1, Adam + L2 shrinks by about αλ'/σ (recomputed
    with torch.optim.Adam on the same noise), torch.optim.AdamW by -ln(1 - αλ) at every σ."""
    import numpy as np
    import torch

    noise = np.random.default_rng(1).standard_normal(
        (g["coupling_steps"], g["coupling_coordinates"])
    )
    rows = g["coupling_scale"]
    for key, sigma in (("0.1", 0.1), ("1.0", 1.0), ("10.0", 10.0)):
        l2 = _torch_shrink_rate(torch.optim.Adam, 1e-3, 0.1, sigma * noise)
        adamw = _torch_shrink_rate(torch.optim.AdamW, 1e-3, 0.1, sigma * noise)
        assert rows[key]["Adam + L2"] == pytest.approx(l2, rel=1e-6)
        assert rows[key]["PyTorch AdamW"] == pytest.approx(adamw, rel=1e-6)
        assert adamw == pytest.approx(-math.log(1 - 1e-4), rel=0.02)
    assert rows["10.0"]["Adam + L2"] == pytest.approx(1e-5, rel=0.05)
    assert rows["0.1"]["Adam + L2"] > 5 * rows["1.0"]["Adam + L2"]
    for name, key in (("l2", "Adam + L2"), ("torch", "PyTorch AdamW")):
        for tag, sigma in (("small", "0.1"), ("unit", "1.0"), ("large", "10.0")):
            mantissa, _exponent = f"{rows[sigma][key]:.2e}".split("e")
            text = g[f"coupling_scale_{name}_{tag}_text"]
            assert text.startswith(f"{mantissa} × 10") and "e-" not in text


def test_coupling_prose_numbers_are_formatted(g):
    """Catches e-notation (9.87e-05) in the coupling prose: the texts are the glued rates."""
    for size, lr in (("small", "0.001"), ("large", "0.01")):
        for name, key in (
            ("l2", "Adam + L2, λ' = 0.1"),
            ("paper", "paper AdamW, λ = 1e-3"),
            ("torch", "PyTorch AdamW, weight_decay = 0.1"),
        ):
            mantissa = f"{g['coupling'][lr][key]:.2e}".split("e")[0]
            assert g[f"coupling_{name}_{size}_lr_text"].startswith(f"{mantissa} × 10")
