"""tf.data: every stage against the same pipeline computed with NumPy and Python lists."""
import time

import numpy as np
import pytest

import tensorlib as tf
from tensorlib import errors


def _run_all(dataset, limit=1000):
    """Every element of `dataset` (through a one-shot iterator), as NumPy values."""
    with tf.Graph().as_default():
        ds = dataset()
        nxt = ds.make_one_shot_iterator().get_next()
        out = []
        with tf.Session() as sess:
            for _ in range(limit):
                try:
                    out.append(sess.run(nxt))
                except errors.OutOfRangeError:
                    return out
    raise AssertionError("the dataset did not end")


def _ints(values):
    return [int(v) for v in values]


def test_from_tensor_slices_tuple_and_dict_elements():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.array([1, 2, 3, 4], np.int64)
    got = _run_all(lambda: tf.data.Dataset.from_tensor_slices((x, {"b": y, "a": x * 2})))
    assert len(got) == 4
    for i, (a, d) in enumerate(got):
        np.testing.assert_array_equal(a, x[i])
        np.testing.assert_array_equal(d["a"], x[i] * 2)
        assert d["b"] == y[i]


def test_from_tensors_range_and_static_structure():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensors(([1, 2, 3], 5.0))
        assert ds.output_types == (tf.int32, tf.float32)
        assert [s.as_list() for s in ds.output_shapes] == [[3], []]
        assert ds.output_classes == (tf.Tensor, tf.Tensor)
        nxt = ds.make_one_shot_iterator().get_next()
        assert nxt[0].shape.as_list() == [3]
    got = _run_all(lambda: tf.data.Dataset.from_tensors(([1, 2, 3], 5.0)))
    assert len(got) == 1
    np.testing.assert_array_equal(got[0][0], [1, 2, 3])
    assert _ints(_run_all(lambda: tf.data.Dataset.range(5))) == list(range(5))
    assert _ints(_run_all(lambda: tf.data.Dataset.range(2, 11, 3))) == list(range(2, 11, 3))
    assert _ints(_run_all(lambda: tf.data.Dataset.range(5, 0, -2))) == list(range(5, 0, -2))
    # A step past the int64 range ends the range instead of wrapping around.
    top, bottom = 2**63 - 1, -2**63
    assert _ints(_run_all(lambda: tf.data.Dataset.range(top - 7, top, 4))) == [top - 7, top - 3]
    assert _ints(_run_all(lambda: tf.data.Dataset.range(bottom + 5, bottom, -3))) == [
        bottom + 5, bottom + 2]


def test_zip_and_concatenate():
    def zipped():
        a = tf.data.Dataset.range(5)
        b = tf.data.Dataset.from_tensor_slices(np.arange(3, dtype=np.float32) * 10)
        return tf.data.Dataset.zip((a, b))
    got = _run_all(zipped)
    assert [(int(a), float(b)) for a, b in got] == [(0, 0.0), (1, 10.0), (2, 20.0)]
    got = _run_all(lambda: tf.data.Dataset.range(3).concatenate(tf.data.Dataset.range(7, 9)))
    assert _ints(got) == [0, 1, 2, 7, 8]
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="different types"):
            tf.data.Dataset.range(3).concatenate(tf.data.Dataset.from_tensors(1.0))


def test_map_with_tuples_dicts_and_captured_tensors():
    x = np.arange(6, dtype=np.float32)

    def pipeline():
        scale = tf.constant(3.0)
        ds = tf.data.Dataset.from_tensor_slices((x, x + 1))
        ds = ds.map(lambda a, b: {"sum": a + b, "scaled": a * scale})
        return ds.map(lambda d: (d["sum"], d["scaled"] - 1))
    got = _run_all(pipeline)
    np.testing.assert_allclose([g[0] for g in got], x + x + 1)
    np.testing.assert_allclose([g[1] for g in got], x * 3 - 1)


def test_map_reads_a_variable_captured_at_initialization():
    with tf.Graph().as_default():
        v = tf.Variable(2.0)
        ds = tf.data.Dataset.range(3).map(lambda i: tf.cast(i, tf.float32) * v)
        it = ds.make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(it.initializer)
            assert [sess.run(nxt) for _ in range(3)] == [0.0, 2.0, 4.0]


