"""The fused recurrent-cell steps (TF's LSTMBlockCell and GRUBlockCell ops) and their
gradient rules. The cells of `tf.nn.rnn_cell` call these; see src/ops/rnn_ops.cc for the math.

Weights follow tf.nn.rnn_cell's layout: `w` is [input_size + units, gates * units], its first
input_size rows multiplying x, and the gates of an LSTM are ordered i, j (ci), f, o.
"""
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, control_flow_ops, gradients_impl, math_ops
from tensorlib.ops.nn_ops import _is_zeros

# A loop over these steps (dynamic_rnn) keeps their gate values for the backward pass, which
# then runs the gradient kernels without computing the steps again.
control_flow_ops.keep_in_loops("LSTMBlockCell")
control_flow_ops.keep_in_loops("GRUBlockCell")


def _lstm_attrs(op):
    return {"forget_bias": array_ops._attr(op, "forget_bias", 1.0),
            "cell_clip": array_ops._attr(op, "cell_clip", -1.0),
            "use_peephole": array_ops._attr(op, "use_peephole", False)}


def lstm_block_cell(x, cs_prev, h_prev, w, b, wci=None, wcf=None, wco=None, forget_bias=1.0,
                    cell_clip=None, use_peephole=False, name=None):
    """One LSTM step as one op:

        i, ci, f, o = split([x, h_prev] * w + b, 4, axis=1)
        i = sigmoid(i + cs_prev * wci); f = sigmoid(f + forget_bias + cs_prev * wcf)
        cs = clip(tanh(ci) * i + cs_prev * f, cell_clip); o = sigmoid(o + cs * wco)
        h = tanh(cs) * o

    (the peephole terms with wci, wcf, wco only when `use_peephole`; no clip when `cell_clip`
    is None).

    Args:
      x: [batch, input_size], float32 or float64.
      cs_prev, h_prev: [batch, units], the previous cell state and output.
      w: [input_size + units, 4 * units]; b: [4 * units].
      wci, wcf, wco: [units] peephole weights, needed when `use_peephole`.
      forget_bias: added to the forget gate's pre-activation.
      cell_clip: clips the cell state to [-cell_clip, cell_clip] when not None.
      name: a name for the operation (optional).

    Returns:
      (i, cs, f, o, ci, co, h), each [batch, units]: the gates after their activations, the
      new cell state, its tanh, and the new output.
    """
    if use_peephole and (wci is None or wcf is None or wco is None):
        raise ValueError("use_peephole needs the peephole weights wci, wcf and wco")
    with ops.name_scope(name, "LSTMBlockCell", [x, cs_prev, h_prev, w, b]) as scope:
        x = convert_to_tensor(x, name="x")
        dtype = x.dtype
        inputs = [x] + [convert_to_tensor(t, dtype=dtype) for t in (cs_prev, h_prev, w)]
        if use_peephole:
            inputs += [convert_to_tensor(t, dtype=dtype) for t in (wci, wcf, wco)]
        else:
            inputs += [array_ops.zeros([0], dtype)] * 3  # not read
        inputs.append(convert_to_tensor(b, dtype=dtype))
        attrs = {"forget_bias": float(forget_bias),
                 "cell_clip": -1.0 if cell_clip is None else float(cell_clip),
                 "use_peephole": bool(use_peephole)}
        return tuple(ops.apply_op("LSTMBlockCell", inputs, attrs, name=scope).outputs)


def _unused_as_empty(grads, dtype):
    """The gradients of outputs, an empty tensor (zeros to the gradient ops) in place of the
    zeros the gradient driver gives an output the loss does not use."""
    return [array_ops.zeros([0], dtype) if _is_zeros(g) else g for g in grads]


def _as_zeros(t, like):
    """t, or zeros of like's shape when t is empty (a gradient op's way of giving zeros)."""
    empty = t.shape.ndims == 1 and t.shape.as_list() == [0]
    return array_ops.zeros_like(like) if empty else t


@ops.RegisterGradient("LSTMBlockCell")
def _lstm_block_cell_grad(op, i_grad, cs_grad, f_grad, o_grad, ci_grad, co_grad, h_grad):
    dtype = op.inputs[0].dtype
    i_grad, f_grad, o_grad, ci_grad, co_grad = _unused_as_empty(
        [i_grad, f_grad, o_grad, ci_grad, co_grad], dtype)
    grads = [i_grad, cs_grad, f_grad, o_grad, ci_grad, co_grad, h_grad]
    inputs = list(op.inputs) + list(op.outputs[:6]) + grads
    return ops.apply_op("LSTMBlockCellGrad", inputs, _lstm_attrs(op)).outputs


