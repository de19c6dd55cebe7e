"""Stand-ins for the framework objects that the transcribed code touches, and nothing more.

They hold arrays and names so that a transcription can keep the source's attribute accesses
(``p.grad``, ``p.data``, ``param.name``, ``param.assign(...)``); none of them does arithmetic.
"""

from __future__ import annotations

import numpy as np


class Parameter:
    """A ``torch.nn.Parameter`` as the PyTorch-style optimizers use it: ``.data`` and ``.grad``.

    Hashed by identity, like a tensor, so optimizers can key their state on it.
    """

    def __init__(self, data: np.ndarray, name: str):
        self.data = data
        self.grad: np.ndarray | None = None
        self.name = name


class Variable(np.ndarray):
    """A TensorFlow/Keras variable: an array with a ``name`` and ``assign``.

    An ndarray subclass, so the transcribed expressions (``variable - variable * wd * lr``,
    ``param - update_with_lr``) run unchanged; ``assign`` overwrites the values in place.
    """

    def __new__(cls, value, name: str):
        variable = np.array(value, dtype=np.float64).view(cls)
        variable.name = name
        return variable

    def __array_finalize__(self, obj) -> None:
        self.name = getattr(obj, "name", None)

    def assign(self, new_value) -> None:
        self[...] = new_value


def clip_map(x: np.ndarray, clip_gradient: float) -> np.ndarray:
    """MXNet's ``mshadow_op::clip::Map(x, bound)``: ``bound`` if ``x > bound``, ``-bound`` if
    ``x < -bound``, else ``x`` (element-wise value clipping)."""
    return np.where(
        x > clip_gradient, clip_gradient, np.where(x < -clip_gradient, -clip_gradient, x)
    )
