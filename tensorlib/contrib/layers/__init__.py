"""`tf.contrib.layers`: TF1's contrib layer functions (with TF1's variable names), their
initializers and regularizers, and the losses and optimizer helpers scripts import from it."""
from tensorlib.contrib.layers.initializers import (  # noqa: F401
    variance_scaling_initializer, xavier_initializer, xavier_initializer_conv2d,
)
from tensorlib.contrib.layers.layers import (  # noqa: F401
    avg_pool2d, batch_norm, conv2d, conv2d_transpose, dropout, embed_sequence, flatten,
    fully_connected, layer_norm, linear, max_pool2d, one_hot_encoding, repeat, softmax, stack,
)
from tensorlib.contrib.layers.optimizers import OPTIMIZER_CLS_NAMES, optimize_loss  # noqa: F401
from tensorlib.contrib.layers.regularizers import (  # noqa: F401
    apply_regularization, l1_l2_regularizer, l1_regularizer, l2_regularizer, sum_regularizer,
)
from tensorlib.contrib.layers import utils  # noqa: F401

convolution2d = conv2d
convolution2d_transpose = conv2d_transpose
