"""The fused recurrent-cell ops against NumPy: one line of OPS and GRADS per op and case (see
op_testing.py). Multi-output ops are checked through all their outputs, flattened and
concatenated."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op, run_with_threads, run_with_vector_widths, runnable_gemm_kernels
from tensorlib.framework import ops
from tensorlib.ops import rnn_ops

BATCH, INPUT, UNITS = 3, 4, 5
LSTM_SHAPES = [(BATCH, INPUT), (BATCH, UNITS), (BATCH, UNITS), (INPUT + UNITS, 4 * UNITS),
               (4 * UNITS,), (UNITS,), (UNITS,), (UNITS,)]  # the last 3: peephole weights
# h_prev of another width than the units (an LSTMCell's projection): 3.
PROJECTED_LSTM_SHAPES = [(BATCH, INPUT), (BATCH, UNITS), (BATCH, 3), (INPUT + 3, 4 * UNITS),
                         (4 * UNITS,), (UNITS,), (UNITS,), (UNITS,)]
GRU_SHAPES = [(BATCH, INPUT), (BATCH, UNITS), (INPUT + UNITS, 2 * UNITS),
              (INPUT + UNITS, UNITS), (2 * UNITS,), (UNITS,)]
SMALL = {"batch": 2, "input": 3, "units": 2}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _flat(*arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def _flat_tensors(tensors):
    return tf.concat([tf.reshape(t, [-1]) for t in tensors], 0)


# ---- NumPy references ----

def lstm_step(x, cs_prev, h_prev, w, b, wci, wcf, wco, forget_bias=1.0, cell_clip=None,
              use_peephole=False):
    """(i, cs, f, o, ci, co, h) of one LSTMBlockCell step."""
    pre = np.concatenate([x, h_prev], 1) @ w + b
    i, ci, f, o = np.split(pre, 4, axis=1)
    if use_peephole:
        i, f = i + cs_prev * wci, f + cs_prev * wcf
    i, f, ci = _sigmoid(i), _sigmoid(f + forget_bias), np.tanh(ci)
    cs = ci * i + cs_prev * f
    if cell_clip is not None:
        cs = np.clip(cs, -cell_clip, cell_clip)
    o = _sigmoid(o + cs * wco if use_peephole else o)
    co = np.tanh(cs)
    return i, cs, f, o, ci, co, co * o


def lstm_step_grad(x, cs_prev, h_prev, w, b, wci, wcf, wco, outputs, out_grads, cell_clip=None,
                   use_peephole=False):
    """The gradients of the 8 inputs of a step, given those of its 7 outputs."""
    i, cs, f, o, ci, co, _ = outputs
    gi, gcs, gf, go, gci, gco, gh = out_grads
    d_o = (gh * co + go) * o * (1 - o)
    dcs = gcs + (gh * o + gco) * (1 - co ** 2) + (d_o * wco if use_peephole else 0)
    if cell_clip is not None:
        dcs = np.where(np.abs(ci * i + cs_prev * f) > cell_clip, 0, dcs)
    d_i = (dcs * ci + gi) * i * (1 - i)
    d_ci = (dcs * i + gci) * (1 - ci ** 2)
    d_f = (dcs * cs_prev + gf) * f * (1 - f)
    cs_prev_grad = dcs * f + ((d_i * wci + d_f * wcf) if use_peephole else 0)
    d_pre = np.concatenate([d_i, d_ci, d_f, d_o], 1)
    xh_grad = d_pre @ w.T
    if use_peephole:
        peep = [(d_i * cs_prev).sum(0), (d_f * cs_prev).sum(0), (d_o * cs).sum(0)]
    else:
        peep = [np.zeros(0, x.dtype)] * 3
    n = x.shape[1]
    return ([xh_grad[:, :n], cs_prev_grad, xh_grad[:, n:],
             np.concatenate([x, h_prev], 1).T @ d_pre] + peep + [d_pre.sum(0)])


def gru_step(x, h_prev, w_ru, w_c, b_ru, b_c):
    """(r, u, c, h) of one GRUBlockCell step."""
    r, u = np.split(_sigmoid(np.concatenate([x, h_prev], 1) @ w_ru + b_ru), 2, axis=1)
    c = np.tanh(np.concatenate([x, r * h_prev], 1) @ w_c + b_c)
    return r, u, c, u * h_prev + (1 - u) * c


def gru_step_grad(x, h_prev, w_ru, w_c, b_ru, b_c, outputs, out_grads):
    """The gradients of the 6 inputs of a step, given those of its 4 outputs."""
    r, u, c, _ = outputs
    gr, gu, gc, gh = out_grads
    n = x.shape[1]
    dc = (gh * (1 - u) + gc) * (1 - c ** 2)
    xrh_grad = dc @ w_c.T
    d_rh = xrh_grad[:, n:]
    d_ru = np.concatenate([(d_rh * h_prev + gr) * r * (1 - r),
                           (gh * (h_prev - c) + gu) * u * (1 - u)], 1)
    xh_grad = d_ru @ w_ru.T
    return [xrh_grad[:, :n] + xh_grad[:, :n], d_rh * r + gh * u + xh_grad[:, n:],
            np.concatenate([x, h_prev], 1).T @ d_ru,
            np.concatenate([x, r * h_prev], 1).T @ dc, d_ru.sum(0), dc.sum(0)]


# ---- the ops as test functions of their inputs ----
# LSTM cases take (x, cs_prev, h_prev, w, b), then wci, wcf, wco when use_peephole; their attrs
# are the op's.

def _lstm(x, cs_prev, h_prev, w, b, *peepholes, **attrs):
    return _flat_tensors(rnn_ops.lstm_block_cell(x, cs_prev, h_prev, w, b, *peepholes, **attrs))


def _lstm_ref(x, cs_prev, h_prev, w, b, *peepholes, **attrs):
    return _flat(*lstm_step(x, cs_prev, h_prev, w, b, *(peepholes or [None] * 3), **attrs))


def _lstm_grad(x, cs_prev, h_prev, w, b, *rest, **attrs):
    """LSTMBlockCellGrad of a step's outputs, given gradients of its 7 outputs (the last 7
    inputs). The cell state is halved to keep the clipped cases away from the clip."""
    peepholes, grads = rest[:-7] or [tf.zeros([0], x.dtype)] * 3, rest[-7:]
    outputs = rnn_ops.lstm_block_cell(x, cs_prev * 0.5, h_prev, w, b, *rest[:-7], **attrs)
    inputs = [x, cs_prev * 0.5, h_prev, w, *peepholes, b, *outputs[:6], *grads]
    return _flat_tensors(ops.apply_op("LSTMBlockCellGrad", inputs, attrs).outputs)


def _lstm_grad_ref(x, cs_prev, h_prev, w, b, *rest, **attrs):
    peepholes, grads = rest[:-7] or [np.zeros(0, x.dtype)] * 3, rest[-7:]
    outputs = lstm_step(x, cs_prev * 0.5, h_prev, w, b, *peepholes, **attrs)
    attrs.pop("forget_bias", None)
    return _flat(*lstm_step_grad(x, cs_prev * 0.5, h_prev, w, b, *peepholes, outputs, grads,
                                 **attrs)).astype(x.dtype)


def _gru(*args):
    return _flat_tensors(rnn_ops.gru_block_cell(*args))


def _gru_grad(x, h_prev, w_ru, w_c, b_ru, b_c, *grads):
    outputs = rnn_ops.gru_block_cell(x, h_prev, w_ru, w_c, b_ru, b_c)
    inputs = [x, h_prev, w_ru, w_c, b_ru, b_c] + list(outputs[:3]) + list(grads)
    return _flat_tensors(ops.apply_op("GRUBlockCellGrad", inputs).outputs)


def _lstm_grad_of_cs_and_h(x, cs_prev, h_prev, w, b, cs_grad, h_grad):
    """LSTMBlockCellGrad given only the gradients of cs and h, the others empty (zeros)."""
    outputs = rnn_ops.lstm_block_cell(x, cs_prev, h_prev, w, b)
    empty = tf.zeros([0], x.dtype)
    grads = [empty, cs_grad, empty, empty, empty, empty, h_grad]
    inputs = [x, cs_prev, h_prev, w, empty, empty, empty, b, *outputs[:6], *grads]
    return _flat_tensors(ops.apply_op("LSTMBlockCellGrad", inputs).outputs)


def _lstm_grad_of_cs_and_h_ref(x, cs_prev, h_prev, w, b, cs_grad, h_grad):
    none = np.zeros(0, x.dtype)
    outputs = lstm_step(x, cs_prev, h_prev, w, b, none, none, none)
    zeros = np.zeros_like(cs_grad)
    grads = [zeros, cs_grad, zeros, zeros, zeros, zeros, h_grad]
    return _flat(*lstm_step_grad(x, cs_prev, h_prev, w, b, none, none, none, outputs,
                                 grads)).astype(x.dtype)


def _gru_grad_of_h(x, h_prev, w_ru, w_c, b_ru, b_c, h_grad):
    """GRUBlockCellGrad given only the gradient of h, the others empty (zeros)."""
    outputs = rnn_ops.gru_block_cell(x, h_prev, w_ru, w_c, b_ru, b_c)
    empty = tf.zeros([0], x.dtype)
    inputs = [x, h_prev, w_ru, w_c, b_ru, b_c, *outputs[:3], empty, empty, empty, h_grad]
    return _flat_tensors(ops.apply_op("GRUBlockCellGrad", inputs).outputs)


def _gru_grad_ref(x, h_prev, w_ru, w_c, b_ru, b_c, *grads):
    outputs = gru_step(x, h_prev, w_ru, w_c, b_ru, b_c)
    return _flat(*gru_step_grad(x, h_prev, w_ru, w_c, b_ru, b_c, outputs, grads)).astype(x.dtype)


def _lstm_case(case_id, attrs, shapes, dtype, grad=False):
    if not attrs.get("use_peephole"):
        shapes = shapes[:5]
    if grad:
        return (case_id, ["LSTMBlockCellGrad"], lambda *a: _lstm_grad(*a, **attrs),
                lambda *a: _lstm_grad_ref(*a, **attrs), shapes + [shapes[1]] * 7, dtype, {})
    return (case_id, ["LSTMBlockCell"], lambda *a: _lstm(*a, **attrs),
            lambda *a: _lstm_ref(*a, **attrs), shapes, dtype, {})


PEEP_CLIP = {"use_peephole": True, "cell_clip": 0.8, "forget_bias": 0.5}
LARGE_LSTM = [(64, 40), (64, 37), (64, 37), (77, 148), (148,), (37,), (37,), (37,)]

OPS = [
    _lstm_case("lstm_block_cell", {}, LSTM_SHAPES, np.float32),
    _lstm_case("lstm_block_cell_float64", {}, LSTM_SHAPES, np.float64),
    _lstm_case("lstm_block_cell_peephole_clip", PEEP_CLIP, LSTM_SHAPES, np.float32),
    _lstm_case("lstm_block_cell_large", {"forget_bias": 0.0}, LARGE_LSTM, np.float32),
    _lstm_case("lstm_block_cell_projected_state", PEEP_CLIP, PROJECTED_LSTM_SHAPES, np.float32),
    _lstm_case("lstm_block_cell_grad_projected_state", {}, PROJECTED_LSTM_SHAPES, np.float64,
               grad=True),
    _lstm_case("lstm_block_cell_grad", {}, LSTM_SHAPES, np.float64, grad=True),
    _lstm_case("lstm_block_cell_grad_peephole_clip", PEEP_CLIP, LSTM_SHAPES, np.float64,
               grad=True),
    _lstm_case("lstm_block_cell_grad_large", {}, LARGE_LSTM, np.float32, grad=True),
    ("lstm_block_cell_grad_of_cs_and_h", ["LSTMBlockCellGrad"], _lstm_grad_of_cs_and_h,
     _lstm_grad_of_cs_and_h_ref, LSTM_SHAPES[:5] + [LSTM_SHAPES[1]] * 2, np.float32, {}),
    ("gru_block_cell", ["GRUBlockCell"], _gru, lambda *a: _flat(*gru_step(*a)), GRU_SHAPES,
     np.float32, {}),
    ("gru_block_cell_float64", ["GRUBlockCell"], _gru, lambda *a: _flat(*gru_step(*a)),
     GRU_SHAPES, np.float64, {}),
    ("gru_block_cell_grad", ["GRUBlockCellGrad"], _gru_grad, _gru_grad_ref,
     GRU_SHAPES + [GRU_SHAPES[1]] * 4, np.float64, {}),
    ("gru_block_cell_grad_float32", ["GRUBlockCellGrad"], _gru_grad, _gru_grad_ref,
     GRU_SHAPES + [GRU_SHAPES[1]] * 4, np.float32, {}),
    ("gru_block_cell_grad_of_h", ["GRUBlockCellGrad"], _gru_grad_of_h,
     lambda *a: _gru_grad_ref(*a[:6], *[np.zeros_like(a[6])] * 3, a[6]),
     GRU_SHAPES + [GRU_SHAPES[1]], np.float64, {}),
]


def _small_lstm_shapes(batch, input, units):
    return [(batch, input), (batch, units), (batch, units), (input + units, 4 * units),
            (4 * units,), (units,), (units,), (units,)]


def _small_gru_shapes(batch, input, units):
    return [(batch, input), (batch, units), (input + units, 2 * units), (input + units, units),
            (2 * units,), (units,)]


SMALL_LSTM = _small_lstm_shapes(**SMALL)
SMALL_GRU = _small_gru_shapes(**SMALL)

GRADS = [
    ("lstm_block_cell", ["LSTMBlockCell"], _lstm, SMALL_LSTM[:5], {}),
    ("lstm_block_cell_peephole_clip", ["LSTMBlockCell"],
     lambda *a: _lstm(*a, **PEEP_CLIP), SMALL_LSTM, {}),
    ("lstm_block_cell_grad", ["LSTMBlockCellGrad"], _lstm_grad,
     SMALL_LSTM[:5] + [SMALL_LSTM[1]] * 7, {}),
    ("lstm_block_cell_grad_peephole_clip", ["LSTMBlockCellGrad"],
     lambda *a: _lstm_grad(*a, **PEEP_CLIP), SMALL_LSTM + [SMALL_LSTM[1]] * 7, {}),
    ("lstm_block_cell_projected_state", ["LSTMBlockCell"], _lstm,
     [(2, 3), (2, 2), (2, 1), (4, 8), (8,)], {}),
    ("gru_block_cell", ["GRUBlockCell"], _gru, SMALL_GRU, {}),
    ("gru_block_cell_grad", ["GRUBlockCellGrad"], _gru_grad, SMALL_GRU + [SMALL_GRU[1]] * 4,
     {}),
]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)



def test_gru_gradient_of_a_wide_cell_matches_numpy(rng):
    # A batch of 20 and 1024 x 1024 weights of the gates: the input gradient's second product,
    # added into the first (dY W^T with W's rows as they lie), takes the turned-around tiles of
    # test_matmul_ops. Weights small enough that the gates do not saturate; sums of 1024
    # float32 products, hence the tolerance.
    shapes = [(20, 512), (20, 512), (1024, 1024), (1024, 512), (1024,), (512,)] + [(20, 512)] * 4
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    values[2] *= 0.03
    values[3] *= 0.03
    with tf.Session() as sess:
        got = sess.run(_gru_grad(*[tf.constant(v) for v in values]))
    want = _gru_grad_ref(*[v.astype(np.float64) for v in values])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_same_results_for_any_thread_count(rng):
    x = tf.constant(rng.standard_normal((96, 40)).astype(np.float32))
    h = tf.constant(rng.standard_normal((96, 48)).astype(np.float32))
    w = tf.constant(rng.standard_normal((88, 192)).astype(np.float32) * 0.1)
    b = tf.constant(rng.standard_normal(192).astype(np.float32))
    lstm = rnn_ops.lstm_block_cell(x, h, h, w, b)
    gru = rnn_ops.gru_block_cell(x, h, w[:, :96], w[:, 96:144], b[:96], b[:48])
    fetches = list(lstm) + list(gru) + tf.gradients([lstm[6], gru[3]], [x, h, w, b])
    first, second = run_with_threads(fetches)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif("avx512" not in runnable_gemm_kernels(), reason="needs an AVX-512 CPU")
def test_cells_give_the_same_bits_in_avx2_and_avx512_vectors(rng):
    # The gates' sigmoid and tanh run in the vectors of the kernels' width (forced through the
    # GEMM micro-kernel); the products feeding them are tested alike in test_matmul_ops.
    x = tf.constant(rng.standard_normal((9, 40)).astype(np.float32))
    h = tf.constant(rng.standard_normal((9, 37)).astype(np.float32) * 3)
    w = tf.constant(rng.standard_normal((77, 148)).astype(np.float32))
    b = tf.constant(rng.standard_normal(148).astype(np.float32))
    lstm = rnn_ops.lstm_block_cell(x, h, h, w, b)
    gru = rnn_ops.gru_block_cell(x, h, w[:, :74], w[:, 74:111], b[:74], b[:37])
    fetches = list(lstm) + list(gru)
    narrow, wide = run_with_vector_widths(lambda sess: sess.run(fetches))
    for got, want in zip(wide, narrow):
        np.testing.assert_array_equal(got, want)


def test_empty_batch_gives_empty_outputs_and_zero_weight_gradients():
    x = tf.placeholder(tf.float64, [None, 3])
    h = tf.placeholder(tf.float64, [None, 2])
    w = tf.ones([5, 8], tf.float64)
    b = tf.ones([8], tf.float64)
    lstm_h = rnn_ops.lstm_block_cell(x, h, h, w, b)[6]
    gru_h = rnn_ops.gru_block_cell(x, h, w[:, :4], w[:, 4:6], b[:4], b[:2])[3]
    grads = tf.gradients([lstm_h, gru_h], [w, b])
    with tf.Session() as sess:
        got = sess.run([lstm_h, gru_h] + grads, {x: np.zeros((0, 3)), h: np.zeros((0, 2))})
    assert got[0].shape == (0, 2) and got[1].shape == (0, 2)
    np.testing.assert_array_equal(got[2], np.zeros((5, 8)))
    np.testing.assert_array_equal(got[3], np.zeros(8))


def test_shape_and_dtype_errors():
    x, state = tf.zeros([2, 3]), tf.zeros([2, 4])
    w, b = tf.zeros([7, 16]), tf.zeros([16])
    with pytest.raises(ValueError,
                       match="w must have shape .input_size \\+ state_size, 4 \\* units"):
        rnn_ops.lstm_block_cell(x, state, state, tf.zeros([6, 16]), b)
    with pytest.raises(ValueError, match="b must have shape"):
        rnn_ops.lstm_block_cell(x, state, state, w, tf.zeros([12]))
    with pytest.raises(ValueError, match="x must be of rank 2"):
        rnn_ops.lstm_block_cell(tf.zeros([3]), state, state, w, b)
    with pytest.raises(ValueError, match="wco must have shape"):
        rnn_ops.lstm_block_cell(x, state, state, w, b, tf.zeros([4]), tf.zeros([4]),
                                tf.zeros([5]), use_peephole=True)
    with pytest.raises(ValueError, match="peephole weights"):
        rnn_ops.lstm_block_cell(x, state, state, w, b, use_peephole=True)
    with pytest.raises(ValueError, match="w_c must have shape"):
        rnn_ops.gru_block_cell(x, state, tf.zeros([7, 8]), tf.zeros([7, 5]), tf.zeros([8]),
                               tf.zeros([4]))
    with pytest.raises(TypeError, match="float32, float64"):
        rnn_ops.gru_block_cell(tf.zeros([2, 3], tf.int32), tf.zeros([2, 4], tf.int32),
                               tf.zeros([7, 8], tf.int32), tf.zeros([7, 4], tf.int32),
                               tf.zeros([8], tf.int32), tf.zeros([4], tf.int32))
    with pytest.raises(ValueError, match="requested dtype float32"):
        rnn_ops.gru_block_cell(x, tf.zeros([2, 4], tf.float64), tf.zeros([7, 8]),
                               tf.zeros([7, 4]), tf.zeros([8]), tf.zeros([4]))
