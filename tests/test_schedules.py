"""Tests of adamlib.schedules: the frameworks' schedules and the index they are read at.

Expected values are worked out by hand from the formulas in the cited sources (written next to
each number), or measured on torch.optim, never computed with adamlib.schedules itself.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from adamlib import AdamConfig, AdamConfigError, reference
from adamlib.schedules import (
    FIRST_INDEX,
    as_schedule_multiplier,
    bert_warmup_linear_decay,
    hf_linear_warmup_decay,
)


@pytest.mark.parametrize(
    "step, expected",
    [
        (0, 0.0),  # warmup starts at 0: 0/1000
        (1, 0.001),  # 1/1000
        (999, 0.999),  # last warmup step: (W-1)/W
        (1000, 0.9),  # first decay step: 1 - 1000/10000, not 1.0
        (5000, 0.5),  # 1 - 5000/10000
        (10000, 0.0),  # end of the run
        (12000, 0.0),  # min(s, T) keeps it at 0 afterwards
    ],
)
def test_bert_schedule_values(step, expected):
    """Catches a BERT schedule that decays over T - W (HF's form, 1.0 at s = W), that is
    continuous at W, or that indexes warmup from 1."""
    assert bert_warmup_linear_decay(step, 1000, 10000) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(
    "step, expected",
    [
        (0, 0.0),  # 0/max(1, W)
        (999, 0.999),
        (1000, 1.0),  # (T - W)/(T - W): continuous at W
        (5500, 0.5),  # (10000 - 5500)/9000
        (10000, 0.0),
        (12000, 0.0),  # max(0, ...) clamps a negative value
    ],
)
def test_hf_schedule_values(step, expected):
    """Catches an HF schedule that decays over the whole run (BERT's form) or goes negative
    after the last step."""
    assert hf_linear_warmup_decay(step, 1000, 10000) == pytest.approx(expected, abs=1e-15)


def test_schedules_without_warmup():
    """Catches a division by W = 0: both schedules then start at 1 and decay linearly."""
    assert bert_warmup_linear_decay(0, 0, 10) == 1.0
    assert hf_linear_warmup_decay(0, 0, 10) == 1.0
    assert bert_warmup_linear_decay(5, 0, 10) == pytest.approx(0.5)
    assert hf_linear_warmup_decay(5, 0, 10) == pytest.approx(0.5)


def test_warmup_that_fills_the_whole_schedule():
    """Catches a decay that divides by T - W (zero when W = T; HF divides by max(1, T - W)):
    warmup over the whole run, then 0 from s = T on, in both frameworks."""
    assert hf_linear_warmup_decay(5, 10, 10) == 0.5
    assert hf_linear_warmup_decay(10, 10, 10) == 0.0  # max(0, (10 - 10)/max(1, 0))
    assert hf_linear_warmup_decay(12, 10, 10) == 0.0  # max(0, -2/1)
    assert bert_warmup_linear_decay(10, 10, 10) == 0.0  # 1 - min(10, 10)/10


@given(w=st.integers(1, 50), extra=st.integers(1, 200))
@settings(max_examples=50, deadline=None)
def test_bert_jumps_and_hf_does_not_at_warmup_end(w, extra):
    """Catches swapping the two schedules' decay phases: at s = W, BERT restarts from
    1 - W/T and HF from exactly 1."""
    t = w + extra
    assert bert_warmup_linear_decay(w, w, t) == pytest.approx(1 - w / t)
    assert hf_linear_warmup_decay(w, w, t) == 1.0


def test_first_index_of_lambdalr_is_measured_on_torch():
    """Catches FIRST_INDEX['pytorch-lambdalr'] = 1 (an off-by-one for the usual loop
    optimizer.step(); scheduler.step()): the lr torch uses for update t is recorded."""
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=2.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: hf_linear_warmup_decay(s, 4, 10)
    )
    used = []
    for _ in range(8):
        used.append(optimizer.param_groups[0]["lr"] / 2.0)
        param.grad = torch.ones_like(param)
        optimizer.step()
        scheduler.step()
    eta = as_schedule_multiplier(lambda s: hf_linear_warmup_decay(s, 4, 10), "pytorch-lambdalr")
    assert [eta(t) for t in range(1, 9)] == pytest.approx(used, abs=1e-15)
    assert used[:2] == [0.0, 0.25]  # 0/4 then 1/4: hand-computed from the HF formula


def test_index_offsets():
    """Catches a helper that ignores the framework's first index: MXNet reads the schedule at
    1 for the first update, every other framework at 0."""

    def identity(s):
        return float(s)

    assert as_schedule_multiplier(identity, "mxnet")(1) == 1.0
    for name in ("pytorch-lambdalr", "keras", "optax", "bert", "hf"):
        assert as_schedule_multiplier(identity, name)(1) == 0.0
    assert as_schedule_multiplier(identity, 1)(5) == 5.0
    assert as_schedule_multiplier(identity, 0)(5) == 4.0
    assert set(FIRST_INDEX.values()) == {0, 1}


def test_bert_warmup_first_update_leaves_params_unchanged():
    """Catches reading BERT's schedule at the 1-based step: with warmup, global_step 0 gives
    lr = 0, so the first update moves nothing; the second moves by (1/W)·α·m/(√v+ε) with
    m = (1-β₁)g, v = (1-β₂)g² after step 1 and m = (1-β₁)(1+β₁)g, v = (1-β₂)(1+β₂)g² after 2."""
    eta = as_schedule_multiplier(lambda s: bert_warmup_linear_decay(s, 10, 100), "bert")
    config = AdamConfig(lr=1.0, eps=0.0, bias_correction="none", schedule_multiplier=eta)
    params = np.array([0.0])
    state = reference.init(params, config)
    after_1, state = reference.step(params, np.array([1.0]), state, config)
    after_2, _ = reference.step(after_1, np.array([1.0]), state, config)
    assert after_1[0] == 0.0
    b1, b2 = 0.9, 0.999
    expected_move = 0.1 * (1 - b1) * (1 + b1) / np.sqrt((1 - b2) * (1 + b2))
    assert after_2[0] == pytest.approx(-expected_move, rel=1e-12)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: bert_warmup_linear_decay(-1, 10, 100), "global_step"),
        (lambda: bert_warmup_linear_decay(1.5, 10, 100), "global_step"),
        (lambda: hf_linear_warmup_decay(0, -1, 100), "warmup_steps"),
        (lambda: hf_linear_warmup_decay(0, 10, 0), "total_steps"),
        (lambda: as_schedule_multiplier(lambda s: 1.0, 2), "first_index"),
        (lambda: as_schedule_multiplier(lambda s: 1.0, "tensorflow"), "first_index"),
        (lambda: as_schedule_multiplier(1.0, 0), "schedule"),
    ],
)
def test_bad_arguments_are_named(call, argument):
    """Catches silent acceptance of a negative step, a fractional step, an unknown framework or
    a non-callable schedule; the error names the argument."""
    with pytest.raises(AdamConfigError, match=argument):
        call()
