"""Named presets: every Adam/AdamW implementation in use, as data.

Owns: the registry of presets (an :class:`~adamlib.config.AdamConfig` with that implementation's
defaults, what ``amsgrad=True`` means there, and the source it mirrors) and ``get``, which
applies the overrides users know from the frameworks.
Must not: contain any step logic. A preset that needs new behaviour gets a new switch in
:mod:`adamlib.config` and one line in :mod:`adamlib.reference`, never a copy of the step.

Sources are cited as repository @ commit, path; they are the code, not the documentation, and
are summarised in ``shared/reference/adam-variants.md`` of the book's repository.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields

from .config import AdamConfig, AdamConfigError


@dataclass(frozen=True)
class Preset:
    """One implementation: its defaults, its AMSGrad form and the source it mirrors."""

    name: str
    config: AdamConfig
    source: str
    doc: str
    amsgrad_form: str | None = None
    """What ``amsgrad=True`` turns on here (an ``AdamConfig.amsgrad`` value); None: no AMSGrad."""
    exclusion_note: str | None = None
    """Name-based decay exclusions that depend on the API used (not in ``config``), or None."""


_PYTORCH = "pytorch/pytorch @ cf30153c4c131c8164ee7798e5022d810682e2cb (v2.13.0)"
_KERAS = "keras-team/keras @ 3422977a5e38fb2f7709aaa9a08e47f0c43d0f60"
_OPTAX = "google-deepmind/optax @ 2edbcbe2390da13983b92cbef94ac0460ecde1c5"
_MXNET1 = "apache/mxnet @ 76d73dbd778c9ab4a4584dbc857c8c0694faa162 (branch v1.9.x)"
_MXNET2 = "apache/mxnet @ b84609d3fc73d20929c114eab95faaa56e6c5ede (master)"
_FAIRSEQ = "facebookresearch/fairseq @ 3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99"
_APEX = "NVIDIA/apex @ 6424da3b4faa6c8f062da4a48c424fff3f02d42d"
_TF1 = "tensorflow/tensorflow @ 026004e05dc172d1639840055462013f95e56bbe"

_PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "paper-adam",
            AdamConfig(lr=1e-3, betas=(0.9, 0.999), eps=1e-8),
            "Kingma & Ba, Adam: A Method for Stochastic Optimization, ICLR 2015 "
            "(arXiv:1412.6980), Algorithm 1",
            "Algorithm 1 as printed: explicit m̂ and v̂, ε outside the square root, no weight "
            "decay, the paper's default settings.",
        ),
        Preset(
            "paper-adam-epshat",
            AdamConfig(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, bias_correction="folded"),
            "Kingma & Ba, ICLR 2015 (arXiv:1412.6980), Section 2, the remark after Algorithm 1",
            "The 'more efficient' ordering: α_t = α√(1-β₂ᵗ)/(1-β₁ᵗ) and θ ← θ - α_t·m/(√v + ε̂) "
            "with a constant ε̂ (eps here). It equals Algorithm 1 only if ε̂ = ε√(1-β₂ᵗ).",
        ),
        Preset(
            "paper-adamw",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-8,
                weight_decay_kind="decoupled",
                decay_multiplier="schedule",
            ),
            "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019 "
            "(arXiv:1711.05101), Algorithm 2, line 12",
            "AdamW as printed: θ_t = θ_{t-1} - η_t(α m̂/(√v̂ + ε) + λ θ_{t-1}). The decay is "
            "multiplied by the schedule multiplier η_t only, not by α. The paper gives λ no "
            "default (λ ∈ ℝ), so weight_decay is 0 until you set it.",
        ),
        Preset(
            "tf1-adam",
            AdamConfig(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, bias_correction="folded"),
            f"{_TF1}, tensorflow/python/training/adam.py (AdamOptimizer._apply_dense, "
            "_apply_sparse_shared); tensorflow/core/kernels/training_ops.cc (ApplyAdamNonCuda)",
            "TensorFlow 1's tf.train.AdamOptimizer, the canonical ε̂ implementation: "
            "lr_t = lr√(1-β₂ᵗ)/(1-β₁ᵗ), θ ← θ - lr_t·m/(√v + ε̂) (its docstring calls eps "
            "'epsilon hat'); no weight decay, no AMSGrad. The sparse path decays every row's m "
            "and v, so it equals the dense step.",
        ),
        Preset(
            "pytorch-adam",
            AdamConfig(
                lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, weight_decay_kind="l2"
            ),
            f"{_PYTORCH}, torch/optim/adam.py, _single_tensor_adam",
            "torch.optim.Adam: form A; weight_decay is an L2 term added to the gradient after "
            "the maximize negation; amsgrad takes the maximum of the raw v.",
            amsgrad_form="max_v",
        ),
        Preset(
            "pytorch-adamw",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-8,
                weight_decay=1e-2,
                weight_decay_kind="decoupled",
                decay_multiplier="lr",
                decay_applies_to="old_param",
            ),
            f"{_PYTORCH}, torch/optim/adam.py (_single_tensor_adam, decoupled_weight_decay=True); "
            "torch/optim/adamw.py (class AdamW(Adam))",
            "torch.optim.AdamW: θ ← θ(1 - lr·λ) before the Adam step, with the group's current "
            "lr (whatever a scheduler set).",
            amsgrad_form="max_v",
        ),
        Preset(
            "keras-adam",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-7,
                weight_decay=0.0,
                bias_correction="folded",
                weight_decay_kind="decoupled",
                decay_multiplier="lr",
                decay_applies_to="old_param",
            ),
            f"{_KERAS}, keras/src/optimizers/adam.py (Adam.update_step); "
            "keras/src/optimizers/base_optimizer.py (_apply_weight_decay)",
            "keras.optimizers.Adam: the folded (ε̂) form with eps=1e-7; a weight_decay, when set, "
            "is decoupled (θ ← θ - θ·λ·lr before the step), unlike torch.optim.Adam.",
            amsgrad_form="max_v",
        ),
        Preset(
            "keras-adamw",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-7,
                weight_decay=0.004,
                bias_correction="folded",
                weight_decay_kind="decoupled",
                decay_multiplier="lr",
                decay_applies_to="old_param",
            ),
            f"{_KERAS}, keras/src/optimizers/adamw.py (class AdamW(adam.Adam)); "
            "keras/src/optimizers/base_optimizer.py (_apply_weight_decay)",
            "keras.optimizers.AdamW: keras-adam with weight_decay=0.004 by default.",
            amsgrad_form="max_v",
        ),
        Preset(
            "optax-adam",
            AdamConfig(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, eps_root=0.0),
            f"{_OPTAX}, optax/_src/transform.py (scale_by_adam); optax/_src/alias.py (adam)",
            "optax.adam: form A with an optional eps_root inside the square root. optax requires "
            "a learning rate; 1e-3 is the paper's.",
            amsgrad_form="max_vhat",
        ),
        Preset(
            "optax-adamw",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-8,
                eps_root=0.0,
                weight_decay=1e-4,
                weight_decay_kind="decoupled",
                decay_multiplier="lr",
                decay_applies_to="old_param",
            ),
            f"{_OPTAX}, optax/_src/alias.py (adamw); optax/transforms/_adding.py "
            "(add_decayed_weights)",
            "optax.adamw: u = m̂/(√v̂ + ε) + λθ, then scaled by -lr: decay multiplied by lr, "
            "weight_decay=1e-4 by default.",
            amsgrad_form="max_vhat",
        ),
        Preset(
            "optax-amsgrad",
            AdamConfig(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, eps_root=0.0, amsgrad="max_vhat"),
            f"{_OPTAX}, optax/_src/transform.py (scale_by_amsgrad); optax/_src/alias.py (amsgrad)",
            "optax.amsgrad: the running maximum is taken of the bias-corrected v̂.",
            amsgrad_form="max_vhat",
        ),
        Preset(
            "mxnet1-adam",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-8,
                weight_decay=0.0,
                bias_correction="folded",
                weight_decay_kind="l2",
                l2_clip_order="l2_then_clip",
            ),
            f"{_MXNET1}, python/mxnet/optimizer/optimizer.py (Adam.update); "
            "src/operator/optimizer_op-inl.h (AdamUpdateKernel)",
            "MXNet 1.x Adam: lr folded in Python, g' = clip(g·rescale_grad + wd·w); the L2 term "
            "is clipped together with the gradient. With the Module API (param_idx2name given), "
            "Optimizer.set_wd_mult sets wd_mult = 0 for every name not ending in _weight or "
            "_gamma; Gluon's Trainer passes no names, so nothing is excluded there.",
            exclusion_note="Module API: names not ending in `_weight`, `_gamma`",
        ),
        Preset(
            "mxnet2-adam",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-8,
                weight_decay=0.0,
                bias_correction="folded",
                weight_decay_kind="l2",
                l2_clip_order="clip_then_l2",
            ),
            f"{_MXNET2}, python/mxnet/optimizer/adam.py (Adam.step); "
            "src/operator/optimizer_op-inl.h (AdamUpdateKernel)",
            "MXNet 2.0 Adam: as 1.x but the L2 term is added after clipping.",
        ),
        Preset(
            "mxnet2-adamw",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-6,
                weight_decay=0.0,
                bias_correction="folded",
                weight_decay_kind="decoupled",
                decay_multiplier="bias_corrected_lr",
                decay_applies_to="old_param",
            ),
            f"{_MXNET2}, python/mxnet/optimizer/adamW.py (AdamW.fused_step); "
            "src/operator/contrib/adamw-inl.h (adamw_update kernel)",
            "MXNet 2.0 AdamW (fused step, the default): w ← w - lr_t(m/(√v + ε) + λw) with "
            "lr_t = lr√(1-β₂ᵗ)/(1-β₁ᵗ): the decay is multiplied by the bias-corrected lr. "
            "(use_fused_step=False decays the updated w instead: "
            "decay_applies_to='updated_param'.)",
        ),
        Preset(
            "bert-adamweightdecay",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-6,
                weight_decay=0.01,
                bias_correction="none",
                weight_decay_kind="decoupled",
                decay_multiplier="lr",
                decay_applies_to="old_param",
                exclude_from_weight_decay=("LayerNorm", "layer_norm", "bias"),
            ),
            "google-research/bert @ eedf5716ce1268e56f0a50264a88cafad334ac61, optimization.py "
            "(AdamWeightDecayOptimizer, create_optimizer)",
            "BERT's AdamWeightDecayOptimizer with create_optimizer's settings: no bias "
            "correction, update = m/(√v + ε) + λθ, θ ← θ - lr·update; no decay for names "
            "matching LayerNorm, layer_norm or bias. BERT requires a learning rate; 1e-3 here.",
        ),
        Preset(
            "hf-adamw",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-6,
                weight_decay=0.0,
                bias_correction="folded",
                weight_decay_kind="decoupled",
                decay_multiplier="lr",
                decay_applies_to="updated_param",
            ),
            "huggingface/transformers @ ad1fc9639f2e7b6808a2ca982c0a9b3134d76ee8, "
            "src/transformers/optimization.py (AdamW.step)",
            "transformers.AdamW (deprecated, later removed): the folded form with eps=1e-6; "
            "decay θ ← θ - lr·λ·θ applied after the Adam step, to the updated θ. "
            "correct_bias=False is bias_correction='none'.",
        ),
        Preset(
            "fairseq-adam",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-8,
                weight_decay=0.0,
                bias_correction="folded",
                weight_decay_kind="decoupled",
                decay_multiplier="lr",
                decay_applies_to="old_param",
            ),
            f"{_FAIRSEQ}, fairseq/optim/adam.py (class Adam, the Python path)",
            "fairseq --optimizer adam on its Python path (no CUDA, no apex, --use-old-adam, or "
            "TPU): folded form, decoupled decay lr·λ on the old θ; amsgrad over the raw v. "
            "lr=1e-3 is the class's default; fairseq-train's own default is --lr 0.25 "
            "(fairseq/dataclass/configs.py, OptimizationConfig.lr = [0.25]). With CUDA and apex "
            "fairseq uses fairseq-fusedv1 or fairseq-fusedv2 instead.",
            amsgrad_form="max_v",
        ),
        Preset(
            "fairseq-fusedv1",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-8,
                weight_decay=0.0,
                bias_correction="folded",
                weight_decay_kind="decoupled",
                decay_multiplier="bias_corrected_lr",
                decay_applies_to="old_param",
            ),
            f"{_FAIRSEQ}, fairseq/optim/fused_adam.py (FusedAdamV1, chosen when the module "
            f"fused_adam_cuda imports); {_APEX}, "
            "apex/contrib/csrc/optimizers/fused_adam_cuda_kernel.cu (fused_adam_cuda, "
            "adam_cuda_kernel, eps_mode 1)",
            "fairseq on GPU with apex's legacy fused_adam_cuda extension: step_size = "
            "lr√(1-β₂ᵗ)/(1-β₁ᵗ), p ← p - step_size·(m/(√v + ε̂) + λp): the folded form with "
            "the decay multiplied by the bias-corrected lr, like MXNet 2's AdamW. No AMSGrad.",
        ),
        Preset(
            "fairseq-fusedv2",
            AdamConfig(
                lr=1e-3,
                betas=(0.9, 0.999),
                eps=1e-8,
                weight_decay=0.0,
                bias_correction="explicit",
                weight_decay_kind="decoupled",
                decay_multiplier="lr",
                decay_applies_to="old_param",
            ),
            f"{_FAIRSEQ}, fairseq/optim/fused_adam.py (FusedAdamV2(apex.optimizers.FusedAdam), "
            f"chosen when only apex.optimizers imports); {_APEX}, "
            "apex/optimizers/fused_adam.py (adam_w_mode=True), csrc/multi_tensor_adam.cu "
            "(AdamFunctor, ADAM_MODE_1)",
            "fairseq on GPU with apex's multi-tensor FusedAdam: p ← p - lr·(m̂/(√v̂ + ε) + λp), "
            "form A with decoupled lr·λ decay of the old p, i.e. torch.optim.AdamW's step "
            "(with weight_decay=0 by default). No AMSGrad.",
        ),
    ]
}

_CONFIG_FIELDS = tuple(f.name for f in fields(AdamConfig))


def names() -> list[str]:
    """The preset names, in the book's order (papers, then frameworks)."""
    return list(_PRESETS)


