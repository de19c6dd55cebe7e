"""adamlib: every Adam/AdamW found in the wild, as one parameterised reference step.

- :mod:`adamlib.config`: :class:`AdamConfig`, hyperparameters and orthogonal switches.
- :mod:`adamlib.variants`: named presets (``names()``, ``get(name, **overrides)``).
- :mod:`adamlib.reference`: the NumPy reference step (``init``, ``step``, ``trajectory``).
- :mod:`adamlib.optim`: ``torch.optim.Optimizer`` subclasses (imported on demand: needs torch).
"""

from . import reference, variants
from .config import AdamConfig, AdamConfigError
from .reference import NonFiniteGradientError

__all__ = ["AdamConfig", "AdamConfigError", "NonFiniteGradientError", "reference", "variants"]
__version__ = "0.1.0"