def test_parallel_map_matches_serial_map_in_order():
    x = np.random.RandomState(0).randn(200, 8).astype(np.float32)

    def pipeline(parallel):
        def f(row):
            return tf.reduce_sum(tf.tanh(row) * row), tf.argmax(row)
        return lambda: tf.data.Dataset.from_tensor_slices(x).map(f, num_parallel_calls=parallel)
    serial = _run_all(pipeline(None))
    for parallel in (4, tf.data.experimental.AUTOTUNE):
        got = _run_all(pipeline(parallel))
        assert len(got) == len(serial) == 200
        for (a, b), (c, d) in zip(got, serial):
            assert a == c and b == d
    np.testing.assert_allclose([s[0] for s in serial], (np.tanh(x) * x).sum(1), rtol=1e-5)


def test_flat_map_and_filter():
    got = _run_all(lambda: tf.data.Dataset.range(4).flat_map(
        lambda i: tf.data.Dataset.from_tensors(i).repeat(i)))
    assert _ints(got) == [1, 2, 2, 3, 3, 3]
    got = _run_all(lambda: tf.data.Dataset.range(3).flat_map(
        lambda i: tf.data.Dataset.range(i * 10, i * 10 + 2).map(lambda j: j + 1)))
    assert _ints(got) == [1, 2, 11, 12, 21, 22]
    got = _run_all(lambda: tf.data.Dataset.range(20).filter(lambda i: tf.equal(i % 3, 0)))
    assert _ints(got) == [i for i in range(20) if i % 3 == 0]


def test_filter_predicate_must_be_a_scalar_bool():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="scalar boolean"):
            tf.data.Dataset.range(3).filter(lambda i: i * 2)
        with pytest.raises(ValueError, match="scalar boolean"):
            tf.data.Dataset.range(3).filter(lambda i: tf.fill([2], True))


def test_batch_with_and_without_remainder():
    x = np.arange(20, dtype=np.int32).reshape(10, 2)
    got = _run_all(lambda: tf.data.Dataset.from_tensor_slices(x).batch(4))
    assert [g.shape for g in got] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate(got), x)
    got = _run_all(lambda: tf.data.Dataset.from_tensor_slices(x).batch(4, drop_remainder=True))
    np.testing.assert_array_equal(np.concatenate(got), x[:8])
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(x)
        assert ds.batch(4).output_shapes.as_list() == [None, 2]
        assert ds.batch(4, drop_remainder=True).output_shapes.as_list() == [4, 2]


def test_batch_of_ragged_elements_names_the_op():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(1, 4).map(lambda n: tf.fill(tf.reshape(n, [1]), n)).batch(3)
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            with pytest.raises(errors.InvalidArgumentError,
                               match=r"(?s)Cannot batch tensors with different shapes in "
                                     r"component 0.*IteratorGetNext"):
                sess.run(nxt)


def test_padded_batch_against_numpy():
    lengths = [1, 3, 2, 4, 2]

    def padded(shape, value, drop=False):
        def pipeline():
            ds = tf.data.Dataset.from_tensor_slices(np.array(lengths, np.int32))
            ds = ds.map(lambda n: (tf.fill(tf.reshape(n, [1]), n), n))
            return ds.padded_batch(2, padded_shapes=(shape, []), padding_values=(value, 0),
                                   drop_remainder=drop)
        return pipeline

    def expected(width, value, batches):
        out = []
        for b in batches:
            rows = np.full((len(b), width(b)), value, np.int32)
            for r, n in enumerate(b):
                rows[r, :n] = n
            out.append(rows)
        return out
    batches = [lengths[0:2], lengths[2:4], lengths[4:]]
    got = _run_all(padded([None], -1))
    for g, e, b in zip(got, expected(max, -1, batches), batches):
        np.testing.assert_array_equal(g[0], e)
        np.testing.assert_array_equal(g[1], b)
    got = _run_all(padded([5], 7, drop=True))
    assert len(got) == 2
    for g, e in zip(got, expected(lambda b: 5, 7, batches[:2])):
        np.testing.assert_array_equal(g[0], e)
    with tf.Graph().as_default():
        assert padded([5], 7, drop=True)().output_shapes[0].as_list() == [2, 5]
        assert padded([None], 0)().output_shapes[0].as_list() == [None, None]
    with tf.Graph().as_default():
        nxt = padded([2], 0)().make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            with pytest.raises(errors.InvalidArgumentError, match="smaller size"):
                sess.run(nxt)


