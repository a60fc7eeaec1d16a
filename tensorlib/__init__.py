"""tensorlib: TensorFlow 1.x's graph-mode API on a C++ executor.

    import tensorlib as tf

    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.reduce_sum(x * 2.0, axis=1)
    with tf.Session() as sess:
        print(sess.run(y, {x: [[1, 2, 3]]}))
"""
# tensorlib's own release (pyproject.toml reads it); __version__ is the TensorFlow API version
# tensorlib implements, which TF1 scripts check (`tf.__version__.startswith("1.")`).
__tensorlib_version__ = "0.1.0"
__version__ = VERSION = "1.15.5"
GIT_VERSION = "v" + __tensorlib_version__  # the release tag of the source built
COMPILER_VERSION = "unknown"  # tensorlib does not record the C++ compiler that built it

from tensorlib import config, dtypes, errors, initializers, nn  # noqa: F401
from tensorlib.client.session import (  # noqa: F401
    ConfigProto, GPUOptions, InteractiveSession, RunMetadata, RunOptions, Session,
    get_default_session,
)
from tensorlib.dtypes import (  # noqa: F401
    DType, as_dtype, bool, double, float16, float32, float64, half, int32, int64, string,
)
from tensorlib.framework.constant_op import constant, convert_to_tensor  # noqa: F401
from tensorlib.framework.ops import (  # noqa: F401
    DeviceSpec, Graph, GraphKeys, Operation, Tensor, add_to_collection, add_to_collections,
    control_dependencies, device, get_collection, get_collection_ref, get_default_graph,
    name_scope, reset_default_graph,
)
from tensorlib.framework.random_seed import set_random_seed  # noqa: F401
from tensorlib.framework.tensor_shape import Dimension, TensorShape  # noqa: F401
from tensorlib.ops.array_ops import (  # noqa: F401
    boolean_mask, broadcast_to, concat, expand_dims, eye, fill, gather, identity, lin_space,
    linspace, newaxis, one_hot, ones, ones_like, pad, placeholder, placeholder_with_default, range,
    rank, reshape, reverse, reverse_sequence, reverse_v2, sequence_mask, shape, size, slice, split,
    squeeze, stack, stop_gradient, strided_slice, tile, transpose, unsorted_segment_sum, unstack,
    zeros, zeros_like,
)
from tensorlib.ops.control_flow_ops import case, cond, group, no_op, while_loop  # noqa: F401
from tensorlib.ops.functional_ops import foldl, foldr, map_fn, scan  # noqa: F401
from tensorlib.ops.gradients_impl import gradients, hessians  # noqa: F401
from tensorlib.ops.init_ops import (  # noqa: F401
    constant_initializer, glorot_normal_initializer, glorot_uniform_initializer,
    ones_initializer, random_normal_initializer, random_uniform_initializer,
    truncated_normal_initializer, variance_scaling_initializer, zeros_initializer,
)
from tensorlib.ops.math_ops import (  # noqa: F401
    abs, add, add_n, arg_max, arg_min, argmax, argmin, cast, ceil, clip_by_global_norm,
    clip_by_norm, clip_by_value, cos, cumsum, divide, einsum, equal, exp, floor, floor_div,
    floordiv, floormod, global_norm, greater, greater_equal, less, less_equal, log, log1p,
    logical_and, logical_not, logical_or, logical_xor, matmul, maximum, minimum, mod, multiply,
    negative, not_equal, pow, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean,
    reduce_min, reduce_prod, reduce_sum, round, rsqrt, sigmoid, sign, sin, sqrt, square,
    squared_difference, subtract, tanh, tensordot, truediv, where, where_v2,
)
from tensorlib.ops.random_ops import (  # noqa: F401
    multinomial, random_normal, random_shuffle, random_uniform, truncated_normal,
)
from tensorlib.ops.tensor_array_ops import TensorArray  # noqa: F401
from tensorlib.ops.variable_scope import (  # noqa: F401
    AUTO_REUSE, VariableScope, get_local_variable, get_variable, get_variable_scope,
    no_regularizer, variable_scope,
)
from tensorlib.ops.variables import (  # noqa: F401
    Variable, assign, assign_add, assign_sub, global_variables, global_variables_initializer,
    initialize_all_variables, initialize_local_variables, is_variable_initialized,
    local_variables, local_variables_initializer, model_variables, moving_average_variables,
    trainable_variables, variables_initializer,
)

