"""tf.saved_model: a model exported with its variables and signatures, loaded in a fresh
graph, computes what the original session computed."""
import os

import numpy as np
import pytest

import tensorlib as tf

X = np.array([[1.0, -2.0], [0.5, 3.0], [0.0, 1.0]], np.float32)


def build_model():
    """A two-layer model with a table lookup-like init op; returns (x, y)."""
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w1 = tf.Variable(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], np.float32), name="w1")
    w2 = tf.Variable(np.array([[1.0], [-2.0], [0.5]], np.float32), name="w2")
    y = tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2, name="y")
    return x, y, w1


def train_a_little(sess, w1):
    """Changes a variable so that an export of initial values would be wrong."""
    sess.run(tf.global_variables_initializer())
    sess.run(w1.assign(w1 * 1.5))


def test_simple_save_then_load_runs_the_signature(tmp_path):
    export_dir = str(tmp_path / "export")
    with tf.Graph().as_default():
        x, y, w1 = build_model()
        with tf.Session() as sess:
            train_a_little(sess, w1)
            expected = sess.run(y, {x: X})
            tf.saved_model.simple_save(sess, export_dir, {"x": x}, {"y": y})
    assert tf.saved_model.loader.maybe_saved_model_directory(export_dir)
    assert sorted(os.listdir(export_dir)) == ["saved_model.tlsm", "variables"]
    assert os.listdir(os.path.join(export_dir, "variables")) == ["variables.tlckpt"]
    with tf.Graph().as_default() as graph:
        with tf.Session() as sess:
            meta = tf.saved_model.loader.load(sess, [tf.saved_model.tag_constants.SERVING],
                                              export_dir)
            key = tf.saved_model.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
            signature = meta.signature_def[key]
            assert signature.method_name == \
                tf.saved_model.signature_constants.PREDICT_METHOD_NAME
            assert signature.inputs["x"].name == "x:0"
            assert signature.inputs["x"].dtype == tf.float32
            y = graph.get_tensor_by_name(signature.outputs["y"].name)
            np.testing.assert_allclose(sess.run(y, {signature.inputs["x"].name: X}), expected,
                                       rtol=1e-6)


def test_builder_with_two_meta_graphs_text_form_and_init_op(tmp_path):
    export_dir = str(tmp_path / "export")
    with tf.Graph().as_default():
        x, y, w1 = build_model()
        counter = tf.Variable(0, name="counter")
        init_op = tf.group(counter.assign(41), name="init_counter")
        with tf.Session() as sess:
            train_a_little(sess, w1)
            expected = sess.run(y, {x: X})
            builder = tf.saved_model.builder.SavedModelBuilder(export_dir)
            info = tf.saved_model.utils.build_tensor_info
            signature = tf.saved_model.signature_def_utils.build_signature_def(
                {"in": info(x)}, {"out": info(y)},
                tf.saved_model.signature_constants.PREDICT_METHOD_NAME)
            builder.add_meta_graph_and_variables(
                sess, [tf.saved_model.tag_constants.TRAINING], main_op=init_op)
            with pytest.raises(AssertionError, match="already been saved"):
                builder.add_meta_graph_and_variables(sess, ["other"])
            builder.add_meta_graph([tf.saved_model.tag_constants.SERVING],
                                   signature_def_map={"predict": signature})
            path = builder.save(as_text=True)
    assert path.endswith("saved_model.tlsm.json")
    with tf.Graph().as_default() as graph:
        with tf.Session() as sess:
            meta = tf.saved_model.loader.load(sess, ["serve"], export_dir,
                                              import_scope="served")
            out = meta.signature_def["predict"].outputs["out"]
            y = tf.saved_model.utils.get_tensor_from_tensor_info(out, graph, "served")
            np.testing.assert_allclose(sess.run(y, {"served/x:0": X}), expected, rtol=1e-6)
    with tf.Graph().as_default():
        with tf.Session() as sess:
            meta = tf.saved_model.loader.load(sess, ["train"], export_dir)
            assert meta.signature_def == {}
            assert sess.run("counter:0") == 41  # the main op ran after the restore
        with tf.Session() as sess:
            with pytest.raises(RuntimeError, match="could not be found"):
                tf.saved_model.loader.load(sess, ["gpu"], export_dir)


def test_export_dir_must_not_exist_and_nothing_is_left_half_written(tmp_path):
    export_dir = tmp_path / "export"
    export_dir.mkdir()
    (export_dir / "file").write_text("taken")
    with pytest.raises(AssertionError, match="already exists"):
        tf.saved_model.builder.SavedModelBuilder(str(export_dir))
    with tf.Graph().as_default():
        x, y, w1 = build_model()
        with tf.Session() as sess:
            train_a_little(sess, w1)
            builder = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "late"))
            builder.add_meta_graph_and_variables(sess, ["serve"])
            (tmp_path / "late").mkdir()
            (tmp_path / "late" / "x").write_text("taken meanwhile")
            with pytest.raises(AssertionError, match="already exists"):
                builder.save()
    assert sorted(os.listdir(tmp_path)) == ["export", "late"]  # no temporary directory left


def test_signature_helpers_check_their_arguments():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        with pytest.raises(ValueError, match="inputs cannot be None or empty"):
            tf.saved_model.signature_def_utils.predict_signature_def({}, {"x": x})
        with pytest.raises(TypeError, match="TensorInfo"):
            tf.saved_model.signature_def_utils.build_signature_def({"x": x})
        info = tf.saved_model.utils.build_tensor_info(x)
        assert (info.name, info.dtype, info.tensor_shape) == ("x:0", tf.float32, (None, 2))


def test_loading_a_directory_without_a_saved_model_is_an_error(tmp_path):
    assert not tf.saved_model.loader.maybe_saved_model_directory(str(tmp_path))
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(OSError, match="SavedModel file does not exist"):
            tf.saved_model.loader.load(sess, ["serve"], str(tmp_path))
