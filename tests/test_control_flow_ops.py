"""Control flow: tf.cond, tf.case, tf.while_loop, TensorArray, map_fn/scan/foldl/foldr, on the
functional If and While ops; their gradients against finite differences and against the same
computation unrolled."""
import collections
import threading

import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op
from tensorlib.framework import ops

F32, F64 = np.float32, np.float64


def _apply(op_type, inputs, **attrs):
    return ops.apply_op(op_type, inputs, attrs).outputs


def _loop_sum_rows(x):
    n = tf.shape(x)[0]
    return tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a + x[i]),
                         [0, tf.zeros_like(x[0])])[1]


def _scatter_stack(x):
    return tf.TensorArray(x.dtype, size=4).scatter([3, 1, 0, 2], x).stack()


OPS = [
    ("cond_true", ["If"],
     lambda x: tf.cond(tf.reduce_min(x) < 1e9, lambda: x * 2.0, lambda: x - 1.0),
     lambda x: x * 2, [(3, 4)], F32, {}),
    ("cond_false", ["If"],
     lambda x: tf.cond(tf.reduce_min(x) > 1e9, lambda: x * 2.0, lambda: tf.exp(x)),
     np.exp, [(2, 5)], F64, {}),
    ("while_sum_rows", ["While"], _loop_sum_rows, lambda x: x.sum(0), [(5, 3)], F64, {}),
    ("map_fn_square", ["While", "TensorArrayRead", "TensorArrayWrite"],
     lambda x: tf.map_fn(lambda r: r * r, x), lambda x: x * x, [(4, 3)], F32, {}),
    ("tensor_array_scatter", ["TensorArrayScatter"], _scatter_stack,
     lambda x: x[[2, 1, 3, 0]], [(4, 3)], F32, {}),
    ("tensor_array_add_row", ["TensorArrayAddRow"],
     lambda x: _apply("TensorArrayAddRow", [x, tf.constant(1), x[0]],
                      T=x.dtype.as_datatype_enum)[0],
     lambda x: x + np.eye(len(x))[1][:, None] * x[0], [(3, 2)], F64, {}),
    ("tensor_array_write_grad", ["TensorArrayWriteGrad"],
     lambda g: tf.concat(list(_apply("TensorArrayWriteGrad", [g, tf.constant(2)],
                                     T=g.dtype.as_datatype_enum)[0:1]) +
                         [_apply("TensorArrayWriteGrad", [g, tf.constant(2)],
                                 T=g.dtype.as_datatype_enum)[1][None]], 0),
     lambda g: np.concatenate([g * (np.arange(len(g)) != 2)[:, None], g[2:3]]), [(4, 2)], F32,
     {}),
]


def _ta_read_write(x):
    ta = tf.TensorArray(tf.float64, size=3)
    ta = ta.write(0, x[1]).write(2, x[0] * x[2]).write(1, tf.sin(x[0]))
    return ta.stack() * ta.read(2)


GRADS = [
    ("cond", ["If"], lambda x, y: tf.cond(tf.constant(True), lambda: x * y, lambda: x + y)
     + tf.cond(tf.constant(False), lambda: x * y, lambda: tf.sin(x) - y), [(2, 3), (3,)], {}),
    ("while_power", ["While"],
     lambda x: tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, tf.sin(v) * x),
                             [0, x])[1], [(3,)], {}),
    ("while_captured_matmul", ["While"],
     lambda h, w: tf.while_loop(lambda i, h: i < 3,
                                lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w))), [0, h])[1],
     [(2, 3), (3, 3)], {}),
    ("tensor_array_read_write", ["TensorArrayRead", "TensorArrayWrite"], _ta_read_write,
     [(3, 2)], {}),
    ("tensor_array_scatter", ["TensorArrayScatter"],
     lambda x: tf.TensorArray(tf.float64, size=3, element_shape=[2])
     .scatter([2, 0, 1], x).stack() * x, [(3, 2)], {}),
    ("tensor_array_add_row", ["TensorArrayAddRow"],
     lambda x, y: _apply("TensorArrayAddRow", [x * x, tf.constant(1), y],
                         T=x.dtype.as_datatype_enum)[0],
     [(3, 2), (2,)], {}),
    ("tensor_array_write_grad", ["TensorArrayWriteGrad"],
     lambda g: sum(_apply("TensorArrayWriteGrad", [g * g, tf.constant(1)],
                          T=g.dtype.as_datatype_enum)), [(3, 2)], {}),
    ("map_fn", ["While"], lambda x: tf.map_fn(lambda r: tf.sin(r) * r, x), [(3, 2)], {}),
    ("scan", ["While"], lambda x: tf.scan(lambda a, r: a * r + 1.0, x), [(4, 2)], {}),
    ("foldl", ["While"], lambda x, a: tf.foldl(lambda a, r: tf.tanh(a + r), x, initializer=a),
     [(3, 2), (2,)], {}),
]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed):
    check_op(case, feed, np.random.default_rng(0))


