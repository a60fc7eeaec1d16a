"""IndexedSlices: a sparse representation of a tensor as some of its rows (slices along
dimension 0), the form TF1 gives the gradient of a gather or embedding lookup.

`IndexedSlices(values, indices, dense_shape)` stands for the dense tensor `d` of shape
`dense_shape` with `d[indices[i]] = values[i]` summed over repeated indices and zero elsewhere.
Optimizers update only those rows; anything else densifies it (convert_to_tensor).
"""
import collections
import logging

import numpy as np

from tensorlib.framework import ops

# Densifying an IndexedSlices whose dense form has more elements than this logs a warning
# (TF1's threshold): a gradient that size is usually better applied sparsely.
_LARGE_SPARSE_NUM_ELEMENTS = 100000000

_logger = logging.getLogger("tensorlib")


class IndexedSlices:
    """Rows `indices` of a tensor of shape `dense_shape`, holding `values`:
    values.shape = [len(indices)] + dense_shape[1:]."""

    def __init__(self, values, indices, dense_shape=None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    @property
    def values(self):
        """A Tensor of the rows' values."""
        return self._values

    @property
    def indices(self):
        """A 1-D integer Tensor: the row of the dense tensor each row of values belongs to."""
        return self._indices

    @property
    def dense_shape(self):
        """A 1-D integer Tensor: the dense tensor's shape (or None)."""
        return self._dense_shape

    @property
    def name(self):
        return self._values.name

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def graph(self):
        return self._values.graph

    @property
    def op(self):
        return self._values.op

    @property
    def device(self):
        return self._values.device

    def __neg__(self):
        from tensorlib.ops import math_ops
        return IndexedSlices(math_ops.negative(self._values), self._indices, self._dense_shape)

    def __str__(self):
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape}"
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"

    __repr__ = __str__


IndexedSlicesValue = collections.namedtuple("IndexedSlicesValue",
                                            ["values", "indices", "dense_shape"])
IndexedSlicesValue.__doc__ = "The value of an IndexedSlices fetched by Session.run (NumPy arrays)."


def _dense_num_elements(slices):
    """The number of elements of the dense form of `slices` when known while building."""
    from tensorlib.ops import array_ops
    shape = array_ops._constant_value(slices.dense_shape)
    return None if shape is None else int(np.prod(shape))


def to_dense(slices, name=None):
    """The dense tensor `slices` stands for: its values summed into their rows
    (UnsortedSegmentSum). Logs a warning when that tensor is large (over 100M elements, or of
    unknown size), as TF1 does."""
    from tensorlib.ops import array_ops
    if slices.dense_shape is None:
        raise ValueError(f"Tensor conversion requested for IndexedSlices without dense_shape: "
                         f"{slices}")
    size = _dense_num_elements(slices)
    if size is None or size > _LARGE_SPARSE_NUM_ELEMENTS:
        _logger.warning("Converting sparse IndexedSlices to a dense Tensor %s. This may "
                        "consume a large amount of memory.",
                        "of unknown shape" if size is None else f"with {size} elements")
    with ops.name_scope(name, "IndexedSlicesToDense"):
        rows = array_ops.gather(slices.dense_shape, 0)
        dense = array_ops.unsorted_segment_sum(slices.values, slices.indices, rows)
        known = array_ops._constant_value(slices.dense_shape)
        if known is not None:
            dense.set_shape([int(d) for d in known])
        elif slices.values.shape.ndims is not None:
            dense.set_shape([None] + slices.values.shape.as_list()[1:])
        return dense
