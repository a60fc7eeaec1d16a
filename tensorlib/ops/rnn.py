"""Recurrent networks, as TF1's (scopes, reuse, sequence_length): unrolled over a Python list
of time steps (`tf.nn.static_rnn`, `static_bidirectional_rnn`), or one while_loop over the
steps (`tf.nn.dynamic_rnn`, `bidirectional_dynamic_rnn`, `raw_rnn`)."""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import tensor_shape
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, control_flow_ops, math_ops, tensor_array_ops
from tensorlib.ops import variable_scope as vs
from tensorlib.ops.rnn_cell_impl import RNNCell, batch_zeros
from tensorlib.util import nest


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
    reversed_steps = array_ops.reverse_sequence(array_ops.stack(input_seq), lengths,
                                                seq_axis=0, batch_axis=1)
    out = array_ops.unstack(reversed_steps, len(input_seq))
    for step, like in zip(out, input_seq):
        step.set_shape(like.shape)
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


# ---- one loop in the graph: dynamic_rnn, bidirectional_dynamic_rnn, raw_rnn -----------------

def _transpose_batch_time(x):
    """[batch, time, ...] <-> [time, batch, ...]."""
    if x.shape.ndims is None:
        raise ValueError(f"Expected input tensor {x.name} to have a known rank")
    if x.shape.ndims < 2:
        raise ValueError(f"Expected input tensor {x.name} to have rank at least 2, got "
                         f"{x.shape.ndims}")
    return array_ops.transpose(x, [1, 0] + list(range(2, x.shape.ndims)))


def _time_major_batch_size(x):
    dim = x.shape.as_list()[1]
    return dim if dim is not None else array_ops.shape(x)[1]


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False, scope=None):
    """Creates a recurrent neural network specified by RNNCell `cell`, as one tf.while_loop
    over the time steps: the number of steps is read from `inputs` when the graph runs.

    Args:
      cell: An instance of RNNCell.
      inputs: The RNN inputs: a tensor of shape `[batch_size, max_time, ...]` (or
        `[max_time, batch_size, ...]` when `time_major`), or a nested tuple of such tensors.
      sequence_length: (optional) An int32/int64 vector sized `[batch_size]`: past a row's
        length its outputs are zero and its state is copied through.
      initial_state: (optional) An initial state for the RNN.
      dtype: (optional) The data type for the initial state and expected output. Required if
        initial_state is not provided.
      parallel_iterations, swap_memory: accepted; the steps run one after another.
      time_major: The shape format of the `inputs` and `outputs` tensors.
      scope: VariableScope for the created subgraph; defaults to "rnn".

    Returns:
      A pair (outputs, state): `outputs` shaped `[batch_size, max_time, cell.output_size]`
      (`[max_time, batch_size, ...]` when `time_major`), `state` the final state.

    Raises:
      TypeError: If `cell` is not an instance of RNNCell.
      ValueError: If inputs is None or an empty list, or dtype and initial_state are both
        missing.
    """
    _check_cell(cell, "cell")
    with vs.variable_scope(scope or "rnn"):
        flat_inputs = [convert_to_tensor(x) for x in nest.flatten(inputs)]
        if not flat_inputs:
            raise ValueError("inputs must not be empty")
        if not time_major:
            flat_inputs = [_transpose_batch_time(x) for x in flat_inputs]
        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If there is no initial_state, you must give a dtype.")
            state = cell.zero_state(_time_major_batch_size(flat_inputs[0]), dtype)
        if sequence_length is not None:
            sequence_length = _sequence_length(sequence_length)
        outputs, state = _rnn_loop(cell, inputs, flat_inputs, state,
                                   _state_dtype(dtype, state), sequence_length,
                                   parallel_iterations, swap_memory)
        if not time_major:
            outputs = nest.map_structure(_transpose_batch_time, outputs)
        return outputs, state


def _rnn_loop(cell, inputs, flat_inputs, state, dtype, sequence_length, parallel_iterations,
              swap_memory):
    """The while_loop of dynamic_rnn over time-major `flat_inputs`: (outputs, final state)."""
    first = flat_inputs[0]
    time_steps = first.shape.as_list()[0]
    steps = array_ops.shape(first)[0]
    input_tas = [tensor_array_ops.TensorArray(x.dtype, size=steps, element_shape=x.shape[1:])
                 .unstack(x) for x in flat_inputs]
    output_tas = [tensor_array_ops.TensorArray(dtype, size=steps)
                  for _ in nest.flatten(cell.output_size)]
    flat_state = nest.flatten(state)

    def step(time, flat_state, output_tas):
        step_input = nest.pack_sequence_as(inputs, [ta.read(time) for ta in input_tas])
        output, new_state = cell(step_input, nest.pack_sequence_as(state, flat_state))
        flat_output, flat_new = nest.flatten(output), nest.flatten(new_state)
        if sequence_length is not None:
            # Rows past their length: zero output, the state copied through.
            done = math_ops.greater_equal(time, sequence_length)
            flat_output = [_select_rows(done, array_ops.zeros_like(o), o) for o in flat_output]
            flat_new = [_select_rows(done, old, new) for old, new in zip(flat_state, flat_new)]
        return (time + 1, flat_new,
                [ta.write(time, o) for ta, o in zip(output_tas, flat_output)])

    _, flat_state, output_tas = control_flow_ops.while_loop(
        lambda time, *_: time < steps, step,
        (array_ops.zeros([], _dtypes.int32, name="time"), flat_state, output_tas),
        parallel_iterations=parallel_iterations or 32, swap_memory=swap_memory)
    batch = first.shape.as_list()[1]
    outputs = []
    for ta, size in zip(output_tas, nest.flatten(cell.output_size)):
        out = ta.stack()
        out.set_shape([time_steps, batch] + tensor_shape.as_shape(size).as_list())
        outputs.append(out)
    return (nest.pack_sequence_as(cell.output_size, outputs),
            nest.pack_sequence_as(state, flat_state))


