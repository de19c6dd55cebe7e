"""Parameter structures of the NumPy steps: one array, a dict of named arrays, or a list of arrays.

Owns: walking such a structure (its arrays, their names and how errors call them), rebuilding
one with new arrays, and the checks that an input is such a structure of dense floating arrays
and that gradients match their parameters.
Must not: know anything about an optimizer's update rule or its state.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Params = np.ndarray | dict | list | tuple


def named_leaves(what: str, tree: Params) -> list[tuple[str | None, np.ndarray]]:
    """``(name, array)`` pairs of ``tree`` (name None for arrays of a list or a lone array),
    after checking that every array is a dense floating numpy array; ``what`` names the tree
    in errors."""
    items: list[tuple[str | None, np.ndarray]]
    if isinstance(tree, dict):
        items = [(str(k), v) for k, v in tree.items()]
    elif isinstance(tree, (list, tuple)):
        items = [(None, v) for v in tree]
    else:
        items = [(None, tree)]
    if not items:
        raise ValueError(f"{what} is empty: give at least one array")
    for position, (key, leaf) in enumerate(items):
        where = label(what, tree, key, position)
        if hasattr(leaf, "tocsr") or hasattr(leaf, "todense"):
            raise ValueError(
                f"{where} is a sparse matrix: sparse gradients are not supported; "
                "pass a dense numpy array"
            )
        if not isinstance(leaf, np.ndarray):
            raise ValueError(f"{where} is a {type(leaf).__name__}: a numpy array is required")
        if not np.issubdtype(leaf.dtype, np.floating):
            raise ValueError(f"{where} has dtype {leaf.dtype}: a floating dtype is required")
    return items


def leaves(what: str, tree: Params) -> list[np.ndarray]:
    """The arrays of ``tree``, checked as in :func:`named_leaves`."""
    return [leaf for _, leaf in named_leaves(what, tree)]


def map_leaves(tree: Params, fn: Callable[[np.ndarray], np.ndarray]) -> Params:
    """``tree`` with ``fn`` applied to each array."""
    return rebuild(tree, [fn(leaf) for leaf in leaves("params", tree)])


def rebuild(like: Params, new_leaves: list) -> Params:
    """A structure like ``like`` holding ``new_leaves`` in its order."""
    if isinstance(like, dict):
        return dict(zip(like.keys(), new_leaves))
    if isinstance(like, (list, tuple)):
        return type(like)(new_leaves)
    return new_leaves[0]


def label(what: str, tree: Params, key: str | None, position: int) -> str:
    """How an error names one array of ``tree``: ``params``, ``params[1]`` or ``params['w']``."""
    if isinstance(tree, dict):
        return f"{what}[{key!r}]"
    if isinstance(tree, (list, tuple)):
        return f"{what}[{position}]"
    return what


def matching_grads(params: Params, grads: Params):
    """``(names, param arrays, grad arrays)`` after checking that ``grads`` has the structure,
    names, shapes and dtypes of ``params``."""
    names, p_leaves = zip(*named_leaves("params", params))
    g_names, g_leaves = zip(*named_leaves("grads", grads))
    if len(g_leaves) != len(p_leaves):
        raise ValueError(f"grads has {len(g_leaves)} arrays but params has {len(p_leaves)}")
    if g_names != names:
        raise ValueError(f"grads are named {list(g_names)} but params are named {list(names)}")
    for position, (name, p, g) in enumerate(zip(names, p_leaves, g_leaves)):
        if g.shape != p.shape or g.dtype != p.dtype:
            raise ValueError(
                f"gradient for {label('params', params, name, position)} has shape "
                f"{g.shape} and dtype {g.dtype}; the parameter has shape {p.shape} "
                f"and dtype {p.dtype}"
            )
    return names, p_leaves, g_leaves