def info(name: str) -> Preset:
    """The preset called ``name``: defaults, AMSGrad form, source and description."""
    try:
        return _PRESETS[name]
    except KeyError:
        raise AdamConfigError(_unknown("preset", name, names())) from None


def get(name: str, **overrides) -> AdamConfig:
    """The configuration of preset ``name`` with ``overrides`` applied.

    Overrides are ``AdamConfig`` fields (``lr``, ``betas``, ``eps``, ``weight_decay``,
    ``rescale_grad``, ``clip_gradient``, the switches, ...). ``amsgrad`` also accepts a bool, as
    in the frameworks: ``True`` turns on this implementation's own AMSGrad form (an error where
    the implementation has none) and ``False`` turns it off.
    """
    preset = info(name)
    unknown = [key for key in overrides if key not in _CONFIG_FIELDS]
    if unknown:
        raise AdamConfigError(
            "; ".join(_unknown("override", key, _CONFIG_FIELDS) for key in unknown)
        )
    amsgrad = overrides.get("amsgrad")
    if amsgrad is True:
        if preset.amsgrad_form is None:
            raise AdamConfigError(
                f"amsgrad=True is not allowed for {name!r}: that implementation has no AMSGrad"
            )
        overrides["amsgrad"] = preset.amsgrad_form
    elif amsgrad is False:
        overrides["amsgrad"] = "off"
    return preset.config.replace(**overrides)


def _unknown(kind: str, value: str, valid) -> str:
    close = difflib.get_close_matches(str(value), list(valid), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    return f"unknown {kind} {value!r}{hint} Valid: {', '.join(valid)}"