def _reverse_sequences(x, lengths, time_major):
    """`x` [batch, time, ...] (or time-major) with each row's first lengths[b] steps reversed
    (all steps when `lengths` is None)."""
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)
    if lengths is None:
        return array_ops.reverse(x, [time_axis])
    return array_ops.reverse_sequence(x, lengths, seq_axis=time_axis, batch_axis=batch_axis)


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None,
                              initial_state_fw=None, initial_state_bw=None, dtype=None,
                              parallel_iterations=None, swap_memory=False, time_major=False,
                              scope=None):
    """A forward and a backward dynamic_rnn over the same inputs (TF1's
    `tf.nn.bidirectional_dynamic_rnn`): the backward one reads each sequence reversed (within
    its `sequence_length`), and its outputs are reversed back.

    Returns:
      (outputs, output_states): `outputs` the pair (output_fw, output_bw), `output_states`
      the pair of final states.
    """
    _check_cell(cell_fw, "cell_fw")
    _check_cell(cell_bw, "cell_bw")
    with vs.variable_scope(scope or "bidirectional_rnn"):
        if sequence_length is not None:
            sequence_length = _sequence_length(sequence_length)
        with vs.variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(
                cell_fw, inputs, sequence_length, initial_state_fw, dtype, parallel_iterations,
                swap_memory, time_major, scope=fw_scope)
        with vs.variable_scope("bw") as bw_scope:
            reversed_inputs = nest.map_structure(
                lambda x: _reverse_sequences(convert_to_tensor(x), sequence_length, time_major),
                inputs)
            tmp, state_bw = dynamic_rnn(
                cell_bw, reversed_inputs, sequence_length, initial_state_bw, dtype,
                parallel_iterations, swap_memory, time_major, scope=bw_scope)
    output_bw = nest.map_structure(
        lambda x: _reverse_sequences(x, sequence_length, time_major), tmp)
    return (output_fw, output_bw), (state_fw, state_bw)


def raw_rnn(cell, loop_fn, parallel_iterations=None, swap_memory=False, scope=None):
    """An RNN whose inputs, stopping and emitted values `loop_fn` decides at every step
    (TF1's `tf.nn.raw_rnn`, what seq2seq decoders are built on).

    `loop_fn(time, cell_output, cell_state, loop_state)` returns
    `(finished, next_input, next_cell_state, emit_output, next_loop_state)`; it is called
    first with `cell_output=None` (its `next_cell_state` is then the initial state and its
    `emit_output` the structure of what is emitted, or None for the cell's output size). The
    loop runs while some row is not finished; finished rows emit zeros and keep their state.

    Returns:
      (emit_ta, final_state, final_loop_state): TensorArrays of the emitted values (one per
      leaf of the emit structure), the final cell state and the final loop state.
    """
    _check_cell(cell, "cell")
    if not callable(loop_fn):
        raise TypeError("loop_fn must be a callable")
    with vs.variable_scope(scope or "rnn"):
        time = array_ops.zeros([], _dtypes.int32, name="time")
        finished, next_input, state, emit_structure, loop_state = loop_fn(time, None, None,
                                                                          None)
        if state is None:
            raise ValueError("loop_fn must return the initial cell state when cell_output is "
                             "None")
        dtype = nest.flatten(state)[0].dtype
        if emit_structure is None:
            emit_structure = nest.map_structure(
                lambda size: array_ops.zeros(tensor_shape.as_shape(size).as_list(), dtype),
                cell.output_size)
        flat_emit_like = [convert_to_tensor(e) for e in nest.flatten(emit_structure)]
        emit_tas = [tensor_array_ops.TensorArray(e.dtype, size=0, dynamic_size=True)
                    for e in flat_emit_like]
        has_loop_state = loop_state is not None
        loop_vars = (time, convert_to_tensor(finished), next_input, state, emit_tas,
                     loop_state if has_loop_state else ())

        def cond(time, finished, *_):
            return math_ops.logical_not(math_ops.reduce_all(finished))

        def body(time, finished, current_input, state, emit_tas, loop_state):
            output, cell_state = cell(current_input, state)
            next_finished, next_input, next_state, emit, next_loop_state = loop_fn(
                time + 1, output, cell_state, loop_state if has_loop_state else None)
            if emit is None:
                emit = output
            flat_emit = [_select_rows(finished, array_ops.zeros_like(e), e)
                         for e in nest.flatten(emit)]
            next_state = nest.map_structure(lambda old, new: _select_rows(finished, old, new),
                                            state, next_state)
            emit_tas = [ta.write(time, e) for ta, e in zip(emit_tas, flat_emit)]
            return (time + 1, math_ops.logical_or(finished, next_finished), next_input,
                    next_state, emit_tas, next_loop_state if has_loop_state else ())

        _, _, _, state, emit_tas, loop_state = control_flow_ops.while_loop(
            cond, body, loop_vars, parallel_iterations=parallel_iterations or 32,
            swap_memory=swap_memory)
        emit_ta = nest.pack_sequence_as(emit_structure, emit_tas)
        return emit_ta, state, loop_state if has_loop_state else None
