"""Queues, queue runners, the coordinator, readers and the input pipelines built from them."""
import csv
import threading
import time

import numpy as np
import pytest

import tensorlib as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def run_in_thread(fn):
    """Starts fn() in a thread; returns (thread, box) where box gets its result or error."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 (handed to the test)
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, box


def test_fifo_queue_order_size_and_close():
    q = tf.FIFOQueue(10, [tf.int32, tf.string], shapes=[[], []])
    x = tf.placeholder(tf.int32, [])
    enq = q.enqueue([x, "s"])
    enq_many = q.enqueue_many([tf.constant([5, 6, 7]), tf.constant(["a", "b", "c"])])
    deq = q.dequeue()
    deq_many = q.dequeue_many(2)
    up_to = q.dequeue_up_to(5)
    deq_four = q.dequeue_many(4)
    size, closed, close = q.size(), q.is_closed(), q.close()
    assert deq_many[0].shape.as_list() == [2]
    with tf.Session() as sess:
        for i in range(3):
            sess.run(enq, {x: i})
        sess.run(enq_many)
        assert sess.run(size) == 6
        assert sess.run(deq) == [0, b"s"]
        v, s = sess.run(deq_many)
        np.testing.assert_array_equal(v, [1, 2])
        assert list(s) == [b"s", b"s"]
        assert not sess.run(closed)
        sess.run(close)
        assert sess.run(closed)
        with pytest.raises(tf.errors.CancelledError, match="is closed"):
            sess.run(enq, {x: 9})
        with pytest.raises(tf.errors.OutOfRangeError, match="insufficient elements"):
            sess.run(deq_four)
        v, s = sess.run(up_to)  # what is left, fewer than asked
        np.testing.assert_array_equal(v, [5, 6, 7])
        assert list(s) == [b"a", b"b", b"c"]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(deq)
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(up_to)


def test_queue_state_is_per_session_and_shared_by_name():
    q = tf.FIFOQueue(5, tf.float32, shared_name="shared")
    twin = tf.FIFOQueue(5, tf.float32, shared_name="shared", name="other")
    enq = q.enqueue(1.5)
    with tf.Session() as a, tf.Session() as b:
        a.run(enq)
        assert a.run(twin.size()) == 1
        assert b.run(q.size()) == 0


def test_names_make_dict_elements():
    q = tf.FIFOQueue(4, [tf.int32, tf.float32], shapes=[[], [2]], names=["i", "v"])
    enq = q.enqueue({"i": 3, "v": [1.0, 2.0]})
    out = q.dequeue()
    assert sorted(out) == ["i", "v"]
    with tf.Session() as sess:
        sess.run(enq)
        got = sess.run(out)
    assert got["i"] == 3
    np.testing.assert_array_equal(got["v"], [1.0, 2.0])
    with pytest.raises(ValueError, match="dictionary"):
        q.enqueue([1, [1.0, 2.0]])


def test_blocked_dequeue_wakes_on_enqueue_and_on_close():
    q = tf.FIFOQueue(3, tf.int32, shapes=[[]])
    x = tf.placeholder(tf.int32, [])
    enq, deq, close = q.enqueue(x), q.dequeue(), q.close()
    with tf.Session() as sess:
        t, box = run_in_thread(lambda: sess.run(deq))
        time.sleep(0.2)
        assert t.is_alive()  # waiting for an element
        sess.run(enq, {x: 42})
        t.join(10)
        assert box == {"value": 42}
        t, box = run_in_thread(lambda: sess.run(deq))
        time.sleep(0.2)
        sess.run(close)
        t.join(10)
        assert isinstance(box["error"], tf.errors.OutOfRangeError)


def test_blocked_enqueue_waits_for_room_and_close_can_cancel_it():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    enq = q.enqueue_many([[1, 2, 3]])
    with tf.Session() as sess:
        t, box = run_in_thread(lambda: sess.run(enq))
        time.sleep(0.2)
        assert t.is_alive() and sess.run(q.size()) == 2
        assert sess.run(q.dequeue()) == 1
        t.join(10)
        assert box == {"value": None} and sess.run(q.size()) == 2
        t, box = run_in_thread(lambda: sess.run(q.enqueue(4)))
        time.sleep(0.2)
        sess.run(q.close(cancel_pending_enqueues=True))
        t.join(10)
        assert isinstance(box["error"], tf.errors.CancelledError)


def test_closing_the_session_releases_blocked_runs():
    q = tf.FIFOQueue(2, tf.float32, shapes=[[]])
    deq = q.dequeue()
    sess = tf.Session()
    t, box = run_in_thread(lambda: sess.run(deq))
    time.sleep(0.2)
    sess.close()
    t.join(10)
    assert not t.is_alive()
    assert isinstance(box["error"], tf.errors.CancelledError)


def test_blocked_dequeue_respects_the_run_timeout_and_keeps_the_elements():
    q = tf.FIFOQueue(2, tf.float32, shapes=[[]])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(q.dequeue(), options=tf.RunOptions(timeout_in_ms=100))
        sess.run(q.enqueue(2.5))
        with pytest.raises(tf.errors.DeadlineExceededError):  # has one of the two
            sess.run(q.dequeue_many(2), options=tf.RunOptions(timeout_in_ms=100))
        assert sess.run(q.size()) == 1
        sess.run(q.close())
        with pytest.raises(tf.errors.OutOfRangeError, match=r"requested 2, current size 1"):
            sess.run(q.dequeue_many(2))
        assert sess.run(q.dequeue()) == 2.5


def test_random_shuffle_queue_is_seeded_and_keeps_min_after_dequeue():
    def order(seed):
        tf.reset_default_graph()
        q = tf.RandomShuffleQueue(20, 5, tf.int32, shapes=[[]], seed=seed)
        enq, deq = q.enqueue_many([np.arange(20, dtype=np.int32)]), q.dequeue_many(15)
        with tf.Session() as sess:
            sess.run(enq)
            out = sess.run(deq)
            with pytest.raises(tf.errors.DeadlineExceededError):  # 5 left: at the minimum
                sess.run(q.dequeue(), options=tf.RunOptions(timeout_in_ms=100))
            sess.run(q.close())
            return list(out) + list(sess.run(q.dequeue_up_to(10)))

    a, b, c = order(7), order(7), order(8)
    assert sorted(a) == list(range(20))
    assert a == b
    assert a != c and a != list(range(20))


def test_padding_fifo_queue_pads_each_batch_to_its_largest():
    q = tf.PaddingFIFOQueue(5, [tf.int32, tf.string], shapes=[[None, None], [None]])
    x = tf.placeholder(tf.int32, [None, None])
    enq = q.enqueue([x, tf.constant(["a", "b"])])
    deq = q.dequeue_many(2)
    with tf.Session() as sess:
        sess.run(enq, {x: [[1, 2, 3]]})
        sess.run(enq, {x: [[4], [5]]})
        values, strings = sess.run(deq)
    expected = np.zeros([2, 2, 3], np.int32)
    expected[0, 0] = [1, 2, 3]
    expected[1, :, 0] = [4, 5]
    np.testing.assert_array_equal(values, expected)
    assert strings.tolist() == [[b"a", b"b"], [b"a", b"b"]]


def test_dequeue_many_of_unequal_shapes_fails_without_padding():
    q = tf.FIFOQueue(5, tf.int32)
    x = tf.placeholder(tf.int32, [None])
    enq = q.enqueue(x)
    with tf.Session() as sess:
        sess.run(enq, {x: [1]})
        sess.run(enq, {x: [1, 2]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="PaddingFIFOQueue"):
            sess.run(q.dequeue_many(2))


def test_enqueue_checks_shapes_and_component_count():
    q = tf.FIFOQueue(5, [tf.int32, tf.int32], shapes=[[2], []])
    with pytest.raises(ValueError, match="components"):
        q.enqueue([1])
    with pytest.raises(ValueError, match="not compatible"):
        q.enqueue([[1, 2, 3], 1])


def test_coordinator_join_reraises_the_first_error():
    coord = tf.train.Coordinator()

    def worker(n):
        with coord.stop_on_exception():
            while not coord.should_stop():
                if n == 1:
                    raise ValueError("worker 1 failed")
                time.sleep(0.01)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    with pytest.raises(ValueError, match="worker 1 failed"):
        coord.join(threads, stop_grace_period_secs=10)
    assert coord.should_stop() and not any(t.is_alive() for t in threads)


def test_coordinator_clean_stop_and_wait():
    coord = tf.train.Coordinator()
    assert not coord.wait_for_stop(0.01)
    coord.request_stop(tf.errors.OutOfRangeError(None, None, "end of input"))
    assert coord.wait_for_stop(0.01)
    coord.join([])  # an OutOfRangeError is a clean stop: nothing re-raised
    coord.clear_stop()
    assert not coord.should_stop()


def test_coordinator_reports_threads_that_do_not_stop():
    coord = tf.train.Coordinator()
    release = threading.Event()
    t = threading.Thread(target=release.wait, daemon=True)
    t.start()
    coord.request_stop()
    with pytest.raises(RuntimeError, match="threads still running"):
        coord.join([t], stop_grace_period_secs=0.1)
    release.set()


def test_string_input_producer_epochs_end_with_out_of_range():
    names = ["a", "b", "c"]
    q = tf.train.string_input_producer(names, num_epochs=2, shuffle=False)
    name = q.dequeue()
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        got = []
        with pytest.raises(tf.errors.OutOfRangeError):
            while True:
                got.append(sess.run(name))
        coord.request_stop()
        coord.join(threads)
    assert got == [b"a", b"b", b"c"] * 2


def test_string_input_producer_needs_local_variables_initialized():
    tf.train.string_input_producer(["a"], num_epochs=1)
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized"):
            coord.join(threads, stop_grace_period_secs=10)


def test_shuffled_producer_yields_every_name_once_per_epoch():
    names = [f"f{i}" for i in range(10)]
    q = tf.train.string_input_producer(names, num_epochs=3, shuffle=True, seed=3)
    out = q.dequeue_up_to(100)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        got = [v.decode() for v in sess.run(out)]
        while len(got) < 30:
            got += [v.decode() for v in sess.run(out)]
        coord.request_stop()
        coord.join(threads)
    for epoch in range(3):
        assert sorted(got[10 * epoch:10 * epoch + 10]) == sorted(names)
    assert got[:10] != names


def test_slice_input_producer_and_batch_with_a_smaller_final_batch():
    images = np.arange(14, dtype=np.float32).reshape(7, 2)
    labels = np.arange(7, dtype=np.int64)
    image, label = tf.train.slice_input_producer([images, labels], num_epochs=1, shuffle=False)
    image_batch, label_batch = tf.train.batch([image, label], batch_size=3,
                                              allow_smaller_final_batch=True)
    assert image_batch.shape.as_list() == [None, 2]
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        batches = []
        try:
            while not coord.should_stop():
                batches.append(sess.run([image_batch, label_batch]))
        except tf.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
        coord.join(threads)
    assert [len(b[1]) for b in batches] == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), images)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), labels)


def test_batch_of_one_tensor_returns_a_tensor_and_dynamic_pad():
    x = tf.train.range_input_producer(4, shuffle=False).dequeue()
    row = tf.fill(tf.expand_dims(x + 1, 0), x)  # x repeated x + 1 times
    padded = tf.train.batch([row], batch_size=4, dynamic_pad=True)
    assert isinstance(padded, tf.Tensor)
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        got = sess.run(padded)
        coord.request_stop()
        coord.join(threads)
    np.testing.assert_array_equal(got, [[0, 0, 0, 0], [1, 1, 0, 0], [2, 2, 2, 0],
                                        [3, 3, 3, 3]])


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x", "name", "y"])  # a header, skipped
        w.writerows(rows)


def test_csv_pipeline_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    files, rows = [], []
    for k in range(2):
        part = [[float(rng.normal()), f"n,{k}:{i}", int(i)] for i in range(5)]
        write_csv(tmp_path / f"part{k}.csv", part)
        files.append(str(tmp_path / f"part{k}.csv"))
        rows += part
    queue = tf.train.string_input_producer(files, num_epochs=1, shuffle=False)
    key, line = tf.TextLineReader(skip_header_lines=1).read(queue)
    x, name, y = tf.decode_csv(line, [[0.0], [""], [0]])
    xs, names, ys, keys = tf.train.batch([x, name, y, key], batch_size=10)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        got = sess.run([xs, names, ys, keys])
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(xs)
        coord.request_stop()
        coord.join(threads)
    np.testing.assert_allclose(got[0], np.float32([r[0] for r in rows]))
    assert [n.decode() for n in got[1]] == [r[1] for r in rows]
    np.testing.assert_array_equal(got[2], [r[2] for r in rows])
    assert got[3][0].decode() == f"{files[0]}:2" and got[3][5].decode() == f"{files[1]}:2"


def test_tfrecord_pipeline_with_shuffle_batch(tmp_path):
    path = str(tmp_path / "data.tfrecord")
    with tf.python_io.TFRecordWriter(path) as writer:
        for i in range(12):
            example = tf.train.Example(features=tf.train.Features(feature={
                "v": tf.train.Feature(float_list=tf.train.FloatList(value=[i, -i])),
                "i": tf.train.Feature(int64_list=tf.train.Int64List(value=[i]))}))
            writer.write(example.SerializeToString())
    queue = tf.train.string_input_producer([path], num_epochs=1)
    _, serialized = tf.TFRecordReader().read(queue)
    parsed = tf.parse_single_example(serialized, {
        "v": tf.FixedLenFeature([2], tf.float32), "i": tf.FixedLenFeature([], tf.int64)})
    batch = tf.train.shuffle_batch(parsed, batch_size=4, capacity=12, min_after_dequeue=2,
                                   seed=1, allow_smaller_final_batch=True)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        seen_i, seen_v = [], []
        with pytest.raises(tf.errors.OutOfRangeError):
            while True:
                b = sess.run(batch)
                seen_i += list(b["i"])
                seen_v += list(b["v"])
        coord.request_stop()
        coord.join(threads)
    assert sorted(seen_i) == list(range(12))
    for i, v in zip(seen_i, seen_v):
        np.testing.assert_array_equal(v, [i, -i])


def test_read_up_to_and_whole_file_and_fixed_length_readers(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"l1\nl2\r\nl3")
    (tmp_path / "b.bin").write_bytes(b"HDR" + bytes(range(12)) + b"F")
    files = tf.FIFOQueue(5, tf.string, shapes=[[]])
    fill = files.enqueue_many([[str(tmp_path / "a.txt"), str(tmp_path / "b.bin")]])
    keys, values = tf.TextLineReader().read_up_to(files, 2)
    whole = tf.WholeFileReader().read(files)
    fixed = tf.FixedLengthRecordReader(4, header_bytes=3, footer_bytes=1).read(files)
    with tf.Session() as sess:
        sess.run(fill)
        k, v = sess.run([keys, values])
        assert list(v) == [b"l1", b"l2"] and k[1].decode().endswith("a.txt:2")
        assert list(sess.run(values)) == [b"l3"]  # the rest of the file
        assert sess.run(whole)[1] == (tmp_path / "b.bin").read_bytes()
        sess.run(fill)
        sess.run(fill)
        sess.run(tf.WholeFileReader(name="skip").read(files))  # a.txt
        got = [sess.run(fixed) for _ in range(3)]
    assert [g[1] for g in got] == [bytes(range(0, 4)), bytes(range(4, 8)), bytes(range(8, 12))]
    assert got[2][0].decode().endswith("b.bin:2")


def test_read_file_write_file_and_missing_file(tmp_path):
    path = str(tmp_path / "out.bin")
    with tf.Session() as sess:
        sess.run(tf.write_file(path, b"\x00binary\xff"))
        assert sess.run(tf.read_file(path)) == b"\x00binary\xff"
        with pytest.raises(tf.errors.NotFoundError, match="nope"):
            sess.run(tf.read_file(str(tmp_path / "nope")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_decode_csv_semantics_and_errors():
    records = tf.placeholder_with_default(tf.constant(["1,2"]), [None])
    with tf.Session() as sess:
        a, b = sess.run(tf.decode_csv(tf.constant(['3|"x|""y"""', "|"]), [[0], ["z"]],
                                      field_delim="|"))
        np.testing.assert_array_equal(a, [3, 0])
        assert list(b) == [b'x|"y"', b"z"]
        c, = sess.run(tf.decode_csv(tf.constant(["7,NA,9"]), [[1.0]], select_cols=[2]))
        assert c.tolist() == [9.0]
        d, = sess.run(tf.decode_csv(tf.constant(["NA"]), [[2.5]], na_value="NA"))
        assert d.tolist() == [2.5]
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="required but missing in record 1"):
            sess.run(tf.decode_csv(tf.constant(["1", ""]), [tf.constant([], tf.int32)]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="not a valid int32: x"):
            sess.run(tf.decode_csv(tf.constant(["x"]), [[0]]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Expect 3 fields but have 2"):
            sess.run(tf.decode_csv(records, [[0], [0], [0]]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="quote"):
            sess.run(tf.decode_csv(tf.constant(['a"b']), [[""]]))


def test_decode_raw_and_string_to_number():
    data = np.array([[1.5, -2.0], [3.25, 4.0]], np.float32)
    raw = tf.constant([data[0].tobytes(), data[1].tobytes()])
    big = tf.constant([data.astype(">i4").tobytes()])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.decode_raw(raw, tf.float32)), data)
        np.testing.assert_array_equal(sess.run(tf.decode_raw(big, tf.int32, little_endian=False)),
                                      data.astype(np.int32).reshape(1, 4))
        with pytest.raises(tf.errors.InvalidArgumentError, match="not a multiple of 4"):
            sess.run(tf.decode_raw(tf.constant([b"abc"]), tf.float32))
        np.testing.assert_array_equal(
            sess.run(tf.string_to_number(tf.constant(["1.5", "-2e3"]))), [1.5, -2000.0])
        assert sess.run(tf.string_to_number(tf.constant("42"), tf.int64)) == 42
        with pytest.raises(tf.errors.InvalidArgumentError, match="could not correctly convert"):
            sess.run(tf.string_to_number(tf.constant("4x")))


def test_count_up_to():
    v = tf.Variable(0, dtype=tf.int64)
    inc = v.count_up_to(2)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert [sess.run(inc), sess.run(inc)] == [0, 1]
        with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 2"):
            sess.run(inc)


EXIT_SCRIPT = """
import sys
import tensorlib as tf
q = tf.train.range_input_producer(10)  # endless: its runner thread always has work
batch = tf.train.batch([q.dequeue()], batch_size=4, capacity=4)
sess = tf.Session()
threads = tf.train.start_queue_runners(sess)
print(len(sess.run(batch)))
sys.stdout.flush()
"""

# The script installs Python's SIGINT handler itself: a test run started in the background
# (a shell's `&`) passes SIGINT on ignored, and Python then leaves it ignored, so the Timer's
# SIGINT would never arrive.
INTERRUPT_SCRIPT = """
import os, signal, threading
import tensorlib as tf
signal.signal(signal.SIGINT, signal.default_int_handler)
q = tf.FIFOQueue(1, tf.float32, shapes=[[]])
threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
with tf.Session() as sess:
    try:
        sess.run(q.dequeue())
    except KeyboardInterrupt:
        print("interrupted", flush=True)
"""

# The same after Python's handler was set again in front of the session's, as a notebook
# kernel does before every cell: the waiting run puts the session's back.
REPLACED_HANDLER_SCRIPT = INTERRUPT_SCRIPT.replace(
    "with tf.Session() as sess:\n",
    "with tf.Session() as sess:\n"
    "    signal.signal(signal.SIGINT, signal.default_int_handler)\n")
assert REPLACED_HANDLER_SCRIPT != INTERRUPT_SCRIPT

# Prepended to the scripts: a process still running after 60 s prints every thread's Python
# stack to stderr and exits, so that a hang fails with where it hung (the test's own timeout
# would only say that it did).
WATCHDOG = "import faulthandler; faulthandler.dump_traceback_later(60, exit=True)\n"


@pytest.mark.parametrize("script,expected", [(EXIT_SCRIPT, "4"),
                                             (INTERRUPT_SCRIPT, "interrupted"),
                                             (REPLACED_HANDLER_SCRIPT, "interrupted")])
def test_blocked_threads_never_hang_the_process(script, expected):
    """A script that leaves runner threads blocked on a full queue still exits; Ctrl-C stops a
    dequeue that waits in the main thread."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", WATCHDOG + script], capture_output=True,
                         text=True, timeout=120, cwd="/")  # the installed package
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [expected]
