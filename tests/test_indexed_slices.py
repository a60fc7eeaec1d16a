"""tf.IndexedSlices: the sparse gradients of gather and embedding_lookup, their aggregation,
densification, fetching, and clipping, checked against NumPy."""
import logging

import numpy as np
import pytest

import tensorlib as tf


def dense_of(values, indices, shape):
    out = np.zeros(shape, values.dtype)
    np.add.at(out, indices, values)
    return out


def test_properties_and_negation():
    values = tf.constant([[1.0, 2.0]], name="vals")
    indices = tf.constant([3])
    s = tf.IndexedSlices(values, indices, tf.constant([4, 2]))
    assert s.values is values and s.indices is indices
    assert s.name == "vals:0" and s.dtype == tf.float32
    assert s.graph is values.graph and s.op is values.op and s.device == values.device
    neg = -s
    assert isinstance(neg, tf.IndexedSlices) and neg.indices is indices
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(neg.values), [[-1.0, -2.0]])


def test_session_fetches_an_indexed_slices_value():
    s = tf.IndexedSlices(tf.constant([[1.0], [2.0]]), tf.constant([0, 2]), tf.constant([3, 1]))
    no_shape = tf.IndexedSlices(tf.constant([5.0]), tf.constant([1]))
    with tf.Session() as sess:
        value = sess.run(s)
        assert isinstance(value, tf.IndexedSlicesValue)
        np.testing.assert_array_equal(value.values, [[1.0], [2.0]])
        np.testing.assert_array_equal(value.indices, [0, 2])
        np.testing.assert_array_equal(value.dense_shape, [3, 1])
        both = sess.run({"a": [s, no_shape]})
        assert both["a"][1].dense_shape is None
        np.testing.assert_array_equal(both["a"][1].values, [5.0])
        np.testing.assert_array_equal(both["a"][0].indices, [0, 2])


def test_convert_to_tensor_sums_repeated_rows():
    s = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
                         tf.constant([2, 0, 2]), tf.constant([4, 2]))
    dense = tf.convert_to_tensor(s)
    assert dense.shape.as_list() == [4, 2]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(dense), [[3, 4], [0, 0], [6, 8], [0, 0]])


def test_densifying_a_large_or_unknown_shape_logs_a_warning(caplog):
    small = tf.IndexedSlices(tf.ones([1, 2]), tf.constant([0]), tf.constant([3, 2]))
    unknown = tf.IndexedSlices(tf.ones([1, 2]), tf.constant([0]),
                               tf.placeholder(tf.int32, [2]))
    with caplog.at_level(logging.WARNING, logger="tensorlib"):
        tf.convert_to_tensor(small)
        assert not caplog.records
        tf.convert_to_tensor(unknown)
    assert "Converting sparse IndexedSlices to a dense Tensor of unknown shape" in caplog.text
    with pytest.raises(ValueError, match="without dense_shape"):
        tf.convert_to_tensor(tf.IndexedSlices(tf.ones([1]), tf.constant([0])))


