"""tf.nn.rnn_cell, tf.nn.static_rnn and tf.contrib.rnn against NumPy re-implementations of
TF1's cell formulas, with the cells' own weights."""
import numpy as np
import pytest

import tensorlib as tf
from tensorlib.contrib import rnn as contrib_rnn
from tensorlib.util import nest

rnn_cell = tf.nn.rnn_cell


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _relu(x):
    return np.maximum(x, 0)


# ---- TF1's formulas in NumPy: step(x, state, weights) -> (output, new_state) ----

def basic_rnn_step(x, h, w, act=np.tanh):
    out = act(np.concatenate([x, h], 1) @ w["kernel"] + w["bias"])
    return out, out


def basic_lstm_step(x, state, w, forget_bias=1.0, act=np.tanh):
    c, h = state
    i, j, f, o = np.split(np.concatenate([x, h], 1) @ w["kernel"] + w["bias"], 4, axis=1)
    new_c = c * _sigmoid(f + forget_bias) + _sigmoid(i) * act(j)
    new_h = act(new_c) * _sigmoid(o)
    return new_h, (new_c, new_h)


def lstm_step(x, state, w, forget_bias=1.0, use_peepholes=False, cell_clip=None,
              num_proj=None, proj_clip=None, act=np.tanh):
    c_prev, m_prev = state
    i, j, f, o = np.split(np.concatenate([x, m_prev], 1) @ w["kernel"] + w["bias"], 4, axis=1)
    if use_peepholes:
        c = (_sigmoid(f + forget_bias + w["w_f_diag"] * c_prev) * c_prev
             + _sigmoid(i + w["w_i_diag"] * c_prev) * act(j))
    else:
        c = _sigmoid(f + forget_bias) * c_prev + _sigmoid(i) * act(j)
    if cell_clip is not None:
        c = np.clip(c, -cell_clip, cell_clip)
    m = _sigmoid(o + w["w_o_diag"] * c if use_peepholes else o) * act(c)
    if num_proj is not None:
        m = m @ w["projection/kernel"]
        if proj_clip is not None:
            m = np.clip(m, -proj_clip, proj_clip)
    return m, (c, m)


def gru_step(x, h, w, act=np.tanh):
    r, u = np.split(_sigmoid(np.concatenate([x, h], 1) @ w["gates/kernel"] + w["gates/bias"]),
                    2, axis=1)
    c = act(np.concatenate([x, r * h], 1) @ w["candidate/kernel"] + w["candidate/bias"])
    new_h = u * h + (1 - u) * c
    return new_h, new_h


def _weights(sess, scope):
    """{name under `scope`: value} of the global variables under scope/."""
    prefix = scope + "/"
    return {v.op.name[len(prefix):]: sess.run(v) for v in tf.global_variables()
            if v.op.name.startswith(prefix)}


def _random_weights(sess, rng):
    """Gives every variable random values (biases and peepholes included) and returns them."""
    for v in tf.global_variables():
        v.load(rng.standard_normal(v.shape.as_list()) * 0.5, sess)


def _unroll(step, xs, state):
    outputs = []
    for x in xs:
        out, state = step(x, state)
        outputs.append(out)
    return outputs, state


def _zero_state(cell_state_size, batch, dtype):
    if isinstance(cell_state_size, tuple):
        return tuple(_zero_state(s, batch, dtype) for s in cell_state_size)
    return np.zeros((batch, cell_state_size), dtype)


