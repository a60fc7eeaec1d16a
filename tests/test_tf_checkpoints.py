"""TensorFlow's checkpoints (tensor bundle V2) read and restored without TensorFlow, checked
against the values TensorFlow saved (tests/fixtures/tf_checkpoints, made by its
make_fixtures.py)."""
import os
import pathlib
import shutil

import numpy as np
import pytest

import tensorlib as tf
from tensorlib.train import tensor_bundle

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "tf_checkpoints"
CHECKPOINTS = {"dense_conv": "model.ckpt-1", "sharded": "model.ckpt", "tf2": "model.ckpt"}


def expected(name):
    with np.load(FIXTURES / f"{name}.npz") as f:
        return {key: f[key] for key in f.files}


def prefix_of(name, root=FIXTURES):
    return str(root / name / CHECKPOINTS[name])


@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
def test_every_tensor_equals_what_tensorflow_saved(name):
    values = {k: v for k, v in expected(name).items() if not k.startswith("io/")}
    reader = tf.train.NewCheckpointReader(prefix_of(name))
    assert set(reader.get_variable_to_shape_map()) == set(values)
    for key, value in values.items():
        got = reader.get_tensor(key)
        assert reader.has_tensor(key)
        assert reader.get_variable_to_shape_map()[key] == list(value.shape)
        if value.dtype.kind == "S":
            assert got.dtype == object and reader.get_variable_to_dtype_map()[key] == tf.string
            assert got.tolist() == value.tolist()
        else:
            assert got.dtype == value.dtype, key
            np.testing.assert_array_equal(got, value)


def test_sharded_checkpoint_has_two_data_files():
    assert os.path.isfile(prefix_of("sharded") + ".data-00001-of-00002")
    assert tf.train.load_variable(str(FIXTURES / "sharded"), "c:0").tolist() == [7, 8]


def test_latest_checkpoint_and_state_of_a_tensorflow_directory():
    directory = str(FIXTURES / "dense_conv")
    assert tf.train.latest_checkpoint(directory) == prefix_of("dense_conv")
    state = tf.train.get_checkpoint_state(directory)
    assert state.all_model_checkpoint_paths == [prefix_of("dense_conv")]
    assert tf.train.checkpoint_exists(prefix_of("dense_conv"))
    names = [n for n, _ in tf.train.list_variables(directory)]
    assert names == sorted(names) and "dense/kernel/Adam_1" in names


def test_debug_string_lists_every_tensor():
    text = tf.train.load_checkpoint(prefix_of("tf2")).debug_string().decode()
    assert text == "scope/step (int64) []\nscope/w (float32) [2,4]\n"


def build_dense_conv():
    """The fixture's graph with tensorlib's layers (the same variable names)."""
    x = tf.placeholder(tf.float32, [None, 5, 5, 2], name="x")
    h = tf.layers.conv2d(x, 3, 3, activation=tf.nn.relu)
    h = tf.reshape(h, [-1, 3 * 3 * 3])
    y = tf.identity(tf.layers.dense(h, 3, name="dense"), name="y")
    step = tf.train.get_or_create_global_step()
    tf.train.AdamOptimizer(0.1).minimize(tf.reduce_mean(tf.square(y)), global_step=step)
    return x, y


def test_saver_restores_a_tensorflow_model_and_computes_its_outputs():
    values = expected("dense_conv")
    with tf.Graph().as_default():
        x, y = build_dense_conv()
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(str(FIXTURES / "dense_conv")))
            out = sess.run(y, {x: values["io/x"]})
            restored = sess.run({v.op.name: v for v in tf.global_variables()})
    np.testing.assert_allclose(out, values["io/y"], rtol=1e-5, atol=1e-6)
    assert len(restored) == 15  # weights, global_step, beta powers and every Adam slot
    for name, value in restored.items():
        np.testing.assert_array_equal(value, values[name])


def test_saver_var_list_dict_maps_checkpoint_names():
    with tf.Graph().as_default():
        w = tf.Variable(np.zeros((2, 4), np.float32), name="weights")
        saver = tf.train.Saver({"scope/w": w})
        with tf.Session() as sess:
            saver.restore(sess, prefix_of("tf2"))
            np.testing.assert_array_equal(sess.run(w), expected("tf2")["scope/w"])


def test_restore_names_missing_keys_and_mismatched_shapes():
    with tf.Graph().as_default():
        a = tf.Variable(np.zeros((2, 3), np.float32), name="a")
        tf.Variable(1, name="nope")
        tf.Variable(2, name="nope2")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.NotFoundError, match="Keys nope, nope2 not found"):
                tf.train.Saver().restore(sess, prefix_of("sharded"))
        wrong = tf.Variable(np.zeros(3, np.float32), name="wrong")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"lhs shape= \[3\] rhs "
                                                                     r"shape= \[2, 3\]"):
                tf.train.Saver({"a": wrong}).restore(sess, prefix_of("sharded"))
            tf.train.Saver([a]).restore(sess, prefix_of("sharded"))
            np.testing.assert_array_equal(sess.run(a), expected("sharded")["a"])


