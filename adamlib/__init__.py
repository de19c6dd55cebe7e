"""adamlib: every Adam/AdamW found in the wild, as one parameterised reference step.

- :mod:`adamlib.config`: :class:`AdamConfig`, hyperparameters and orthogonal switches.
- :mod:`adamlib.variants`: named presets (``names()``, ``get(name, **overrides)``, ``info``).
- :mod:`adamlib.reference`: the NumPy reference step (``init``, ``step``, ``trajectory``).
- :mod:`adamlib.optim`: ``torch.optim.Optimizer`` subclasses (imported on demand: needs torch).
- :mod:`adamlib.schedules`: the frameworks' learning-rate schedules as η(t).
- :mod:`adamlib.radam`: RAdam's reference step (Liu et al. 2020), as ``torch.optim.RAdam``.
- :mod:`adamlib.models`: small NumPy models, vectorised over a grid of configurations.
- :mod:`adamlib.tree`: the parameter structures the NumPy steps accept.
"""

from . import reference, variants
from .config import AdamConfig, AdamConfigError
from .reference import NonFiniteGradientError

__all__ = ["AdamConfig", "AdamConfigError", "NonFiniteGradientError", "reference", "variants"]
__version__ = "0.1.0"