CELL_CASES = [
    # (id, cell factory, reference step(x, state, weights), variable scope of the weights)
    ("basic_rnn", lambda: rnn_cell.BasicRNNCell(5), basic_rnn_step, "rnn/basic_rnn_cell"),
    ("basic_rnn_relu", lambda: rnn_cell.BasicRNNCell(5, activation=tf.nn.relu),
     lambda x, s, w: basic_rnn_step(x, s, w, _relu), "rnn/basic_rnn_cell"),
    ("basic_lstm", lambda: rnn_cell.BasicLSTMCell(5, forget_bias=0.7),
     lambda x, s, w: basic_lstm_step(x, s, w, 0.7), "rnn/basic_lstm_cell"),
    ("basic_lstm_relu", lambda: rnn_cell.BasicLSTMCell(5, activation=tf.nn.relu),
     lambda x, s, w: basic_lstm_step(x, s, w, act=_relu), "rnn/basic_lstm_cell"),
    ("lstm", lambda: rnn_cell.LSTMCell(5), lstm_step, "rnn/lstm_cell"),
    ("lstm_peepholes_projection_clips",
     lambda: rnn_cell.LSTMCell(5, use_peepholes=True, cell_clip=0.6, num_proj=3,
                               proj_clip=0.4, forget_bias=0.3),
     lambda x, s, w: lstm_step(x, s, w, 0.3, True, 0.6, 3, 0.4), "rnn/lstm_cell"),
    ("lstm_peepholes_relu",
     lambda: rnn_cell.LSTMCell(5, use_peepholes=True, num_proj=4, activation=tf.nn.relu),
     lambda x, s, w: lstm_step(x, s, w, use_peepholes=True, num_proj=4, act=_relu),
     "rnn/lstm_cell"),
    ("gru", lambda: rnn_cell.GRUCell(5), gru_step, "rnn/gru_cell"),
    ("gru_relu", lambda: rnn_cell.GRUCell(5, activation=tf.nn.relu),
     lambda x, s, w: gru_step(x, s, w, _relu), "rnn/gru_cell"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make_cell,step,scope", [c[1:] for c in CELL_CASES],
                         ids=[c[0] for c in CELL_CASES])
def test_cell_outputs_and_states_match_tf1_formulas(make_cell, step, scope, dtype, rng):
    batch, steps = 3, 4
    cell = make_cell()
    xs = [tf.placeholder(dtype, [None, 2]) for _ in range(steps)]
    outputs, state = tf.nn.static_rnn(cell, xs, dtype=dtype)
    assert outputs[0].shape.as_list() == [None, cell.output_size]
    x_values = [rng.standard_normal((batch, 2)).astype(dtype) for _ in range(steps)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _random_weights(sess, rng)
        got_outputs, got_state = sess.run((outputs, state), dict(zip(xs, x_values)))
        w = _weights(sess, scope)
    want_outputs, want_state = _unroll(lambda x, s: step(x, s, w), x_values,
                                       _zero_state(cell.state_size, batch, dtype))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got_outputs, want_outputs, rtol=tol, atol=tol)
    for got, want in zip(nest.flatten(got_state), nest.flatten(want_state)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_fused_cells_run_one_op_per_step_and_one_per_gradient_step():
    for cell, op_type in ((rnn_cell.BasicLSTMCell(4), "LSTMBlockCell"),
                          (rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=2),
                           "LSTMBlockCell"),
                          (rnn_cell.GRUCell(4), "GRUBlockCell")):
        with tf.Graph().as_default():
            xs = [tf.placeholder(tf.float32, [2, 3]) for _ in range(3)]
            outputs, _ = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
            tf.gradients(tf.add_n(outputs), tf.trainable_variables())
            types = [op.type for op in tf.get_default_graph().get_operations()]
            assert types.count(op_type) == 3
            assert types.count(op_type + "Grad") == 3
            assert "Sigmoid" not in types and "Tanh" not in types


# ---- variable names and sharing ----

def _variable_names():
    return sorted(v.op.name for v in tf.global_variables())


@pytest.mark.parametrize("make_cell,names", [
    (lambda: rnn_cell.BasicRNNCell(3), ["rnn/basic_rnn_cell/bias", "rnn/basic_rnn_cell/kernel"]),
    (lambda: rnn_cell.BasicLSTMCell(3),
     ["rnn/basic_lstm_cell/bias", "rnn/basic_lstm_cell/kernel"]),
    (lambda: rnn_cell.LSTMCell(3, use_peepholes=True, num_proj=2),
     ["rnn/lstm_cell/bias", "rnn/lstm_cell/kernel", "rnn/lstm_cell/projection/kernel",
      "rnn/lstm_cell/w_f_diag", "rnn/lstm_cell/w_i_diag", "rnn/lstm_cell/w_o_diag"]),
    (lambda: rnn_cell.GRUCell(3),
     ["rnn/gru_cell/candidate/bias", "rnn/gru_cell/candidate/kernel", "rnn/gru_cell/gates/bias",
      "rnn/gru_cell/gates/kernel"]),
    (lambda: rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(3), rnn_cell.GRUCell(2)]),
     ["rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias",
      "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
      "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/bias",
      "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/kernel",
      "rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias",
      "rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel"]),
    (lambda: rnn_cell.DropoutWrapper(rnn_cell.ResidualWrapper(rnn_cell.BasicLSTMCell(4)),
                                     output_keep_prob=0.5),
     ["rnn/basic_lstm_cell/bias", "rnn/basic_lstm_cell/kernel"]),
], ids=["basic_rnn", "basic_lstm", "lstm", "gru", "multi", "wrappers"])
def test_static_rnn_variable_names_are_tf1s(make_cell, names):
    xs = [tf.placeholder(tf.float32, [2, 4]) for _ in range(3)]
    tf.nn.static_rnn(make_cell(), xs, dtype=tf.float32)
    assert _variable_names() == names