@pytest.mark.parametrize("of_variable", [True, False])
def test_gather_gradient_is_indexed_slices(of_variable, rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    params = tf.Variable(x) if of_variable else tf.constant(x)
    ids = np.array([[4, 1], [1, 1]])
    weights = rng.standard_normal((2, 2, 3)).astype(np.float32)
    loss = tf.reduce_sum(tf.gather(params, ids) * weights)
    grad, = tf.gradients(loss, params)
    assert isinstance(grad, tf.IndexedSlices)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        value = sess.run(grad)
    np.testing.assert_array_equal(value.indices, ids.ravel())
    np.testing.assert_allclose(value.values, weights.reshape(4, 3))
    np.testing.assert_array_equal(value.dense_shape, [5, 3])


def test_gradients_of_several_gathers_are_concatenated_and_mixed_ones_densified(rng):
    x = rng.standard_normal((4, 2))
    w = tf.Variable(x)
    sparse_loss = tf.reduce_sum(tf.gather(w, [0, 3])) + 2 * tf.reduce_sum(
        tf.nn.embedding_lookup(w, [3]))
    mixed_loss = sparse_loss + tf.reduce_sum(w * w)
    sparse, mixed = tf.gradients(sparse_loss, w)[0], tf.gradients(mixed_loss, w)[0]
    assert isinstance(sparse, tf.IndexedSlices)
    assert isinstance(mixed, tf.Tensor)
    want_sparse = dense_of(np.array([[1, 1], [1, 1], [2, 2]], float), [0, 3, 3], (4, 2))
    with tf.Session() as sess:
        sess.run(w.initializer)
        got = sess.run(sparse)
        assert sorted(got.indices.tolist()) == [0, 3, 3]
        np.testing.assert_allclose(dense_of(got.values, got.indices, (4, 2)), want_sparse)
        np.testing.assert_allclose(sess.run(mixed), want_sparse + 2 * x)


def test_identity_passes_indexed_slices_on():
    w = tf.Variable(np.ones((3, 2), np.float32))
    grad = tf.gradients(tf.reduce_sum(tf.gather(tf.identity(w), [0, 0])), w)[0]
    assert isinstance(grad, tf.IndexedSlices)
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(tf.convert_to_tensor(grad)), [[2, 2], [0, 0],
                                                                             [0, 0]])


def test_gradient_through_other_ops_is_dense(rng):
    x = rng.standard_normal((3, 2)).astype(np.float32)
    w = tf.Variable(x)
    loss = tf.reduce_sum(tf.gather(w * 3.0, [2, 2]))
    grad = tf.gradients(loss, w)[0]
    assert isinstance(grad, tf.Tensor)
    along_axis_1 = tf.gradients(tf.reduce_sum(tf.gather(w, [1, 1], axis=1)), w)[0]
    assert isinstance(along_axis_1, tf.Tensor)
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_allclose(sess.run(grad), [[0, 0], [0, 0], [6, 6]])
        np.testing.assert_allclose(sess.run(along_axis_1), [[0, 2], [0, 2], [0, 2]])


def test_clipping_keeps_indexed_slices(rng):
    values = rng.standard_normal((3, 2)).astype(np.float32) * 4
    s = tf.IndexedSlices(tf.constant(values), tf.constant([0, 2, 0]), tf.constant([4, 2]))
    dense = rng.standard_normal(3).astype(np.float32)
    (c_sparse, c_dense), norm = tf.clip_by_global_norm([s, tf.constant(dense)], 1.5)
    by_norm = tf.clip_by_norm(s, 2.0)
    assert isinstance(c_sparse, tf.IndexedSlices) and isinstance(by_norm, tf.IndexedSlices)
    want_norm = np.sqrt(np.sum(values ** 2) + np.sum(dense ** 2))
    scale = 1.5 / max(want_norm, 1.5)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(tf.global_norm([s, None, dense])), want_norm,
                                   rtol=1e-6)
        np.testing.assert_allclose(sess.run(norm), want_norm, rtol=1e-6)
        got = sess.run(c_sparse)
        np.testing.assert_allclose(got.values, values * scale, rtol=1e-6)
        np.testing.assert_array_equal(got.indices, [0, 2, 0])
        np.testing.assert_allclose(sess.run(c_dense), dense * scale, rtol=1e-6)
        np.testing.assert_allclose(sess.run(by_norm.values),
                                   values * 2.0 / max(np.sqrt(np.sum(values ** 2)), 2.0),
                                   rtol=1e-6)


def test_compute_gradients_returns_indexed_slices_and_minimize_touches_only_used_rows(rng):
    x = rng.standard_normal((6, 2)).astype(np.float32)
    w = tf.Variable(x)
    loss = tf.reduce_sum(tf.square(tf.nn.embedding_lookup(w, [1, 4, 1])))
    optimizer = tf.train.AdagradOptimizer(0.1)
    (grad, _), = optimizer.compute_gradients(loss, [w])
    assert isinstance(grad, tf.IndexedSlices)
    train = optimizer.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(loss)
        for _ in range(3):
            sess.run(train)
        assert sess.run(loss) < before
        after = sess.run(w)
    untouched = [0, 2, 3, 5]
    np.testing.assert_array_equal(after[untouched], x[untouched])
