"""tf.train.MonitoredSession, MonitoredTrainingSession, Scaffold and the basic hooks: hooks
fire at the steps TF1 fires them, checkpoints are saved and restored, summaries and
global_step/sec reach the event file, and an input that runs out ends training cleanly."""
import logging
import os

import numpy as np
import pytest

import event_files
import tensorlib as tf


def regression_graph():
    """A one-weight least-squares model y = w * x (the best w is 2), fed through `x`."""
    x = tf.placeholder(tf.float32, [None], name="x")
    w = tf.Variable(0.0, name="w")
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(w * x - 2.0 * x), name="loss")
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss, global_step=step)
    return x, w, step, loss, train


def ones_feed(x):
    return tf.train.FeedFnHook(lambda: {x: np.ones(4, np.float32)})


class RecordingHook(tf.train.SessionRunHook):
    """Records which hook methods ran, and the global step each run saw."""

    def __init__(self, step):
        self.calls, self.steps, self._step = [], [], step

    def begin(self):
        self.calls.append("begin")
        assert not tf.get_default_graph().finalized  # hooks may still add ops

    def after_create_session(self, session, coord):
        self.calls.append("after_create_session")

    def before_run(self, run_context):
        self.calls.append("before_run")
        return tf.train.SessionRunArgs(self._step)

    def after_run(self, run_context, run_values):
        self.calls.append("after_run")
        self.steps.append(int(run_values.results))

    def end(self, session):
        self.calls.append("end")


def test_stop_at_step_hook_and_hook_call_order():
    with tf.Graph().as_default():
        x, _, step, _, train = regression_graph()
        rec = RecordingHook(step)
        with tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(num_steps=5), rec,
                                              ones_feed(x)]) as sess:
            runs = 0
            while not sess.should_stop():
                sess.run(train)
                runs += 1
            with pytest.raises(RuntimeError, match="should_stop"):
                sess.run(train)
        assert runs == 5 and rec.steps == [0, 1, 2, 3, 4]
        assert rec.calls == (["begin", "after_create_session"] +
                             ["before_run", "after_run"] * 5 + ["end"])


def test_stop_at_last_step_counts_from_a_restored_step(tmp_path):
    for last_step, expected_runs in [(3, 3), (7, 4)]:
        with tf.Graph().as_default():
            x, _, step, _, train = regression_graph()
            with tf.train.MonitoredTrainingSession(
                    checkpoint_dir=str(tmp_path),
                    hooks=[tf.train.StopAtStepHook(last_step=last_step), ones_feed(x)]) as sess:
                runs = 0
                while not sess.should_stop():
                    sess.run(train)
                    runs += 1
        assert runs == expected_runs
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-7")


def test_out_of_range_ends_training_cleanly_with_a_final_checkpoint(tmp_path):
    batches = iter([np.ones(4, np.float32)] * 6)

    def feed():
        try:
            return {x: next(batches)}
        except StopIteration:
            raise tf.errors.OutOfRangeError(None, None, "End of sequence") from None

    with tf.Graph().as_default():
        x, _, step, _, train = regression_graph()
        final = tf.train.FinalOpsHook(step)
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path), save_checkpoint_steps=4,
                hooks=[tf.train.FeedFnHook(feed), final]) as sess:
            while not sess.should_stop():
                sess.run(train)
        assert final.final_ops_values == 6
    kept = sorted(f for f in os.listdir(tmp_path) if f.endswith(".tlckpt"))
    assert kept == ["model.ckpt-0.tlckpt", "model.ckpt-4.tlckpt", "model.ckpt-6.tlckpt"]


def test_training_resumes_from_the_latest_checkpoint(tmp_path):
    with tf.Graph().as_default():
        x, w, step, _, train = regression_graph()
        final = tf.train.FinalOpsHook(w)
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path),
                hooks=[tf.train.StopAtStepHook(num_steps=10), ones_feed(x), final]) as sess:
            while not sess.should_stop():
                sess.run(train)
        trained_w = final.final_ops_values
    with tf.Graph().as_default():
        x, w, step, _, train = regression_graph()
        with tf.train.SingularMonitoredSession(checkpoint_dir=str(tmp_path)) as sess:
            assert sess.run(step) == 10 and sess.run(w) == trained_w
            assert sess.raw_session().run(step) == 10
    # Ten steps of gradient descent on (w - 2)^2 from 0: w = 2 - 2 * (1 - 0.05 * 2)^10.
    np.testing.assert_allclose(trained_w, 2 - 2 * 0.9 ** 10, rtol=1e-5)


def test_summaries_and_step_rate_reach_the_event_file(tmp_path):
    with tf.Graph().as_default():
        x, _, step, loss, train = regression_graph()
        tf.summary.scalar("train_loss", loss)
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path), save_summaries_steps=3, log_step_count_steps=4,
                hooks=[tf.train.StopAtStepHook(num_steps=10), ones_feed(x)]) as sess:
            losses = []
            while not sess.should_stop():
                losses.append(sess.run([train, loss])[1])
    found = event_files.scalars(str(tmp_path))
    # The summary of a run is written at the step that run produced: 1, 4, 7, 10.
    assert [step for step, _ in found["train_loss"]] == [1, 4, 7, 10]
    np.testing.assert_allclose([v for _, v in found["train_loss"]],
                               [losses[0], losses[3], losses[6], losses[9]], rtol=1e-6)
    assert [step for step, _ in found["global_step/sec"]] == [4, 8]
    assert all(v > 0 for _, v in found["global_step/sec"])