def test_repeat_take_skip_against_lists():
    base = list(range(5))
    assert _ints(_run_all(lambda: tf.data.Dataset.range(5).repeat(3))) == base * 3
    got = _run_all(lambda: tf.data.Dataset.range(5).repeat().skip(3).take(9))
    assert _ints(got) == (base * 3)[3:12]
    assert _ints(_run_all(lambda: tf.data.Dataset.range(5).take(-1))) == base
    assert _ints(_run_all(lambda: tf.data.Dataset.range(5).skip(-1))) == []
    assert _ints(_run_all(lambda: tf.data.Dataset.range(0).repeat())) == []


def _shuffled(seed=None, graph_seed=None, reshuffle=True, epochs=2, buffer=100):
    """The elements of range(50).shuffle(...).repeat(epochs), one list per epoch."""
    def pipeline():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        return tf.data.Dataset.range(50).shuffle(
            buffer, seed=seed, reshuffle_each_iteration=reshuffle).repeat(epochs)
    got = _ints(_run_all(pipeline))
    return [got[i * 50:(i + 1) * 50] for i in range(epochs)]


def test_seeded_shuffle_is_a_deterministic_permutation():
    a = _shuffled(seed=7)
    assert a == _shuffled(seed=7)
    assert sorted(a[0]) == list(range(50)) and sorted(a[1]) == list(range(50))
    assert a[0] != list(range(50))
    # reshuffle_each_iteration draws a new order each epoch; without it, the same one.
    assert a[0] != a[1]
    b = _shuffled(seed=7, reshuffle=False)
    assert b[0] == b[1]
    assert _shuffled(seed=8) != a
    # TF1's seeds: the graph seed alone makes the order deterministic too.
    assert _shuffled(graph_seed=3) == _shuffled(graph_seed=3)
    # No seed anywhere: a different order for every new dataset.
    assert _shuffled() != _shuffled()


def test_small_shuffle_buffer_keeps_elements_near_their_place():
    order = _shuffled(seed=1, buffer=3, epochs=1)[0]
    assert sorted(order) == list(range(50))
    # An element can leave the buffer no earlier than buffer_size - 1 places before its turn.
    assert all(order.index(v) >= v - 2 for v in range(50))


def test_cache_replays_the_first_epoch():
    def pipeline(cache):
        def make():
            ds = tf.data.Dataset.range(4).map(
                lambda i: tf.cast(i, tf.float32) + tf.random_uniform([]))
            return (ds.cache() if cache else ds).repeat(3)
        return make
    got = [float(v) for v in _run_all(pipeline(True))]
    assert got[0:4] == got[4:8] == got[8:12]
    got = [float(v) for v in _run_all(pipeline(False))]
    assert got[0:4] != got[4:8]


def test_prefetch_keeps_values_and_order():
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    got = _run_all(lambda: tf.data.Dataset.from_tensor_slices(x).map(
        lambda r: r * 2, num_parallel_calls=3).batch(3).prefetch(2))
    np.testing.assert_array_equal(np.concatenate(got), x * 2)


def test_initializable_iterator_with_fed_placeholder_restarts():
    with tf.Graph().as_default():
        x_ph = tf.placeholder(tf.float32, [None, 2])
        ds = tf.data.Dataset.from_tensor_slices(x_ph).batch(2)
        it = ds.make_initializable_iterator()
        nxt = it.get_next()
        assert nxt.shape.as_list() == [None, 2]
        with tf.Session() as sess:
            with pytest.raises(errors.FailedPreconditionError, match="not been initialized"):
                sess.run(nxt)
            data = np.arange(6, dtype=np.float32).reshape(3, 2)
            for epoch in range(2):
                sess.run(it.initializer, {x_ph: data * (epoch + 1)})
                np.testing.assert_array_equal(sess.run(nxt), data[:2] * (epoch + 1))
            np.testing.assert_array_equal(sess.run(nxt), data[2:] * 2)
            with pytest.raises(errors.OutOfRangeError):
                sess.run(nxt)
            with pytest.raises(errors.OutOfRangeError):  # and it stays at the end
                sess.run(nxt)


