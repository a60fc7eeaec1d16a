"""Session.run: fetch structures, feeds, defaults, and its errors."""
import collections
import os
import signal
import threading
import time

import numpy as np
import pytest

import tensorlib as tf


@pytest.fixture
def graph():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = tf.reduce_sum(x, axis=1, name="y")
    z = tf.multiply(x, 3.0, name="z")
    return x, y, z


def test_fetch_structures(graph):
    x, y, z = graph
    feed = {x: np.array([[1, 2], [3, 4]], np.float32)}
    Pair = collections.namedtuple("Pair", "a b")
    with tf.Session() as sess:
        assert sess.run(y, feed).tolist() == [3, 7]
        a, b = sess.run([y, z], feed)
        assert b.tolist() == [[3, 6], [9, 12]]
        nested = sess.run({"sum": y, "both": (y, [z]), "op": z.op}, feed)
        assert nested["sum"].tolist() == [3, 7] and nested["op"] is None
        assert nested["both"][1][0].tolist() == [[3, 6], [9, 12]]
        assert isinstance(nested["both"], tuple) and isinstance(nested["both"][1], list)
        p = sess.run(Pair(a=y, b="z:0"), feed)
        assert isinstance(p, Pair) and p.b.tolist() == [[3, 6], [9, 12]]
        assert sess.run("y:0", {"x:0": [[1, 1]]}).tolist() == [2]
        assert sess.run(y.op, feed) is None


def test_repeated_fetch_is_computed_once(graph):
    x, y, _ = graph
    with tf.Session() as sess:
        a, b = sess.run([y, y], {x: [[1, 2]]})
    assert a is b and a.tolist() == [3]  # as in TF1: one value, returned twice


def test_feeds_convert_safely_and_reject_lossy_conversions(graph):
    x, y, _ = graph
    with tf.Session() as sess:
        assert sess.run(y, {x: [[1, 2]]}).tolist() == [3]  # Python ints -> float32
        assert sess.run(y, {x: np.ones((1, 2))}).tolist() == [2]  # float64 -> float32
        i = tf.placeholder(tf.int32, [2])
        with pytest.raises(TypeError, match="not safe"):
            sess.run(i * 2, {i: [1.5, 2.0]})
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(y, {x: tf.ones([1, 2])})


def test_wrong_feed_shape_is_a_value_error(graph):
    x, y, _ = graph
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(3,\) for Tensor 'x:0'"):
            sess.run(y, {x: np.ones(3, np.float32)})


def test_missing_feed_names_the_placeholder(graph):
    _, y, _ = graph
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="You must feed a value for placeholder tensor 'x'") as info:
            sess.run(y)
    assert info.value.op.name == "x"
    assert "test_session.py" in str(info.value)


def test_fetch_from_another_graph_is_rejected():
    other = tf.Graph()
    with other.as_default():
        c = tf.constant(1.0)
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="not an element of this graph"):
            sess.run(c)
    with pytest.raises((TypeError, KeyError)):
        tf.Session().run(object())


def test_closed_session_raises():
    sess = tf.Session()
    c = tf.constant(1.0)
    assert sess.run(c) == 1.0
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(c)


def test_context_manager_makes_default_session_and_graph():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant([1, 2])
    with tf.Session(graph=g) as sess:
        assert tf.get_default_session() is sess
        assert tf.get_default_graph() is g
        assert c.eval().tolist() == [1, 2]
    assert tf.get_default_session() is None
    with pytest.raises(ValueError, match="No default session"):
        c.eval()


def test_as_default_and_operation_run():
    v = tf.Variable(5.0)
    sess = tf.Session()
    with sess.as_default():
        v.initializer.run()
        assert v.eval() == 5.0
    sess.close()


def test_interactive_session():
    c = tf.constant(2.0) * 4
    sess = tf.InteractiveSession()
    try:
        assert c.eval() == 8.0
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_make_callable_with_positional_feeds(graph):
    x, y, z = graph
    with tf.Session() as sess:
        f = sess.make_callable([y, z], [x])
        s, m = f(np.array([[1, 2]], np.float32))
    assert s.tolist() == [3] and m.tolist() == [[3, 6]]


def test_runtime_error_in_a_kernel_is_an_op_error():
    x = tf.placeholder(tf.float32, [None])
    r = tf.reshape(x, [2, 2])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="reshape") as info:
            sess.run(r, {x: np.ones(3, np.float32)})
        assert info.value.op is r.op
        assert sess.run(r, {x: np.ones(4, np.float32)}).shape == (2, 2)


def test_graph_can_grow_after_session_creation():
    a = tf.constant(3.0)
    with tf.Session() as sess:
        assert sess.run(a) == 3.0
        b = a * 2
        assert sess.run(b) == 6.0


