"""`tf.nn.rnn_cell`: recurrent cells, as TF1's, with TF1's variable names and math.

A cell is a layer: it makes its variables in its own variable scope ("basic_lstm_cell",
"gru_cell", ...) under the scope it is first called in, and reuses them on every later call.
BasicLSTMCell, LSTMCell and GRUCell run each step as one fused op (see rnn_ops.py) when their
activation is tanh and their dtype float32 or float64, and from small ops otherwise.
"""
import collections
import numbers

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops, tensor_shape
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.layers import base as base_layer
from tensorlib.layers import utils as layer_utils
from tensorlib.ops import array_ops, init_ops, math_ops, nn_ops, random_ops, rnn_ops
from tensorlib.ops import variable_scope as vs
from tensorlib.util import nest

_BIAS_VARIABLE_NAME = "bias"
_WEIGHTS_VARIABLE_NAME = "kernel"


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """Tuple used by LSTM Cells for `state_size`, `zero_state`, and output state.

    Stores two elements: `(c, h)`, in that order. Where `c` is the hidden state and `h` is the
    output.

    Only used when `state_is_tuple=True`.
    """
    __slots__ = ()

    @property
    def dtype(self):
        (c, h) = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


def batch_zeros(batch_size, size, dtype):
    """zeros([batch_size, size]); batch_size an int or a scalar Tensor."""
    if isinstance(batch_size, ops.Tensor):
        z = array_ops.zeros(array_ops.stack([batch_size, size]), dtype)
        z.set_shape([None, size])
        return z
    return array_ops.zeros([batch_size, size], dtype)


def _activation(activation):
    """A cell's activation: tanh when None, a callable, or a Keras name ("linear": identity)."""
    if activation is None:
        return math_ops.tanh
    return layer_utils.get_activation(activation) or array_ops.identity


def _uses_fused_op(activation, dtype):
    """Whether a cell with this activation runs its steps on the fused ops: tanh (the ops'
    activation) in float32 or float64."""
    return activation is math_ops.tanh and dtype in (_dtypes.float32, _dtypes.float64)


class RNNCell(base_layer.Layer):
    """Abstract object representing an RNN cell.

    Every `RNNCell` must have the properties below and implement `call` with the signature
    `(output, next_state) = call(input, state)`.

    An RNN cell, in the most abstract setting, is anything that has a state and performs some
    operation that takes a matrix of inputs. This operation results in an output matrix with
    `self.output_size` columns. If `self.state_size` is an integer, this operation also
    results in a new state matrix with `self.state_size` columns. If `self.state_size` is a
    (possibly nested tuple of) integers, then it results in a tuple of matrices of those
    widths.
    """

    def __call__(self, inputs, state, scope=None):
        """Run this RNN cell on inputs, starting from the given state.

        Args:
          inputs: `2-D` tensor with shape `[batch_size, input_size]`.
          state: if `self.state_size` is an integer, this should be a `2-D Tensor` with shape
            `[batch_size, self.state_size]`. Otherwise, if `self.state_size` is a tuple of
            integers, this should be a tuple with shapes `[batch_size, s] for s in
            self.state_size`.
          scope: VariableScope for the created subgraph; defaults to class name.

        Returns:
          A pair containing:

          - Output: A `2-D` tensor with shape `[batch_size, self.output_size]`.
          - New state: Either a single `2-D` tensor, or a tuple of tensors matching the arity
            and shapes of `state`.
        """
        if scope is not None:
            with vs.variable_scope(scope) as scope:
                return super().__call__(inputs, state, scope=scope)
        return super().__call__(inputs, state)

    @property
    def state_size(self):
        """size(s) of state(s) used by this cell.

        It can be represented by an Integer, a TensorShape or a tuple of Integers or
        TensorShapes.
        """
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self):
        """Integer or TensorShape: size of outputs produced by this cell."""
        raise NotImplementedError("Abstract method")

    def zero_state(self, batch_size, dtype):
        """Return zero-filled state tensor(s).

        Args:
          batch_size: int, float, or unit Tensor representing the batch size.
          dtype: the data type to use for the state.

        Returns:
          If `state_size` is an int or TensorShape, then the return value is a `N-D` tensor of
          shape `[batch_size, state_size]` filled with zeros.

          If `state_size` is a nested list or tuple, then the return value is a nested list or
          tuple (of the same structure) of `2-D` tensors with the shapes
          `[batch_size, s]` for each s in `state_size`.
        """
        with ops.name_scope(type(self).__name__ + "ZeroState"):
            dtype = _dtypes.as_dtype(dtype)
            return nest.map_structure(lambda s: batch_zeros(batch_size, s, dtype), self.state_size)