def test_gru_biases_start_at_one_for_the_gates_and_zero_for_the_candidate():
    tf.nn.static_rnn(rnn_cell.GRUCell(3), [tf.zeros([2, 4])], dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w = _weights(sess, "rnn/gru_cell")
    np.testing.assert_array_equal(w["gates/bias"], np.ones(6))
    np.testing.assert_array_equal(w["candidate/bias"], np.zeros(3))


def test_bidirectional_variable_names():
    xs = [tf.placeholder(tf.float32, [2, 4]) for _ in range(3)]
    tf.nn.static_bidirectional_rnn(rnn_cell.BasicLSTMCell(3), rnn_cell.BasicLSTMCell(3), xs,
                                   dtype=tf.float32)
    assert _variable_names() == [
        "bidirectional_rnn/bw/basic_lstm_cell/bias", "bidirectional_rnn/bw/basic_lstm_cell/kernel",
        "bidirectional_rnn/fw/basic_lstm_cell/bias", "bidirectional_rnn/fw/basic_lstm_cell/kernel"]


def test_a_cell_called_twice_shares_its_variables_and_a_second_cell_gets_its_own():
    cell = rnn_cell.BasicLSTMCell(3)
    x = tf.ones([2, 4])
    state = cell.zero_state(2, tf.float32)
    _, state = cell(x, state)
    cell(x, state)
    assert _variable_names() == ["basic_lstm_cell/bias", "basic_lstm_cell/kernel"]
    other = rnn_cell.BasicLSTMCell(3)
    other(x, other.zero_state(2, tf.float32))
    assert _variable_names() == ["basic_lstm_cell/bias", "basic_lstm_cell/kernel",
                                 "basic_lstm_cell_1/bias", "basic_lstm_cell_1/kernel"]


def test_scope_argument_and_reuse_through_variable_scope():
    x = tf.ones([2, 4])
    cell = rnn_cell.GRUCell(3)
    cell(x, cell.zero_state(2, tf.float32), scope="my_gru")
    assert _variable_names()[0].startswith("my_gru/")
    with tf.variable_scope("model"):
        tf.nn.static_rnn(rnn_cell.BasicRNNCell(3), [x, x], dtype=tf.float32)
    with tf.variable_scope("model", reuse=True):
        tf.nn.static_rnn(rnn_cell.BasicRNNCell(3), [x, x], dtype=tf.float32)
    names = [n for n in _variable_names() if n.startswith("model/")]
    assert names == ["model/rnn/basic_rnn_cell/bias", "model/rnn/basic_rnn_cell/kernel"]
    with tf.variable_scope("model"), pytest.raises(ValueError, match="already exists"):
        tf.nn.static_rnn(rnn_cell.BasicRNNCell(3), [x], dtype=tf.float32)


def test_contrib_rnn_gives_the_same_names():
    assert contrib_rnn.BasicLSTMCell is tf.nn.rnn_cell.BasicLSTMCell
    assert contrib_rnn.LSTMStateTuple is tf.nn.rnn_cell.LSTMStateTuple
    assert contrib_rnn.static_rnn is tf.nn.static_rnn
    assert tf.contrib.rnn.static_bidirectional_rnn is tf.nn.static_bidirectional_rnn
    import tensorlib.contrib
    assert tensorlib.contrib.rnn is contrib_rnn


def test_cells_of_cells_list_the_variables_of_their_cells():
    lstm, gru = rnn_cell.BasicLSTMCell(3), rnn_cell.GRUCell(2)
    multi = rnn_cell.MultiRNNCell([rnn_cell.DropoutWrapper(lstm, output_keep_prob=0.5), gru])
    tf.nn.static_rnn(multi, [tf.ones([2, 4])], dtype=tf.float32)
    assert multi.trainable_variables == lstm.trainable_variables + gru.trainable_variables
    assert len(multi.variables) == 6 and multi.non_trainable_variables == []
    assert multi.trainable_variables == tf.trainable_variables()


def test_device_wrapper_places_the_cell_ops():
    cell = rnn_cell.DeviceWrapper(rnn_cell.GRUCell(2), "/cpu:0")
    out, _ = cell(tf.ones([2, 3]), cell.zero_state(2, tf.float32))
    assert "cpu:0" in out.op.device.lower()
    assert cell.output_size == 2 and len(cell.variables) == 4
    assert contrib_rnn.DeviceWrapper is rnn_cell.DeviceWrapper


# ---- states ----

def test_zero_state_structures_and_state_is_tuple_false(rng):
    lstm = rnn_cell.LSTMCell(4, num_proj=2)
    state = lstm.zero_state(3, tf.float64)
    assert isinstance(state, rnn_cell.LSTMStateTuple)
    assert state.c.shape.as_list() == [3, 4] and state.h.shape.as_list() == [3, 2]
    assert state.dtype == tf.float64
    multi = rnn_cell.MultiRNNCell([rnn_cell.GRUCell(2), rnn_cell.BasicLSTMCell(3)])
    assert multi.state_size == (2, rnn_cell.LSTMStateTuple(3, 3))
    batch = tf.placeholder(tf.int32, [])
    zs = multi.zero_state(batch, tf.float32)
    assert zs[0].shape.as_list() == [None, 2]
    with tf.Session() as sess:
        assert sess.run(zs[1].c, {batch: 5}).shape == (5, 3)

    # A concatenated [c, h] state computes what the tuple state does.
    xs = [tf.constant(rng.standard_normal((2, 3))) for _ in range(3)]
    with tf.variable_scope("tuple"):
        tuple_out, tuple_state = tf.nn.static_rnn(rnn_cell.BasicLSTMCell(4), xs,
                                                  dtype=tf.float64)
    with tf.variable_scope("concat"):
        flat_cell = rnn_cell.BasicLSTMCell(4, state_is_tuple=False)
        assert flat_cell.state_size == 8
        flat_out, flat_state = tf.nn.static_rnn(flat_cell, xs, dtype=tf.float64)
    flat_multi = rnn_cell.MultiRNNCell([rnn_cell.GRUCell(2), rnn_cell.GRUCell(3)],
                                       state_is_tuple=False)
    assert flat_multi.state_size == 5
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for a, b in zip(tf.global_variables()[:2], tf.global_variables()[2:]):
            b.load(sess.run(a), sess)
        t_out, t_state, f_out, f_state = sess.run((tuple_out, tuple_state, flat_out,
                                                   flat_state))
    np.testing.assert_allclose(f_out, t_out, rtol=1e-12)
    np.testing.assert_allclose(f_state, np.concatenate(t_state, 1), rtol=1e-12)
    with pytest.raises(ValueError, match="state_is_tuple"):
        rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(2)], state_is_tuple=False)
    with pytest.raises(ValueError, match="at least one cell"):
        rnn_cell.MultiRNNCell([])