# ---- cond and case -----------------------------------------------------------------------------

def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_cond_runs_only_the_branch_taken():
    p = tf.placeholder(tf.bool, [])
    x = tf.placeholder(tf.float32, [None])
    # The false branch fails when it runs: a reshape to the wrong size.
    y = tf.cond(p, lambda: x * 2.0, lambda: tf.reshape(x, [7]))
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {p: True, x: [1, 2, 3]}), [2.0, 4.0, 6.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="Reshape"):
            sess.run(y, {p: False, x: [1, 2, 3]})


def test_cond_returns_nested_structures():
    Pair = collections.namedtuple("Pair", "a b")
    p = tf.placeholder(tf.bool, [])
    x = tf.constant(3.0)
    out = tf.cond(p, lambda: {"s": Pair(x, x * 2), "t": [x + 1]},
                  lambda: {"s": Pair(x - 1, x), "t": [x * x]})
    assert isinstance(out["s"], Pair) and isinstance(out["t"], list)
    assert _run(out, {p: True}) == {"s": Pair(3.0, 6.0), "t": [4.0]}
    assert _run(out, {p: False}) == {"s": Pair(2.0, 3.0), "t": [9.0]}


def test_cond_unpacks_singletons_unless_strict():
    x = tf.constant(1.0)
    assert isinstance(tf.cond(tf.constant(True), lambda: [x], lambda: [x + 1]), tf.Tensor)
    strict = tf.cond(tf.constant(True), lambda: [x], lambda: [x + 1], strict=True)
    assert isinstance(strict, list) and len(strict) == 1


def test_cond_names_and_shapes():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.cond(tf.constant(True), lambda: x, lambda: tf.zeros([2, 3]), name="pick")
    assert y.op.name == "pick" and y.op.type == "If"
    assert y.shape.as_list() == [None, 3]


def test_cond_branches_must_agree():
    x = tf.constant(1.0)
    with pytest.raises(ValueError, match="Incompatible return values of true_fn and false_fn"):
        tf.cond(tf.constant(True), lambda: (x, x), lambda: x)
    with pytest.raises(ValueError,
                       match="Outputs of true_fn and false_fn must have the same type: "
                             "float32, int32"):
        tf.cond(tf.constant(True), lambda: x, lambda: tf.constant(1))
    with pytest.raises(TypeError, match="pred must not be a Python bool"):
        tf.cond(True, lambda: x, lambda: x)
    with pytest.raises(TypeError, match="true_fn must be callable"):
        tf.cond(tf.constant(True), x, lambda: x)


def test_case_picks_the_first_true_predicate():
    x = tf.placeholder(tf.int32, [])
    y = tf.case([(tf.less(x, 0), lambda: tf.constant(-1)),
                 (tf.equal(x, 0), lambda: tf.constant(0))],
                default=lambda: tf.constant(1))
    with tf.Session() as sess:
        assert [sess.run(y, {x: v}) for v in (-5, 0, 7)] == [-1, 0, 1]
    z = tf.case({tf.less(x, 0): lambda: tf.constant(10), tf.greater(x, 0): lambda: tf.constant(20)})
    with tf.Session() as sess:
        assert sess.run(z, {x: -1}) == 10
        assert sess.run(z, {x: 1}) == 20


# ---- while_loop ----------------------------------------------------------------------------

def test_while_loop_structures_and_single_variables():
    Acc = collections.namedtuple("Acc", "total count")
    i, acc = tf.while_loop(lambda i, acc: i < 4,
                           lambda i, acc: (i + 1, Acc(acc.total + tf.cast(i, tf.float32),
                                                      acc.count + 1)),
                           (tf.constant(0), Acc(tf.constant(0.0), tf.constant(0))))
    assert isinstance(acc, Acc)
    assert _run([i, acc.total, acc.count]) == [4, 6.0, 4]
    single = tf.while_loop(lambda v: v < 100, lambda v: v * 2, [tf.constant(3)])
    assert isinstance(single, tf.Tensor) and _run(single) == 192
    same = tf.while_loop(lambda v: v < 100, lambda v: [v * 2], [tf.constant(3)],
                         return_same_structure=True)
    assert isinstance(same, list) and _run(same) == [192]


