"""tf.estimator: an Estimator trains to NumPy's least-squares solution, resumes from its
checkpoints, evaluates and predicts what NumPy computes with its saved weights, and runs
hooks, summaries and input functions as TF1 does."""
import logging
import os
import sys
import types

import numpy as np
import pytest

import event_files
import tensorlib as tf

sklearn_metrics = pytest.importorskip("sklearn.metrics")

RNG = np.random.RandomState(0)
N = 120
X = RNG.normal(size=(N, 3)).astype(np.float32)
TRUE_W = np.array([1.5, -2.0, 0.5], np.float32)
Y = (X @ TRUE_W + 0.3 + RNG.normal(scale=0.1, size=N)).astype(np.float32)
CLASSES = (X @ TRUE_W + RNG.normal(scale=0.5, size=N) > 0).astype(np.int64)


def linear_model_fn(features, labels, mode, params):
    """y = x . kernel + bias, trained by gradient descent on the mean squared error."""
    kernel = tf.get_variable("kernel", [3], initializer=tf.zeros_initializer())
    bias = tf.get_variable("bias", [], initializer=tf.zeros_initializer())
    prediction = tf.reduce_sum(features["x"] * kernel, axis=1) + bias
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": prediction,
                                                             "twice": 2.0 * prediction})
    loss = tf.reduce_mean(tf.square(prediction - labels))
    train_op = tf.train.GradientDescentOptimizer(params["learning_rate"]).minimize(
        loss, global_step=tf.train.get_global_step())
    metrics = {"mae": tf.metrics.mean_absolute_error(labels, prediction)}
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op,
                                      eval_metric_ops=metrics)


def logistic_model_fn(features, labels, mode):
    """A one-layer classifier of CLASSES (no params, no config: TF detects the arguments)."""
    logits = tf.squeeze(tf.layers.dense(features, 1, name="logits"), 1)
    probability = tf.sigmoid(logits)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=probability)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.float32), logits=logits))
    train_op = tf.train.AdamOptimizer(0.1).minimize(loss, tf.train.get_global_step())
    predicted = tf.cast(probability > 0.5, tf.int64)
    return tf.estimator.EstimatorSpec(
        mode, loss=loss, train_op=train_op,
        eval_metric_ops={"accuracy": tf.metrics.accuracy(labels, predicted),
                         "auc": tf.metrics.auc(labels, probability)})


def linear_estimator(model_dir, **config):
    config.setdefault("log_step_count_steps", 10)
    return tf.estimator.Estimator(linear_model_fn, model_dir=str(model_dir),
                                  params={"learning_rate": 0.2},
                                  config=tf.estimator.RunConfig(**config))


def train_input(batch_size=N, num_epochs=None, shuffle=True):
    return tf.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=batch_size,
                                              num_epochs=num_epochs, shuffle=shuffle)


def test_linear_regression_reaches_least_squares_and_resumes(tmp_path):
    est = linear_estimator(tmp_path)
    est.train(train_input(), steps=150)
    assert est.latest_checkpoint().endswith("model.ckpt-150")
    assert est.get_variable_names() == ["bias", "global_step", "kernel"]
    design = np.hstack([X, np.ones((N, 1), np.float32)])
    solution = np.linalg.lstsq(design.astype(np.float64), Y.astype(np.float64), rcond=None)[0]
    kernel, bias = est.get_variable_value("kernel"), est.get_variable_value("bias:0")
    np.testing.assert_allclose(np.append(kernel, bias), solution, atol=1e-3)

    class FirstValues(tf.train.SessionRunHook):
        def after_create_session(self, session, coord):
            self.step, self.kernel = session.run(["global_step:0", "kernel:0"])

    first = FirstValues()
    est.train(train_input(), steps=5, hooks=[first])
    assert first.step == 150 and np.array_equal(first.kernel, kernel)
    assert est.get_variable_value("global_step") == 155
    est.train(train_input(), max_steps=155)  # already there: no step is taken
    assert est.latest_checkpoint().endswith("model.ckpt-155")


