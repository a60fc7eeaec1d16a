"""Training end to end: an MLP learns the digits, the same seeds give the same loss curve, and
the example script runs. (Each optimizer's convergence on a linear regression is in
test_optimizers.py.)"""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tensorlib as tf

ROOT = pathlib.Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "examples"))


def test_mlp_learns_the_digits():
    pytest.importorskip("sklearn")
    import train_digits
    losses, accuracy = train_digits.train(epochs=15, verbose=False)
    assert accuracy >= 0.95
    assert losses[-1] < losses[0] / 5


def test_same_seeds_give_the_same_loss_curve_at_any_thread_count():
    pytest.importorskip("sklearn")
    import train_digits
    train_x, train_y, _, _ = train_digits.load_data()
    curves = []
    for threads in (1, 2, 1):
        tf.reset_default_graph()
        m = train_digits.build_model(seed=3)
        config = tf.ConfigProto(intra_op_parallelism_threads=threads)
        with tf.Session(config=config) as sess:
            sess.run(tf.global_variables_initializer())
            curves.append([sess.run([m["loss"], m["train_op"]],
                                    {m["images"]: train_x[i:i + 200],
                                     m["labels"]: train_y[i:i + 200]})[0]
                           for i in range(0, 1200, 200)])
    np.testing.assert_array_equal(curves[0], curves[1])
    np.testing.assert_array_equal(curves[0], curves[2])


def test_example_script_trains_and_saves(tmp_path):
    pytest.importorskip("sklearn")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(pathlib.Path(tf.__file__).parent.parent)] + sys.path))
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "train_digits.py"),
                          "--epochs", "3", "--checkpoint-dir", str(tmp_path)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "final test accuracy" in out.stdout
    assert tf.train.latest_checkpoint(str(tmp_path)) is not None