class LayerRNNCell(RNNCell):
    """A cell whose variables are made in `build`, from the input's depth."""

    def _input_depth(self, inputs_shape):
        inputs_shape = tensor_shape.as_shape(inputs_shape)
        depth = inputs_shape.as_list()[-1] if inputs_shape.ndims else None
        if depth is None:
            raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: {inputs_shape}")
        return depth


class BasicRNNCell(LayerRNNCell):
    """The most basic RNN cell: output = new_state = act(W * [input, state] + B).

    Args:
      num_units: int, The number of units in the RNN cell.
      activation: Nonlinearity to use.  Default: `tanh`.
      reuse: (optional) Python boolean describing whether to reuse variables in an existing
        scope.  If not `True`, and the existing scope already has the given variables, an
        error is raised.
      name: String, the name of the layer. Layers with the same name will share weights, but
        to avoid mistakes we require reuse=True in such cases.
      dtype: Default dtype of the layer (default of `None` means use the type of the first
        input). Required when `build` is called before `call`.
    """

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype, _reuse=reuse)
        self._num_units = num_units
        self._activation = _activation(activation)

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = self._input_depth(inputs_shape)
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME,
                                       shape=[depth + self._num_units, self._num_units])
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, shape=[self._num_units],
                                     initializer=init_ops.zeros_initializer(dtype=self.dtype))
        self.built = True

    def call(self, inputs, state):
        gate_inputs = math_ops.matmul(array_ops.concat([inputs, state], 1), self._kernel)
        output = self._activation(nn_ops.bias_add(gate_inputs, self._bias))
        return output, output


class GRUCell(LayerRNNCell):
    """Gated Recurrent Unit cell (cf. http://arxiv.org/abs/1406.1078).

        r, u = sigmoid([inputs, state] * gates/kernel + gates/bias)
        c = activation([inputs, r * state] * candidate/kernel + candidate/bias)
        new_h = u * state + (1 - u) * c

    Args:
      num_units: int, The number of units in the GRU cell.
      activation: Nonlinearity to use.  Default: `tanh`.
      reuse: (optional) Python boolean describing whether to reuse variables in an existing
        scope.  If not `True`, and the existing scope already has the given variables, an
        error is raised.
      kernel_initializer: (optional) The initializer to use for the weight and projection
        matrices.
      bias_initializer: (optional) The initializer to use for the bias (ones for the gates,
        zeros for the candidate when None).
      name: String, the name of the layer. Layers with the same name will share weights, but
        to avoid mistakes we require reuse=True in such cases.
      dtype: Default dtype of the layer (default of `None` means use the type of the first
        input). Required when `build` is called before `call`.
    """

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype, _reuse=reuse)
        self._num_units = num_units
        self._activation = _activation(activation)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = self._input_depth(inputs_shape)
        n = self._num_units
        self._gate_kernel = self.add_weight("gates/" + _WEIGHTS_VARIABLE_NAME,
                                            shape=[depth + n, 2 * n],
                                            initializer=self._kernel_initializer)
        self._gate_bias = self.add_weight(
            "gates/" + _BIAS_VARIABLE_NAME, shape=[2 * n],
            initializer=self._bias_initializer or init_ops.constant_initializer(
                1.0, dtype=self.dtype))
        self._candidate_kernel = self.add_weight("candidate/" + _WEIGHTS_VARIABLE_NAME,
                                                 shape=[depth + n, n],
                                                 initializer=self._kernel_initializer)
        self._candidate_bias = self.add_weight(
            "candidate/" + _BIAS_VARIABLE_NAME, shape=[n],
            initializer=self._bias_initializer or init_ops.zeros_initializer(dtype=self.dtype))
        self.built = True

    def call(self, inputs, state):
        if _uses_fused_op(self._activation, inputs.dtype):
            new_h = rnn_ops.gru_block_cell(inputs, state, self._gate_kernel,
                                           self._candidate_kernel, self._gate_bias,
                                           self._candidate_bias)[3]
            return new_h, new_h
        gate_inputs = nn_ops.bias_add(
            math_ops.matmul(array_ops.concat([inputs, state], 1), self._gate_kernel),
            self._gate_bias)
        r, u = array_ops.split(math_ops.sigmoid(gate_inputs), 2, axis=1)
        candidate = nn_ops.bias_add(
            math_ops.matmul(array_ops.concat([inputs, r * state], 1), self._candidate_kernel),
            self._candidate_bias)
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