def test_iterator_from_structure_switches_datasets():
    with tf.Graph().as_default():
        train = tf.data.Dataset.range(100).map(lambda i: (i, i * 2))
        valid = tf.data.Dataset.range(3).map(lambda i: (-i, i))
        it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
        init_train, init_valid = it.make_initializer(train), it.make_initializer(valid)
        a, b = it.get_next()
        with tf.Session() as sess:
            sess.run(init_train)
            assert sess.run([a, b]) == [0, 0]
            assert sess.run([a, b]) == [1, 2]
            sess.run(init_valid)
            assert [sess.run(a) for _ in range(3)] == [0, -1, -2]
            with pytest.raises(errors.OutOfRangeError):
                sess.run(a)
            sess.run(init_train)
            assert sess.run(a) == 0
        with pytest.raises(TypeError, match="output types"):
            it.make_initializer(tf.data.Dataset.from_tensors((1.0, 2.0)))


def test_module_level_iterator_functions():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(2)
        one_shot = tf.data.make_one_shot_iterator(ds).get_next()
        it = tf.data.make_initializable_iterator(ds)
        with tf.Session() as sess:
            assert sess.run(one_shot) == 0
            sess.run(it.initializer)
            assert sess.run(it.get_next()) == 0
            assert sess.run(one_shot) == 1


def test_error_inside_map_function_names_the_op_and_the_function():
    with tf.Graph().as_default():
        x_ph = tf.placeholder(tf.float32, [None, None])
        ds = tf.data.Dataset.from_tensor_slices(x_ph).map(lambda r: tf.reshape(r, [2, 2]),
                                                          num_parallel_calls=2)
        it = ds.make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer, {x_ph: np.zeros((3, 3), np.float32)})
            with pytest.raises(errors.InvalidArgumentError,
                               match=r"(?s)Cannot reshape.*function 'map_0', node 'Reshape'"
                                     r".*IteratorGetNext"):
                sess.run(nxt)


def test_closing_a_session_stops_busy_worker_threads():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(10).repeat().map(lambda i: i * 2, num_parallel_calls=3)
        nxt = ds.batch(4).prefetch(3).make_one_shot_iterator().get_next()
        sess = tf.Session()
        np.testing.assert_array_equal(sess.run(nxt), [0, 2, 4, 6])
        sess.close()  # joins the producer and the map's workers, mid-stream
        with pytest.raises(RuntimeError, match="closed Session"):
            sess.run(nxt)


def test_each_session_has_its_own_iterator_position():
    with tf.Graph().as_default():
        nxt = tf.data.Dataset.range(5).make_one_shot_iterator().get_next()
        with tf.Session() as a, tf.Session() as b:
            assert [a.run(nxt), a.run(nxt), b.run(nxt), a.run(nxt)] == [0, 1, 0, 2]


def test_from_generator_with_args_structure_and_restart():
    def gen(n):
        for i in range(int(n)):
            yield i, np.full([2], i * 0.5, np.float32)

    with tf.Graph().as_default():
        n = tf.placeholder(tf.int64, [])
        ds = tf.data.Dataset.from_generator(gen, (tf.int64, tf.float32), ([], [2]), args=(n,))
        assert ds.output_shapes[1].as_list() == [2]
        it = ds.batch(2).make_initializable_iterator()
        a, b = it.get_next()
        assert b.shape.as_list() == [None, 2]
        with tf.Session() as sess:
            for count in (3, 5):
                sess.run(it.initializer, {n: count})
                got_a, got_b = [], []
                while True:
                    try:
                        x, y = sess.run([a, b])
                    except errors.OutOfRangeError:
                        break
                    got_a.extend(x)
                    got_b.extend(y)
                assert got_a == list(range(count))
                np.testing.assert_array_equal(got_b, [[i * 0.5] * 2 for i in range(count)])


def test_from_generator_rejects_elements_of_another_shape():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_generator(lambda: iter([[1, 2], [1, 2, 3]]), tf.int32, [2])
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(nxt), [1, 2])
            with pytest.raises(errors.InvalidArgumentError, match="shape"):
                sess.run(nxt)


