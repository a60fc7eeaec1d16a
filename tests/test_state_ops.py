"""Scatter updates of variables (tf.scatter_*, tf.scatter_nd_*, Variable.scatter_*), checked
against NumPy."""
import numpy as np
import pytest

import tensorlib as tf

# The scatter ops update variables, which the NumPy table of op_testing cannot express: they
# are listed in test_registry.COVERED_ELSEWHERE with the tests below.
OPS = []


def np_update(x, u):
    return u


def np_divide(x, u):
    """C++ division: integers truncate toward zero."""
    q = np.true_divide(x, u)
    return np.trunc(q).astype(x.dtype) if np.issubdtype(x.dtype, np.integer) else q


SCATTERS = [
    ("update", tf.scatter_update, np_update),
    ("add", tf.scatter_add, np.add),
    ("sub", tf.scatter_sub, np.subtract),
    ("mul", tf.scatter_mul, np.multiply),
    ("div", tf.scatter_div, np_divide),
    ("max", tf.scatter_max, np.maximum),
    ("min", tf.scatter_min, np.minimum),
]


def scatter_reference(x, indices, updates, combine):
    """Each update combined into its row in order (repeated indices apply in turn)."""
    out = x.copy()
    flat = updates.reshape((-1,) + x.shape[1:]) if updates.ndim else None
    for k, i in enumerate(np.ravel(indices)):
        out[i] = combine(out[i], updates if flat is None else flat[k])
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("name,fn,combine", SCATTERS, ids=[s[0] for s in SCATTERS])
def test_scatter_matches_numpy(name, fn, combine, dtype, rng):
    x0 = (rng.standard_normal((5, 3)) * 10).astype(dtype) + 1
    indices = np.array([[4, 0], [0, 2]], np.int64)  # 2-D, with a repeated row
    updates = (rng.standard_normal((2, 2, 3)) * 10).astype(dtype)
    if name == "div":
        updates = np.abs(updates) + 1
    var = tf.Variable(x0)
    out = fn(var, indices, updates, use_locking=True)
    assert out.shape.as_list() == [5, 3]
    want = scatter_reference(x0, indices, updates, combine)
    with tf.Session() as sess:
        sess.run(var.initializer)
        got = sess.run(out)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=1e-6)
        np.testing.assert_allclose(sess.run(var), want, rtol=1e-6)


def test_scatter_with_a_scalar_update():
    var = tf.Variable(np.zeros((3, 2), np.float32))
    out = tf.scatter_add(var, [2, 0, 2], 1.5)
    with tf.Session() as sess:
        sess.run(var.initializer)
        np.testing.assert_array_equal(sess.run(out), [[1.5, 1.5], [0, 0], [3, 3]])


def test_scatter_index_out_of_range_leaves_the_variable_unchanged():
    x0 = np.arange(6, dtype=np.float32).reshape(3, 2)
    var = tf.Variable(x0)
    indices = tf.placeholder(tf.int32, [None])
    out = tf.scatter_sub(var, indices, tf.ones([2, 2]))
    with tf.Session() as sess:
        sess.run(var.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"ScatterSub: indices\[1\] = 3 is not in \[0, 3\)"):
            sess.run(out, {indices: [0, 3]})
        np.testing.assert_array_equal(sess.run(var), x0)


def test_scatter_updates_of_the_wrong_shape_are_an_invalid_argument():
    var = tf.Variable(np.zeros((3, 2), np.float32))
    updates = tf.placeholder(tf.float32, None)
    out = tf.scatter_update(var, [0, 1], updates)
    with tf.Session() as sess:
        sess.run(var.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="updates.shape = "
                                                                 "indices.shape"):
            sess.run(out, {updates: np.zeros((2, 3), np.float32)})


def test_scatter_needs_a_variable_and_integer_indices():
    with pytest.raises(TypeError, match="needs a variable"):
        tf.scatter_add(tf.constant([1.0]), [0], [1.0])
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.scatter_add(tf.Variable([1.0]), [0.0], [1.0])


def test_scatter_on_an_uninitialized_variable_is_a_failed_precondition():
    var = tf.Variable([1.0, 2.0])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized"):
            sess.run(tf.scatter_update(var, [0], [3.0]))


@pytest.mark.parametrize("name,fn,combine", [
    ("update", tf.scatter_nd_update, np_update),
    ("add", tf.scatter_nd_add, np.add),
    ("sub", tf.scatter_nd_sub, np.subtract),
])
def test_scatter_nd_matches_numpy(name, fn, combine, rng):
    x0 = rng.standard_normal((4, 3, 2))
    indices = np.array([[3, 1], [0, 2], [3, 1]], np.int32)  # slices [i, j, :], one repeated
    updates = rng.standard_normal((3, 2))
    var = tf.Variable(x0)
    out = fn(var, indices, updates)
    want = x0.copy()
    for (i, j), u in zip(indices, updates):
        want[i, j] = combine(want[i, j], u)
    with tf.Session() as sess:
        sess.run(var.initializer)
        np.testing.assert_allclose(sess.run(out), want)
        np.testing.assert_allclose(sess.run(var), want)


def test_scatter_nd_checks_its_indices():
    var = tf.Variable(np.zeros((2, 2)))
    indices = tf.placeholder(tf.int32, [None, 2])
    out = tf.scatter_nd_add(var, indices, tf.ones([1], tf.float64))
    with tf.Session() as sess:
        sess.run(var.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="ScatterNdAdd.*does not index into param shape"):
            sess.run(out, {indices: [[0, 2]]})
        np.testing.assert_array_equal(sess.run(var), np.zeros((2, 2)))


def test_variable_scatter_methods_take_indexed_slices():
    var = tf.Variable(np.zeros((3, 2), np.float32))
    delta = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant([2, 0]))
    add = var.scatter_add(delta)
    with tf.control_dependencies([add]):
        sub = var.scatter_sub(tf.IndexedSlices(tf.constant([[1.0, 1.0]]), tf.constant([2])))
    update = var.scatter_update(tf.IndexedSlices(tf.constant([[9.0, 9.0]]), tf.constant([1])))
    with tf.Session() as sess:
        sess.run(var.initializer)
        np.testing.assert_array_equal(sess.run(sub), [[3, 4], [0, 0], [0, 1]])
        np.testing.assert_array_equal(sess.run(update), [[3, 4], [9, 9], [0, 1]])
    with pytest.raises(TypeError, match="sparse_delta is not IndexedSlices"):
        var.scatter_sub(tf.ones([3, 2]))