# Python functions, printing and run-time checks in the graph.
from tensorlib.ops.check_ops import (  # noqa: F401
    Assert, add_check_numerics_ops, assert_equal, assert_greater, assert_greater_equal,
    assert_integer, assert_less, assert_less_equal, assert_near, assert_negative,
    assert_non_negative, assert_non_positive, assert_none_equal, assert_positive, assert_rank,
    assert_rank_at_least, assert_scalar, assert_type, check_numerics, is_non_decreasing,
    is_numeric_tensor, is_strictly_increasing, verify_tensor_all_finite,
)
from tensorlib.ops.logging_ops import Print, print_v2 as print  # noqa: F401, A001
from tensorlib.ops.script_ops import numpy_function, py_func  # noqa: F401
from tensorlib.framework.tensor_util import constant_value as get_static_value  # noqa: F401
# Every numeric dtype; complex numbers; tf.math.
from tensorlib.dtypes import (  # noqa: F401
    bfloat16, complex64, complex128, int8, int16, uint8, uint16, uint32, uint64,
)
from tensorlib.ops.math_ops import (  # noqa: F401
    angle, complex, conj, imag, real, saturate_cast,
)

# C++: the headers, core library and CMake config of the package; ops from shared libraries.
from tensorlib import sysconfig  # noqa: F401
from tensorlib.framework.load_library import load_op_library  # noqa: F401
from tensorlib.framework.ops import (  # noqa: F401
    NotDifferentiable, RegisterGradient, no_gradient,
)
from tensorlib.sysconfig import get_cmake_dir, get_include, get_lib  # noqa: F401


# TF1's late namespaces, switches, compatibility helpers and tf.contrib.
from tensorlib import compat, debugging, linalg, math, random  # noqa: F401
from tensorlib.framework.behavior import (  # noqa: F401
    disable_eager_execution, disable_resource_variables, disable_v2_behavior,
    disable_v2_tensorshape, enable_eager_execution, enable_resource_variables,
    enable_v2_behavior, enable_v2_tensorshape, executing_eagerly, resource_variables_enabled,
)
from tensorlib.framework.random_seed import get_seed  # noqa: F401
from tensorlib.ops.math_composites import (  # noqa: F401
    div, is_finite, is_inf, is_nan, log_sigmoid, realdiv, reciprocal,
    to_double, to_float, to_int32, to_int64, truncatediv, truncatemod,
)
from tensorlib.platform import tf_logging as logging  # noqa: F401

# Indexing, counting and norms (gather_nd, scatter_nd, unique, count_nonzero, norm)
from tensorlib.ops.array_ops import (  # noqa: F401
    gather_nd, scatter_nd, unique, unique_with_counts,
)
from tensorlib.ops.math_ops import count_nonzero, norm  # noqa: F401
from tensorlib.ops.image_ops import random_crop  # noqa: F401
# Sparse gradients (IndexedSlices) and the scatter updates of variables.
from tensorlib.framework.indexed_slices import IndexedSlices, IndexedSlicesValue  # noqa: F401
from tensorlib.ops.state_ops import (  # noqa: F401
    scatter_add, scatter_div, scatter_max, scatter_min, scatter_mul, scatter_nd_add,
    scatter_nd_sub, scatter_nd_update, scatter_sub, scatter_update,
)
# Input pipelines: queues, readers, decoders, TFRecord files, tf.train.Example parsing.
from tensorlib import sparse  # noqa: F401,E402
from tensorlib.framework.sparse_tensor import SparseTensor, SparseTensorValue  # noqa: F401,E402
from tensorlib.ops.data_flow_ops import (  # noqa: F401,E402
    FIFOQueue, PaddingFIFOQueue, QueueBase, RandomShuffleQueue,
)
from tensorlib.ops.io_ops import (  # noqa: F401,E402
    FixedLengthRecordReader, ReaderBase, TextLineReader, TFRecordReader, WholeFileReader,
    decode_csv, decode_raw, read_file, string_to_number, write_file,
)
from tensorlib.ops.parsing_ops import (  # noqa: F401,E402
    FixedLenFeature, VarLenFeature, parse_example, parse_single_example, sparse_tensor_to_dense,
)
from tensorlib.ops.variables import count_up_to  # noqa: F401,E402


# The larger namespaces load on first use, as TF1 loaded tf.contrib: `import tensorlib` stays
# fast, and `tf.train`, `tf.estimator`, ... work as attributes and as `from tensorlib import`.
_LAZY_SUBMODULES = {
    name: f"tensorlib.{name}" for name in (
        "contrib", "data", "estimator", "image", "io", "layers", "lite", "losses", "metrics",
        "python_io", "saved_model", "summary", "train")
}
_LAZY_SUBMODULES.update(app="tensorlib.platform.app", flags="tensorlib.platform.flags")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        module = importlib.import_module(_LAZY_SUBMODULES[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'tensorlib' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY_SUBMODULES)
