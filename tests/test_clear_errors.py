"""Misuse that used to fail obscurely (a bare OverflowError, an IndexError after writing, an
error naming a hidden file) gets TF1's exception type and a message saying what was wrong."""
import os

import numpy as np
import pytest

import tensorlib as tf


def test_constant_of_an_int_beyond_int64_names_the_int():
    with pytest.raises(TypeError, match="the Python int 1180591620717411303424 is out of the "
                                        "range of every tensorlib integer dtype"):
        tf.constant(2 ** 70)
    with pytest.raises(TypeError, match="Python int -1180591620717411303424 is out of the range"):
        tf.constant([1, -(2 ** 70)], dtype=tf.int64)


def test_einsum_with_two_arrows_is_a_value_error():
    x = tf.zeros([2, 2])
    with pytest.raises(ValueError, match="einsum: equation '->->' has more than one '->'"):
        tf.einsum("->->", x)


def test_make_callable_after_close_is_a_runtime_error():
    x = tf.constant(1.0)
    sess = tf.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
        sess.make_callable(x)


def test_session_of_something_that_is_no_graph_is_a_type_error():
    with pytest.raises(TypeError, match="graph must be a tf.Graph, but got <class 'int'>"):
        tf.Session(graph=5)


def test_saver_with_negative_max_to_keep_is_refused_before_anything_is_written(tmp_path):
    tf.Variable(1.0)
    with pytest.raises(ValueError, match="max_to_keep must be None or a non-negative integer"):
        tf.train.Saver(max_to_keep=-1)
    assert os.listdir(tmp_path) == []


def test_saver_with_max_to_keep_zero_keeps_every_checkpoint(tmp_path):
    v = tf.Variable(1.0)
    saver = tf.train.Saver(max_to_keep=0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [saver.save(sess, str(tmp_path / "m"), global_step=i) for i in range(7)]
    assert all(tf.train.checkpoint_exists(p) for p in paths)
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[-1]


def test_saver_name_longer_than_its_table_holds_is_refused_up_front(tmp_path):
    v = tf.Variable(1.0)
    with pytest.raises(ValueError, match="at most 65535 bytes.*has 70000"):
        tf.train.Saver({"n" * 70000: v})
    tf.train.Saver({"n" * 65535: v})  # the longest name that fits


def test_saver_write_errors_name_the_checkpoint_not_its_temporary_file(tmp_path):
    v = tf.Variable(1.0)
    saver = tf.train.Saver()
    target = tmp_path / "model.tlckpt"
    target.mkdir()  # the checkpoint's own file name is taken by a directory
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(IsADirectoryError) as info:
            saver.save(sess, str(tmp_path / "model"))
    meta = tmp_path / "missing" / "model.meta"
    with pytest.raises(FileNotFoundError) as missing:
        tf.train.export_meta_graph(str(meta))
    assert info.value.filename == str(target)
    assert ".tmp" not in str(info.value) and str(target) in str(info.value)
    assert os.listdir(tmp_path) == ["model.tlckpt"]  # no temporary file left behind
    assert missing.value.filename == str(meta) and ".tmp" not in str(missing.value)


def test_large_random_seed_is_reduced_as_tf1_does():
    tf.set_random_seed(2 ** 70)
    a = tf.random_normal([3])
    b = tf.random_uniform([2], seed=2 ** 64 + 5)
    with tf.Session() as sess:
        first = sess.run([a, b])
    tf.reset_default_graph()
    tf.set_random_seed(2 ** 70 % (2 ** 31 - 1))
    a = tf.random_normal([3])
    b = tf.random_uniform([2], seed=(2 ** 64 + 5) % (2 ** 31 - 1))
    with tf.Session() as sess:
        second = sess.run([a, b])
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_random_seed_that_is_no_integer_is_refused_at_once():
    with pytest.raises(TypeError, match="A random seed must be an integer or None, got 'abc'"):
        tf.set_random_seed("abc")


@pytest.mark.parametrize("field", ["intra_op_parallelism_threads",
                                   "inter_op_parallelism_threads"])
@pytest.mark.parametrize("count", [2 ** 40, -5])
def test_config_thread_counts_out_of_range_are_value_errors(field, count):
    with pytest.raises(ValueError, match=f"{field} must be between 0 .* got {count}"):
        tf.ConfigProto(**{field: count})
    config = tf.ConfigProto()
    with pytest.raises(ValueError, match=f"{field} must be between 0"):
        setattr(config, field, count)
    with pytest.raises(ValueError, match="num_threads must be between 0"):
        tf.config.set_num_threads(count)


def test_config_thread_counts_in_range_are_kept():
    config = tf.ConfigProto(intra_op_parallelism_threads=3, inter_op_parallelism_threads=None)
    assert (config.intra_op_parallelism_threads, config.inter_op_parallelism_threads) == (3, 0)
    with tf.Session(config=config) as sess:
        assert sess.run(tf.constant(2.0) * 3) == 6


def test_shape_of_a_dim_beyond_int32_fails_as_tf1_does_and_int64_works():
    x = tf.zeros([0, 2 ** 40])
    wide = tf.shape(x)
    size = tf.size(tf.zeros([2 ** 20, 2 ** 20, 0]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Shape: value 1099511627776 does not fit in int32; use "
                                 r"out_type=tf.int64(.|\n)*test_clear_errors.py"):
            sess.run(wide)
        assert sess.run(tf.shape(x, out_type=tf.int64)).tolist() == [0, 2 ** 40]
        assert sess.run(size) == 0
