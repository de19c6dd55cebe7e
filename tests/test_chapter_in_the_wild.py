"""The numbers of chapters/in_the_wild.md against closed forms worked out here, and its
torch.optim translation recipe against an independent transcription of it.

The closed forms are hand algebra on the one- and two-step cases the chapter uses (written next
to each), evaluated in SymPy with exact rationals; none of them calls adamlib to get the value
it then compares with a value adamlib produced in the chapter.
"""

import math

import numpy as np
import pytest
import sympy as sp
import torch

from adamlib import reference, variants
from tests.notebooks import glued
from tests.transcriptions import fairseq as fairseq_transcription
from tests.transcriptions import seed_post
from tests.transcriptions.at_defaults import RUNS as TRANSCRIBED_AT_DEFAULTS
from tests.transcriptions.compare import RTOL, deviation
from tests.transcriptions.problem import NoisyQuadratic

B1, B2 = sp.Rational(9, 10), sp.Rational(999, 1000)


@pytest.fixture(scope="module")
def g():
    return glued("in_the_wild")


def test_preset_count_matches_the_registry(g):
    """Catches a variant matrix that silently drops or duplicates presets, or a preset whose
    default ε is none of the documented ones (1e-8 torch/optax/TF1/MXNet Adam/fairseq, 1e-7
    Keras, 1e-6 BERT/HF/MXNet 2 AdamW)."""
    assert g["n_presets"] == len(variants.names()) == 19
    assert g["n_default_eps"] == 3


def _framework_at_defaults(name, problem, steps):
    """The framework's own trajectory at its defaults: torch.optim for the PyTorch presets,
    the transcription of the cited source for every other one (no adamlib involved)."""
    if name not in ("pytorch-adam", "pytorch-adamw"):
        return TRANSCRIBED_AT_DEFAULTS[name](problem, steps)
    theta = torch.nn.Parameter(torch.tensor(problem.initial()["theta"], dtype=torch.float64))
    optimizer = (torch.optim.Adam if name == "pytorch-adam" else torch.optim.AdamW)([theta])
    history = [problem.initial()]
    for t in range(1, steps + 1):
        theta.grad = torch.tensor(problem.grad(history[-1], t)["theta"], dtype=torch.float64)
        optimizer.step()
        history.append({"theta": theta.detach().numpy().copy()})
    return history


def test_distinct_presets_at_defaults_from_the_frameworks(g):
    """Catches a wrong "N presets, M distinct" count or grouping: the frameworks themselves
    (transcriptions and torch.optim), each at its own defaults on another problem, are grouped
    by agreement to RTOL; the chapter groups adamlib's trajectories. The groups must be the
    same sets, and distinct groups must differ by far more than rounding."""
    problem = NoisyQuadratic({"theta": (12,)}, 77)
    runs = {name: _framework_at_defaults(name, problem, 100) for name in variants.names()}
    groups = []
    for name, run in runs.items():
        for group in groups:
            if deviation(run, runs[group[0]]) <= RTOL:
                group.append(name)
                break
        else:
            groups.append([name])
    assert g["n_distinct_defaults"] == len(groups) == 9
    assert sorted(map(sorted, g["default_groups"])) == sorted(map(sorted, groups))
    heads = [group[0] for group in groups]
    assert (
        min(deviation(runs[a], runs[b]) for i, a in enumerate(heads) for b in heads[i + 1 :]) > 1e-9
    )


def test_every_preset_matches_its_framework_at_defaults(g):
    """Catches a preset that the chapter's own check table lets through."""
    assert set(g["checked_deviations"]) == set(variants.names())
    assert all(d <= RTOL for d in g["checked_deviations"].values())
    assert g["checked_worst"] <= RTOL