def test_while_loop_maximum_iterations():
    v = tf.while_loop(lambda v: tf.constant(True), lambda v: v + 1, [tf.constant(0)],
                      maximum_iterations=7)
    assert _run(v) == 7


def test_while_loop_shape_invariants():
    x = tf.constant([[1.0]])
    grow = tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, tf.concat([x, x], 0)), [0, x],
                         shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, 1])])[1]
    assert grow.shape.as_list() == [None, 1]
    assert _run(grow).shape == (8, 1)
    with pytest.raises(ValueError, match="enters the loop with shape \\(1, 1\\), but has shape "
                                         "\\(2, 1\\) after one iteration"):
        tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, tf.concat([x, x], 0)), [0, x])
    with pytest.raises(ValueError, match="not compatible with the initial shape"):
        tf.while_loop(lambda x: True, lambda x: x, [x], shape_invariants=[tf.TensorShape([2])])


def test_while_loop_checks_the_body():
    x = tf.constant(1.0)
    with pytest.raises(TypeError, match="enters the loop with type float32, but has type int32"):
        tf.while_loop(lambda v: v < 3.0, lambda v: tf.constant(1), [x])
    with pytest.raises(ValueError, match="same number of elements|same nested structure"):
        tf.while_loop(lambda a, b: a < 3.0, lambda a, b: (a,), [x, x])
    with pytest.raises(TypeError, match="cond must be callable"):
        tf.while_loop(x, lambda v: v, [x])


def test_loops_inside_conds_and_conds_inside_loops():
    n = tf.placeholder(tf.int32, [])

    def collatz_steps(start):
        def body(v, steps):
            v = tf.cond(tf.equal(v % 2, 0), lambda: v // 2, lambda: 3 * v + 1)
            return v, steps + 1
        return tf.while_loop(lambda v, s: v > 1, body, [start, 0])[1]

    y = tf.cond(n > 0, lambda: collatz_steps(n), lambda: tf.constant(-1))
    with tf.Session() as sess:
        assert sess.run(y, {n: 27}) == 111
        assert sess.run(y, {n: 6}) == 8
        assert sess.run(y, {n: -3}) == -1


def test_nested_loops_capture_from_every_level():
    x = tf.constant(np.arange(6.0).reshape(2, 3))

    def outer(i, total):
        row = x[i]

        def inner(j, s):
            return j + 1, s + row[j] * tf.cast(i + 1, tf.float64)
        inner_total = tf.while_loop(lambda j, s: j < 3, inner,
                                    [0, tf.constant(0.0, tf.float64)])[1]
        return i + 1, total + inner_total

    total = tf.while_loop(lambda i, t: i < 2, outer, [0, tf.constant(0.0, tf.float64)])[1]
    assert _run(total) == pytest.approx(1 * (0 + 1 + 2) + 2 * (3 + 4 + 5))


def test_variables_made_in_a_loop_body_live_in_the_outer_graph():
    x = tf.constant(np.ones((2, 3), np.float32))

    def body(i, h):
        with tf.variable_scope("cell", reuse=tf.AUTO_REUSE):
            w = tf.get_variable("w", [3, 3], initializer=tf.constant_initializer(0.5))
        return i + 1, tf.matmul(h, w)

    h = tf.while_loop(lambda i, h: i < 2, body, [0, x])[1]
    names = [v.name for v in tf.global_variables()]
    assert names == ["cell/w:0"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(h), np.full((2, 3), 2.25))


def test_branches_and_loop_bodies_update_variables():
    v = tf.Variable(0.0)
    p = tf.placeholder(tf.bool, [])
    value = tf.cond(p, lambda: tf.assign_add(v, 1.0), lambda: tf.identity(v))
    counter = tf.Variable(0)
    loop = tf.while_loop(lambda i: i < 5, lambda i: i + 1 + 0 * tf.assign_add(counter, 1), [0])
    w = tf.Variable([1.0, 2.0])
    x = tf.placeholder(tf.float32, [2])
    loss = tf.reduce_sum(w * x)
    train = tf.cond(p, lambda: tf.train.GradientDescentOptimizer(0.5).minimize(loss),
                    lambda: tf.no_op())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert [sess.run(value, {p: b}) for b in (True, True, False)] == [1.0, 2.0, 2.0]
        assert sess.run(v) == 2.0
        assert sess.run(loop) == 5 and sess.run(counter) == 5
        sess.run(train, {p: True, x: [1.0, 1.0]})
        np.testing.assert_array_equal(sess.run(w), [0.5, 1.5])
        sess.run(train, {p: False, x: [1.0, 1.0]})  # the branch taken does not train
        np.testing.assert_array_equal(sess.run(w), [0.5, 1.5])
        with pytest.raises(tf.errors.FailedPreconditionError, match="changes a variable"):
            tf.lite.TFLiteConverter.from_session(sess, [p], [value]).convert()


# ---- TensorArray -------------------------------------------------------------------------

def test_tensor_array_in_a_loop_without_element_shape():
    n = tf.placeholder(tf.int32, [])
    ta = tf.TensorArray(tf.float32, size=n)

    def body(i, ta):
        return i + 1, ta.write(i, tf.fill([2], tf.cast(i, tf.float32)))

    _, ta = tf.while_loop(lambda i, ta: i < n, body, [0, ta])
    stacked = ta.stack()
    assert stacked.shape.as_list() == [None, 2]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(stacked, {n: 4}),
                                      np.repeat(np.arange(4.0), 2).reshape(4, 2))
        assert sess.run(ta.size(), {n: 5}) == 5


