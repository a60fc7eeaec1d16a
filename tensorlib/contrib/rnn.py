"""`tf.contrib.rnn`: the recurrent cells and static RNNs of `tf.nn`, under TF1's contrib
names (`from tensorflow.contrib import rnn`)."""
from tensorlib.ops.rnn import static_bidirectional_rnn, static_rnn  # noqa: F401
from tensorlib.ops.rnn_cell_impl import (  # noqa: F401
    BasicLSTMCell, BasicRNNCell, DeviceWrapper, DropoutWrapper, GRUCell, LSTMCell, LSTMStateTuple,
    MultiRNNCell, ResidualWrapper, RNNCell,
)