def test_training_ends_when_the_input_runs_out_and_logs_as_tf1(tmp_path, caplog):
    est = linear_estimator(tmp_path, log_step_count_steps=2)
    with caplog.at_level(logging.INFO, logger="tensorlib"):
        est.train(train_input(batch_size=50, num_epochs=1, shuffle=False))
    assert est.get_variable_value("global_step") == 3  # 50 + 50 + 20 examples
    messages = [r.getMessage() for r in caplog.records]
    assert "Saving checkpoints for 0 into " + os.path.join(str(tmp_path), "model.ckpt.") \
        in messages
    assert "Saving checkpoints for 3 into " + os.path.join(str(tmp_path), "model.ckpt.") \
        in messages
    losses = [m for m in messages if m.startswith("loss = ")]
    assert [m.split("step = ")[1].split(" ")[0] for m in losses] == ["0", "2"]
    assert any(m.startswith("global_step/sec: ") for m in messages)
    assert messages[-1].startswith("Loss for final step: ")


def test_checkpoints_and_summaries_appear_in_model_dir(tmp_path):
    est = linear_estimator(tmp_path, save_checkpoints_steps=4, save_summary_steps=5,
                           keep_checkpoint_max=2)
    est.train(train_input(), steps=10)
    kept = sorted(f for f in os.listdir(tmp_path) if f.endswith(".tlckpt"))
    assert kept == ["model.ckpt-10.tlckpt", "model.ckpt-8.tlckpt"]
    scalars = event_files.scalars(str(tmp_path))
    assert [step for step, _ in scalars["loss"]] == [1, 6]
    assert [step for step, _ in scalars["global_step/sec"]] == [10]


def test_evaluate_equals_numpy_with_the_saved_weights(tmp_path):
    est = tf.estimator.Estimator(logistic_model_fn, model_dir=str(tmp_path),
                                 config=tf.estimator.RunConfig(log_step_count_steps=None))
    est.train(tf.estimator.inputs.numpy_input_fn(X, CLASSES, batch_size=40, num_epochs=None,
                                                 shuffle=True), steps=30)
    results = est.evaluate(tf.estimator.inputs.numpy_input_fn(X, CLASSES, batch_size=40,
                                                              shuffle=False))
    kernel = est.get_variable_value("logits/kernel")
    bias = est.get_variable_value("logits/bias")
    logits = (X @ kernel + bias).reshape(-1)
    probability = 1 / (1 + np.exp(-logits))
    cross_entropy = np.maximum(logits, 0) - logits * CLASSES + np.log1p(np.exp(-np.abs(logits)))
    assert results["global_step"] == 30 and set(results) == {"accuracy", "auc", "loss",
                                                             "global_step"}
    np.testing.assert_allclose(results["accuracy"], np.mean((probability > 0.5) == CLASSES),
                               rtol=1e-6)
    np.testing.assert_allclose(results["loss"], cross_entropy.mean(), rtol=1e-4)
    assert results["accuracy"] > 0.85
    assert abs(results["auc"] - sklearn_metrics.roc_auc_score(CLASSES, probability)) < 0.01
    # Two batches only, under another name.
    partial = est.evaluate(tf.estimator.inputs.numpy_input_fn(X, CLASSES, batch_size=40,
                                                              shuffle=False), steps=2,
                           name="first")
    np.testing.assert_allclose(partial["accuracy"],
                               np.mean(((probability > 0.5) == CLASSES)[:80]), rtol=1e-6)
    written = event_files.scalars(os.path.join(str(tmp_path), "eval"))
    assert written["accuracy"] == [(30, pytest.approx(results["accuracy"]))]
    assert written["loss"] == [(30, pytest.approx(results["loss"]))]
    assert os.path.isdir(os.path.join(str(tmp_path), "eval_first"))


def test_predict_matches_a_numpy_forward_pass(tmp_path):
    est = linear_estimator(tmp_path)
    est.train(train_input(), steps=20)
    kernel, bias = est.get_variable_value("kernel"), est.get_variable_value("bias")
    expected = X[:103] @ kernel + bias
    predict_input = tf.estimator.inputs.numpy_input_fn({"x": X[:103]}, batch_size=25,
                                                       shuffle=False)
    examples = list(est.predict(predict_input))
    assert len(examples) == 103 and set(examples[0]) == {"y", "twice"}
    np.testing.assert_allclose([e["y"] for e in examples], expected, rtol=1e-5, atol=1e-6)
    only = list(est.predict(predict_input, predict_keys=["twice"]))
    np.testing.assert_allclose([e["twice"] for e in only], 2 * expected, rtol=1e-5, atol=1e-6)
    assert set(only[0]) == {"twice"}
    batches = list(est.predict(predict_input, yield_single_examples=False))
    assert [len(b["y"]) for b in batches] == [25, 25, 25, 25, 3]
    with pytest.raises(ValueError, match="at least one output"):
        list(est.predict(predict_input, predict_keys=["nothing"]))