def test_multi_rnn_cell_stacks_cells(rng):
    cells = [rnn_cell.BasicLSTMCell(4), rnn_cell.GRUCell(3)]
    multi = rnn_cell.MultiRNNCell(cells)
    x_values = [rng.standard_normal((2, 5)) for _ in range(3)]
    outputs, state = tf.nn.static_rnn(multi, [tf.constant(x) for x in x_values],
                                      dtype=tf.float64)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _random_weights(sess, rng)
        got_outputs, got_state = sess.run((outputs, state))
        w0 = _weights(sess, "rnn/multi_rnn_cell/cell_0/basic_lstm_cell")
        w1 = _weights(sess, "rnn/multi_rnn_cell/cell_1/gru_cell")

    def step(x, s):
        h0, s0 = basic_lstm_step(x, s[0], w0)
        h1, s1 = gru_step(h0, s[1], w1)
        return h1, (s0, s1)

    want_outputs, want_state = _unroll(step, x_values,
                                       ((np.zeros((2, 4)), np.zeros((2, 4))), np.zeros((2, 3))))
    np.testing.assert_allclose(got_outputs, want_outputs, rtol=1e-12, atol=1e-12)
    for got, want in zip(nest.flatten(got_state), nest.flatten(want_state)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ---- wrappers ----

def test_dropout_wrapper_drops_inputs_outputs_and_h_but_not_c():
    ones = tf.ones([200, 50])
    base = rnn_cell.BasicRNNCell(50, activation=lambda t: t * 0.0 + 1.0)
    cell = rnn_cell.DropoutWrapper(base, output_keep_prob=0.25, seed=3)
    out, state = cell(ones, tf.zeros([200, 50]))
    lstm = rnn_cell.DropoutWrapper(rnn_cell.BasicLSTMCell(50), state_keep_prob=0.5, seed=4)
    _, lstm_state = lstm(ones, lstm.zero_state(200, tf.float32))
    plain_lstm = lstm.wrapped_cell
    _, plain_state = plain_lstm(ones, plain_lstm.zero_state(200, tf.float32))
    inputs_dropped = rnn_cell.DropoutWrapper(
        rnn_cell.ResidualWrapper(rnn_cell.BasicRNNCell(50, activation=lambda t: t * 0.0)),
        input_keep_prob=0.5, seed=5)
    res_out, _ = inputs_dropped(ones, tf.zeros([200, 50]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        o, s, ls, ps, ro = sess.run((out, state, lstm_state, plain_state, res_out))
    assert set(np.unique(o)) == {0.0, 4.0}
    assert abs((o > 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(s, np.ones_like(s))  # no state dropout asked for
    np.testing.assert_allclose(ls.c, ps.c, rtol=1e-6)
    dropped = ls.h == 0
    assert abs(dropped.mean() - 0.5) < 0.02
    np.testing.assert_allclose(ls.h[~dropped], 2 * ps.h[~dropped], rtol=1e-5)
    assert set(np.unique(ro)) == {0.0, 2.0}  # residual of the dropped inputs


def test_variational_dropout_keeps_one_mask_for_every_step():
    tf.set_random_seed(1)
    identity = rnn_cell.BasicRNNCell(40, activation=lambda t: t * 0.0 + 1.0)
    cell = rnn_cell.DropoutWrapper(identity, input_keep_prob=0.5, output_keep_prob=0.5,
                                   variational_recurrent=True, input_size=3,
                                   dtype=tf.float32, seed=2)
    outputs, _ = tf.nn.static_rnn(cell, [tf.ones([6, 3])] * 4, dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(outputs)
        second = sess.run(outputs)
    for step in first[1:]:
        np.testing.assert_array_equal(step, first[0])  # the same mask at every step
    np.testing.assert_array_equal(first[0], np.broadcast_to(first[0][:1], (6, 40)))
    assert set(np.unique(first[0])) == {0.0, 2.0}
    assert not np.array_equal(first[0], second[0])  # a new mask per run
    with pytest.raises(ValueError, match="dtype must be provided"):
        rnn_cell.DropoutWrapper(identity, variational_recurrent=True)
    with pytest.raises(ValueError, match="input_size must be provided"):
        rnn_cell.DropoutWrapper(identity, input_keep_prob=0.5, variational_recurrent=True,
                                dtype=tf.float32)


def test_dropout_wrapper_keep_prob_one_changes_nothing_and_checks_its_range():
    cell = rnn_cell.DropoutWrapper(rnn_cell.GRUCell(3))
    x = tf.ones([2, 4])
    out, state = cell(x, cell.zero_state(2, tf.float32))
    assert not [op for op in tf.get_default_graph().get_operations() if "dropout" in op.name]
    assert cell.state_size == 3 and cell.output_size == 3
    with pytest.raises(ValueError, match="between 0 and 1"):
        rnn_cell.DropoutWrapper(rnn_cell.GRUCell(3), output_keep_prob=1.5)
    with pytest.raises(TypeError, match="not a RNNCell"):
        rnn_cell.DropoutWrapper("cell")


def test_residual_wrapper_adds_the_inputs(rng):
    cell = rnn_cell.ResidualWrapper(rnn_cell.GRUCell(3))
    x = rng.standard_normal((2, 3))
    out, state = cell(tf.constant(x), tf.zeros([2, 3], tf.float64))
    plain, _ = cell.wrapped_cell(tf.constant(x), tf.zeros([2, 3], tf.float64))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        o, s, p = sess.run((out, state, plain))
    np.testing.assert_allclose(o, x + p, rtol=1e-12)
    np.testing.assert_allclose(s, p, rtol=1e-12)
    bad = rnn_cell.ResidualWrapper(rnn_cell.GRUCell(4))
    with pytest.raises(ValueError):
        bad(tf.constant(x), tf.zeros([2, 4], tf.float64))


# ---- sequence_length ----

@pytest.mark.parametrize("make_cell,step", [
    (lambda: rnn_cell.BasicLSTMCell(4), basic_lstm_step),
    (lambda: rnn_cell.GRUCell(4), gru_step),
], ids=["lstm", "gru"])
def test_sequence_length_zeroes_outputs_and_keeps_states(make_cell, step, rng):
    lengths = np.array([0, 2, 5, 3])
    x_values = [rng.standard_normal((4, 3)) for _ in range(5)]
    seq = tf.placeholder(tf.int64, [None])
    xs = [tf.placeholder(tf.float64, [None, 3]) for _ in range(5)]
    cell = make_cell()
    outputs, state = tf.nn.static_rnn(cell, xs, dtype=tf.float64, sequence_length=seq)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _random_weights(sess, rng)
        got_outputs, got_state = sess.run((outputs, state),
                                          {seq: lengths, **dict(zip(xs, x_values))})
        w = _weights(sess, "rnn/" + cell.name)
    for b, length in enumerate(lengths):
        row = [x[b:b + 1] for x in x_values[:length]]
        want_outputs, want_state = _unroll(lambda x, s: step(x, s, w), row,
                                           _zero_state(cell.state_size, 1, np.float64))
        for t in range(5):
            want = want_outputs[t][0] if t < length else np.zeros(4)
            np.testing.assert_allclose(got_outputs[t][b], want, rtol=1e-12, atol=1e-12)
        for got, want in zip(nest.flatten(got_state), nest.flatten(want_state)):
            np.testing.assert_allclose(got[b], want[0], rtol=1e-12, atol=1e-12)


def test_bidirectional_rnn_matches_two_unrolled_directions(rng):
    lengths = np.array([3, 1, 4])
    x_values = [rng.standard_normal((3, 2)) for _ in range(4)]
    xs = [tf.constant(x) for x in x_values]
    outputs, state_fw, state_bw = tf.nn.static_bidirectional_rnn(
        rnn_cell.GRUCell(3), rnn_cell.BasicLSTMCell(2), xs, dtype=tf.float64,
        sequence_length=tf.constant(lengths))
    assert outputs[0].shape.as_list() == [3, 5]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _random_weights(sess, rng)
        got, got_fw, got_bw = sess.run((outputs, state_fw, state_bw))
        w_fw = _weights(sess, "bidirectional_rnn/fw/gru_cell")
        w_bw = _weights(sess, "bidirectional_rnn/bw/basic_lstm_cell")
    for b, length in enumerate(lengths):
        row = [x[b:b + 1] for x in x_values[:length]]
        fw_out, fw_state = _unroll(lambda x, s: gru_step(x, s, w_fw), row, np.zeros((1, 3)))
        bw_out, bw_state = _unroll(lambda x, s: basic_lstm_step(x, s, w_bw), row[::-1],
                                   (np.zeros((1, 2)), np.zeros((1, 2))))
        bw_out = bw_out[::-1]
        for t in range(4):
            want = (np.concatenate([fw_out[t][0], bw_out[t][0]]) if t < length
                    else np.zeros(5))
            np.testing.assert_allclose(got[t][b], want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got_fw[b], fw_state[0], rtol=1e-12)
        np.testing.assert_allclose(got_bw.h[b], bw_state[1][0], rtol=1e-12)


# ---- gradients ----

@pytest.mark.parametrize("make_cell", [
    lambda: rnn_cell.BasicLSTMCell(3, forget_bias=0.5),
    lambda: rnn_cell.LSTMCell(3, use_peepholes=True, num_proj=2, cell_clip=2.0),
    lambda: rnn_cell.GRUCell(3),
    lambda: rnn_cell.MultiRNNCell([rnn_cell.BasicRNNCell(2), rnn_cell.GRUCell(2)]),
], ids=["basic_lstm", "lstm_peephole_projection", "gru", "multi"])
def test_static_rnn_gradients_match_finite_differences(make_cell, rng):
    steps, batch = 3, 2
    x_values = [rng.standard_normal((batch, 2)) for _ in range(steps)]
    xs = [tf.placeholder(tf.float64, [batch, 2]) for _ in range(steps)]
    outputs, state = tf.nn.static_rnn(make_cell(), xs, dtype=tf.float64,
                                      sequence_length=[3, 2])
    targets = [tf.constant(rng.standard_normal(o.shape.as_list())) for o in outputs]
    loss = (tf.add_n([tf.reduce_sum(o * t) for o, t in zip(outputs, targets)])
            + tf.add_n([tf.reduce_sum(tf.square(s)) for s in nest.flatten(state)]))
    variables = tf.trainable_variables()
    grads = tf.gradients(loss, xs + variables)
    feed = dict(zip(xs, x_values))
    delta = 1e-6
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _random_weights(sess, rng)
        got = sess.run(grads, feed)
        for k, (x, g) in enumerate(zip(x_values, got[:steps])):
            want = np.zeros_like(x)
            for i in np.ndindex(*x.shape):
                plus, minus = x.copy(), x.copy()
                plus[i] += delta
                minus[i] -= delta
                want[i] = (sess.run(loss, {**feed, xs[k]: plus})
                           - sess.run(loss, {**feed, xs[k]: minus})) / (2 * delta)
            np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-6)
        for v, g in zip(variables, got[steps:]):
            value = sess.run(v)
            want = np.zeros_like(value)
            for i in np.ndindex(*value.shape):
                plus, minus = value.copy(), value.copy()
                plus[i] += delta
                minus[i] -= delta
                v.load(plus, sess)
                lp = sess.run(loss, feed)
                v.load(minus, sess)
                lm = sess.run(loss, feed)
                want[i] = (lp - lm) / (2 * delta)
            v.load(value, sess)
            np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-6, err_msg=v.op.name)


@pytest.mark.parametrize("make_cell", [
    lambda: rnn_cell.LSTMCell(2, use_peepholes=True),
    lambda: rnn_cell.GRUCell(2),
], ids=["lstm_peepholes", "gru"])
def test_static_rnn_hessians_match_finite_differences_of_the_gradient(make_cell, rng):
    x = tf.placeholder(tf.float64, [2, 3])
    outputs, _ = tf.nn.static_rnn(make_cell(), [x, x * 0.5], dtype=tf.float64)
    y = tf.reduce_sum(tf.square(outputs[-1]))
    g, = tf.gradients(y, x)
    h, = tf.hessians(y, x)
    xv = rng.standard_normal((2, 3))
    delta = 1e-6
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _random_weights(sess, rng)
        got = sess.run(h, {x: xv})
        for i in np.ndindex(2, 3):
            plus, minus = xv.copy(), xv.copy()
            plus[i] += delta
            minus[i] -= delta
            want = (sess.run(g, {x: plus}) - sess.run(g, {x: minus})) / (2 * delta)
            np.testing.assert_allclose(got[i], want, rtol=1e-6, atol=1e-6)


def test_bidirectional_rnn_gradients_match_finite_differences(rng):
    x_values = [rng.standard_normal((3, 2)) for _ in range(3)]
    xs = [tf.placeholder(tf.float64, [3, 2]) for _ in range(3)]
    outputs, state_fw, state_bw = tf.nn.static_bidirectional_rnn(
        rnn_cell.GRUCell(2), rnn_cell.BasicLSTMCell(2), xs, dtype=tf.float64,
        sequence_length=[3, 1, 2])
    weights = [tf.constant(rng.standard_normal((3, 4))) for _ in outputs]
    loss = (tf.add_n([tf.reduce_sum(o * w) for o, w in zip(outputs, weights)])
            + tf.reduce_sum(state_fw * state_bw.h))
    grads = tf.gradients(loss, xs)
    feed = dict(zip(xs, x_values))
    delta = 1e-6
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(grads, feed)
        for k, x in enumerate(x_values):
            want = np.zeros_like(x)
            for i in np.ndindex(*x.shape):
                plus, minus = x.copy(), x.copy()
                plus[i] += delta
                minus[i] -= delta
                want[i] = (sess.run(loss, {**feed, xs[k]: plus})
                           - sess.run(loss, {**feed, xs[k]: minus})) / (2 * delta)
            np.testing.assert_allclose(got[k], want, rtol=1e-6, atol=1e-6)


# ---- training ----

def test_sequence_classifier_trained_with_static_rnn_learns():
    # Is the first element of a sequence of 8 positive? The answer has to be carried through
    # every step of the recurrence.
    rng = np.random.default_rng(1)
    steps, batch, units = 8, 64, 16
    tf.set_random_seed(0)
    xs = [tf.placeholder(tf.float32, [None, 1]) for _ in range(steps)]
    labels = tf.placeholder(tf.int32, [None])
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(units), rnn_cell.GRUCell(units)])
    outputs, _ = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    logits = tf.layers.dense(outputs[-1], 2)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                         logits=logits))
    train = tf.train.AdamOptimizer(0.02).minimize(loss)

    def batch_feed():
        x = rng.standard_normal((batch, steps, 1)).astype(np.float32)
        return {labels: (x[:, 0, 0] > 0).astype(np.int32),
                **{p: x[:, t] for t, p in enumerate(xs)}}

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        test_feed = batch_feed()
        before = sess.run(loss, test_feed)
        for _ in range(150):
            sess.run(train, batch_feed())
        after = sess.run(loss, test_feed)
    assert before > 0.6
    assert after < 0.25 * before