def test_concurrent_runs_from_several_threads():
    x = tf.placeholder(tf.float64, [None])
    y = tf.reduce_sum(x * x)
    sess = tf.Session()
    errors = []

    def work(seed):
        data = np.random.default_rng(seed).standard_normal(1000)
        for _ in range(200):
            got = sess.run(y, {x: data})
            if not np.isclose(got, (data * data).sum()):
                errors.append(seed)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sess.close()
    assert not errors


def test_training_and_assigns_from_8_threads_match_a_serial_run():
    # Every update adds or subtracts integers in float64 with use_locking=True, so the final
    # values do not depend on the order the threads ran in: they must equal a serial run's.
    n, rounds = 50_000, 40  # large enough that unlocked updates overlap and lose some
    weights = tf.Variable(tf.zeros([n], tf.float64))
    total = tf.Variable(tf.zeros([n], tf.float64))
    table = tf.Variable(tf.zeros([8, n], tf.float64))
    flag = tf.Variable(tf.zeros([n], tf.float64))
    gradient = tf.placeholder(tf.float64, [n])
    row = tf.placeholder(tf.int32, [1])
    descend = tf.train.GradientDescentOptimizer(1.0, use_locking=True).apply_gradients(
        [(gradient, weights)])
    accumulate = tf.group(tf.assign_add(total, gradient, use_locking=True),
                          tf.scatter_add(table, row, gradient[None], use_locking=True))
    constant = tf.placeholder(tf.float64, [])
    overwrite = tf.assign(flag, tf.fill([n], constant))
    rng = np.random.default_rng(0)
    steps = rng.integers(-8, 9, size=(8, rounds, n)).astype(np.float64)

    def updates(sess, t):
        # Threads 0-3 train, 4-5 accumulate, 6-7 assign whole values.
        for r in range(rounds):
            if t < 4:
                sess.run(descend, {gradient: steps[t, r]})
            elif t < 6:
                sess.run(accumulate, {gradient: steps[t, r], row: [t]})
            else:
                sess.run(overwrite, {constant: float(t)})

    def final(sess):
        return sess.run([weights, total, table, flag])

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t in range(8):
            updates(sess, t)
        serial = final(sess)

    failures = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        done = threading.Event()

        def read():
            # Reads take no lock (as in TF1): a value may mix two updates, but every element
            # is one that some update wrote.
            while not done.is_set():
                got_flag, got_weights = sess.run([flag, weights])
                if not (np.isin(got_flag, (0.0, 6.0, 7.0)).all() and
                        np.array_equal(got_weights, np.round(got_weights))):
                    failures.append("a read saw an element no update wrote")

        def update(t):
            try:
                updates(sess, t)
            except Exception as e:  # noqa: BLE001 -- reported by the assertion below
                failures.append(e)
        readers = [threading.Thread(target=read) for _ in range(2)]
        writers = [threading.Thread(target=update, args=(t,)) for t in range(8)]
        for thread in readers + writers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        for thread in readers:
            thread.join()
        parallel = final(sess)
    assert not failures
    for got, want in zip(parallel[:3], serial[:3]):
        np.testing.assert_array_equal(got, want)
    assert parallel[3][0] in (6.0, 7.0) and len(set(parallel[3].tolist())) == 1
    np.testing.assert_array_equal(serial[0], -steps[:4].sum(axis=(0, 1)))


def _run_waiting_for_another_thread():
    """A run that can finish only after another Python thread has run: it marks that it has
    started (a Python function, so with the GIL, inside the run), then waits on a queue that
    only the other thread fills. Returns (waiting run's fetch, started event, queue input,
    enqueue op)."""
    queue = tf.FIFOQueue(1, tf.int64)
    started = threading.Event()

    def mark_started(value):
        started.set()
        return value
    mark = tf.py_func(mark_started, [tf.constant(0, tf.int64)], tf.int64)
    with tf.control_dependencies([mark]):
        waiting = queue.dequeue()
    value = tf.placeholder(tf.int64, [])
    return waiting, started, value, queue.enqueue(value)


@pytest.mark.parametrize("how", ["run", "make_callable"])
def test_a_run_releases_the_gil_while_it_computes(how):
    # If the waiting run held the GIL, this thread could not run Python code until it
    # returned, so it could not fill the queue: the run would fail when its deadline passed.
    waiting, started, value, enqueue = _run_waiting_for_another_thread()
    options = tf.RunOptions(timeout_in_ms=30_000)
    results = []
    with tf.Session() as sess:
        if how == "run":
            def work():
                results.append(sess.run(waiting, options=options))
        else:
            call = sess.make_callable(waiting, accept_options=True)

            def work():
                results.append(call(options=options))
        worker = threading.Thread(target=work)
        worker.start()
        assert started.wait(timeout=30)
        progress = 0
        for _ in range(100_000):  # Python work while the worker is inside its run
            progress += 1
        sess.run(enqueue, {value: progress})
        worker.join()
    assert results == [100_000]