def test_fairseq_default_learning_rate_is_the_sources(g):
    """Catches the claim that fairseq requires a learning rate, or a wrong default: the
    transcription of fairseq/dataclass/configs.py (OptimizationConfig.lr = [0.25])."""
    assert g["fairseq_cli_lr"] == fairseq_transcription.CLI_DEFAULT_LR[0] == 0.25


def test_fairseq_three_paths(g):
    """Catches a fused path given the Python path's decay or ε form. Decay ratio to αλ at t=1:
    Python/V2 1, V1 √(1-β₂)/(1-β₁). First step for g = ε = 1e-8, lr = 1: form B (Python, V1)
    -√(1-β₂)g/(√(1-β₂)g + ε), form A (V2) -g/(g + ε) = -1/2."""
    assert g["fairseq_python_ratio_1"] == pytest.approx(1.0, rel=1e-9)
    assert g["fairseq_v1_ratio_1"] == pytest.approx(float(sp.sqrt(1 - B2) / (1 - B1)), rel=1e-9)
    grad = eps = sp.Rational(1, 10**8)
    form_b = -sp.sqrt(1 - B2) * grad / (sp.sqrt(1 - B2) * grad + eps)
    assert g["fairseq_tiny"]["fairseq-adam"] == pytest.approx(float(form_b), rel=1e-10)
    assert g["fairseq_tiny"]["fairseq-fusedv1"] == pytest.approx(float(form_b), rel=1e-10)
    assert g["fairseq_tiny_v2"] == pytest.approx(-0.5, rel=1e-10)


def test_when_differences_matter(g):
    """Catches a wrong float16 claim (1e-8 is zero in float16; torch's step gives nan for a
    zero gradient and -inf for 1e-3) and a wrong hyperparameter-transfer demonstration:
    PyTorch θ_N = (1 - αλ)^N, the paper's (1 - λ)^N whatever α."""
    assert g["fp16_eps"] == 0.0
    assert g["fp16_theta"] == ["nan", "-inf"]
    n = g["transfer_steps"]
    assert g["transfer_torch_1"] == pytest.approx((1 - 1e-3 * 1e-2) ** n, rel=1e-12)
    assert g["transfer_torch_2"] == pytest.approx((1 - 2e-3 * 1e-2) ** n, rel=1e-12)
    assert g["transfer_paper_1"] == pytest.approx((1 - 1e-5) ** n, rel=1e-12)
    assert g["transfer_paper_2"] == pytest.approx((1 - 1e-5) ** n, rel=1e-12)


def test_eps_equivalence_closed_form(g):
    """Catches a wrong eps/eps-hat equivalence (e.g. eps·sqrt(1-β₂ᵗ) or eps/(1-β₂ᵗ)): form B
    is form A with eps = eps_hat/sqrt(1-β₂ᵗ)."""
    eps, eps_hat, beta2, t = sp.symbols("epsilon epsilonhat beta2 t", positive=True)
    equation = sp.sympify(
        g["eps_equivalent"], locals={"epsilon": eps, "epsilonhat": eps_hat, "beta2": beta2, "t": t}
    )
    assert sp.simplify(equation.rhs - eps_hat / sp.sqrt(1 - beta2**t)) == 0
    for t_ in (1, 10, 100, 1000):
        assert g[f"eps_factor_{t_}"] == pytest.approx(float(1 / sp.sqrt(1 - B2**t_)), rel=1e-12)


def test_eps_placement_first_steps(g):
    """Catches eps added after bias correction in form B, or form A with a folded eps. At t=1
    with lr=1: m̂ = g, √v̂ = |g|, so form A moves -g/(|g| + ε); form B moves
    -√(1-β₂)·g/(√(1-β₂)|g| + ε̂)."""
    grad = eps = sp.Rational(1, 10**8)
    form_a = -grad / (grad + eps)
    form_b = -sp.sqrt(1 - B2) * grad / (sp.sqrt(1 - B2) * grad + eps)
    assert g["eps_step_a"] == pytest.approx(float(form_a), rel=1e-12)
    assert g["eps_step_torch"] == pytest.approx(float(form_a), rel=1e-12)
    assert g["eps_step_b"] == pytest.approx(float(form_b), rel=1e-12)
    assert g["eps_step_ratio"] == pytest.approx(float(form_a / form_b), rel=1e-12)


