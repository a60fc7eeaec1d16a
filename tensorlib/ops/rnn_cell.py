"""`tf.nn.rnn_cell`: the recurrent cells (defined in rnn_cell_impl.py)."""
from tensorlib.ops.rnn_cell_impl import (  # noqa: F401
    BasicLSTMCell, BasicRNNCell, DeviceWrapper, DropoutWrapper, GRUCell, LSTMCell, LSTMStateTuple,
    MultiRNNCell, ResidualWrapper, RNNCell,
)
