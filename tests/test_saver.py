"""tf.train.Saver: checkpoints saved, found, restored and checked against damage."""
import os
import pathlib
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

import tensorlib as tf
from tensorlib.train import saver as saver_module


VALUES = {
    "w": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "half": np.array([1.5, -2.25, 65504.0], dtype=np.float16),
    "d": np.float64(np.pi),
    "counts": np.array([[1, -2], [3, 2 ** 40]], dtype=np.int64),
    "idx": np.array([7, 8, 9], dtype=np.int32),
    "mask": np.array([True, False, True, True]),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "bytes": np.array([-128, 0, 127], dtype=np.int8),
    "shorts": np.array([[-300], [32767]], dtype=np.int16),
    "pixels": np.array([0, 200, 255], dtype=np.uint8),
    "u16": np.array([65535, 1], dtype=np.uint16),
    "u32": np.uint32(4000000000),
    "u64": np.array([2 ** 64 - 1, 5], dtype=np.uint64),
    "waves": np.array([1 + 2j, -0.5j], dtype=np.complex64),
    "spectrum": np.array([[np.pi - 1j, 3]], dtype=np.complex128),
}


def make_variables():
    """One variable per entry of VALUES, created with those names."""
    return {name: tf.Variable(value, name=name) for name, value in VALUES.items()}


def test_save_and_restore_every_dtype(tmp_path):
    variables = make_variables()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "model.ckpt"))
    assert path == str(tmp_path / "model.ckpt")
    assert os.path.isfile(path + ".tlckpt")
    with tf.Session() as sess:
        saver.restore(sess, path)
        restored = sess.run({name: v for name, v in variables.items()})
    for name, value in VALUES.items():
        assert restored[name].dtype == value.dtype
        np.testing.assert_array_equal(restored[name], value)


def test_restore_overwrites_values_changed_after_saving(tmp_path):
    v = tf.Variable([1.0, 2.0], name="v")
    update = v.assign([5.0, 6.0])
    saver = tf.train.Saver([v])
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
        sess.run(update)
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])


def test_var_list_dict_names_the_checkpoint_entries(tmp_path):
    a = tf.Variable(3.0, name="a")
    saver = tf.train.Saver({"renamed": a})
    with tf.Session() as sess:
        sess.run(a.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
    b = tf.Variable(0.0, name="b")
    with tf.Session() as sess:
        tf.train.Saver({"renamed": b}).restore(sess, path)
        assert sess.run(b) == 3.0
        with pytest.raises(tf.errors.NotFoundError, match="Key b not found in checkpoint"):
            tf.train.Saver([b]).restore(sess, path)


def test_global_step_names_the_checkpoint_and_latest_checkpoint_finds_it(tmp_path):
    tf.Variable(1.0, name="v")
    step = tf.Variable(100, name="global_step")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert saver.save(sess, str(tmp_path / "model.ckpt"), global_step=7) == \
            str(tmp_path / "model.ckpt-7")
        path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
    assert path == str(tmp_path / "model.ckpt-100")
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    state = (tmp_path / "checkpoint").read_text()
    assert state == (f'model_checkpoint_path: "{tmp_path}/model.ckpt-100"\n'
                     f'all_model_checkpoint_paths: "{tmp_path}/model.ckpt-7"\n'
                     f'all_model_checkpoint_paths: "{tmp_path}/model.ckpt-100"\n')


def test_relative_save_dir_writes_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("run")
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver([v])
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert saver.save(sess, "run/model", global_step=3) == "run/model-3"
    assert (tmp_path / "run" / "checkpoint").read_text() == (
        'model_checkpoint_path: "model-3"\nall_model_checkpoint_paths: "model-3"\n')
    assert tf.train.latest_checkpoint("run") == os.path.join("run", "model-3")


def test_max_to_keep_deletes_the_oldest_checkpoints(tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=2)
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [saver.save(sess, str(tmp_path / "m"), global_step=s) for s in range(4)]
    assert saver.last_checkpoints == paths[2:]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-2.meta", "m-2.tlckpt", "m-3.meta",
                                            "m-3.tlckpt"]
    state = saver_module.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == paths[3]
    assert state.all_model_checkpoint_paths == paths[2:]


