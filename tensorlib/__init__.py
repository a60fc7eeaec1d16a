"""tensorlib: TensorFlow 1.x's graph-mode API on a C++ executor.

    import tensorlib as tf

    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.reduce_sum(x * 2.0, axis=1)
    with tf.Session() as sess:
        print(sess.run(y, {x: [[1, 2, 3]]}))
"""
__version__ = "0.1.0"

from tensorlib import (  # noqa: F401
    config, contrib, dtypes, errors, initializers, layers, lite, losses, nn, summary, train,
)
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

# Every numeric dtype; complex numbers; tf.math.
from tensorlib import math  # noqa: F401
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
