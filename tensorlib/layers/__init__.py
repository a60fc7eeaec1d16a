"""`tf.layers`: TF1's layers, as classes (Dense, Conv2D, ...) and functions (dense, conv2d,
...). Each layer keeps its variables in its own variable scope ("dense/kernel",
"dense_1/kernel", ...)."""
from tensorlib.layers.base import Layer  # noqa: F401
from tensorlib.layers.convolutional import (  # noqa: F401
    Conv1D, Conv2D, Conv2DTranspose, Convolution1D, Convolution2D, Convolution2DTranspose,
    conv1d, conv2d, conv2d_transpose,
)
from tensorlib.layers.core import (  # noqa: F401
    Dense, Dropout, Flatten, dense, dropout, flatten,
)
from tensorlib.layers.normalization import (  # noqa: F401
    BatchNormalization, batch_normalization,
)
from tensorlib.layers.convolutional import (  # noqa: F401
    SeparableConv2D, SeparableConvolution2D, separable_conv2d,
)
from tensorlib.layers.pooling import (  # noqa: F401
    AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D,
    MaxPooling1D, MaxPooling2D, average_pooling1d, average_pooling2d, max_pooling1d,
    max_pooling2d,
)