def test_default_eps_first_steps(g):
    """Catches a preset with the wrong default eps or the wrong form: each preset's first step
    for g = 1e-8, lr = 1 from the three closed forms (A: -g/(g+ε), B: -√(1-β₂)g/(√(1-β₂)g+ε),
    C: -(1-β₁)g/(√(1-β₂)g+ε)) with that framework's documented default ε."""
    documented_eps = {
        "keras-adam": 1e-7,
        "keras-adamw": 1e-7,
        "mxnet2-adamw": 1e-6,
        "bert-adamweightdecay": 1e-6,
        "hf-adamw": 1e-6,
    }
    # shared/reference/adam-variants.md §9; every other preset is form A ("explicit").
    documented_form = {
        name: "folded"
        for name in (
            "paper-adam-epshat",
            "keras-adam",
            "keras-adamw",
            "mxnet1-adam",
            "mxnet2-adam",
            "mxnet2-adamw",
            "hf-adamw",
            "fairseq-adam",
            "fairseq-fusedv1",
            "tf1-adam",
        )
    } | {"bert-adamweightdecay": "none"}
    grad = sp.Rational(1, 10**8)
    for name, step in g["default_eps_steps"].items():
        eps = sp.nsimplify(documented_eps.get(name, 1e-8))
        form = documented_form.get(name, "explicit")
        expected = {
            "explicit": -grad / (grad + eps),
            "folded": -sp.sqrt(1 - B2) * grad / (sp.sqrt(1 - B2) * grad + eps),
            "none": -(1 - B1) * grad / (sp.sqrt(1 - B2) * grad + eps),
        }[form]
        assert step == pytest.approx(float(expected), rel=1e-10), name
    assert g["default_eps_step_keras"] == g["default_eps_steps"]["keras-adam"]


def test_weight_decay_meaning(g):
    """Catches Keras's weight_decay treated as L2 (or torch's as decoupled). θ=1, g=0, λ=0.1,
    lr=1e-3: torch's L2 gradient 0.1 is normalised, step -lr·0.1/(0.1+1e-8); Keras removes
    lr·λ·θ = 1e-4."""
    lr, lam, eps = sp.Rational(1, 1000), sp.Rational(1, 10), sp.Rational(1, 10**8)
    assert g["wd_step_torch_adam"] == pytest.approx(float(-lr * lam / (lam + eps)), rel=1e-12)
    assert g["wd_step_keras_adam"] == pytest.approx(float(-lr * lam), rel=1e-10)


def test_decay_multipliers(g):
    """Catches a decay multiplied by the wrong factor: paper λ, torch αλ, MXNet 2
    αλ√(1-β₂ᵗ)/(1-β₁ᵗ) (ratios to αλ at t = 1, 10, 100, 1000)."""
    assert g["shrink_paper"] == pytest.approx(1e-2, rel=1e-12)
    assert g["shrink_torch"] == pytest.approx(1e-5, rel=1e-9)
    for t_ in (1, 10, 100, 1000):
        expected = float(sp.sqrt(1 - B2**t_) / (1 - B1**t_))
        assert g[f"shrink_mxnet_ratio_{t_}"] == pytest.approx(expected, rel=1e-8)


def test_decay_of_old_or_updated_parameter(g):
    """Catches HF's decay applied to the old parameter (or torch's to the updated one): with
    the Adam step exactly lr, torch gives 1 - lr·λ - lr, HF (1 - lr)(1 - lr·λ)."""
    lr, lam = sp.Rational(1, 1000), sp.Rational(1, 10)
    assert g["order_torch"] == pytest.approx(float(1 - lr * lam - lr), abs=1e-15)
    assert g["order_hf"] == pytest.approx(float((1 - lr) * (1 - lr * lam)), abs=1e-15)
    assert g["order_diff"] == pytest.approx(float(lr**2 * lam), rel=1e-6)