def test_max_to_keep_none_keeps_every_file(tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=None)
    with tf.Session() as sess:
        sess.run(v.initializer)
        for s in range(3):
            saver.save(sess, str(tmp_path / "m"), global_step=s)
    assert len(list(tmp_path.glob("*.tlckpt"))) == 3
    state = saver_module.get_checkpoint_state(str(tmp_path))
    assert state.all_model_checkpoint_paths == [str(tmp_path / "m-2")]


def test_state_file_written_by_tensorflow_is_read(tmp_path):
    (tmp_path / "checkpoint").write_text(
        'model_checkpoint_path: "model.ckpt-20"\n'
        'all_model_checkpoint_paths: "model.ckpt-10"\n'
        'all_model_checkpoint_paths: "model.ckpt-20"\n'
        'all_model_checkpoint_timestamps: 1600000000.5\n'
        'all_model_checkpoint_timestamps: 1600000100.25\n'
        'last_preserved_timestamp: 1599999999.0\n')
    state = saver_module.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == str(tmp_path / "model.ckpt-20")
    assert state.all_model_checkpoint_paths == [str(tmp_path / "model.ckpt-10"),
                                                str(tmp_path / "model.ckpt-20")]
    (tmp_path / "checkpoint").write_text("model_checkpoint_path: 12\n")
    assert saver_module.get_checkpoint_state(str(tmp_path)) is None


def test_latest_checkpoint_without_state_file_is_none(tmp_path):
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    assert tf.train.latest_checkpoint(str(tmp_path / "missing")) is None


def test_state_file_round_trips_paths_with_quotes_and_unicode(tmp_path):
    name = 'we"ird \\ näme'
    saver_module.update_checkpoint_state(str(tmp_path), str(tmp_path / name))
    state = saver_module.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == str(tmp_path / name)


RESTORE_SCRIPT = """
import sys
import numpy as np
import tensorlib as tf
w = tf.Variable(tf.zeros([3, 4]), name="w")
with tf.name_scope("layer"):
    b = tf.Variable(tf.zeros([2], dtype=tf.int64), name="b")
with tf.Session() as sess:
    tf.train.Saver().restore(sess, tf.train.latest_checkpoint(sys.argv[1]))
    print(repr(sess.run(w).tolist()), repr(sess.run(b).tolist()))
"""


def test_restore_in_a_fresh_process(tmp_path):
    w = tf.Variable(tf.reshape(tf.range(12.0), [3, 4]), name="w")
    with tf.name_scope("layer"):
        b = tf.Variable(np.array([5, -6], dtype=np.int64), name="b")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"), global_step=1)
        expected = f"{sess.run(w).tolist()!r} {sess.run(b).tolist()!r}"
    # The tensorlib this test runs (installed, or built in place), not the bare source tree.
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(tf.__file__).parent.parent))
    out = subprocess.run([sys.executable, "-c", RESTORE_SCRIPT, str(tmp_path)], env=env,
                         capture_output=True, text=True, cwd="/", timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected


def test_save_leaves_no_temporary_file(tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        saver.save(sess, str(tmp_path / "m"))
        saver.save(sess, str(tmp_path / "m"))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m.meta", "m.tlckpt"]


def test_failed_save_keeps_the_previous_checkpoint(tmp_path):
    # The new data file's name is taken by a directory that is not empty: renaming the
    # written temporary file onto it fails for everyone, root included.
    blocker = tmp_path / "n.tlckpt"
    blocker.mkdir()
    (blocker / "keep").write_bytes(b"x")
    v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
        sess.run(v.assign([3.0, 4.0]))
        before = {p.name: p.is_dir() or p.read_bytes() for p in tmp_path.iterdir()}
        with pytest.raises(OSError):
            saver.save(sess, str(tmp_path / "n"))
        assert {p.name: p.is_dir() or p.read_bytes() for p in tmp_path.iterdir()} == before
        assert saver.last_checkpoints == [path]
        assert tf.train.latest_checkpoint(str(tmp_path)) == path
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])