def test_tensor_array_dynamic_size_grows():
    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    _, ta = tf.while_loop(lambda i, ta: i < 10, lambda i, ta: (i + 1, ta.write(i, i * i)),
                          [0, ta])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(ta.stack()), np.arange(10) ** 2)
        assert sess.run(ta.size()) == 10


def test_tensor_array_errors():
    ta = tf.TensorArray(tf.float32, size=2)
    with pytest.raises(ValueError, match="requested dtype float32"):
        ta.write(0, tf.constant(1, tf.int32))
    written = ta.write(0, tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="Inconsistent shapes"):
        written.write(1, tf.constant([1.0, 2.0, 3.0]))
    too_far = ta.write(5, tf.constant([1.0]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Tried to write to index 5 but array is not resizeable"):
            sess.run(too_far.stack())
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Tried to read from index 3 but array size is: 2"):
            sess.run(written.read(3))


def test_tensor_array_unstack_gather_concat():
    x = tf.constant(np.arange(12.0).reshape(3, 2, 2))
    ta = tf.TensorArray(tf.float64, size=3).unstack(x)
    got = _run([ta.read(1), ta.gather([2, 0]), ta.concat(), ta.size()])
    np.testing.assert_array_equal(got[0], np.arange(4.0, 8.0).reshape(2, 2))
    np.testing.assert_array_equal(got[1], np.arange(12.0).reshape(3, 2, 2)[[2, 0]])
    np.testing.assert_array_equal(got[2], np.arange(12.0).reshape(6, 2))
    assert got[3] == 3


# ---- functional ops --------------------------------------------------------------------------

def test_map_fn_with_structures_and_dtype():
    x = tf.constant(np.arange(6.0, dtype=np.float32).reshape(3, 2))
    y = tf.constant([1, 2, 3])
    out = tf.map_fn(lambda e: (e[0] * 2.0, tf.cast(e[1], tf.float32)), (x, y),
                    dtype=(tf.float32, tf.float32))
    a, b = _run(out)
    np.testing.assert_array_equal(a, np.arange(6.0).reshape(3, 2) * 2)
    np.testing.assert_array_equal(b, [1.0, 2.0, 3.0])
    assert out[0].shape.as_list() == [3, 2]


def test_scan_reverse_and_initializer():
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    fwd = tf.scan(lambda a, e: a + e, x)
    rev = tf.scan(lambda a, e: a + e, x, reverse=True)
    init = tf.scan(lambda a, e: a * e, x, initializer=tf.constant(2.0))
    got = _run([fwd, rev, init])
    np.testing.assert_array_equal(got[0], [1, 3, 6, 10])
    np.testing.assert_array_equal(got[1], [10, 9, 7, 4])
    np.testing.assert_array_equal(got[2], [2, 4, 12, 48])


def test_foldl_foldr_order():
    x = tf.constant([1.0, 2.0, 3.0])
    assert _run(tf.foldl(lambda a, e: a * 10 + e, x)) == 123.0
    assert _run(tf.foldr(lambda a, e: a * 10 + e, x)) == 321.0


# ---- gradients -----------------------------------------------------------------------------

def _rnn(h0, w, xs, loop):
    """tanh(h @ w + x_t) over the rows of xs: with a while_loop or unrolled in Python."""
    if not loop:
        h = h0
        for t in range(xs.shape[0]):
            h = tf.tanh(tf.matmul(h, w) + xs[t])
        return h
    return tf.while_loop(lambda t, h: t < tf.shape(xs)[0],
                         lambda t, h: (t + 1, tf.tanh(tf.matmul(h, w) + xs[t])), [0, h0])[1]


def test_loop_gradients_equal_the_unrolled_computation():
    rng = np.random.default_rng(3)
    h0 = tf.constant(rng.standard_normal((2, 4)))
    w = tf.constant(rng.standard_normal((4, 4)) * 0.5)
    xs = tf.constant(rng.standard_normal((5, 2, 4)))
    grads = [tf.gradients(tf.reduce_sum(tf.square(_rnn(h0, w, xs, loop))), [h0, w, xs])
             for loop in (True, False)]
    looped, unrolled = _run(grads)
    for a, b in zip(looped, unrolled):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_loop_gradient_over_runs_of_different_lengths():
    # The loop's history keeps rows for as many iterations as its last run had: runs longer
    # and shorter than the one before must each get their own gradient.
    rng = np.random.default_rng(5)
    steps = tf.placeholder(tf.int32, [])
    x = tf.placeholder(tf.float64, [3, 4])
    w = rng.standard_normal((4, 4)) * 0.4
    h = tf.while_loop(lambda i, h: i < steps, lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w))),
                      [0, x])[1]
    g = tf.gradients(tf.reduce_sum(h), x)[0]
    x_value = rng.standard_normal((3, 4))
    with tf.Session() as sess:
        for k in (3, 1, 9, 40, 2, 0, 17):
            hs = [x_value]
            for _ in range(k):
                hs.append(np.tanh(hs[-1] @ w))
            want = np.ones_like(x_value)
            for t in range(k, 0, -1):
                want = (want * (1 - hs[t] ** 2)) @ w.T
            got_h, got_g = sess.run([h, g], {steps: k, x: x_value})
            np.testing.assert_allclose(got_h, hs[-1], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(got_g, want, rtol=1e-10, atol=1e-12)


def test_nested_loop_gradients_in_concurrent_runs_of_different_lengths():
    # Each run of a loop stacks its own history; the rows' size hint the plan keeps is shared
    # by runs that overlap (here an inner loop whose length changes with the outer step).
    x = tf.placeholder(tf.float64, [3])
    steps = tf.placeholder(tf.int32, [])

    def outer_body(i, v):
        inner = tf.while_loop(lambda j, u: j < i + 1,
                              lambda j, u: (j + 1, tf.sin(u) * 1.1 + 0.1 * u), [0, v])
        return i + 1, inner[1]

    y = tf.while_loop(lambda i, v: i < steps, outer_body, [0, x])[1]
    g = tf.gradients(tf.reduce_sum(y), x)[0]
    x_value = np.array([0.3, -0.7, 1.2])

    def want(n):  # the value and its derivative, by the chain rule along the iterations
        v, d = x_value.copy(), np.ones(3)
        for i in range(n):
            for _ in range(i + 1):
                d = d * (np.cos(v) * 1.1 + 0.1)
                v = np.sin(v) * 1.1 + 0.1 * v
        return v, d

    errors = []
    with tf.Session() as sess:
        def work(n):
            for _ in range(10):
                got_y, got_g = sess.run([y, g], {x: x_value, steps: n})
                want_y, want_g = want(n)
                errors.append(max(np.abs(got_y - want_y).max(), np.abs(got_g - want_g).max()))
        threads = [threading.Thread(target=work, args=(n,)) for n in (2, 5, 0, 3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(errors) == 40 and max(errors) < 1e-12


def test_loop_second_derivative():
    x = tf.placeholder(tf.float64, [])
    y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * v * 0.5 + v), [0, x])[1]
    unrolled = x
    for _ in range(3):
        unrolled = unrolled * unrolled * 0.5 + unrolled
    g = tf.gradients(y, x)[0]
    h = tf.gradients(g, x)[0]
    gu = tf.gradients(unrolled, x)[0]
    hu = tf.gradients(gu, x)[0]
    got = _run([g, h, gu, hu], {x: 0.7})
    np.testing.assert_allclose(got[0], got[2], rtol=1e-12)
    np.testing.assert_allclose(got[1], got[3], rtol=1e-12)


def test_cond_inside_loop_gradient():
    x = tf.placeholder(tf.float64, [3])

    def body(i, v):
        return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: tf.sin(v) * 2.0, lambda: v * v)

    y = tf.reduce_sum(tf.while_loop(lambda i, v: i < 4, body, [0, x])[1])
    g = tf.gradients(y, x)[0]
    xv = np.array([0.3, -0.5, 0.9])

    def f(v):
        for i in range(4):
            v = np.sin(v) * 2 if i % 2 == 0 else v * v
        return v.sum()

    eps = 1e-6
    want = [(f(xv + eps * e) - f(xv - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(_run(g, {x: xv}), want, rtol=1e-6)


def test_tensor_array_loop_gradient_equals_unrolled():
    rng = np.random.default_rng(5)
    xs = tf.constant(rng.standard_normal((6, 3)))
    w = tf.constant(rng.standard_normal((3, 3)))

    def looped():
        inputs = tf.TensorArray(tf.float64, size=6).unstack(xs)
        outputs = tf.TensorArray(tf.float64, size=6)

        def body(t, h, out):
            h = tf.tanh(tf.matmul(h[None], w)[0] + inputs.read(t))
            return t + 1, h, out.write(t, h)
        _, _, out = tf.while_loop(lambda t, h, o: t < 6, body, [0, tf.zeros([3], tf.float64),
                                                                  outputs])
        return out.stack()

    def unrolled():
        h, outs = tf.zeros([3], tf.float64), []
        for t in range(6):
            h = tf.tanh(tf.matmul(h[None], w)[0] + xs[t])
            outs.append(h)
        return tf.stack(outs)

    results = []
    for make in (looped, unrolled):
        y = make()
        loss = tf.reduce_sum(y * tf.constant(np.arange(18.0).reshape(6, 3)))
        results.append([y] + tf.gradients(loss, [xs, w]))
    got = _run(results)
    for a, b in zip(got[0], got[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_back_prop_false_stops_gradients():
    x = tf.constant(2.0)
    y = tf.while_loop(lambda v: v < 10.0, lambda v: v * v, [x], back_prop=False)
    assert tf.gradients(y, x) == [None]


def test_random_numbers_drawn_in_a_loop_are_reused_by_its_gradient():
    x = tf.placeholder(tf.float64, [4])
    y = tf.while_loop(lambda i, v: i < 3,
                      lambda i, v: (i + 1, v * (tf.random_uniform([4], dtype=tf.float64) + 0.5)),
                      [0, x])[1]
    g = tf.gradients(tf.reduce_sum(y), x)[0]
    xv = np.array([1.0, 2.0, -1.0, 0.5])
    yv, gv = _run([y, g], {x: xv})
    np.testing.assert_allclose(gv, yv / xv, rtol=1e-12)


def test_random_numbers_drawn_in_a_branch_are_reused_by_its_gradient():
    x = tf.placeholder(tf.float64, [5])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: x * tf.random_uniform([5], dtype=tf.float64),
                lambda: x * 3.0)
    g = tf.gradients(tf.reduce_sum(y), x)[0]
    xv = np.array([1.0, -2.0, 0.5, 4.0, 3.0])
    with tf.Session() as sess:
        yv, gv = sess.run([y, g], {x: xv, p: True})
        np.testing.assert_allclose(gv, yv / xv, rtol=1e-12)
        yv, gv = sess.run([y, g], {x: xv, p: False})
        np.testing.assert_allclose(gv, np.full(5, 3.0))
    assert y.shape.as_list() == [5]


def test_loops_run_from_several_threads_give_the_same_bits():
    xs = tf.placeholder(tf.float32, [None, None, 3])
    out, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.LSTMCell(8), xs, dtype=tf.float32)
    grads = tf.gradients(tf.reduce_sum(out), tf.trainable_variables())
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((8, 5 + i, 3)).astype(np.float32) for i in range(3)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = [sess.run([out] + grads, {xs: x}) for x in inputs]
        failures = []

        def work(k):
            for r in range(10):
                i = (k + r) % len(inputs)
                got = sess.run([out] + grads, {xs: inputs[i]})
                if any(a.tobytes() != b.tobytes() for a, b in zip(got, want[i])):
                    failures.append((k, r))

        threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not failures