def test_three_amsgrads(g):
    """Catches an AMSGrad taking the maximum of the wrong quantity. g = (1, 0), lr = 1, ε = 0:
    m₂ = β₁(1-β₁), v₁ = 1-β₂ ≥ v₂ = β₂(1-β₂). torch/Keras: -(m₂/(1-β₁²))/(√v₁/√(1-β₂²));
    optax: max(v̂₁ = 1, v̂₂) = 1, so -(m₂/(1-β₁²)); Reddi et al.: -m₂/√v₁."""
    m2, v1 = B1 * (1 - B1), 1 - B2
    torch_like = -(m2 / (1 - B1**2)) / (sp.sqrt(v1) / sp.sqrt(1 - B2**2))
    optax_like = -(m2 / (1 - B1**2))
    reddi = -m2 / sp.sqrt(v1)
    assert g["amsgrad_step_torch"] == pytest.approx(float(torch_like), rel=1e-12)
    assert g["amsgrad_step_keras"] == pytest.approx(float(torch_like), rel=1e-12)
    assert g["amsgrad_step_optax"] == pytest.approx(float(optax_like), rel=1e-12)
    assert g["amsgrad_step_reddi"] == pytest.approx(float(reddi), rel=1e-12)


def test_l2_before_or_after_clipping(g):
    """Catches swapped clip orders: θ=10, g=0, λ'=0.1, clip 0.1: MXNet 1.x sees
    clip(0 + 1) = 0.1, MXNet 2.0 clip(0) + 1 = 1."""
    assert g["l2_clip_seen_mxnet1"] == pytest.approx(0.1, rel=1e-12)
    assert g["l2_clip_seen_mxnet2"] == pytest.approx(1.0, rel=1e-12)


def test_bert_exclusions_warmup_and_first_step(g):
    """Catches BERT decaying biases or LayerNorm, a warmup read at the 1-based step, and a
    wrong no-bias-correction ratio (1-β₁)/√(1-β₂) = √10."""
    assert g["bert_shrink"] == {
        "dense/kernel": pytest.approx(1e-5, rel=1e-9),
        "dense/bias": 0.0,
        "LayerNorm/gamma": 0.0,
    }
    assert g["bert_warm_first_move"] == 0.0
    assert g["bert_first_step_ratio"] == pytest.approx(math.sqrt(10), rel=1e-14)
    assert g["bert_first_step_ratio_measured"] == pytest.approx(math.sqrt(10), rel=1e-12)
    # W = 1000, T = 10000: BERT 999/1000 then 1 - 1000/10000; HF 999/1000 then 1.
    assert g["sched_bert_last_warmup"] == pytest.approx(0.999)
    assert g["sched_bert_first_decay"] == pytest.approx(0.9)
    assert g["sched_hf_last_warmup"] == pytest.approx(0.999)
    assert g["sched_hf_first_decay"] == 1.0


def test_schedule_indexing(g):
    """Catches a framework read at the wrong index: warmup min(1, s/10) gives η₁ = 0 at index
    0 (torch LambdaLR, Keras, optax, BERT, HF) and 0.1 at index 1 (MXNet)."""
    assert g["first_eta_torch_measured"] == 0.0
    assert g["first_eta_mxnet"] == pytest.approx(0.1)
    for framework, etas in g["first_etas"].items():
        first_index = 1 if framework == "mxnet" else 0
        assert etas == pytest.approx([(first_index + k) / 10 for k in range(3)]), framework


