"""tf.SparseTensor and tf.SparseTensorValue: a tensor given by the indices and values of its
non-default elements and its dense shape (VarLen features parse into one)."""
import collections

from tensorlib import dtypes as _dtypes
from tensorlib.framework.constant_op import convert_to_tensor

# What Session.run returns for a SparseTensor (NumPy arrays).
SparseTensorValue = collections.namedtuple("SparseTensorValue",
                                           ["indices", "values", "dense_shape"])


class SparseTensor:
    """`values[i]` sits at `indices[i]` (an int64 [n, rank] matrix) of a tensor of shape
    `dense_shape` (int64 [rank]); every other element is zero (or empty)."""

    def __init__(self, indices, values, dense_shape):
        self._indices = convert_to_tensor(indices, dtype=_dtypes.int64, name="indices")
        self._values = convert_to_tensor(values, name="values")
        self._dense_shape = convert_to_tensor(dense_shape, dtype=_dtypes.int64,
                                              name="dense_shape")

    indices = property(lambda self: self._indices)
    values = property(lambda self: self._values)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    graph = property(lambda self: self._values.graph)

    @property
    def op(self):
        return self._values.op

    def _fetch_parts(self):
        """The tensors Session.run fetches for it, and how to put their values together."""
        return [self._indices, self._values, self._dense_shape], \
            lambda parts: SparseTensorValue(*parts)

    def __repr__(self):
        return (f"SparseTensor(indices={self._indices!r}, values={self._values!r}, "
                f"dense_shape={self._dense_shape!r})")