def test_config_proto_threads():
    x = tf.constant(np.arange(100_000, dtype=np.float64))
    s = tf.reduce_sum(x)
    for threads in (1, 2):
        with tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=threads)) as sess:
            assert sess.run(s) == np.arange(100_000).sum()


def test_run_prunes_to_what_the_fetches_need():
    never_fed = tf.placeholder(tf.float32)
    unused = never_fed * 3.0  # noqa: F841 (not needed by the fetch, so never run)
    b = tf.constant(2.0) * 5.0
    with tf.Session() as sess:
        assert sess.run(b) == 10.0


def test_feeding_an_intermediate_tensor_cuts_the_graph():
    p = tf.placeholder(tf.float32, [2])
    mid = p * 2.0
    out = mid + 1.0
    with tf.Session() as sess:
        assert sess.run(out, {mid: [1.0, 2.0]}).tolist() == [2.0, 3.0]
        assert sess.run(out, {p: [1.0, 2.0]}).tolist() == [3.0, 5.0]


def test_partly_known_inputs_are_checked_even_when_the_output_shape_is_known():
    x = tf.placeholder(tf.float32, [None])
    y = x + tf.ones([3])            # static output shape (3,), input only partly known
    assert y.shape.as_list() == [3]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: np.zeros(3, np.float32)}), np.ones(3))
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(y, {x: np.zeros(4, np.float32)})


def test_a_control_dependency_on_a_fed_placeholder_is_satisfied_by_the_feed():
    x = tf.placeholder(tf.float32, [2])
    with tf.control_dependencies([x.op]):
        y = tf.constant([1.0, 2.0]) * 2.0
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: np.zeros(2, np.float32)}), [2.0, 4.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="must feed"):
            sess.run(y)


# ---- stopping a run ----------------------------------------------------------------------------

def _endless_loop():
    n = tf.placeholder(tf.int64, [])
    loop = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a + 1.0),
                         [tf.constant(0, tf.int64), tf.constant(0.0)])
    return n, loop


def test_run_options_timeout_ends_a_run_and_the_session_stays_usable():
    n, loop = _endless_loop()
    with tf.Session() as sess:
        start = time.perf_counter()
        with pytest.raises(tf.errors.DeadlineExceededError, match="deadline"):
            sess.run(loop, {n: 10**12}, options=tf.RunOptions(timeout_in_ms=100))
        assert time.perf_counter() - start < 2.0
        assert sess.run(loop, {n: 3}) == [3, 3.0]
        run = sess.make_callable(loop, [n], accept_options=True)
        with pytest.raises(tf.errors.DeadlineExceededError):
            run(10**12, options=tf.RunOptions(timeout_in_ms=50))
    config = tf.ConfigProto(operation_timeout_in_ms=50)
    with tf.Session(config=config) as sess:
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(loop, {n: 10**12})


@pytest.mark.parametrize("handler_replaced", [False, True])
def test_ctrl_c_stops_a_long_run_within_100_ms(handler_replaced):
    """Also after Python's handler was set again in front of the session's (a notebook kernel
    does so before every cell)."""
    n, loop = _endless_loop()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with tf.Session() as sess:
            sess.run(loop, {n: 1})
            if handler_replaced:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            start = time.perf_counter()
            with pytest.raises(KeyboardInterrupt):  # (the deadline only keeps a failure short)
                sess.run(loop, {n: 10**12}, options=tf.RunOptions(timeout_in_ms=5000))
            stopped = time.perf_counter() - start
            timer.join()
            assert stopped < 0.2 + 0.1
            assert sess.run(loop, {n: 4}) == [4, 4.0]
    finally:
        signal.signal(signal.SIGINT, previous)


def test_string_feeds_are_copied_from_any_container():
    # An object array holds pointers, not string data: it is copied into the tensor, never
    # read in place.
    p = tf.placeholder(tf.string, [2])
    y = tf.identity(p)
    with tf.Session() as sess:
        for value in (np.array([b"alpha", b"\xff\x00"], dtype=object), [b"alpha", b"\xff\x00"],
                      ["alpha", "\u00ff"]):
            expected = [v.encode("utf-8") if isinstance(v, str) else v for v in value]
            assert list(sess.run(y, {p: value})) == expected