def test_seed_blocks_match_their_presets(g):
    """Catches a transcription or preset that differs from the seed post's code blocks."""
    assert set(g["seed_block_max_diffs"]) == {"mxnet_adam", "mxnet_adamw", "bert"}
    assert all(diff < 1e-12 for diff in g["seed_block_max_diffs"].values())


def test_mxnet_docstring_differs_from_the_seed_block(g):
    """Catches the claim that the seed's third block is MXNet's correct_bias=False docstring
    verbatim, or a wrong size for the difference: the docstring as written (clip(g·r) + wd·w
    as the gradient, then the decay again in the update), run here on the chapter's seed
    problem (w = linspace(-2, 2, 5), g = 2(w-1) + N(0,1) seeded by t, lr = wd = 0.05,
    rescale 0.5, clip 0.4, ε = 1e-6, 50 steps), against the seed block's transcription
    (tests/transcriptions/seed_post.py), neither through adamlib."""
    hyper = dict(
        learning_rate=0.05,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-6,
        wd=0.05,
        rescale_grad=0.5,
        clip_gradient=0.4,
    )
    seed_block = seed_post.AdamWithoutBiasCorrection(**hyper)
    w_seed = w_doc = np.linspace(-2.0, 2.0, 5)
    m = v = np.zeros(5)
    worst = 0.0
    for t in range(1, 51):
        w_seed = seed_block.step(
            w_seed, 2.0 * (w_seed - 1.0) + np.random.default_rng(t).normal(size=5)
        )
        grad = (
            np.clip(
                0.5 * (2.0 * (w_doc - 1.0) + np.random.default_rng(t).normal(size=5)), -0.4, 0.4
            )
            + 0.05 * w_doc
        )
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w_doc = w_doc - 0.05 * (m / (np.sqrt(v) + 1e-6) + 0.05 * w_doc)
        worst = max(worst, float(np.max(np.abs(w_doc - w_seed))))
    assert g["seed_docstring_diff"] == pytest.approx(worst, rel=1e-9)
    assert worst > 1e-2


def test_trajectory_groups_follow_from_the_switches(g):
    """Catches a figure whose 'same as PyTorch' group is not the set of presets whose switches
    and defaults equal torch.optim.Adam's at weight_decay 0 (form A, ε = 1e-8, no AMSGrad,
    no eps_root, no decay) and a farthest preset other than BERT (no bias correction)."""
    torch_like = ["fairseq-fusedv2", "optax-adam", "paper-adam", "paper-adamw", "pytorch-adam"]
    assert g["traj_same_as_torch_list"] == torch_like
    assert g["traj_farthest"] == "bert-adamweightdecay"
    assert all(d > 0 for n, d in g["traj_final_distance"].items() if n not in torch_like)


def test_translations_are_exact(g):
    """Catches a wrong per-step lr/eps/weight_decay recipe: every preset but optax's AMSGrad
    (maximum of v̂, which torch cannot express) is reproduced to rounding."""
    assert g["translation_untranslatable_list"] == ["optax-amsgrad"]
    assert set(g["translation_errors"]) == set(variants.names()) - {"optax-amsgrad"}
    assert all(err < 1e-12 for err in g["translation_errors"].values())


def test_adamlib_optim_reproduces_every_preset(g):
    """Catches an adamlib.optim preset (optax's AMSGrad included) that drifts from the
    reference step on the chapter's run."""
    assert set(g["optim_errors"]) == set(variants.names())
    assert all(err < 1e-12 for err in g["optim_errors"].values())