def test_save_that_runs_out_of_space_keeps_the_previous_checkpoint(tmp_path):
    big = np.ones((256, 1024), np.float32)
    v = tf.Variable(big, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
        before = (tmp_path / "m.tlckpt").read_bytes()
        sess.run(v.assign(tf.zeros([256, 1024])))
        old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (big.nbytes // 2, old_limit[1]))
        try:
            with pytest.raises(OSError, match="too large"):
                saver.save(sess, str(tmp_path / "m"))
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
            signal.signal(signal.SIGXFSZ, old_handler)
        assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m.meta", "m.tlckpt"]
        assert (tmp_path / "m.tlckpt").read_bytes() == before
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(v), big)


def test_interrupted_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
        before = (tmp_path / "m.tlckpt").read_bytes()
        sess.run(v.assign([3.0, 4.0]))

        def failing_fsync(fd):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fsync", failing_fsync)
        with pytest.raises(OSError, match="No space left"):
            saver.save(sess, str(tmp_path / "m"))
        monkeypatch.undo()
        assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m.meta", "m.tlckpt"]
        assert (tmp_path / "m.tlckpt").read_bytes() == before
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])


def saved_checkpoint(tmp_path):
    """(saver, session, checkpoint prefix, w, b) for variables w (3x4 float32), b (int32)."""
    w = tf.Variable(np.ones((3, 4), np.float32), name="w")
    b = tf.Variable(np.arange(5, dtype=np.int32), name="b")
    saver = tf.train.Saver([w, b])
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    prefix = saver.save(sess, str(tmp_path / "m"))
    return saver, sess, prefix, w, b


@pytest.mark.parametrize("keep", [0, 7, 40, 100])
def test_truncated_file_is_data_loss(tmp_path, keep):
    saver, sess, prefix, _, _ = saved_checkpoint(tmp_path)
    path = pathlib.Path(prefix + ".tlckpt")
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep < 100 else data[:-1])
    with pytest.raises(tf.errors.DataLossError, match=str(path)):
        saver.restore(sess, prefix)


def test_bit_flip_in_the_header_or_a_tensor_is_data_loss(tmp_path):
    saver, sess, prefix, _, _ = saved_checkpoint(tmp_path)
    path = pathlib.Path(prefix + ".tlckpt")
    data = path.read_bytes()
    with open(path, "rb") as f:
        entries = saver_module.read_checkpoint_table(f, str(path))
        header_size = f.tell()
    positions = list(range(0, header_size, 3))
    for e in entries.values():
        positions += range(e.offset, e.offset + e.size, 7)
    for i in positions:
        flipped = bytearray(data)
        flipped[i] ^= 0x10
        path.write_bytes(bytes(flipped))
        with pytest.raises(tf.errors.DataLossError, match=str(path)):
            saver.restore(sess, prefix)


def test_corrupted_tensor_names_the_tensor(tmp_path):
    saver, sess, prefix, _, _ = saved_checkpoint(tmp_path)
    path = pathlib.Path(prefix + ".tlckpt")
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # the last byte of the last tensor in name order: w
    path.write_bytes(bytes(data))
    with pytest.raises(tf.errors.DataLossError, match="checksum of tensor 'w'"):
        saver.restore(sess, prefix)


def test_file_of_another_format_is_data_loss(tmp_path):
    saver, sess, prefix, _, _ = saved_checkpoint(tmp_path)
    pathlib.Path(prefix + ".tlckpt").write_bytes(b"\x00\x01" * 100)
    with pytest.raises(tf.errors.DataLossError, match="not a tensorlib checkpoint"):
        saver.restore(sess, prefix)


def test_missing_checkpoint_is_value_error_like_tf1(tmp_path):
    tf.Variable(1.0, name="v")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            tf.train.Saver().restore(sess, str(tmp_path / "nothing"))
        with pytest.raises(ValueError, match="None"):
            tf.train.Saver().restore(sess, None)


def test_shape_mismatch_is_invalid_argument(tmp_path):
    prefix = saved_checkpoint(tmp_path)[2]
    tf.reset_default_graph()
    w = tf.Variable(np.ones((4, 3), np.float32), name="w")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"lhs shape= \[4, 3\] rhs "
                                                                 r"shape= \[3, 4\]"):
            tf.train.Saver([w]).restore(sess, prefix)


def test_dtype_mismatch_is_invalid_argument(tmp_path):
    prefix = saved_checkpoint(tmp_path)[2]
    tf.reset_default_graph()
    b = tf.Variable(np.arange(5, dtype=np.int64), name="b")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="expected dtype int64"):
            tf.train.Saver([b]).restore(sess, prefix)