# ---- errors ----

def test_static_rnn_argument_errors():
    x = tf.ones([2, 3])
    cell = rnn_cell.GRUCell(2)
    with pytest.raises(ValueError, match="dtype must be specified"):
        tf.nn.static_rnn(cell, [x])
    with pytest.raises(TypeError, match="instance of RNNCell"):
        tf.nn.static_rnn("cell", [x], dtype=tf.float32)
    with pytest.raises(TypeError, match="must be a sequence"):
        tf.nn.static_rnn(cell, x, dtype=tf.float32)
    with pytest.raises(ValueError, match="must not be empty"):
        tf.nn.static_rnn(cell, [], dtype=tf.float32)
    with pytest.raises(ValueError, match="inputs.shape\\[-1\\] to be known"):
        tf.nn.static_rnn(cell, [tf.placeholder(tf.float32, [2, None])], dtype=tf.float32)
    with pytest.raises(ValueError, match="vector of length batch_size"):
        tf.nn.static_rnn(cell, [x], dtype=tf.float32, sequence_length=[[1]])
    with pytest.raises(TypeError, match="cell_bw"):
        tf.nn.static_bidirectional_rnn(cell, None, [x], dtype=tf.float32)


def test_fused_step_shape_errors_name_the_input():
    x = tf.placeholder(tf.float32, [None, 3])
    state = tf.placeholder(tf.float32, [None, None])
    cell = rnn_cell.BasicLSTMCell(4)
    out, _ = cell(x, rnn_cell.LSTMStateTuple(state, state))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match="cs_prev must have shape"):
            sess.run(out, {x: np.zeros((2, 3)), state: np.zeros((2, 5))})
    with pytest.raises(ValueError, match="h_prev must have shape"):
        rnn_cell.GRUCell(4)(x, tf.zeros([2, 3]))