def test_predict_without_a_checkpoint_uses_initial_values(tmp_path, caplog):
    est = linear_estimator(tmp_path)
    with caplog.at_level(logging.INFO, logger="tensorlib"):
        values = list(est.predict(tf.estimator.inputs.numpy_input_fn(
            {"x": X[:4]}, shuffle=False), predict_keys="y"))
    assert [v["y"] for v in values] == [0.0] * 4
    assert any("running initialization to predict" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError, match="Could not find trained model"):
        est.get_variable_value("kernel")


def test_numpy_input_fn_batches_epochs_and_shuffle():
    x = np.arange(10, dtype=np.float32)

    def batches(**kwargs):
        with tf.Graph().as_default() as graph:
            graph.seed = 7
            features = tf.estimator.inputs.numpy_input_fn(x, **kwargs)()
            out = []
            with tf.train.MonitoredSession() as sess:
                while not sess.should_stop() and len(out) < 8:
                    out.append(sess.run(features))
            return out

    plain = batches(batch_size=4, num_epochs=2, shuffle=False)
    assert [b.tolist() for b in plain] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1],
                                           [2, 3, 4, 5], [6, 7, 8, 9]]
    shuffled = batches(batch_size=5, num_epochs=2, shuffle=True)
    epochs = np.concatenate(shuffled).reshape(2, 10)
    assert all(sorted(e) == list(range(10)) for e in epochs)
    assert epochs[0].tolist() != list(range(10)) and epochs[0].tolist() != epochs[1].tolist()
    assert np.array_equal(np.concatenate(batches(batch_size=5, num_epochs=2, shuffle=True)),
                          np.concatenate(shuffled))  # the graph seed fixes the order
    assert len(batches(batch_size=3, num_epochs=None, shuffle=False)) == 8  # forever


def test_numpy_input_fn_checks_its_arguments():
    inputs = tf.estimator.inputs
    with pytest.raises(ValueError, match="shuffle must be provided and explicitly set"):
        inputs.numpy_input_fn({"x": X}, Y)
    with pytest.raises(ValueError, match="Length of tensors in x and y is mismatched"):
        inputs.numpy_input_fn({"x": X}, Y[:5], shuffle=False)
    with pytest.raises(ValueError, match="duplicate keys"):
        inputs.numpy_input_fn({"x": X}, {"x": Y}, shuffle=False)
    with pytest.raises(ValueError, match="x cannot be an empty dict"):
        inputs.numpy_input_fn({}, shuffle=False)
    with pytest.raises(TypeError, match="x must be a dict or array"):
        inputs.numpy_input_fn([1, 2], shuffle=False)


def test_estimator_spec_is_checked_as_tf1_checks_it():
    spec = tf.estimator.EstimatorSpec
    modes = tf.estimator.ModeKeys
    assert (modes.TRAIN, modes.EVAL, modes.PREDICT) == ("train", "eval", "infer")
    with tf.Graph().as_default():
        loss = tf.constant(1.0)
        train_op = tf.no_op()
        with pytest.raises(ValueError, match="Missing train_op"):
            spec(modes.TRAIN, loss=loss)
        with pytest.raises(ValueError, match="Missing loss"):
            spec(modes.EVAL)
        with pytest.raises(ValueError, match="Missing predictions"):
            spec(modes.PREDICT)
        with pytest.raises(ValueError, match="Loss must be scalar"):
            spec(modes.EVAL, loss=tf.constant([1.0, 2.0]))
        with pytest.raises(TypeError, match="predictions must be Tensor"):
            spec(modes.PREDICT, predictions=[loss])
        with pytest.raises(TypeError, match="SessionRunHook"):
            spec(modes.TRAIN, loss=loss, train_op=train_op, training_hooks=[object()])
        with pytest.raises(TypeError, match="update_op"):
            spec(modes.EVAL, loss=loss, eval_metric_ops={"m": loss})
        assert spec(modes.EVAL, loss=tf.constant([2.0])).loss.shape.ndims == 0
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="default graph"):
            spec(modes.EVAL, loss=loss)