def _split_lstm_state(state, state_is_tuple, c_size):
    if state_is_tuple:
        return state
    return state[:, :c_size], state[:, c_size:]


def _join_lstm_state(c, h, state_is_tuple):
    return LSTMStateTuple(c, h) if state_is_tuple else array_ops.concat([c, h], 1)


class BasicLSTMCell(LayerRNNCell):
    """Basic LSTM recurrent network cell (http://arxiv.org/abs/1409.2329).

    We add forget_bias (default: 1) to the biases of the forget gate in order to reduce the
    scale of forgetting in the beginning of the training. It does not allow cell clipping, a
    projection layer, and does not use peep-hole connections: it is the basic baseline (see
    `LSTMCell` for those).

        i, j, f, o = split([inputs, h] * kernel + bias, 4, axis=1)
        new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * activation(j)
        new_h = activation(new_c) * sigmoid(o)

    Args:
      num_units: int, The number of units in the LSTM cell.
      forget_bias: float, The bias added to forget gates.
      state_is_tuple: If True, accepted and returned states are 2-tuples of the `c_state`
        and `m_state`. If False, they are concatenated along the column axis.
      activation: Activation function of the inner states.  Default: `tanh`.
      reuse: (optional) Python boolean describing whether to reuse variables in an existing
        scope.  If not `True`, and the existing scope already has the given variables, an
        error is raised.
      name: String, the name of the layer. Layers with the same name will share weights, but
        to avoid mistakes we require reuse=True in such cases.
      dtype: Default dtype of the layer (default of `None` means use the type of the first
        input). Required when `build` is called before `call`.
    """

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype, _reuse=reuse)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = self._input_depth(inputs_shape)
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME,
                                       shape=[depth + self._num_units, 4 * self._num_units])
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, shape=[4 * self._num_units],
                                     initializer=init_ops.zeros_initializer(dtype=self.dtype))
        self.built = True

    def call(self, inputs, state):
        c, h = _split_lstm_state(state, self._state_is_tuple, self._num_units)
        if _uses_fused_op(self._activation, inputs.dtype):
            step = rnn_ops.lstm_block_cell(inputs, c, h, self._kernel, self._bias,
                                           forget_bias=self._forget_bias)
            new_c, new_h = step[1], step[6]
        else:
            gate_inputs = nn_ops.bias_add(
                math_ops.matmul(array_ops.concat([inputs, h], 1), self._kernel), self._bias)
            i, j, f, o = array_ops.split(gate_inputs, 4, axis=1)
            sigmoid = math_ops.sigmoid
            new_c = c * sigmoid(f + self._forget_bias) + sigmoid(i) * self._activation(j)
            new_h = self._activation(new_c) * sigmoid(o)
        return new_h, _join_lstm_state(new_c, new_h, self._state_is_tuple)


