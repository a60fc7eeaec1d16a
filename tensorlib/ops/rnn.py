"""Recurrent networks unrolled over a Python list of time steps: `tf.nn.static_rnn` and
`tf.nn.static_bidirectional_rnn`, as TF1's (scopes, reuse, sequence_length)."""
from tensorlib import dtypes as _dtypes
from tensorlib.util import nest
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, math_ops
from tensorlib.ops import variable_scope as vs
from tensorlib.ops.rnn_cell_impl import RNNCell, batch_zeros


def _check_cell(cell, name):
    if not isinstance(cell, RNNCell):
        raise TypeError(f"{name} must be an instance of RNNCell")


def _state_dtype(dtype, state):
    """`dtype`, or the dtype of the leaves of `state` (which must agree)."""
    if dtype is not None:
        return _dtypes.as_dtype(dtype)
    dtypes = {s.dtype for s in nest.flatten(state)}
    if len(dtypes) != 1:
        raise ValueError("State has tensors of different inferred_dtypes. Unable to infer a "
                         "single representative dtype. Dtypes received: "
                         f"{sorted(map(str, dtypes))}")
    return dtypes.pop()


def _batch_size(first_input):
    shape = first_input.shape
    if shape.ndims is not None and shape.ndims < 2:
        raise ValueError(f"Shape {shape} must have rank at least 2")
    fixed = shape.as_list()[0] if shape.ndims is not None else None
    return fixed if fixed is not None else array_ops.shape(first_input)[0]


def _sequence_length(sequence_length):
    sequence_length = math_ops.cast(sequence_length, _dtypes.int32)
    if sequence_length.shape.ndims not in (None, 1):
        raise ValueError("sequence_length must be a vector of length batch_size, but saw "
                         f"shape: {sequence_length.shape}")
    return array_ops.identity(sequence_length, name="sequence_length")


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """Creates a recurrent neural network specified by RNNCell `cell`.

    The simplest form of RNN network generated is:

        state = cell.zero_state(...)
        outputs = []
        for input_ in inputs:
            output, state = cell(input_, state)
            outputs.append(output)
        return (outputs, state)

    When `sequence_length` is given, the step of time t for batch row b computes, where
    t >= sequence_length[b], a zero output and copies the state through, so the final state
    is each row's state at its own length:

        (output, state)(b, t) = (t >= sequence_length(b))
            ? (zeros(cell.output_size), states(b, sequence_length(b) - 1))
            : cell(input(b, t), state(b, t - 1))

    Args:
      cell: An instance of RNNCell.
      inputs: A length T list of inputs, each a `Tensor` of shape `[batch_size, input_size]`.
      initial_state: (optional) An initial state for the RNN. If `cell.state_size` is an
        integer, this must be a `Tensor` of appropriate type and shape
        `[batch_size, cell.state_size]`. If `cell.state_size` is a tuple, this should be a
        tuple of tensors having shapes `[batch_size, s] for s in cell.state_size`.
      dtype: (optional) The data type for the initial state and expected output. Required if
        initial_state is not provided.
      sequence_length: Specifies the length of each sequence in inputs. An int32 or int64
        vector (tensor) size `[batch_size]`, values in `[0, T)`.
      scope: VariableScope for the created subgraph; defaults to "rnn".

    Returns:
      A pair (outputs, state) where:

      - outputs is a length T list of outputs (one for each input)
      - state is the final state

    Raises:
      TypeError: If `cell` is not an instance of RNNCell.
      ValueError: If `inputs` is `None` or an empty list, or if the input depth (column size)
        cannot be inferred from inputs via shape inference.
    """
    _check_cell(cell, "cell")
    if not nest.is_sequence(inputs):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    outputs = []
    with vs.variable_scope(scope or "rnn") as varscope:
        inputs = [convert_to_tensor(x) for x in inputs]
        batch_size = _batch_size(inputs[0])
        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If no initial_state is provided, dtype must be specified")
            state = cell.zero_state(batch_size, dtype)
        if sequence_length is not None:
            sequence_length = _sequence_length(sequence_length)
            zero_output = nest.map_structure(
                lambda size: batch_zeros(batch_size, size, _state_dtype(dtype, state)),
                cell.output_size)
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()
            output, new_state = cell(input_, state)
            if sequence_length is not None:
                # Rows past their length: zero output, the state copied through.
                done = math_ops.greater_equal(time, sequence_length)
                output = nest.map_structure(
                    lambda zero, new: _select_rows(done, zero, new), zero_output, output)
                new_state = nest.map_structure(
                    lambda old, new: _select_rows(done, old, new), state, new_state)
            state = new_state
            outputs.append(output)
        return outputs, state


