"""The papers' algorithms, as printed.

- Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015 (arXiv:1412.6980),
  Algorithm 1 and the remark in Section 2 (the ε̂ form).
- Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019 (arXiv:1711.05101),
  Algorithm 2 (both colours: L2 on line 6, decoupled decay on line 12).

Quoted in ``shared/reference/adam-variants.md`` §1.1 and §1.2. Adaptations: θ is a NumPy vector
(the papers' θ ∈ ℝⁿ); one call of ``step`` is one pass through the ``while`` loop, with the
gradient ∇f_t(θ_{t−1}) supplied by the caller (``SelectBatch`` and the objective are the
caller's); the loop's persistent variables live on the object. Subscripts become suffixes:
``m_t``, ``m_prev`` for m_{t−1}, ``m_hat_t`` for m̂_t.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class KingmaBaAlgorithm1:
    """Algorithm 1. Defaults: the caption's "good default settings" (α = 0.001, β1 = 0.9,
    β2 = 0.999, ε = 10⁻⁸)."""

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.alpha, self.beta1, self.beta2, self.epsilon = alpha, beta1, beta2, epsilon
        self.m = 0.0  # m0 ← 0 (Initialize 1st moment vector)
        self.v = 0.0  # v0 ← 0 (Initialize 2nd moment vector)
        self.t = 0  # t ← 0 (Initialize timestep)

    def step(self, theta_prev: np.ndarray, g_t: np.ndarray) -> np.ndarray:
        alpha, beta1, beta2, epsilon = self.alpha, self.beta1, self.beta2, self.epsilon
        m_prev, v_prev = self.m, self.v
        self.t = self.t + 1  # t ← t + 1
        t = self.t
        m_t = beta1 * m_prev + (1 - beta1) * g_t  # mt ← β1 · mt−1 + (1 − β1) · gt
        v_t = beta2 * v_prev + (1 - beta2) * g_t**2  # vt ← β2 · vt−1 + (1 − β2) · gt²
        m_hat_t = m_t / (1 - beta1**t)  # m̂t ← mt/(1 − β1^t)
        v_hat_t = v_t / (1 - beta2**t)  # v̂t ← vt/(1 − β2^t)
        theta_t = theta_prev - alpha * m_hat_t / (
            np.sqrt(v_hat_t) + epsilon
        )  # θt ← θt−1 − α · m̂t/(√v̂t + ε)
        self.m, self.v = m_t, v_t
        return theta_t


class KingmaBaEpsilonHat:
    """Algorithm 1 with its last three lines replaced as the Section 2 remark says:
    "αt = α · √(1 − β2^t)/(1 − β1^t) and θt ← θt−1 − αt · mt/(√vt + ε̂)". ε̂ is a constant
    here, as the remark leaves it (its relation to ε is not stated)."""

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, epsilon_hat=1e-8):
        self.alpha, self.beta1, self.beta2, self.epsilon_hat = alpha, beta1, beta2, epsilon_hat
        self.m = 0.0
        self.v = 0.0
        self.t = 0

    def step(self, theta_prev: np.ndarray, g_t: np.ndarray) -> np.ndarray:
        alpha, beta1, beta2, epsilon_hat = self.alpha, self.beta1, self.beta2, self.epsilon_hat
        m_prev, v_prev = self.m, self.v
        self.t = self.t + 1
        t = self.t
        m_t = beta1 * m_prev + (1 - beta1) * g_t
        v_t = beta2 * v_prev + (1 - beta2) * g_t**2
        alpha_t = alpha * np.sqrt(1 - beta2**t) / (1 - beta1**t)  # αt = α · √(1 − β2^t)/(1 − β1^t)
        theta_t = theta_prev - alpha_t * m_t / (
            np.sqrt(v_t) + epsilon_hat
        )  # θt ← θt−1 − αt · mt/(√vt + ε̂)
        self.m, self.v = m_t, v_t
        return theta_t


class LoshchilovHutterAlgorithm2:
    """Algorithm 2, "Adam with L2 regularization and Adam with decoupled weight decay (AdamW)".

    ``variant="l2"`` keeps the λθ_{t−1} term highlighted on line 6 (Adam with L2
    regularisation); ``variant="adamw"`` keeps the one on line 12 (AdamW). Line 1's givens are
    the defaults; λ ∈ ℝ has none. ``SetScheduleMultiplier(t)`` is the callable passed in
    (line 11), called with the incremented t.
    """

    def __init__(
        self,
        lam: float,
        SetScheduleMultiplier: Callable[[int], float],
        variant: str,
        alpha=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
    ):
        if variant not in ("l2", "adamw"):
            raise ValueError(f"variant={variant!r}: 'l2' (line 6) or 'adamw' (line 12)")
        self.lam, self.SetScheduleMultiplier, self.variant = lam, SetScheduleMultiplier, variant
        self.alpha, self.beta1, self.beta2, self.epsilon = alpha, beta1, beta2, epsilon
        self.t = 0  # 2: initialize time step t ← 0, ...
        self.m = 0.0  # ... first moment vector mt=0 ← 0,
        self.v = 0.0  # ... second moment vector vt=0 ← 0

    def step(self, theta_prev: np.ndarray, grad_f_t: np.ndarray) -> np.ndarray:
        alpha, beta1, beta2, epsilon, lam = (
            self.alpha,
            self.beta1,
            self.beta2,
            self.epsilon,
            self.lam,
        )
        m_prev, v_prev = self.m, self.v
        self.t = self.t + 1  # 4: t ← t + 1
        t = self.t
        # 5: ∇ft(θt−1) ← SelectBatch(θt−1)   (grad_f_t, from the caller)
        if self.variant == "l2":
            g_t = grad_f_t + lam * theta_prev  # 6: gt ← ∇ft(θt−1) + λθt−1
        else:
            g_t = grad_f_t  # 6: gt ← ∇ft(θt−1)
        m_t = beta1 * m_prev + (1 - beta1) * g_t  # 7: mt ← β1mt−1 + (1 − β1)gt
        v_t = beta2 * v_prev + (1 - beta2) * g_t**2  # 8: vt ← β2vt−1 + (1 − β2)gt²
        m_hat_t = m_t / (1 - beta1**t)  # 9: m̂t ← mt/(1 − β1^t)
        v_hat_t = v_t / (1 - beta2**t)  # 10: v̂t ← vt/(1 − β2^t)
        eta_t = self.SetScheduleMultiplier(t)  # 11: ηt ← SetScheduleMultiplier(t)
        if self.variant == "adamw":
            theta_t = theta_prev - eta_t * (
                alpha * m_hat_t / (np.sqrt(v_hat_t) + epsilon) + lam * theta_prev
            )  # 12: θt ← θt−1 − ηt(α m̂t/(√v̂t + ε) + λθt−1)
        else:
            theta_t = theta_prev - eta_t * (
                alpha * m_hat_t / (np.sqrt(v_hat_t) + epsilon)
            )  # 12: without λθt−1
        self.m, self.v = m_t, v_t
        return theta_t
