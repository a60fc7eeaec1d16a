"""Sparse updates of variables (TF1's state_ops scatter family): rows of a variable chosen by
`indices` (Scatter*) or slices chosen by index tuples (ScatterNd*) are replaced or combined
with `updates`. Each returns the updated variable (its `ref`), as TF1 does; an index out of
range is an InvalidArgumentError when the graph runs, and the variable is then unchanged.

With `use_locking=True` the update holds the variable's lock while it runs, so such updates of
one variable from runs in several threads apply one at a time (as TF1's do).
"""
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import variables


def _scatter(op_type, ref, indices, updates, use_locking, name):
    ref = variables._ref(ref, op_type)
    indices = convert_to_tensor(indices, name="indices")
    if not indices.dtype.is_integer:
        raise TypeError(f"Input 'indices' of '{op_type}' Op must be int32 or int64, got "
                        f"{indices.dtype.name}")
    updates = convert_to_tensor(updates, dtype=ref.dtype.base_dtype, name="updates")
    return ops.graph_for([ref])._create_op(op_type, [ref, indices, updates],
                                           {"use_locking": bool(use_locking)},
                                           name=name or op_type).outputs[0]


def scatter_update(ref, indices, updates, use_locking=True, name=None):
    """ref[indices[i], ...] = updates[i, ...] (the last of repeated indices wins).
    updates.shape = indices.shape + ref.shape[1:], or a scalar for every row."""
    return _scatter("ScatterUpdate", ref, indices, updates, use_locking, name)


def scatter_add(ref, indices, updates, use_locking=False, name=None):
    """ref[indices[i], ...] += updates[i, ...] (repeated indices add up)."""
    return _scatter("ScatterAdd", ref, indices, updates, use_locking, name)


def scatter_sub(ref, indices, updates, use_locking=False, name=None):
    """ref[indices[i], ...] -= updates[i, ...] (repeated indices add up)."""
    return _scatter("ScatterSub", ref, indices, updates, use_locking, name)


def scatter_mul(ref, indices, updates, use_locking=False, name=None):
    """ref[indices[i], ...] *= updates[i, ...] (repeated indices multiply)."""
    return _scatter("ScatterMul", ref, indices, updates, use_locking, name)


def scatter_div(ref, indices, updates, use_locking=False, name=None):
    """ref[indices[i], ...] /= updates[i, ...] (repeated indices divide in turn)."""
    return _scatter("ScatterDiv", ref, indices, updates, use_locking, name)


def scatter_max(ref, indices, updates, use_locking=False, name=None):
    """ref[indices[i], ...] = max(ref[indices[i], ...], updates[i, ...])."""
    return _scatter("ScatterMax", ref, indices, updates, use_locking, name)


def scatter_min(ref, indices, updates, use_locking=False, name=None):
    """ref[indices[i], ...] = min(ref[indices[i], ...], updates[i, ...])."""
    return _scatter("ScatterMin", ref, indices, updates, use_locking, name)


def scatter_nd_update(ref, indices, updates, use_locking=True, name=None):
    """ref[tuple(indices[i])] = updates[i] for index tuples of length K = indices.shape[-1]:
    updates.shape = indices.shape[:-1] + ref.shape[K:]."""
    return _scatter("ScatterNdUpdate", ref, indices, updates, use_locking, name)


def scatter_nd_add(ref, indices, updates, use_locking=False, name=None):
    """ref[tuple(indices[i])] += updates[i] (see scatter_nd_update)."""
    return _scatter("ScatterNdAdd", ref, indices, updates, use_locking, name)


def scatter_nd_sub(ref, indices, updates, use_locking=False, name=None):
    """ref[tuple(indices[i])] -= updates[i] (see scatter_nd_update)."""
    return _scatter("ScatterNdSub", ref, indices, updates, use_locking, name)


for _op_type in ("ScatterUpdate", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv",
                 "ScatterMax", "ScatterMin", "ScatterNdUpdate", "ScatterNdAdd", "ScatterNdSub"):
    ops.NotDifferentiable(_op_type)
