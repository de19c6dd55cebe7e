"""Learning-rate schedules as the frameworks compute them, and the step each framework
evaluates them at.

Owns: the schedule functions of Google BERT and HuggingFace transformers, written as
multipliers of the initial learning rate in each framework's own step index; the index each
framework passes to its schedule for the first update (``FIRST_INDEX``); and
:func:`as_schedule_multiplier`, which turns such a schedule into the η_t of
:attr:`adamlib.config.AdamConfig.schedule_multiplier`, a function of the 1-based step t.
Must not: compute any part of an Adam step, or hold a schedule's state: every function here is
pure, so η_t depends on t alone.

A framework that updates with ``lr(s) = init_lr · f(s)`` where s is its own step index is
reproduced by ``AdamConfig(lr=init_lr, schedule_multiplier=as_schedule_multiplier(f, k))`` with
k the index it uses for the first update (``FIRST_INDEX``).
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral

from .config import AdamConfigError

FIRST_INDEX: dict[str, int] = {
    # torch.optim.lr_scheduler.LambdaLR sets lr = base_lr·f(0) on construction and advances
    # only when scheduler.step() follows optimizer.step(), so update t uses f(t - 1).
    "pytorch-lambdalr": 0,
    # keras/src/optimizers/base_optimizer.py: learning_rate = schedule(self._iterations),
    # the count of completed updates.
    "keras": 0,
    # optax/_src/transform.py, scale_by_schedule: step_size_fn(state.count), count starts at 0.
    "optax": 0,
    # google-research/bert optimization.py: global_step, incremented after apply_gradients.
    "bert": 0,
    # transformers get_linear_schedule_with_warmup is a LambdaLR.
    "hf": 0,
    # mxnet optimizer.py _get_lr: lr_scheduler(self.num_update), incremented before use.
    "mxnet": 1,
}
"""The schedule index each framework uses for the first update (``t = 1``)."""


def bert_warmup_linear_decay(global_step: int, warmup_steps: int, total_steps: int) -> float:
    """BERT's learning rate divided by ``init_lr`` at the 0-based ``global_step``.

    ``s/W`` while ``s < W`` (linear warmup from 0), then ``1 - min(s, T)/T`` (TensorFlow's
    ``polynomial_decay`` with power 1 and end value 0, over the whole run, not the part after
    warmup). The two pieces do not meet: the multiplier jumps from ``(W-1)/W`` to ``1 - W/T``
    at ``s = W``. Mirrors google-research/bert @ eedf5716ce1268e56f0a50264a88cafad334ac61,
    optimization.py (create_optimizer).
    """
    _check_index("global_step", global_step)
    _check_lengths(warmup_steps, total_steps)
    if global_step < warmup_steps:
        return global_step / warmup_steps
    return 1.0 - min(global_step, total_steps) / total_steps


def hf_linear_warmup_decay(current_step: int, warmup_steps: int, total_steps: int) -> float:
    """HuggingFace's ``get_linear_schedule_with_warmup`` multiplier at the 0-based step.

    ``s/max(1, W)`` while ``s < W``, then ``max(0, (T - s)/max(1, T - W))``: the decay starts
    from 1 at ``s = W``, so the schedule is continuous. Mirrors huggingface/transformers @
    ad1fc9639f2e7b6808a2ca982c0a9b3134d76ee8, src/transformers/optimization.py
    (_get_linear_schedule_with_warmup_lr_lambda).
    """
    _check_index("current_step", current_step)
    _check_lengths(warmup_steps, total_steps)
    if current_step < warmup_steps:
        return current_step / max(1, warmup_steps)
    return max(0.0, (total_steps - current_step) / max(1, total_steps - warmup_steps))


def as_schedule_multiplier(
    schedule: Callable[[int], float], first_index: int | str
) -> Callable[[int], float]:
    """η_t for :class:`~adamlib.config.AdamConfig`: ``schedule`` read at the framework's index.

    Parameters
    ----------
    schedule : callable
        The framework's multiplier of the initial learning rate as a function of its own step
        index (e.g. ``lambda s: bert_warmup_linear_decay(s, 100, 1000)``).
    first_index : int or str
        The index the framework passes to ``schedule`` for the first update: 0 or 1, or a key
        of ``FIRST_INDEX`` (``"pytorch-lambdalr"``, ``"keras"``, ``"optax"``, ``"bert"``,
        ``"hf"``, ``"mxnet"``).

    Returns
    -------
    callable
        ``eta(t) = schedule(t - 1 + first_index)`` for the 1-based step t.
    """
    if isinstance(first_index, str):
        if first_index not in FIRST_INDEX:
            raise AdamConfigError(
                f"first_index={first_index!r} is not allowed: give 0, 1 or one "
                f"of {sorted(FIRST_INDEX)}"
            )
        offset = FIRST_INDEX[first_index]
    elif first_index in (0, 1) and not isinstance(first_index, bool):
        offset = int(first_index)
    else:
        raise AdamConfigError(
            f"first_index={first_index!r} is not allowed: give 0, 1 or one of {sorted(FIRST_INDEX)}"
        )
    if not callable(schedule):
        raise AdamConfigError(
            f"schedule={schedule!r} is not allowed: give a function of the framework's step index"
        )

    def eta(t: int) -> float:
        return float(schedule(t - 1 + offset))

    return eta


def _check_index(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise AdamConfigError(f"{name}={value!r} is not allowed: {name} must be an integer >= 0")


def _check_lengths(warmup_steps, total_steps) -> None:
    _check_index("warmup_steps", warmup_steps)
    if isinstance(total_steps, bool) or not isinstance(total_steps, Integral) or total_steps < 1:
        raise AdamConfigError(
            f"total_steps={total_steps!r} is not allowed: total_steps must be an integer >= 1"
        )