def test_a_static_rnn_exports_to_a_model_file_and_runs_the_same(rng):
    xs = [tf.placeholder(tf.float32, [2, 3]) for _ in range(3)]
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(4), rnn_cell.GRUCell(3)])
    outputs, _ = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    feed = {x: rng.standard_normal((2, 3)).astype(np.float32) for x in xs}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = sess.run(outputs[-1], feed)
        model = tf.lite.TFLiteConverter.from_session(sess, xs, [outputs[-1]]).convert()
    interpreter = tf.lite.Interpreter(model_content=model)
    interpreter.allocate_tensors()
    for detail, x in zip(interpreter.get_input_details(), xs):
        interpreter.set_tensor(detail["index"], feed[x])
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_array_equal(got, want)


# ---- dynamic_rnn, bidirectional_dynamic_rnn, raw_rnn: one while_loop ----------------------------

CELLS = [
    ("basic_lstm", lambda: tf.nn.rnn_cell.BasicLSTMCell(5)),
    ("lstm_peepholes_projection", lambda: tf.nn.rnn_cell.LSTMCell(5, use_peepholes=True,
                                                                  num_proj=3, cell_clip=2.0)),
    ("gru", lambda: tf.nn.rnn_cell.GRUCell(4)),
    ("multi", lambda: tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicRNNCell(3),
                                                   tf.nn.rnn_cell.GRUCell(4)])),
]