def test_recipe_closed_forms(g):
    """Catches a recipe derived with the bias corrections swapped or a missing square root."""
    a, e, w, s, rho, beta1, beta2, t = sp.symbols("a e w s rho beta1 beta2 t", positive=True)
    names = {"a": a, "e": e, "w": w, "s": s, "rho": rho, "beta1": beta1, "beta2": beta2, "t": t}
    lr = sp.sympify(g["recipe_lr"], locals=names).rhs
    wd = sp.sympify(g["recipe_wd"], locals=names).rhs
    assert "epsilon'" not in g["recipe_eps"].replace("\\epsilon'", "")  # renders as ε′
    eps = sp.sympify(g["recipe_eps"].replace("\\epsilon'", "epsilon_prime"), locals=names).rhs
    assert sp.simplify(lr - s * (1 - beta1**t) / sp.sqrt(1 - beta2**t)) == 0
    assert sp.simplify(eps - e / sp.sqrt(1 - beta2**t)) == 0
    assert sp.simplify(wd - rho / lr) == 0


def _torch_run(config, grads, per_step):
    """torch.optim.AdamW in float64 with lr/eps/weight_decay set by per_step(t) each step."""
    theta = torch.nn.Parameter(torch.tensor([1.0], dtype=torch.float64))
    optimizer = torch.optim.AdamW([theta], betas=config.betas)
    history = [1.0]
    for t, grad in enumerate(grads, start=1):
        optimizer.param_groups[0].update(per_step(t))
        theta.grad = torch.tensor([grad], dtype=torch.float64)
        optimizer.step()
        history.append(float(theta.detach()[0]))
    return np.array(history)


def _adamlib_run(config, grads):
    thetas = reference.trajectory(
        np.array([1.0]), lambda _, t: np.array([grads[t - 1]]), config, len(grads)
    )
    return np.array([float(theta[0]) for theta in thetas])


def test_keras_recipe_on_torch():
    """Layer 1: torch.optim.AdamW with eps = ε̂/√(1-β₂ᵗ) reproduces Keras's Adam(weight_decay)
    (the folded form with decoupled lr·λ decay). Catches a recipe that keeps eps constant,
    which differs by up to 1e-2 relative at t=1 for these small gradients."""
    config = variants.get("keras-adam", lr=1e-2, weight_decay=0.05)
    grads = list(np.random.default_rng(7).normal(scale=1e-6, size=30))

    def keras_settings(t):
        return {"lr": 1e-2, "weight_decay": 0.05, "eps": 1e-7 / math.sqrt(1 - 0.999**t)}

    def constant_eps(t):
        return {"lr": 1e-2, "weight_decay": 0.05, "eps": 1e-7}

    expected = _adamlib_run(config, grads)
    assert np.max(np.abs(_torch_run(config, grads, keras_settings) - expected)) < 1e-14
    assert np.max(np.abs(_torch_run(config, grads, constant_eps) - expected)) > 1e-6


def test_hf_recipe_on_torch():
    """Layer 1: HF's decay of the updated parameter equals torch.optim.AdamW with
    lr' = lr(1 - lr·λ)·(folded-form scale) and weight_decay' = λ/(1 - lr·λ). Catches a recipe
    that ignores the order of the decay (an lr²·λ error per step)."""
    lr, lam = 0.05, 0.2
    config = variants.get("hf-adamw", lr=lr, weight_decay=lam)
    grads = list(np.random.default_rng(8).normal(size=30))

    def hf_settings(t):
        return {
            "lr": lr * (1 - lr * lam),
            "weight_decay": lam / (1 - lr * lam),
            "eps": 1e-6 / math.sqrt(1 - 0.999**t),
        }

    def old_param_settings(t):
        return {"lr": lr, "weight_decay": lam, "eps": 1e-6 / math.sqrt(1 - 0.999**t)}

    expected = _adamlib_run(config, grads)
    assert np.max(np.abs(_torch_run(config, grads, hf_settings) - expected)) < 1e-14
    assert np.max(np.abs(_torch_run(config, grads, old_param_settings) - expected)) > 1e-5


