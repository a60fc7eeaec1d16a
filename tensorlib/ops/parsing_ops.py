"""tf.parse_example and tf.parse_single_example: serialized tf.train.Example protos into
tensors, by a {key: FixedLenFeature or VarLenFeature} spec; and tf.sparse_tensor_to_dense.

A FixedLenFeature becomes a dense tensor of its shape (with a leading batch dimension for
parse_example); a missing one takes its default_value, or fails InvalidArgumentError naming
the key when it has none. A VarLenFeature becomes a tf.SparseTensor of its values.
"""
import collections

import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.framework.sparse_tensor import SparseTensor
from tensorlib.framework.tensor_shape import TensorShape

ops.NotDifferentiable("ParseExample")
ops.NotDifferentiable("SparseToDense")

_FEATURE_DTYPES = (_dtypes.float32, _dtypes.int64, _dtypes.string)


class FixedLenFeature(collections.namedtuple("FixedLenFeature",
                                             ["shape", "dtype", "default_value"])):
    """A feature with a fixed number of values, parsed into a dense tensor of `shape`."""

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


VarLenFeature = collections.namedtuple("VarLenFeature", ["dtype"])
VarLenFeature.__doc__ = "A feature with any number of values, parsed into a SparseTensor."


def _feature_dtype(key, dtype):
    dtype = _dtypes.as_dtype(dtype)
    if dtype not in _FEATURE_DTYPES:
        raise ValueError(f"Feature {key!r}: dtype must be float32, int64 or string, got "
                         f"{dtype.name}")
    return dtype


def _parse(serialized, features, name, default_name):
    if not features:
        raise ValueError("Missing: features was empty.")
    sparse_keys, sparse_types, dense_keys, dense_types, dense_shapes, defaults = \
        [], [], [], [], [], []
    for key in sorted(features):
        spec = features[key]
        if isinstance(spec, VarLenFeature):
            sparse_keys.append(key)
            sparse_types.append(_feature_dtype(key, spec.dtype))
        elif isinstance(spec, FixedLenFeature):
            dtype = _feature_dtype(key, spec.dtype)
            shape = TensorShape(spec.shape)
            if not shape.is_fully_defined():
                raise ValueError(f"Feature {key!r}: FixedLenFeature needs a fully defined "
                                 f"shape, got {shape}")
            dense_keys.append(key)
            dense_types.append(dtype)
            dense_shapes.append(shape.as_list())
            if spec.default_value is None:
                default = np.zeros([0], dtype.as_numpy_dtype if dtype != _dtypes.string
                                   else object)
            else:
                default = np.reshape(np.asarray(spec.default_value, dtype=object
                                                if dtype == _dtypes.string
                                                else dtype.as_numpy_dtype), shape.as_list())
            defaults.append(default)
        else:
            raise ValueError(f"Invalid feature {key}: {spec!r}")
    with ops.name_scope(name, default_name) as scope:
        serialized = convert_to_tensor(serialized, dtype=_dtypes.string, name="serialized")
        default_tensors = [convert_to_tensor(d, dtype=t, name=f"key_{k}")
                           for d, t, k in zip(defaults, dense_types, dense_keys)]
        flat_shapes = []
        for s in dense_shapes:
            flat_shapes += [len(s)] + s
        attrs = {"num_outputs": 3 * len(sparse_keys) + len(dense_keys),
                 "sparse_keys": np.array(sparse_keys, dtype=object).reshape(-1),
                 "dense_keys": np.array(dense_keys, dtype=object).reshape(-1),
                 "sparse_types": [t.as_datatype_enum for t in sparse_types],
                 "dense_types": [t.as_datatype_enum for t in dense_types],
                 "dense_shapes": flat_shapes}
        outputs = ops.apply_op("ParseExample", [serialized] + default_tensors, attrs,
                               name=scope).outputs
    ns = len(sparse_keys)
    result = {k: SparseTensor(outputs[i], outputs[ns + i], outputs[2 * ns + i])
              for i, k in enumerate(sparse_keys)}
    result.update(zip(dense_keys, outputs[3 * ns:]))
    return result


def parse_example(serialized, features, name=None, example_names=None):
    """A batch of serialized Examples (a string vector) parsed by `features` ({key:
    FixedLenFeature or VarLenFeature}) into {key: Tensor or SparseTensor}, each with a
    leading batch dimension."""
    return _parse(serialized, features, name, "ParseExample")


def parse_single_example(serialized, features, name=None, example_names=None):
    """One serialized Example (a string scalar) parsed like parse_example, without the batch
    dimension."""
    serialized = convert_to_tensor(serialized, dtype=_dtypes.string, name="serialized")
    if serialized.shape.ndims not in (None, 0):
        raise ValueError(f"Input serialized must be a scalar, got shape {serialized.shape}")
    return _parse(serialized, features, name, "ParseSingleExample")


def sparse_tensor_to_dense(sp_input, default_value=0, validate_indices=True, name=None):
    """The dense tensor of SparseTensor `sp_input`: default_value where it has no value."""
    with ops.name_scope(name, "SparseToDense") as scope:
        if default_value == 0 and sp_input.dtype == _dtypes.string:
            default_value = b""
        default = convert_to_tensor(default_value, dtype=sp_input.dtype, name="default_value")
        return ops.apply_op("SparseToDense", [sp_input.indices, sp_input.dense_shape,
                                              sp_input.values, default],
                            {"validate_indices": bool(validate_indices)}, name=scope).outputs[0]
