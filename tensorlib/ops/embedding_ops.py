"""Embedding lookups: rows of a (possibly partitioned) parameter table gathered by id."""
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops


def _mod_table(params):
    """The full table from partitions that hold ids p, p + n, p + 2n, ... (the 'mod'
    strategy): pad the partitions to one length, interleave their rows, drop the padding."""
    n = len(params)
    sizes = [p.shape.dims[0].value if p.shape.ndims else None for p in params]
    if None in sizes:
        raise ValueError("embedding_lookup with partition_strategy='mod' needs the first "
                         "dimension of every partition to be known")
    rows = max(sizes)
    rest = [[0, 0]] * (params[0].shape.ndims - 1)
    padded = [p if s == rows else array_ops.pad(p, [[0, rows - s]] + rest)
              for p, s in zip(params, sizes)]
    table = array_ops.stack(padded, axis=1)  # [rows, n, ...]: row r * n + p is id r * n + p
    inner = params[0].shape[1:]
    if inner.is_fully_defined():
        table = array_ops.reshape(table, [rows * n] + inner.as_list())
    else:
        table = array_ops.reshape(
            table, array_ops.concat([[rows * n], array_ops.shape(params[0])[1:]], 0))
    return array_ops.slice(table, [0] * params[0].shape.ndims,
                           [sum(sizes)] + [-1] * (params[0].shape.ndims - 1))


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    """The rows of `params` at `ids`: shape ids.shape + params.shape[1:].

    `params` is one tensor or a list of partitions of the table along dimension 0: with
    partition_strategy 'mod' id i lives in partition i % n, with 'div' the partitions are
    consecutive blocks. An id outside the table is an InvalidArgumentError at run time.
    """
    if max_norm is not None:
        raise ValueError("tensorlib's embedding_lookup does not support max_norm")
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"Unrecognized partition strategy: {partition_strategy}")
    if not isinstance(params, (list, tuple)):
        params = [params]
    if not params:
        raise ValueError("Need at least one param")
    with ops.name_scope(name, "embedding_lookup") as scope:
        params = [convert_to_tensor(p, name="params") for p in params]
        ids = convert_to_tensor(ids, name="ids")
        if len(params) == 1:
            table = params[0]
        elif partition_strategy == "div":
            table = array_ops.concat(params, 0)
        else:
            table = _mod_table(params)
        return array_ops.gather(table, ids, name=scope)