def _dynamic_and_static(make_cell, xs, lengths=None, time_major=False, name="rnn"):
    """The same cell (shared variables) run by dynamic_rnn and static_rnn on xs [batch, time,
    depth]: ((outputs, state) dynamic, (outputs, state) static), static outputs stacked."""
    cell = make_cell()
    with tf.variable_scope(name) as scope:
        inputs = tf.transpose(xs, [1, 0, 2]) if time_major else xs
        dyn = tf.nn.dynamic_rnn(cell, inputs, sequence_length=lengths, dtype=tf.float64,
                                time_major=time_major, scope=scope)
        scope.reuse_variables()
        outs, state = tf.nn.static_rnn(cell, tf.unstack(xs, axis=1), sequence_length=lengths,
                                       dtype=tf.float64, scope=scope)
    out = dyn[0] if not time_major else tf.transpose(dyn[0], [1, 0, 2])
    return (out, dyn[1]), (tf.stack(outs, 1), state)


@pytest.mark.parametrize("make_cell", [c[1] for c in CELLS], ids=[c[0] for c in CELLS])
def test_dynamic_rnn_matches_static_rnn(make_cell, rng):
    xs = tf.constant(rng.standard_normal((3, 6, 4)))
    lengths = tf.constant([6, 2, 4])
    results = [_dynamic_and_static(make_cell, xs),
               _dynamic_and_static(make_cell, xs, lengths, name="lengths"),
               _dynamic_and_static(make_cell, xs, time_major=True, name="time_major")]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for dynamic, static in sess.run(results):
            for a, b in zip(nest.flatten(dynamic), nest.flatten(static)):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_dynamic_rnn_variable_names_and_shapes():
    xs = tf.placeholder(tf.float32, [None, 7, 3])
    outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(8), xs, dtype=tf.float32)
    assert [v.op.name for v in tf.trainable_variables()] == ["rnn/basic_lstm_cell/kernel",
                                                            "rnn/basic_lstm_cell/bias"]
    assert outputs.shape.as_list() == [None, 7, 8]
    assert state.c.shape.as_list() == [None, 8]
    assert outputs.op.graph is tf.get_default_graph()


@pytest.mark.parametrize("make_cell", [c[1] for c in CELLS], ids=[c[0] for c in CELLS])
def test_dynamic_rnn_gradients_match_static_rnn(make_cell, rng):
    xs = tf.constant(rng.standard_normal((2, 5, 4)))
    lengths = tf.constant([5, 3])
    (dyn_out, _), (sta_out, _) = _dynamic_and_static(make_cell, xs, lengths)
    w = tf.constant(rng.standard_normal(dyn_out.shape.as_list()))
    variables = tf.trainable_variables()
    grads = [tf.gradients(tf.reduce_sum(out * w), [xs] + variables) for out in (dyn_out, sta_out)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        dynamic, static = sess.run(grads)
    for a, b in zip(dynamic, static):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_dynamic_rnn_runs_any_number_of_steps():
    xs = tf.placeholder(tf.float32, [2, None, 3])
    outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(4), xs, dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for steps in (1, 5, 17):
            out, h = sess.run([outputs, state], {xs: np.ones((2, steps, 3), np.float32)})
            assert out.shape == (2, steps, 4)
            np.testing.assert_array_equal(out[:, -1], h)


def test_dynamic_rnn_trains_a_sequence_classifier():
    rng = np.random.default_rng(0)
    x_value = rng.standard_normal((64, 10, 2)).astype(np.float32)
    labels = (x_value[:, :, 0].sum(1) > 0).astype(np.int32)
    xs = tf.placeholder(tf.float32, [None, None, 2])
    y = tf.placeholder(tf.int32, [None])
    _, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(16), xs, dtype=tf.float32)
    logits = tf.layers.dense(state.h, 2)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                         logits=logits))
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, {xs: x_value, y: labels})
        for _ in range(60):
            sess.run(train, {xs: x_value, y: labels})
        assert sess.run(loss, {xs: x_value, y: labels}) < 0.3 * first