def _lstm_block_cell_grad_math(inputs, cell_clip, use_peephole):
    """LSTMBlockCellGrad's outputs built from small ops, for its own gradient rule."""
    (x, cs_prev, h_prev, w, wci, wcf, wco, _, i, cs, f, o, ci, co,
     i_grad, cs_grad, f_grad, o_grad, ci_grad, co_grad, h_grad) = inputs
    i_grad, f_grad, o_grad, ci_grad, co_grad = [
        _as_zeros(g, cs) for g in (i_grad, f_grad, o_grad, ci_grad, co_grad)]
    d_o = (h_grad * co + o_grad) * o * (1 - o)
    dcs = cs_grad + (h_grad * o + co_grad) * (1 - co * co)
    if use_peephole:
        dcs += d_o * wco
    if cell_clip >= 0:
        inside = math_ops.less_equal(math_ops.abs(ci * i + cs_prev * f), cell_clip)
        dcs = math_ops.where_v2(inside, dcs, array_ops.zeros_like(dcs))
    d_i = (dcs * ci + i_grad) * i * (1 - i)
    d_ci = (dcs * i + ci_grad) * (1 - ci * ci)
    d_f = (dcs * cs_prev + f_grad) * f * (1 - f)
    cs_prev_grad = dcs * f
    if use_peephole:
        cs_prev_grad += d_i * wci + d_f * wcf
        peephole_grads = [math_ops.reduce_sum(d * v, 0) for d, v in
                          ((d_i, cs_prev), (d_f, cs_prev), (d_o, cs))]
    else:
        peephole_grads = [array_ops.zeros_like(v) for v in (wci, wcf, wco)]
    d_pre = array_ops.concat([d_i, d_ci, d_f, d_o], 1)
    input_size = array_ops.shape(x)[1]
    xh_grad = math_ops.matmul(d_pre, w, transpose_b=True)
    w_grad = math_ops.matmul(array_ops.concat([x, h_prev], 1), d_pre, transpose_a=True)
    return ([xh_grad[:, :input_size], cs_prev_grad, xh_grad[:, input_size:], w_grad]
            + peephole_grads + [math_ops.reduce_sum(d_pre, 0)])


def _second_order(math, attrs):
    """The rule of a fused gradient op: its outputs rebuilt from small ops over copies of its
    inputs (so that paths between the inputs themselves are not followed) and differentiated."""
    def rule(op, *grads):
        copies = [array_ops.identity(t) for t in op.inputs]
        outputs = math(copies, **attrs(op))
        used = [(y, g) for y, g in zip(outputs, grads) if g is not None]
        in_grads = gradients_impl.densify(gradients_impl.gradients(
            [y for y, _ in used], copies, grad_ys=[g for _, g in used]))
        return [array_ops.zeros_like(t) if g is None else g for t, g in zip(op.inputs, in_grads)]
    return rule


ops.RegisterGradient("LSTMBlockCellGrad")(_second_order(
    _lstm_block_cell_grad_math,
    lambda op: {k: v for k, v in _lstm_attrs(op).items() if k != "forget_bias"}))


def gru_block_cell(x, h_prev, w_ru, w_c, b_ru, b_c, name=None):
    """One GRU step as one op:

        r, u = split(sigmoid([x, h_prev] * w_ru + b_ru), 2, axis=1)
        c = tanh([x, r * h_prev] * w_c + b_c)
        h = u * h_prev + (1 - u) * c

    Args:
      x: [batch, input_size], float32 or float64.
      h_prev: [batch, units], the previous state.
      w_ru: [input_size + units, 2 * units]; w_c: [input_size + units, units].
      b_ru: [2 * units]; b_c: [units].
      name: a name for the operation (optional).

    Returns:
      (r, u, c, h), each [batch, units]: the reset and update gates, the candidate and the new
      state.
    """
    with ops.name_scope(name, "GRUBlockCell", [x, h_prev, w_ru, w_c, b_ru, b_c]) as scope:
        x = convert_to_tensor(x, name="x")
        inputs = [x] + [convert_to_tensor(t, dtype=x.dtype) for t in (h_prev, w_ru, w_c, b_ru,
                                                                      b_c)]
        return tuple(ops.apply_op("GRUBlockCell", inputs, name=scope).outputs)


@ops.RegisterGradient("GRUBlockCell")
def _gru_block_cell_grad(op, r_grad, u_grad, c_grad, h_grad):
    grads = _unused_as_empty([r_grad, u_grad, c_grad], op.inputs[0].dtype) + [h_grad]
    inputs = list(op.inputs) + list(op.outputs[:3]) + grads
    return ops.apply_op("GRUBlockCellGrad", inputs).outputs


def _gru_block_cell_grad_math(inputs):
    """GRUBlockCellGrad's outputs built from small ops, for its own gradient rule."""
    x, h_prev, w_ru, w_c, _, _, r, u, c, r_grad, u_grad, c_grad, h_grad = inputs
    r_grad, u_grad, c_grad = [_as_zeros(g, c) for g in (r_grad, u_grad, c_grad)]
    dc = (h_grad * (1 - u) + c_grad) * (1 - c * c)
    input_size = array_ops.shape(x)[1]
    xrh_grad = math_ops.matmul(dc, w_c, transpose_b=True)
    d_rh = xrh_grad[:, input_size:]
    d_ru = array_ops.concat([(d_rh * h_prev + r_grad) * r * (1 - r),
                             (h_grad * (h_prev - c) + u_grad) * u * (1 - u)], 1)
    xh_grad = math_ops.matmul(d_ru, w_ru, transpose_b=True)
    return [xrh_grad[:, :input_size] + xh_grad[:, :input_size],
            d_rh * r + h_grad * u + xh_grad[:, input_size:],
            math_ops.matmul(array_ops.concat([x, h_prev], 1), d_ru, transpose_a=True),
            math_ops.matmul(array_ops.concat([x, r * h_prev], 1), dc, transpose_a=True),
            math_ops.reduce_sum(d_ru, 0), math_ops.reduce_sum(dc, 0)]


ops.RegisterGradient("GRUBlockCellGrad")(_second_order(_gru_block_cell_grad_math,
                                                       lambda op: {}))