def test_logging_tensor_hook_logs_every_n_iter_and_at_end(caplog):
    with tf.Graph().as_default():
        x, _, step, loss, train = regression_graph()
        hook = tf.train.LoggingTensorHook({"step": step, "loss": "loss"}, every_n_iter=2)
        at_end = tf.train.LoggingTensorHook([step], at_end=True)
        with caplog.at_level(logging.INFO, logger="tensorlib"):
            with tf.train.MonitoredSession(hooks=[hook, at_end, ones_feed(x),
                                                  tf.train.StopAtStepHook(5)]) as sess:
                while not sess.should_stop():
                    sess.run(train)
    messages = [r.getMessage() for r in caplog.records]
    lines = [m for m in messages if m.startswith("loss =")]
    assert [line.split("step = ")[1].split(" ")[0] for line in lines] == ["0", "2", "4"]
    assert lines[0] == "loss = 4.0, step = 0" and lines[1].endswith(" sec)")
    assert messages[-1] == f"{step} = 5"
    with pytest.raises(ValueError, match="every_n_iter"):
        tf.train.LoggingTensorHook({"a": "b"})


def test_nan_tensor_hook_raises_or_stops():
    for fail in (True, False):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [])
            tf.train.get_or_create_global_step()
            loss = tf.sqrt(x)
            with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(loss, fail)]) as sess:
                sess.run(loss, {x: 4.0})
                if fail:
                    with pytest.raises(tf.train.NanLossDuringTrainingError, match="NaN loss"):
                        sess.run(loss, {x: -1.0})
                else:
                    sess.run(loss, {x: -1.0})
                    assert sess.should_stop()


def test_feeds_from_a_hook_and_the_caller_may_not_collide():
    with tf.Graph().as_default():
        x, _, step, loss, _ = regression_graph()
        with tf.train.MonitoredSession(hooks=[ones_feed(x)]) as sess:
            assert sess.run(loss) == 4.0
            with pytest.raises(RuntimeError, match="fed by a SessionRunHook and user"):
                sess.run(loss, {x: np.zeros(4, np.float32)})


def test_scaffold_init_fn_and_readiness():
    with tf.Graph().as_default():
        w = tf.Variable(1.0, name="w")
        v = tf.Variable(5.0, name="v")
        seen = []
        scaffold = tf.train.Scaffold(init_op=w.initializer,
                                     init_fn=lambda scaffold, sess: seen.append(scaffold))
        with pytest.raises(RuntimeError, match="Variables not initialized: v"):
            tf.train.MonitoredSession(tf.train.ChiefSessionCreator(scaffold=scaffold))
        assert seen == [scaffold]
    with tf.Graph().as_default():
        w = tf.Variable(1.0, name="w")
        counter = tf.Variable(3, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES])
        with tf.train.MonitoredSession() as sess:
            assert sess.run([w, counter]) == [1.0, 3]
            assert tf.get_default_graph().finalized


def test_monitored_training_session_saves_every_n_seconds_by_default(tmp_path):
    with tf.Graph().as_default():
        x, _, step, _, train = regression_graph()
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path),
                hooks=[tf.train.StopAtStepHook(num_steps=3), ones_feed(x)]) as sess:
            while not sess.should_stop():
                sess.run(train)
    # 600 s never pass here: only the first and the final checkpoint are written.
    kept = sorted(f for f in os.listdir(tmp_path) if f.endswith(".tlckpt"))
    assert kept == ["model.ckpt-0.tlckpt", "model.ckpt-3.tlckpt"]


def test_hooks_need_a_global_step():
    with tf.Graph().as_default():
        tf.Variable(1.0)
        with pytest.raises(RuntimeError, match="Global step should be created"):
            tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(1)])


def test_run_step_fn_runs_with_or_without_hooks_and_can_stop():
    with tf.Graph().as_default():
        x, w, step, _, train = regression_graph()
        rec = RecordingHook(step)

        def step_fn(step_context):
            step_context.run_with_hooks(train)
            if step_context.session.run(step) >= 3:
                step_context.request_stop()
            return "ran"

        with tf.train.MonitoredSession(hooks=[rec, ones_feed(x)]) as sess:
            results = []
            while not sess.should_stop():
                results.append(sess.run_step_fn(step_fn))
            with pytest.raises(ValueError, match="step_context"):
                sess.run_step_fn(lambda ctx: None)
        assert results == ["ran", "ran", None] and rec.steps == [0, 1, 2]


def test_step_rate_is_written_without_summary_saving(tmp_path):
    with tf.Graph().as_default():
        x, _, step, _, train = regression_graph()
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path), save_summaries_steps=None,
                save_summaries_secs=None, log_step_count_steps=2,
                hooks=[tf.train.StopAtStepHook(num_steps=4), ones_feed(x)]) as sess:
            while not sess.should_stop():
                sess.run(train)
    found = event_files.scalars(str(tmp_path))
    assert list(found) == ["global_step/sec"]
    assert [s for s, _ in found["global_step/sec"]] == [2, 4]