def test_bidirectional_dynamic_rnn_matches_static(rng):
    xs = tf.constant(rng.standard_normal((3, 5, 2)))
    lengths = tf.constant([5, 1, 3])
    fw, bw = tf.nn.rnn_cell.GRUCell(3), tf.nn.rnn_cell.GRUCell(3)
    with tf.variable_scope("bi") as scope:
        (out_fw, out_bw), (state_fw, state_bw) = tf.nn.bidirectional_dynamic_rnn(
            fw, bw, xs, sequence_length=lengths, dtype=tf.float64, scope=scope)
        scope.reuse_variables()
        outs, sfw, sbw = tf.nn.static_bidirectional_rnn(fw, bw, tf.unstack(xs, axis=1),
                                                        sequence_length=lengths,
                                                        dtype=tf.float64, scope=scope)
    names = sorted(v.op.name for v in tf.trainable_variables())
    assert names[0].startswith("bi/bw/gru_cell/") and names[-1].startswith("bi/fw/gru_cell/")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([tf.concat([out_fw, out_bw], 2), state_fw, state_bw,
                        tf.stack(outs, 1), sfw, sbw])
    for a, b in zip(got[:3], got[3:]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_raw_rnn_emulates_dynamic_rnn_and_stops_when_every_row_is_finished(rng):
    xs_value = rng.standard_normal((6, 2, 3))  # time-major
    lengths_value = np.array([6, 3], np.int32)
    xs = tf.constant(xs_value)
    lengths = tf.constant(lengths_value)
    inputs_ta = tf.TensorArray(tf.float64, size=6).unstack(xs)
    cell = tf.nn.rnn_cell.BasicRNNCell(4)

    def loop_fn(time, cell_output, cell_state, loop_state):
        if cell_output is None:
            state = cell.zero_state(2, tf.float64)
        else:
            state = cell_state
        finished = time >= lengths
        next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([2, 3], tf.float64),
                             lambda: inputs_ta.read(tf.minimum(time, 5)))
        return finished, next_input, state, cell_output, None

    with tf.variable_scope("rnn") as scope:
        emit_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn, scope=scope)
        scope.reuse_variables()
        want_out, want_state = tf.nn.dynamic_rnn(cell, xs, sequence_length=lengths,
                                                 time_major=True, dtype=tf.float64, scope=scope)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        emitted, state, want_out, want_state = sess.run(
            [emit_ta.stack(), final_state, want_out, want_state])
    np.testing.assert_allclose(emitted, want_out, rtol=1e-12)
    np.testing.assert_allclose(state, want_state, rtol=1e-12)


def test_dynamic_rnn_packing_its_weights_once_per_loop_gives_static_rnns_bits(rng):
    # Batch 16: the cell's products pack their weights, which a loop does once per run.
    xs = tf.constant(rng.standard_normal((16, 7, 5)).astype(np.float32))
    cell = tf.nn.rnn_cell.LSTMCell(12)
    with tf.variable_scope("rnn") as scope:
        dyn_out, dyn_state = tf.nn.dynamic_rnn(cell, xs, dtype=tf.float32, scope=scope)
        scope.reuse_variables()
        outs, state = tf.nn.static_rnn(cell, tf.unstack(xs, axis=1), dtype=tf.float32,
                                       scope=scope)
    variables = tf.trainable_variables()
    fetches = [[dyn_out, dyn_state.h] + tf.gradients(tf.reduce_sum(dyn_out ** 2), variables),
               [tf.stack(outs, 1), state.h] +
               tf.gradients(tf.reduce_sum(tf.stack(outs, 1) ** 2), variables)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(2):  # a second run of the loop packs again (the weights may change)
            dynamic, static = sess.run(fetches)
            for a, b in zip(dynamic, static):
                np.testing.assert_array_equal(a, b)
            sess.run([v.assign(v * 0.5) for v in variables])


def test_bidirectional_dynamic_rnn_with_steps_known_only_at_run_time(rng):
    xs_value = rng.standard_normal((3, 5, 2))
    lengths = tf.constant([5, 1, 3])
    fed = tf.placeholder(tf.float64, [None, None, 2])
    fw, bw = tf.nn.rnn_cell.GRUCell(3), tf.nn.rnn_cell.GRUCell(3)
    with tf.variable_scope("bi") as scope:
        (dyn_fw, dyn_bw), _ = tf.nn.bidirectional_dynamic_rnn(
            fw, bw, fed, sequence_length=lengths, dtype=tf.float64, scope=scope)
        scope.reuse_variables()
        outs, _, _ = tf.nn.static_bidirectional_rnn(
            fw, bw, tf.unstack(tf.constant(xs_value), axis=1), sequence_length=lengths,
            dtype=tf.float64, scope=scope)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, want = sess.run([tf.concat([dyn_fw, dyn_bw], 2), tf.stack(outs, 1)], {fed: xs_value})
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
