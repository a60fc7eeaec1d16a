"""`tf.nn`: neural-network ops."""
from tensorlib.ops.conv_ops import (  # noqa: F401
    avg_pool, conv2d, conv2d_backprop_filter, conv2d_backprop_input, conv2d_transpose, max_pool,
)
from tensorlib.ops.embedding_ops import embedding_lookup  # noqa: F401
from tensorlib.ops.math_ops import sigmoid, tanh  # noqa: F401
from tensorlib.ops.nn_ops import (  # noqa: F401
    batch_normalization, bias_add, dropout, elu, l2_loss, l2_normalize, leaky_relu, log_softmax,
    moments, relu, relu6, selu,
    sigmoid_cross_entropy_with_logits, softmax, softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2, softplus, sparse_softmax_cross_entropy_with_logits,
)
from tensorlib.ops.nn_ops import in_top_k, top_k  # noqa: F401
from tensorlib.ops.conv_ops import (  # noqa: F401
    atrous_conv2d, conv1d, convolution, depthwise_conv2d, depthwise_conv2d_native,
    separable_conv2d,
)
# sampled losses and their candidate samplers
from tensorlib.ops.candidate_sampling_ops import (  # noqa: F401
    compute_accidental_hits, fixed_unigram_candidate_sampler, log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)
from tensorlib.ops.nn_impl import nce_loss, sampled_softmax_loss  # noqa: F401


# The recurrent networks (and tf.layers under them) load on first use: `import tensorlib` stays
# fast for programs that use none.
_RNN = frozenset({"bidirectional_dynamic_rnn", "dynamic_rnn", "raw_rnn",
                  "static_bidirectional_rnn", "static_rnn"})


def __getattr__(name):
    import importlib
    if name == "rnn_cell":
        value = importlib.import_module("tensorlib.ops.rnn_cell")
    elif name in _RNN:
        value = getattr(importlib.import_module("tensorlib.ops.rnn"), name)
    else:
        raise AttributeError(f"module 'tensorlib.nn' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | _RNN | {"rnn_cell"})