@pytest.mark.parametrize(
    "name, settings",
    [
        (
            "mxnet2-adamw",
            lambda t: {
                "lr": 0.01,
                "eps": 1e-6 / math.sqrt(1 - 0.999**t),
                "weight_decay": 0.05 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t),
            },
        ),
        (
            "bert-adamweightdecay",
            lambda t: {
                "lr": 0.01 * (1 - 0.9**t) / math.sqrt(1 - 0.999**t),
                "eps": 1e-6 / math.sqrt(1 - 0.999**t),
                "weight_decay": 0.05 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t),
            },
        ),
        ("paper-adamw", lambda t: {"lr": 0.01, "eps": 1e-8, "weight_decay": 0.05 / 0.01}),
    ],
)
def test_recipe_table_rows_on_torch(name, settings):
    """Layer 1: the chapter's recipe table for MXNet 2's AdamW, BERT and the AdamW paper, typed
    here from the table, reproduces the preset on torch.optim.AdamW; the same run with plain
    AdamW(lr, weight_decay=λ) does not (catches a table row that only looks right)."""
    config = variants.get(name, lr=0.01, weight_decay=0.05)
    grads = list(np.random.default_rng(9).normal(size=30))
    expected = _adamlib_run(config, grads)
    assert np.max(np.abs(_torch_run(config, grads, settings) - expected)) < 1e-13

    def plain(t):
        return {"lr": 0.01, "eps": config.eps, "weight_decay": 0.05}

    assert np.max(np.abs(_torch_run(config, grads, plain) - expected)) > 1e-6


def test_exercises(g):
    """Catches wrong exercise solutions: t* = ⌈ln(3/4)/ln β₂⌉; torch weight_decay = λ/α;
    the peak of (1-β₁ᵗ)/√(1-β₂ᵗ) over the integers (found here from the real-valued critical
    point of its logarithm, then the neighbouring integers)."""
    assert g["ex_keras_eps_steps"] == math.ceil(math.log(0.75) / math.log(0.999))
    assert g["ex_torch_wd"] == pytest.approx(1e-4 / 1e-3)
    assert g["ex_paper_diff"] < 1e-12
    t = sp.symbols("t", positive=True)
    log_ratio = sp.log(1 - B1**t) - sp.log(1 - B2**t) / 2
    critical = float(sp.nsolve(sp.diff(log_ratio, t), t, 10))
    candidates = [math.floor(critical), math.ceil(critical)]
    best = max(candidates, key=lambda k: float((1 - B1**k) / sp.sqrt(1 - B2**k)))
    assert g["ex_bert_peak_step"] == best
    assert g["ex_bert_peak_ratio"] == pytest.approx(
        float((1 - B1**best) / sp.sqrt(1 - B2**best)), rel=1e-12
    )
    assert g["ex_bert_peak_measured"] == pytest.approx(g["ex_bert_peak_ratio"], rel=1e-10)


def _adam_run(grad_fn, theta0, steps, lr, form, eps, wd=0.0, target="old", amsgrad=None):
    """An Adam written here from the chapter's forms A, B, C (not adamlib): decoupled decay
    lr·wd of the old or the updated parameter; AMSGrad over v̂ (optax)."""
    b1, b2 = 0.9, 0.999
    theta = theta0.copy()
    m, v, vhat_max = (np.zeros_like(theta) for _ in range(3))
    history = [theta.copy()]
    for t in range(1, steps + 1):
        grad = grad_fn(theta, t)
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad**2
        c1, c2 = 1 - b1**t, 1 - b2**t
        if amsgrad == "max_vhat":
            vhat_max = np.maximum(vhat_max, v / c2)
            v_used = vhat_max * c2
        else:
            v_used = v
        if form == "A":
            update = lr * (m / c1) / (np.sqrt(v_used / c2) + eps)
        elif form == "B":
            update = lr * math.sqrt(c2) / c1 * m / (np.sqrt(v_used) + eps)
        else:
            update = lr * m / (np.sqrt(v_used) + eps)
        theta = (
            theta * (1 - lr * wd) - update if target == "old" else (theta - update) * (1 - lr * wd)
        )
        history.append(theta.copy())
    return np.array(history)