class LSTMCell(LayerRNNCell):
    """Long short-term memory unit (LSTM) recurrent network cell.

    The default non-peephole implementation is based on
    http://www.bioinf.jku.at/publications/older/2604.pdf (S. Hochreiter and J. Schmidhuber,
    1997); the peephole implementation on https://research.google.com/pubs/archive/43905.pdf
    (H. Sak, A. Senior, F. Beaufays, 2014), with an optional projection layer.

        i, j, f, o = split([inputs, m_prev] * kernel + bias, 4, axis=1)
        c = sigmoid(f + forget_bias + w_f_diag * c_prev) * c_prev
            + sigmoid(i + w_i_diag * c_prev) * activation(j)      (clipped to cell_clip)
        m = sigmoid(o + w_o_diag * c) * activation(c)             (then projected, clipped)

    Args:
      num_units: int, The number of units in the LSTM cell.
      use_peepholes: bool, set True to enable diagonal/peephole connections.
      cell_clip: (optional) A float value, if provided the cell state is clipped by this
        value prior to the cell output activation.
      initializer: (optional) The initializer to use for the weight and projection matrices.
      num_proj: (optional) int, The output dimensionality for the projection matrices.  If
        None, no projection is performed.
      proj_clip: (optional) A float value.  If `num_proj > 0` and `proj_clip` is provided, then
        the projected values are clipped elementwise to within `[-proj_clip, proj_clip]`.
      forget_bias: Biases of the forget gate are initialized by default to 1 in order to
        reduce the scale of forgetting at the beginning of the training.
      state_is_tuple: If True, accepted and returned states are 2-tuples of the `c_state` and
        `m_state`.  If False, they are concatenated along the column axis.
      activation: Activation function of the inner states.  Default: `tanh`.
      reuse: (optional) Python boolean describing whether to reuse variables in an existing
        scope.  If not `True`, and the existing scope already has the given variables, an
        error is raised.
      name: String, the name of the layer. Layers with the same name will share weights, but
        to avoid mistakes we require reuse=True in such cases.
      dtype: Default dtype of the layer (default of `None` means use the type of the first
        input). Required when `build` is called before `call`.
    """

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, forget_bias=1.0, state_is_tuple=True,
                 activation=None, reuse=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype, _reuse=reuse)
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)

    @property
    def state_size(self):
        m = self._num_proj or self._num_units
        if self._state_is_tuple:
            return LSTMStateTuple(self._num_units, m)
        return self._num_units + m

    @property
    def output_size(self):
        return self._num_proj or self._num_units

    def build(self, inputs_shape):
        depth = self._input_depth(inputs_shape)
        n = self._num_units
        h_depth = self._num_proj or n
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, shape=[depth + h_depth, 4 * n],
                                       initializer=self._initializer)
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, shape=[4 * n],
                                     initializer=init_ops.zeros_initializer(dtype=self.dtype))
        if self._use_peepholes:
            self._w_f_diag = self.add_weight("w_f_diag", shape=[n], initializer=self._initializer)
            self._w_i_diag = self.add_weight("w_i_diag", shape=[n], initializer=self._initializer)
            self._w_o_diag = self.add_weight("w_o_diag", shape=[n], initializer=self._initializer)
        if self._num_proj is not None:
            self._proj_kernel = self.add_weight("projection/" + _WEIGHTS_VARIABLE_NAME,
                                                shape=[n, self._num_proj],
                                                initializer=self._initializer)
        self.built = True

    def call(self, inputs, state):
        c_prev, m_prev = _split_lstm_state(state, self._state_is_tuple, self._num_units)
        if _uses_fused_op(self._activation, inputs.dtype):
            peepholes = ((self._w_i_diag, self._w_f_diag, self._w_o_diag)
                         if self._use_peepholes else (None, None, None))
            step = rnn_ops.lstm_block_cell(inputs, c_prev, m_prev, self._kernel, self._bias,
                                           *peepholes, forget_bias=self._forget_bias,
                                           cell_clip=self._cell_clip,
                                           use_peephole=self._use_peepholes)
            c, m = step[1], step[6]
        else:
            c, m = self._small_op_step(inputs, c_prev, m_prev)
        if self._num_proj is not None:
            m = math_ops.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = math_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        return m, _join_lstm_state(c, m, self._state_is_tuple)

    def _small_op_step(self, inputs, c_prev, m_prev):
        """(c, m) before the projection, from small ops (for activations other than tanh)."""
        sigmoid = math_ops.sigmoid
        lstm_matrix = nn_ops.bias_add(
            math_ops.matmul(array_ops.concat([inputs, m_prev], 1), self._kernel), self._bias)
        i, j, f, o = array_ops.split(lstm_matrix, 4, axis=1)
        if self._use_peepholes:
            c = (sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev
                 + sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = math_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        return c, m


class _CellOfCells(RNNCell):
    """A cell made of other cells (`_sub_cells`): its variables are theirs."""

    @property
    def trainable_weights(self):
        return [w for cell in self._sub_cells for w in cell.trainable_weights]

    @property
    def non_trainable_weights(self):
        return [w for cell in self._sub_cells for w in cell.non_trainable_weights]

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights


class MultiRNNCell(_CellOfCells):
    """RNN cell composed sequentially of multiple simple cells.

    Example:

        num_units = [128, 64]
        cells = [BasicLSTMCell(num_units=n) for n in num_units]
        stacked_rnn_cell = MultiRNNCell(cells)

    Args:
      cells: list of RNNCells that will be composed in this order.
      state_is_tuple: If True, accepted and returned states are n-tuples, where
        `n = len(cells)`.  If False, the states are all concatenated along the column axis.

    Raises:
      ValueError: if cells is empty (not allowed), or at least one of the cells returns a
        state tuple but the flag `state_is_tuple` is `False`.
    """

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not nest.is_sequence(cells):
            raise TypeError(f"cells must be a list or tuple, but saw: {cells}.")
        self._cells = self._sub_cells = list(cells)
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(nest.is_sequence(c.state_size) for c in self._cells):
            raise ValueError("Some cells return tuples of states, but the flag "
                             "state_is_tuple is not set.  State sizes are: "
                             f"{[c.state_size for c in self._cells]}")

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        with ops.name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return super().zero_state(batch_size, dtype)

    def call(self, inputs, state):
        cur_state_pos = 0
        cur_inp = inputs
        new_states = []
        for i, cell in enumerate(self._cells):
            with vs.variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not nest.is_sequence(state):
                        raise ValueError(f"Expected state to be a tuple of length "
                                         f"{len(self.state_size)}, but received: {state}")
                    cur_state = state[i]
                else:
                    cur_state = state[:, cur_state_pos:cur_state_pos + cell.state_size]
                    cur_state_pos += cell.state_size
                cur_inp, new_state = cell(cur_inp, cur_state)
                new_states.append(new_state)
        if self._state_is_tuple:
            return cur_inp, tuple(new_states)
        return cur_inp, array_ops.concat(new_states, 1)


class _RNNCellWrapper(_CellOfCells):
    """A cell around another: it calls the wrapped cell in the caller's scope (no scope of its
    own, so the variables are those the wrapped cell alone would have) and changes what goes
    in or comes out."""

    def __init__(self, cell):
        super().__init__()
        if not isinstance(cell, RNNCell):
            raise TypeError(f"The parameter cell is not a RNNCell: {cell}")
        self._cell = cell
        self._sub_cells = [cell]

    @property
    def wrapped_cell(self):
        return self._cell

    @property
    def state_size(self):
        return self._cell.state_size

    @property
    def output_size(self):
        return self._cell.output_size

    def zero_state(self, batch_size, dtype):
        with ops.name_scope(type(self).__name__ + "ZeroState"):
            return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        return self._call_wrapped_cell(inputs, state, scope)


def _depths(size):
    """The dims of one leaf of a state or input size: an int or a TensorShape."""
    if isinstance(size, numbers.Integral):
        return [int(size)]
    return tensor_shape.as_shape(size).as_list()


def _default_dropout_state_filter_visitor(substate):
    # An LSTM's cell state c is not dropped, only its output h.
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    return True


class DropoutWrapper(_RNNCellWrapper):
    """Operator adding dropout to inputs and outputs of the given cell.

    Args:
      cell: an RNNCell.
      input_keep_prob: unit Tensor or float between 0 and 1, input keep probability; if it is
        constant and 1, no input dropout will be added.
      output_keep_prob: unit Tensor or float between 0 and 1, output keep probability; if it
        is constant and 1, no output dropout will be added.
      state_keep_prob: unit Tensor or float between 0 and 1, output keep probability; if it
        is constant and 1, no output dropout will be added. State dropout is performed on the
        outgoing states of the cell (by default on the `h` of LSTM states, never on `c`; see
        `dropout_state_filter_visitor`).
      variational_recurrent: Python bool.  If `True`, then the same dropout pattern is applied
        across all time steps per run call (one mask per feature, shared by the batch, drawn
        anew at each `Session.run`). If this parameter is set, `input_size` must be provided
        (when inputs are dropped) and `dtype` always.
      input_size: (optional) (possibly nested tuple of) `TensorShape` objects or ints: the
        depth(s) of the inputs. Required and used iff `variational_recurrent = True` and
        `input_keep_prob < 1`.
      dtype: (optional) The `dtype` of the input, state, and output tensors. Required and used
        iff `variational_recurrent = True`.
      seed: (optional) integer, the randomness seed.
      dropout_state_filter_visitor: (optional) a function of a substate of the state that
        returns True (drop it), False (keep it) or, for a tuple, a tuple of such flags.

    Raises:
      TypeError: if `cell` is not an `RNNCell`.
      ValueError: if any of the keep_probs are not between 0 and 1, or `variational_recurrent`
        lacks `dtype` or `input_size`.
    """

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None):
        super().__init__(cell)
        if dropout_state_filter_visitor is not None and not callable(
                dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable")
        self._dropout_state_filter = (dropout_state_filter_visitor
                                      or _default_dropout_state_filter_visitor)
        self._seed = seed
        for prob, attr in ((input_keep_prob, "input"), (state_keep_prob, "state"),
                           (output_keep_prob, "output")):
            if isinstance(prob, numbers.Real) and not 0 <= prob <= 1:
                raise ValueError(f"Parameter {attr}_keep_prob must be between 0 and 1: {prob}")
            setattr(self, f"_{attr}_keep_prob", prob)
        # Variational dropout: the uniform noise of each leaf of the inputs (salt 0), the state
        # (1) and the output (2), [1, depth], drawn once per run and used at every step.
        self._noise = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")
            sizes = {1: cell.state_size, 2: cell.output_size}
            if self._should_dropout(input_keep_prob):
                if input_size is None:
                    raise ValueError("When variational_recurrent=True and input_keep_prob < "
                                     "1.0 or is unknown, input_size must be provided")
                sizes[0] = input_size
            self._noise = {salt: [random_ops.random_uniform([1] + _depths(size),
                                                            seed=self._leaf_seed(salt, i),
                                                            dtype=dtype)
                                  for i, size in enumerate(nest.flatten(structure))]
                           for salt, structure in sizes.items()}

    def _leaf_seed(self, salt, i):
        """The seed of leaf i of the inputs (salt 0), the state (1) or the output (2)."""
        return None if self._seed is None else self._seed + 1000 * salt + i

    def _dropout(self, values, salt, keep_prob, flags=None):
        """`values` (a structure) with dropout on the leaves whose flag is True (all when
        `flags` is None)."""
        flat = nest.flatten(values)
        flags = flags or [True] * len(flat)
        out = []
        for i, (v, drop) in enumerate(zip(flat, flags)):
            if drop and self._noise is not None:
                # floor(keep_prob + u) is 1 with probability keep_prob, else 0.
                keep = math_ops.floor(keep_prob + self._noise[salt][i])
                v = math_ops.truediv(v, keep_prob) * keep
            elif drop:
                v = nn_ops.dropout(v, keep_prob=keep_prob, seed=self._leaf_seed(salt, i))
            out.append(v)
        return nest.pack_sequence_as(values, out)

    @staticmethod
    def _should_dropout(p):
        return not isinstance(p, numbers.Real) or p < 1

    def _state_drop_flags(self, state):
        """One flag per leaf of `state` (in flatten's order): whether state dropout applies to
        it. The visitor is applied from the top, as TF applies it: on a structure, True (or a
        True entry of the structure it returns) means look inside, False leave it all."""
        flags = self._dropout_state_filter(state)
        if not nest.is_sequence(state):
            return [bool(flags)]
        if isinstance(flags, bool):
            flags = [flags] * len(state)
        out = []
        for s, f in zip(state, flags):
            out += self._state_drop_flags(s) if f else [False] * len(nest.flatten(s))
        return out

    def _call_wrapped_cell(self, inputs, state, scope):
        if self._should_dropout(self._input_keep_prob):
            inputs = self._dropout(convert_to_tensor(inputs), 0, self._input_keep_prob)
        output, new_state = self._cell(inputs, state, scope=scope)
        if self._should_dropout(self._state_keep_prob):
            new_state = self._dropout(new_state, 1, self._state_keep_prob,
                                      self._state_drop_flags(new_state))
        if self._should_dropout(self._output_keep_prob):
            output = self._dropout(output, 2, self._output_keep_prob)
        return output, new_state


class ResidualWrapper(_RNNCellWrapper):
    """RNNCell wrapper that ensures cell inputs are added to the outputs.

    Args:
      cell: An instance of `RNNCell`.
      residual_fn: (Optional) The function to map raw cell inputs and raw cell outputs to the
        actual cell outputs of the residual network. Defaults to calling nest.map_structure on
        (lambda i, o: i + o), inputs and outputs.
    """

    def __init__(self, cell, residual_fn=None):
        super().__init__(cell)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs, state, scope):
        output, new_state = self._cell(inputs, state, scope=scope)

        def default_residual_fn(inputs, outputs):
            def add(inp, out):
                inp, out = convert_to_tensor(inp), convert_to_tensor(out)
                inp.shape.assert_is_compatible_with(out.shape)
                return inp + out
            return nest.map_structure(add, inputs, outputs)

        return (self._residual_fn or default_residual_fn)(inputs, output), new_state


class DeviceWrapper(_RNNCellWrapper):
    """Operator that ensures an RNNCell runs on a particular device.

    Args:
      cell: An instance of `RNNCell`.
      device: A device string or function, for passing to `tf.device`.
    """

    def __init__(self, cell, device):
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size, dtype):
        with ops.name_scope(type(self).__name__ + "ZeroState"), ops.device(self._device):
            return self._cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs, state, scope):
        with ops.device(self._device):
            return self._cell(inputs, state, scope=scope)