def test_a_get_next_waiting_for_the_producer_stops_at_the_timeout():
    def slow():
        time.sleep(0.5)
        yield 1

    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_generator(slow, tf.int64).prefetch(1)
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=50)) as sess:
            with pytest.raises(errors.DeadlineExceededError):
                sess.run(nxt)
            # The producer went on: its element is there for a later run.
            assert sess.run(nxt, options=tf.RunOptions(timeout_in_ms=20000)) == 1


def test_fed_sources_are_kept_after_the_initializing_run():
    # The iterator reads its sources in later runs: a converted feed (float64 fed to float32)
    # and the caller's own array, changed afterwards, must not be read from freed or
    # changed memory.
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None])
    it = tf.data.Dataset.from_tensor_slices((x, y)).batch(2).make_initializable_iterator()
    nxt = it.get_next()
    xs = np.arange(12, dtype=np.float32).reshape(4, 3)
    ys = np.arange(4, dtype=np.float64)
    with tf.Session() as sess:
        sess.run(it.initializer, {x: xs, y: ys})
        xs[:] = -1
        del ys
        got = [sess.run(nxt) for _ in range(2)]
    np.testing.assert_array_equal(np.concatenate([g[0] for g in got]),
                                  np.arange(12).reshape(4, 3))
    np.testing.assert_array_equal(np.concatenate([g[1] for g in got]), [0, 1, 2, 3])


# ---- map vectorization: an elementwise map before a batch runs once per batch, with the
# same elements, bit for bit and in the same order, as the map run once per element ----

X = np.random.RandomState(0).randn(37, 5).astype(np.float32) * 20
Y = np.arange(37, dtype=np.int32) % 7
OFFSET = np.linspace(-1, 1, 5).astype(np.float32)  # a captured value of the element's rank


def _batches(make):
    """Every batch of the dataset `make()` builds, and whether its map was vectorized (the
    pipeline sent to C++ calls a function over batches)."""
    with tf.Graph().as_default():
        vectorized = "_batched" in make()._serialize()[0]
    return _run_all(make), vectorized


def _elementwise(x, y, i):
    offset = tf.constant(OFFSET)
    scaled = tf.maximum(x / 16.0 - offset, x * 3.0 + 1.0)
    return scaled, tf.cast(y, tf.float32) * 0.5 - 1.0, i


def _pipeline(fn, between=lambda ds: ds):
    """(x, y, row index) -> map(fn) -> [between] -> shuffle -> repeat(2) -> batch(8)."""
    def make():
        ds = tf.data.Dataset.from_tensor_slices((X, Y, np.arange(37)))
        ds = between(ds.map(fn))
        return ds.shuffle(16, seed=5).repeat(2).batch(8)
    return make


def _assert_same_batches(a, b):
    assert len(a) == len(b)
    for batch_a, batch_b in zip(a, b):
        for component_a, component_b in zip(batch_a, batch_b):
            np.testing.assert_array_equal(component_a, component_b)


def test_elementwise_map_runs_on_batches_with_the_per_element_values_and_order():
    vectorized, was = _batches(_pipeline(_elementwise))
    assert was
    # A prefetch between the map and the shuffle keeps the map per element.
    per_element, was = _batches(_pipeline(_elementwise, lambda ds: ds.prefetch(1)))
    assert not was
    _assert_same_batches(vectorized, per_element)
    # The order is the shuffle's of the rows themselves; the values NumPy's float32 ones.
    order, _ = _batches(lambda: tf.data.Dataset.from_tensor_slices(np.arange(37))
                        .shuffle(16, seed=5).repeat(2).batch(8))
    assert [list(b[2]) for b in vectorized] == [list(b) for b in order]
    for scaled, y, i in vectorized:
        x = X[i]
        np.testing.assert_array_equal(
            scaled, np.maximum(x / np.float32(16) - OFFSET, x * np.float32(3) + np.float32(1)))
        np.testing.assert_array_equal(y, Y[i].astype(np.float32) * np.float32(0.5) - 1)