def _quadratic(low, dim=8, steps=300):
    curvature = np.logspace(low, 0, dim)
    optimum = np.linspace(-1.0, 1.0, dim)
    noise = np.random.default_rng(0).normal(scale=0.01, size=(steps + 1, dim))
    return (lambda theta, t: curvature * (theta - optimum) + np.sqrt(curvature) * noise[t]), optimum


def test_eps_placement_negligible_on_a_well_scaled_problem(g):
    """Catches a "placement of ε hardly matters on well-scaled problems" claim that the run
    does not support, or a gap measured between the wrong forms: forms A and B written here,
    curvatures 1e-1..1, lr 1e-2, ε = ε̂ = 1e-8, largest ‖θ_A - θ_B‖/‖θ*‖ over 300 steps."""
    grad_fn, optimum = _quadratic(-1)
    a = _adam_run(grad_fn, np.zeros(8), g["well_scaled_steps"], 1e-2, "A", 1e-8)
    b = _adam_run(grad_fn, np.zeros(8), g["well_scaled_steps"], 1e-2, "B", 1e-8)
    gap = float(np.max(np.linalg.norm(a - b, axis=1)) / np.linalg.norm(optimum))
    assert g["well_scaled_eps_gap"] == pytest.approx(gap, rel=1e-6)
    assert 0 < gap < 1e-4


def test_trajectory_final_gaps(g):
    """Catches final gaps in the prose that are not the figure's (or a figure whose presets
    take the wrong steps): each preset written here from its documented form, ε and default
    decay, distance from torch-like form A after 300 steps on curvatures 1e-4..1, lr 1e-2."""
    grad_fn, optimum = _quadratic(-4)
    steps = g["traj_steps"]
    base = _adam_run(grad_fn, np.zeros(8), steps, 1e-2, "A", 1e-8)
    runs = {
        "bert-adamweightdecay": dict(form="C", eps=1e-6, wd=1e-2),
        "optax-amsgrad": dict(form="A", eps=1e-8, amsgrad="max_vhat"),
        "pytorch-adamw": dict(form="A", eps=1e-8, wd=1e-2),
        "hf-adamw": dict(form="B", eps=1e-6, target="updated"),
        "keras-adam": dict(form="B", eps=1e-7),
        "paper-adam-epshat": dict(form="B", eps=1e-8),
    }
    final = {
        name: float(
            np.linalg.norm(_adam_run(grad_fn, np.zeros(8), steps, 1e-2, **kw)[-1] - base[-1])
            / np.linalg.norm(optimum)
        )
        for name, kw in runs.items()
    }
    assert g["traj_farthest_final"] == pytest.approx(final["bert-adamweightdecay"], rel=1e-6)
    for name in ("optax-amsgrad", "pytorch-adamw", "hf-adamw", "keras-adam"):
        assert g[f"traj_final_{name.replace('-', '_')}"] == pytest.approx(final[name], rel=1e-6)
    assert g["traj_closest_final"] == pytest.approx(final["paper-adam-epshat"], rel=1e-6)
    assert g["traj_farthest_distance"] > final["bert-adamweightdecay"]


def test_bert_ratio_thresholds(g):
    """Catches the exercise's "more than three/two times Adam's up to step N": the ratio
    (1-β₁ᵗ)/√(1-β₂ᵗ) equals 3 and 2 on its decreasing branch at real t found here with nsolve
    (from starting points past the peak), and the last integers above are their floors."""
    t = sp.symbols("t", positive=True)
    ratio = (1 - B1**t) / sp.sqrt(1 - B2**t)
    for level, start in ((3, 120), (2, 290)):
        crossing = float(sp.nsolve(ratio - level, t, start))
        assert crossing > g["ex_bert_peak_step"]
        assert g[f"ex_bert_last_above_{level}"] == math.floor(crossing)