def test_model_fn_arguments_and_run_config(tmp_path, caplog):
    def features_only(features):
        return None

    with pytest.raises(ValueError, match="does not include params argument"):
        tf.estimator.Estimator(features_only, params={"a": 1})
    with pytest.raises(ValueError, match="must include features argument"):
        tf.estimator.Estimator(lambda x, labels: None)
    with pytest.raises(ValueError, match="Can not provide both"):
        tf.estimator.RunConfig(save_checkpoints_steps=1, save_checkpoints_secs=1)
    with pytest.raises(ValueError, match="both in constructor and `RunConfig`"):
        tf.estimator.Estimator(features_only, model_dir=str(tmp_path / "a"),
                               config=tf.estimator.RunConfig(model_dir=str(tmp_path / "b")))
    config = tf.estimator.RunConfig(save_checkpoints_steps=10)
    assert (config.save_checkpoints_steps, config.save_checkpoints_secs) == (10, None)
    assert tf.estimator.RunConfig().save_checkpoints_secs == 600
    assert config.replace(tf_random_seed=3).tf_random_seed == 3
    with caplog.at_level(logging.WARNING, logger="tensorlib"):
        est = tf.estimator.Estimator(features_only)
    assert os.path.isdir(est.model_dir)
    assert f"Using temporary folder as model directory: {est.model_dir}" in caplog.text

    seen = {}

    def with_config(features, labels, config, mode):
        seen["config"], seen["mode"] = config, mode
        return linear_model_fn(features, labels, mode, {"learning_rate": 0.1})

    est = tf.estimator.Estimator(with_config, model_dir=str(tmp_path / "c"))
    est.train(train_input(), steps=1)
    assert seen["config"].model_dir == str(tmp_path / "c") and seen["mode"] == "train"
    with pytest.raises(ValueError, match="does not take labels"):
        tf.estimator.Estimator(lambda features, mode: linear_model_fn(
            features, None, mode, {})).train(train_input(), steps=1)


class _OneShot:
    """A minimal Dataset-like object: an input_fn may return anything with
    make_one_shot_iterator()."""

    def __init__(self, tensors):
        self._tensors = tensors

    def make_one_shot_iterator(self):
        return self

    def get_next(self):
        return self._tensors


def test_input_fn_may_return_a_dataset_like_object(tmp_path):
    def input_fn():
        return _OneShot(({"x": tf.constant(X)}, tf.constant(Y)))

    est = linear_estimator(tmp_path)
    est.train(input_fn, steps=3)
    assert est.evaluate(input_fn, steps=1)["global_step"] == 3


def test_input_fn_may_return_a_tf_data_dataset(tmp_path):
    if not hasattr(tf, "data"):
        pytest.skip("tensorlib.data is not part of this build")
    dataset_input = lambda: tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(50)  # noqa
    est = linear_estimator(tmp_path)
    est.train(dataset_input)
    assert est.get_variable_value("global_step") == 3


def test_nan_loss_stops_training(tmp_path):
    def diverging(features, labels, mode):
        w = tf.get_variable("w", [], initializer=tf.zeros_initializer())
        loss = tf.sqrt(w - 1.0)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=tf.assign_add(
            tf.train.get_global_step(), 1))

    est = tf.estimator.Estimator(diverging, model_dir=str(tmp_path))
    with pytest.raises(tf.train.NanLossDuringTrainingError):
        est.train(train_input(), steps=2)


def test_warm_start_copies_trained_variables(tmp_path):
    source = linear_estimator(tmp_path / "source")
    source.train(train_input(), steps=10)

    def frozen(features, labels, mode):
        return linear_model_fn(features, labels, mode, {"learning_rate": 0.0})

    target = tf.estimator.Estimator(frozen, model_dir=str(tmp_path / "target"),
                                    warm_start_from=source.model_dir)
    target.train(train_input(), steps=1)
    assert np.array_equal(target.get_variable_value("kernel"),
                          source.get_variable_value("kernel"))
    assert target.get_variable_value("global_step") == 1


def test_progress_bar_follows_the_global_step(tmp_path, monkeypatch):
    bars = []

    class FakeTqdm:
        def __init__(self, total, **kwargs):
            self.total, self.updates, self.closed = total, [], False
            bars.append(self)

        def update(self, n):
            self.updates.append(n)

        def close(self):
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm.auto", types.SimpleNamespace(tqdm=FakeTqdm))
    est = linear_estimator(tmp_path)
    est.train(train_input(), steps=4)  # off outside Jupyter by default
    assert bars == []
    tf.estimator.set_progress_bar(True)
    try:
        est.train(train_input(), max_steps=10)
    finally:
        tf.estimator.set_progress_bar(None)
    (bar,) = bars
    assert bar.total == 6 and sum(bar.updates) == 6 and bar.closed