def test_the_last_smaller_batch_and_a_parallel_map_are_vectorized_too():
    def make(parallel):
        return lambda: (tf.data.Dataset.from_tensor_slices((X, Y, np.arange(37)))
                        .map(_elementwise, num_parallel_calls=parallel).batch(10))
    for parallel in (None, 2):
        got, was = _batches(make(parallel))
        assert was
        assert [len(b[2]) for b in got] == [10, 10, 10, 7]
        np.testing.assert_array_equal(np.concatenate([b[2] for b in got]), np.arange(37))
        np.testing.assert_array_equal(
            np.concatenate([b[0] for b in got]),
            np.maximum(X / np.float32(16) - OFFSET, X * np.float32(3) + np.float32(1)))


def test_maps_that_are_not_elementwise_run_per_element():
    noise_seed = 3

    def reduces(x, y, i):
        return x - tf.reduce_sum(x), y, i

    def draws(x, y, i):
        return x + tf.random_uniform([5], seed=noise_seed), y, i

    def mixes_ranks(x, y, i):  # x of rank 1 with y of rank 0: per element, y broadcasts
        return x * tf.cast(y, tf.float32), y, i

    def constant_output(x, y, i):
        return x, tf.constant(1.0), i

    for fn, reference in ((reduces, lambda x, y: x - x.sum(axis=1, keepdims=True)),
                          (mixes_ranks, lambda x, y: x * y[:, None].astype(np.float32)),
                          (constant_output, None), (draws, None)):
        got, was = _batches(_pipeline(fn))
        assert not was, fn.__name__
        assert len(got) == 10
        for first, second, i in got:
            if fn is constant_output:
                np.testing.assert_array_equal(second, np.ones(len(i), np.float32))
            elif fn is draws:
                noise = first - X[i]
                assert np.all((noise > -1e-5) & (noise < 1 + 1e-5))
                assert len({tuple(row) for row in noise.round(4)}) == len(i)  # a draw per row
            else:
                np.testing.assert_allclose(first, reference(X[i], Y[i]), rtol=1e-6, atol=1e-4)


def test_rows_of_a_source_reshaped_and_fetched_one_by_one_keep_their_values():
    got, _ = _batches(lambda: tf.data.Dataset.from_tensor_slices(X[:6, :4])
                      .map(lambda r: tf.reshape(r, [2, 2]) * 2.0))
    assert len(got) == 6
    for i, value in enumerate(got):
        np.testing.assert_array_equal(value, X[i, :4].reshape(2, 2) * 2)
    rows, _ = _batches(lambda: tf.data.Dataset.from_tensor_slices((X, Y)))
    for i, (x, y) in enumerate(rows):
        np.testing.assert_array_equal(x, X[i])
        assert y == Y[i]


def test_rows_batched_straight_from_their_source_match_numpy():
    words = np.array([b"a", b"bb", b"", b"dddd", b"e", b"ff", b"g"], dtype=object)
    cube = np.arange(7 * 2 * 3, dtype=np.float64).reshape(7, 2, 3)
    order, _ = _batches(lambda: tf.data.Dataset.from_tensor_slices(np.arange(7))
                        .shuffle(4, seed=2).batch(3))
    got, _ = _batches(lambda: tf.data.Dataset.from_tensor_slices((words, cube))
                      .shuffle(4, seed=2).batch(3))
    assert [len(b[0]) for b in got] == [3, 3, 1]
    for (w, c), i in zip(got, order):
        assert list(w) == list(words[i])
        np.testing.assert_array_equal(c, cube[i])
    dropped, _ = _batches(lambda: tf.data.Dataset.from_tensor_slices(cube).repeat(2)
                          .batch(4, drop_remainder=True))
    np.testing.assert_array_equal(np.concatenate(dropped), np.concatenate([cube, cube])[:12])


def test_prefetch_keeps_order_and_errors_whoever_reads_upstream():
    def check(i):  # fails on element 3 only; the elements after it still come
        return tf.debugging.assert_none_equal(i, tf.constant(3, tf.int64))

    with tf.Graph().as_default():
        def step(i):
            with tf.control_dependencies([check(i)]):
                return tf.identity(i)
        nxt = tf.data.Dataset.range(8).map(step).prefetch(1).make_one_shot_iterator().get_next()
        got = []
        with tf.Session() as sess:
            for _ in range(8):
                try:
                    got.append(int(sess.run(nxt)))
                except errors.InvalidArgumentError:
                    got.append("error")
            with pytest.raises(errors.OutOfRangeError):
                sess.run(nxt)
    assert got == [0, 1, 2, "error", 4, 5, 6, 7]