def _select_rows(condition, if_true, if_false):
    """Rows of `if_true` where the [batch] `condition` holds, else of `if_false`."""
    out = math_ops.where(condition, if_true, if_false)
    out.set_shape(if_false.shape)
    return out


def _reverse_seq(input_seq, lengths):
    """The list of [batch, ...] steps reversed in time, each row b only in its first
    lengths[b] steps (the others stay where they are) when `lengths` is given."""
    if lengths is None:
        return list(reversed(input_seq))
    steps = len(input_seq)
    batch = array_ops.shape(input_seq[0])[0]
    rows = array_ops.range(batch)
    # Step t of row b comes from step lengths[b] - 1 - t, or t past the row's length.
    flat = array_ops.reshape(array_ops.stack(input_seq),
                             array_ops.concat([[-1], array_ops.shape(input_seq[0])[1:]], 0))
    out = []
    for t in range(steps):
        source = math_ops.where(math_ops.less(t, lengths), lengths - 1 - t,
                                array_ops.fill(array_ops.shape(lengths), t))
        step = array_ops.gather(flat, source * batch + rows)
        step.set_shape(input_seq[t].shape)
        out.append(step)
    return out


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None,
                             initial_state_bw=None, dtype=None, sequence_length=None,
                             scope=None):
    """Creates a bidirectional recurrent neural network.

    Similar to the unidirectional case above (rnn) but takes input and builds independent
    forward and backward RNNs with the final forward and backward outputs depth-concatenated,
    such that the output will have the format [time][batch][cell_fw.output_size +
    cell_bw.output_size]. The input_size of forward and backward cell must match. The initial
    state for both directions is zero by default (but can be set optionally) and no
    intermediate states are ever returned -- the network is fully unrolled for the given
    (passed in) length(s) of the sequence(s) or completely unrolled if length(s) is not given.

    Args:
      cell_fw: An instance of RNNCell, to be used for forward direction.
      cell_bw: An instance of RNNCell, to be used for backward direction.
      inputs: A length T list of inputs, each a tensor of shape [batch_size, input_size].
      initial_state_fw: (optional) An initial state for the forward RNN.
      initial_state_bw: (optional) Same as for `initial_state_fw`, but using the corresponding
        properties of `cell_bw`.
      dtype: (optional) The data type for the initial state.  Required if either of the
        initial states are not provided.
      sequence_length: (optional) An int32/int64 vector, size `[batch_size]`, containing the
        actual lengths for each of the sequences.
      scope: VariableScope for the created subgraph; defaults to "bidirectional_rnn"

    Returns:
      A tuple (outputs, output_state_fw, output_state_bw) where outputs is a length `T` list
      of outputs (one for each input), which are depth-concatenated forward and backward
      outputs, and output_state_fw, output_state_bw are the final states of the forward and
      backward rnn.

    Raises:
      TypeError: If `cell_fw` or `cell_bw` is not an instance of `RNNCell`.
      ValueError: If inputs is None or an empty list.
    """
    _check_cell(cell_fw, "cell_fw")
    _check_cell(cell_bw, "cell_bw")
    if not nest.is_sequence(inputs):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    with vs.variable_scope(scope or "bidirectional_rnn"):
        if sequence_length is not None:
            sequence_length = _sequence_length(sequence_length)
        with vs.variable_scope("fw") as fw_scope:
            output_fw, output_state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype,
                                                    sequence_length, scope=fw_scope)
        with vs.variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_seq([convert_to_tensor(x) for x in inputs],
                                           sequence_length)
            tmp, output_state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype,
                                              sequence_length, scope=bw_scope)
    output_bw = _reverse_seq(tmp, sequence_length)
    outputs = [array_ops.concat([fw, bw], 1) for fw, bw in zip(output_fw, output_bw)]
    return outputs, output_state_fw, output_state_bw
