"""Meta graphs: Saver.save writes the graph beside the checkpoint; import_meta_graph rebuilds
it (variables, collections, training ops, cond/while bodies) so the classic restore-from-.meta
programs run and compute what the original graph computed."""
import pathlib

import numpy as np
import pytest

import tensorlib as tf

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "tf_checkpoints"
X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], np.float32)
LABELS = np.array([[1.0], [0.0]], np.float32)


def build_and_save(path, **save_kwargs):
    """A small regression model trained one step and saved; returns (prefix, y for X, the
    weights after one more training step)."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        labels = tf.placeholder(tf.float32, [None, 1], name="labels")
        w = tf.Variable(np.linspace(-1, 1, 3, dtype=np.float32).reshape(3, 1), name="w")
        b = tf.Variable(np.zeros(1, np.float32), name="b")
        y = tf.identity(tf.matmul(x, w) + b, name="y")
        loss = tf.reduce_mean(tf.square(y - labels), name="loss")
        step = tf.train.get_or_create_global_step()
        train_op = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
        tf.add_to_collection("train_op", train_op)
        tf.add_to_collection("outputs", y)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(train_op, {x: X, labels: LABELS})
            prefix = saver.save(sess, str(path / "model.ckpt"), global_step=step,
                                **save_kwargs)
            y_value = sess.run(y, {x: X})
            sess.run(train_op, {x: X, labels: LABELS})
            next_w = sess.run(w)
    return prefix, y_value, next_w


def test_restore_from_meta_and_continue_training(tmp_path):
    prefix, y_value, next_w = build_and_save(tmp_path)
    assert prefix == str(tmp_path / "model.ckpt-1")
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(prefix + ".meta")
        with tf.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(str(tmp_path)))
            y = graph.get_tensor_by_name("y:0")
            np.testing.assert_allclose(sess.run(y, {"x:0": X}), y_value, rtol=1e-6)
            assert tf.get_collection("outputs")[0] is y
            train_op = tf.get_collection("train_op")[0]
            sess.run(train_op, {"x:0": X, "labels:0": LABELS})
            np.testing.assert_allclose(sess.run("w:0"), next_w, rtol=1e-6)
            assert sess.run(tf.train.get_global_step()) == 2
        names = sorted(v.op.name for v in tf.trainable_variables())
        assert names == ["b", "w"]
        assert len(tf.global_variables()) == 9  # w, b, step, 2 beta powers, 2 x 2 slots


def test_imported_variables_initialize_and_train_with_a_new_optimizer(tmp_path):
    prefix, _, _ = build_and_save(tmp_path)
    with tf.Graph().as_default() as graph:
        tf.train.import_meta_graph(prefix + ".meta")
        loss = graph.get_tensor_by_name("loss:0")
        train = tf.train.GradientDescentOptimizer(0.02).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w0 = np.linspace(-1, 1, 3, dtype=np.float32).reshape(3, 1)
            np.testing.assert_array_equal(sess.run("w:0"), w0)
            before = sess.run(loss, {"x:0": X, "labels:0": LABELS})
            sess.run(train, {"x:0": X, "labels:0": LABELS})
            assert sess.run(loss, {"x:0": X, "labels:0": LABELS}) < before


def test_import_scope_prefixes_names_and_keeps_checkpoint_names(tmp_path):
    prefix, y_value, _ = build_and_save(tmp_path)
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(prefix + ".meta", import_scope="imported")
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            y = graph.get_tensor_by_name("imported/y:0")
            np.testing.assert_allclose(sess.run(y, {"imported/x:0": X}), y_value, rtol=1e-6)


def test_export_meta_graph_as_text_and_as_object(tmp_path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        tf.identity(tf.constant(["a", "bc"]), name="words")
        tf.multiply(x, tf.constant([3.0, 4.0]), name="y")
        meta = tf.train.export_meta_graph(str(tmp_path / "g.meta"), as_text=True)
    assert (tmp_path / "g.meta").read_bytes().startswith(b"{")
    for source in (str(tmp_path / "g.meta"), meta):
        with tf.Graph().as_default() as graph:
            assert tf.train.import_meta_graph(source) is None  # no variables
            with tf.Session() as sess:
                y, words = sess.run(["y:0", "words:0"], {"x:0": [1.0, 2.0]})
            np.testing.assert_array_equal(y, [3.0, 8.0])
            assert words.tolist() == [b"a", b"bc"]
            assert graph.get_operation_by_name("y").type == "Mul"


def test_cond_and_while_loop_bodies_round_trip(tmp_path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        c = tf.cond(x > 0, lambda: x * 2.0, lambda: x * 3.0)
        tf.identity(c, name="c")
        _, total = tf.while_loop(lambda i, t: i < 4, lambda i, t: (i + 1, t + x), [0, 0.0])
        tf.identity(total, name="total")
        tf.train.export_meta_graph(str(tmp_path / "g.meta"))
    with tf.Graph().as_default():
        tf.train.import_meta_graph(str(tmp_path / "g.meta"))
        tf.cond(tf.constant(True), lambda: 1.0, lambda: 2.0)  # new bodies get new names
        with tf.Session() as sess:
            assert sess.run(["c:0", "total:0"], {"x:0": 1.5}) == [3.0, 6.0]
            assert sess.run("c:0", {"x:0": -1.0}) == -3.0


def test_a_tensorflow_meta_graph_is_refused_clearly():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.UnimplementedError, match="TensorFlow MetaGraphDef"):
            tf.train.import_meta_graph(str(FIXTURES / "tf_graph.meta"))


def test_damaged_meta_graph_is_data_loss(tmp_path):
    prefix, _, _ = build_and_save(tmp_path)
    path = pathlib.Path(prefix + ".meta")
    original = path.read_bytes()
    for pos in range(0, len(original), max(1, len(original) // 40)):
        damaged = bytearray(original)
        damaged[pos] ^= 0x10
        path.write_bytes(bytes(damaged))
        with tf.Graph().as_default():
            with pytest.raises((tf.errors.DataLossError, tf.errors.UnimplementedError)):
                tf.train.import_meta_graph(str(path))
    path.write_bytes(original[:-3])
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.DataLossError, match="truncated"):
            tf.train.import_meta_graph(str(path))


def test_write_meta_graph_false_writes_none(tmp_path):
    prefix, _, _ = build_and_save(tmp_path, write_meta_graph=False)
    assert not pathlib.Path(prefix + ".meta").exists()


def test_saver_def_and_devices_round_trip(tmp_path):
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            v = tf.Variable([1.0, 2.0], name="v")
        saver = tf.train.Saver({"renamed": v}, max_to_keep=3)
        with tf.Session() as sess:
            sess.run(v.initializer)
            prefix = saver.save(sess, str(tmp_path / "m"), write_meta_graph=False)
        tf.train.export_meta_graph(str(tmp_path / "kept.meta"),
                                   saver_def=saver.as_saver_def())
        saver.export_meta_graph(str(tmp_path / "cleared.meta"), clear_devices=True)
    for name, device in (("kept", "/device:CPU:0"), ("cleared", "")):
        with tf.Graph().as_default() as graph:
            restored = tf.train.import_meta_graph(str(tmp_path / f"{name}.meta"))
            assert graph.get_operation_by_name("v").device == device
            assert restored.as_saver_def()["settings"]["max_to_keep"] == 3
            with tf.Session() as sess:
                restored.restore(sess, prefix)  # the checkpoint's key is "renamed"
                np.testing.assert_array_equal(sess.run("v:0"), [1.0, 2.0])


def test_a_node_this_build_cannot_make_is_named(tmp_path):
    with tf.Graph().as_default():
        tf.identity(tf.constant(1.0), name="y")
        meta = tf.train.export_meta_graph()
    meta._document["nodes"][-1][0] = "NoSuchOp"
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="NoSuchOp"):
            tf.train.import_meta_graph(meta)