def test_init_from_checkpoint_by_scope_and_by_name():
    values = expected("dense_conv")
    with tf.Graph().as_default():
        with tf.variable_scope("new"):
            kernel = tf.get_variable("kernel", [3, 3, 2, 3])
            bias = tf.get_variable("bias", [3])
        step = tf.Variable(np.int64(0), name="step")
        tf.train.init_from_checkpoint(str(FIXTURES / "dense_conv"),
                                      {"conv2d/": "new/", "global_step": "step"})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(kernel), values["conv2d/kernel"])
            np.testing.assert_array_equal(sess.run(bias), values["conv2d/bias"])
            assert sess.run(step) == values["global_step"]
        with pytest.raises(ValueError, match="Tensor missing .*not found"):
            tf.train.init_from_checkpoint(prefix_of("dense_conv"), {"missing": step})
        with pytest.raises(ValueError, match="Shape of variable step"):
            tf.train.init_from_checkpoint(prefix_of("dense_conv"), {"counts": step})


def test_missing_checkpoint_is_not_found():
    with pytest.raises(tf.errors.NotFoundError, match="nothing-here"):
        tf.train.NewCheckpointReader(str(FIXTURES / "nothing-here"))
    with pytest.raises(tf.errors.NotFoundError, match="Key nope not found"):
        tf.train.load_checkpoint(prefix_of("tf2")).get_tensor("nope")


def test_masked_crc_round_trips():
    crc = tf._core.crc32c(b"123456789")
    masked = (((crc >> 15) | (crc << 17)) + 0xa282ead8) & 0xffffffff
    assert tensor_bundle.unmask_crc(masked) == crc == 0xE3069283


# ---- damage ---------------------------------------------------------------------------------

def read_all(prefix):
    reader = tf.train.NewCheckpointReader(prefix)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def assert_intact_or_data_loss(prefix, path, reference):
    """Reading everything either raises DataLossError naming `path` or gives `reference`."""
    try:
        values = read_all(prefix)
    except tf.errors.DataLossError as e:
        assert os.path.basename(path) in str(e)
        return False
    assert values.keys() == reference.keys()
    for key, value in values.items():
        assert value.tolist() == reference[key].tolist()
    return True


@pytest.fixture
def copied(tmp_path):
    shutil.copytree(FIXTURES / "dense_conv", tmp_path / "dense_conv")
    prefix = prefix_of("dense_conv", tmp_path)
    return prefix, read_all(prefix)


@pytest.mark.parametrize("suffix", [".index", ".data-00000-of-00001"])
def test_every_byte_flip_and_truncation_is_caught(copied, suffix):
    prefix, reference = copied
    path = prefix + suffix
    original = pathlib.Path(path).read_bytes()
    step = 1 if suffix == ".index" else 7
    unnoticed = 0
    for pos in range(0, len(original), step):
        damaged = bytearray(original)
        damaged[pos] ^= 0x40
        pathlib.Path(path).write_bytes(bytes(damaged))
        unnoticed += assert_intact_or_data_loss(prefix, path, reference)
    assert unnoticed == 0
    for size in range(0, len(original), 13):
        pathlib.Path(path).write_bytes(original[:size])
        with pytest.raises(tf.errors.DataLossError, match=os.path.basename(path)):
            read_all(prefix)


def test_missing_data_shard_is_data_loss(copied):
    prefix, _ = copied
    os.remove(prefix + ".data-00000-of-00001")
    with pytest.raises(tf.errors.DataLossError, match="data-00000-of-00001"):
        read_all(prefix)


def test_tensorlib_checkpoints_read_through_the_same_api(tmp_path):
    with tf.Graph().as_default():
        tf.Variable(np.arange(4, dtype=np.int32), name="v")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "model"), global_step=3)
    assert tf.train.list_variables(str(tmp_path)) == [("v", [4])]
    assert tf.train.load_variable(path, "v").tolist() == [0, 1, 2, 3]


def test_snappy_compressed_block_is_refused_clearly(copied):
    prefix, _ = copied
    path = pathlib.Path(prefix + ".index")
    data = bytearray(path.read_bytes())
    footer = bytes(data[-48:])
    _, _, pos = tensor_bundle._block_handle(footer)
    index_offset, index_size, _ = tensor_bundle._block_handle(footer, pos)
    index = tensor_bundle._read_block(bytes(data), index_offset, index_size)
    _, handle = next(tensor_bundle._block_entries(index))
    offset, size, _ = tensor_bundle._block_handle(handle)
    data[offset + size] = 1  # the compression byte: snappy
    crc = tf._core.crc32c(bytes(data[offset:offset + size + 1]))
    masked = (((crc >> 15) | (crc << 17)) + 0xa282ead8) & 0xffffffff
    data[offset + size + 1:offset + size + 5] = masked.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(tf.errors.UnimplementedError, match="snappy"):
        tf.train.NewCheckpointReader(prefix)