def test_failed_restore_changes_no_variable(tmp_path):
    saver, sess, prefix, w, b = saved_checkpoint(tmp_path)
    path = pathlib.Path(prefix + ".tlckpt")
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    sess.run([w.assign(tf.zeros([3, 4])), b.assign(tf.zeros([5], tf.int32))])
    with pytest.raises(tf.errors.DataLossError):
        saver.restore(sess, prefix)
    np.testing.assert_array_equal(sess.run(w), np.zeros((3, 4)))
    np.testing.assert_array_equal(sess.run(b), np.zeros(5))


def test_saver_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver()
    assert tf.train.Saver(allow_empty=True).save(None, str(tmp_path / "m")) is None
    a = tf.Variable(1.0, name="a")
    with pytest.raises(ValueError, match="same name"):
        tf.train.Saver([a, a])
    with pytest.raises(TypeError, match="not a Variable"):
        tf.train.Saver([tf.constant(1.0)])
    saver = tf.train.Saver([a])
    with tf.Session() as sess:
        sess.run(a.initializer)
        with pytest.raises(ValueError, match="Parent directory"):
            saver.save(sess, str(tmp_path / "missing" / "m"))
        with pytest.raises(tf.errors.FailedPreconditionError):
            tf.train.Saver([tf.Variable(2.0, name="uninit")]).save(sess, str(tmp_path / "m"))


def test_large_tensor_round_trip_reads_into_one_buffer(tmp_path):
    big = np.random.default_rng(0).standard_normal((512, 1024)).astype(np.float32)
    v = tf.Variable(big, name="big")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        prefix = saver.save(sess, str(tmp_path / "m"))
        sess.run(v.assign(tf.zeros([512, 1024])))
        saver.restore(sess, prefix)
        np.testing.assert_array_equal(sess.run(v), big)
    with open(prefix + ".tlckpt", "rb") as f:
        entries = saver_module.read_checkpoint_table(f, prefix)
        assert entries["big"].offset % 64 == 0
        assert entries["big"].size == big.nbytes


def test_deferred_build_and_recovered_checkpoints(tmp_path):
    v = tf.Variable(4.0, name="v")
    saver = tf.train.Saver(defer_build=True, max_to_keep=2)
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(RuntimeError, match="build"):
            saver.save(sess, str(tmp_path / "m"))
        saver.build()
        first = saver.save(sess, str(tmp_path / "m"), global_step=1)
        # A new Saver (a restarted job) takes over the checkpoints already on disk.
        again = tf.train.Saver(max_to_keep=2)
        again.recover_last_checkpoints(
            saver_module.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths +
            [str(tmp_path / "never-saved")])
        assert again.last_checkpoints == [first]
        again.save(sess, str(tmp_path / "m"), global_step=2)
        again.save(sess, str(tmp_path / "m"), global_step=3)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-2.meta", "m-2.tlckpt", "m-3.meta",
                                            "m-3.tlckpt"]


def test_checkpoint_state_api_and_pad_step_number(tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=0, pad_step_number=True)
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [saver.save(sess, str(tmp_path / "m"), global_step=s, write_state=s != 2)
                 for s in range(3)]
    assert paths[1] == str(tmp_path / "m-00000001")
    assert all(tf.train.checkpoint_exists(p) for p in paths)
    assert not tf.train.checkpoint_exists(str(tmp_path / "m-00000009"))
    state = tf.train.get_checkpoint_state(str(tmp_path))
    # max_to_keep=0 lists only the latest; write_state=False left the file as it was.
    assert state.model_checkpoint_path == paths[1]
    assert state.all_model_checkpoint_paths == [paths[1]]
    assert tf.train.get_checkpoint_state(str(tmp_path / "nowhere")) is None


def test_set_last_checkpoints_with_time_drives_deletion(tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=1)
    with tf.Session() as sess:
        sess.run(v.initializer)
        old = saver.save(sess, str(tmp_path / "old"))
        saver.set_last_checkpoints_with_time([(old, 0.0)])
        new = saver.save(sess, str(tmp_path / "new"))
    assert saver.last_checkpoints == [new]
    assert not tf.train.checkpoint_exists(old)
    assert not os.path.exists(old + ".meta")


def test_restoring_the_meta_file_path_says_to_pass_the_prefix(tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        prefix = saver.save(sess, str(tmp_path / "m"))
        with pytest.raises(ValueError, match="not its .meta file"):
            saver.restore(sess, prefix + ".meta")
