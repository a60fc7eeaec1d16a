"""tf.metrics: batches streamed through each update op give the metric over all the data
(NumPy / scikit-learn), AUC matches TensorFlow's values, and local_variables_initializer
starts a metric over."""
import os

import numpy as np
import pytest

import tensorlib as tf

metrics_sk = pytest.importorskip("sklearn.metrics")

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "metrics")
RNG = np.random.RandomState(42)
N = 90
LABELS = RNG.randint(0, 2, N)
SCORES = np.clip(0.3 * LABELS + RNG.uniform(0, 0.7, N), 0, 1).astype(np.float32)
PREDICTED = (SCORES > 0.5).astype(np.int64)
WEIGHTS = RNG.uniform(0, 2, N).astype(np.float32)
TARGETS = RNG.normal(size=N).astype(np.float32)
OUTPUTS = (TARGETS + RNG.normal(scale=0.5, size=N)).astype(np.float32)


def stream(metric_fn, columns, batches=4, **kwargs):
    """Feeds `columns` (name -> array) in `batches` batches through metric_fn(**placeholders,
    **kwargs)'s update op; returns (value after streaming, last update's result)."""
    with tf.Graph().as_default():
        phs = {k: tf.placeholder(tf.as_dtype(v.dtype), [None]) for k, v in columns.items()}
        value, update = metric_fn(**phs, **kwargs)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for idx in np.array_split(np.arange(N), batches):
                last = sess.run(update, {phs[k]: v[idx] for k, v in columns.items()})
            return sess.run(value), last


@pytest.mark.parametrize("weighted", [False, True])
def test_accuracy_over_batches_equals_sklearn(weighted):
    cols = {"labels": LABELS, "predictions": PREDICTED}
    if weighted:
        cols["weights"] = WEIGHTS
    value, last = stream(tf.metrics.accuracy, cols)
    expected = metrics_sk.accuracy_score(LABELS, PREDICTED,
                                         sample_weight=WEIGHTS if weighted else None)
    np.testing.assert_allclose([value, last], [expected, expected], rtol=1e-5)


def test_mean_weighted_and_unweighted():
    value, _ = stream(tf.metrics.mean, {"values": TARGETS})
    np.testing.assert_allclose(value, TARGETS.mean(), rtol=1e-5)
    value, _ = stream(tf.metrics.mean, {"values": TARGETS, "weights": WEIGHTS})
    np.testing.assert_allclose(value, np.average(TARGETS, weights=WEIGHTS), rtol=1e-5)


@pytest.mark.parametrize("name,reference", [
    ("precision", metrics_sk.precision_score), ("recall", metrics_sk.recall_score)])
def test_precision_recall_equal_sklearn(name, reference):
    cols = {"labels": LABELS, "predictions": PREDICTED, "weights": WEIGHTS}
    value, last = stream(getattr(tf.metrics, name), cols)
    expected = reference(LABELS, PREDICTED, sample_weight=WEIGHTS)
    np.testing.assert_allclose([value, last], [expected, expected], rtol=1e-5)


def test_confusion_counts_equal_sklearn():
    tn, fp, fn, tp = metrics_sk.confusion_matrix(LABELS, PREDICTED).ravel()
    for name, expected in [("true_positives", tp), ("false_positives", fp),
                           ("false_negatives", fn), ("true_negatives", tn)]:
        value, _ = stream(getattr(tf.metrics, name),
                          {"labels": LABELS, "predictions": PREDICTED})
        assert value == expected, name


def test_regression_errors_equal_numpy():
    cols = {"labels": TARGETS, "predictions": OUTPUTS, "weights": WEIGHTS}
    sq = np.average((OUTPUTS - TARGETS) ** 2, weights=WEIGHTS)
    ab = np.average(np.abs(OUTPUTS - TARGETS), weights=WEIGHTS)
    np.testing.assert_allclose(stream(tf.metrics.mean_squared_error, cols)[0], sq, rtol=1e-5)
    np.testing.assert_allclose(stream(tf.metrics.mean_absolute_error, cols)[0], ab, rtol=1e-5)
    np.testing.assert_allclose(stream(tf.metrics.root_mean_squared_error, cols)[0],
                               np.sqrt(sq), rtol=1e-5)


def test_mean_per_class_accuracy_equals_balanced_accuracy():
    labels = RNG.randint(0, 4, N)
    predictions = np.where(RNG.uniform(size=N) < 0.6, labels, RNG.randint(0, 4, N))
    value, per_class = stream(tf.metrics.mean_per_class_accuracy,
                              {"labels": labels, "predictions": predictions}, num_classes=4)
    np.testing.assert_allclose(value, metrics_sk.balanced_accuracy_score(labels, predictions),
                               rtol=1e-5)
    np.testing.assert_allclose(per_class, metrics_sk.recall_score(labels, predictions,
                                                                  average=None), rtol=1e-5)


def test_auc_equals_tensorflow():
    ref = np.load(os.path.join(FIXTURES, "auc.npz"))
    n = len(ref["labels"])
    for i, curve in enumerate(ref["curves"]):
        weighted = bool(ref["weighted"][i])
        with tf.Graph().as_default():
            labels = tf.placeholder(tf.int64, [None])
            predictions = tf.placeholder(tf.float32, [None])
            weights = tf.placeholder(tf.float32, [None]) if weighted else None
            value, update = tf.metrics.auc(labels, predictions, weights=weights, curve=str(curve),
                                           num_thresholds=int(ref["num_thresholds"][i]),
                                           summation_method=str(ref["methods"][i]))
            with tf.Session() as sess:
                sess.run(tf.local_variables_initializer())
                for idx in np.array_split(np.arange(n), int(ref["batches"])):
                    feed = {labels: ref["labels"][idx], predictions: ref["predictions"][idx]}
                    if weighted:
                        feed[weights] = ref["weights"][idx]
                    sess.run(update, feed)
                np.testing.assert_allclose(sess.run(value), ref["auc"][i], rtol=1e-5,
                                           err_msg=f"case {i}")


def test_roc_auc_approximates_sklearn():
    value, _ = stream(tf.metrics.auc, {"labels": LABELS, "predictions": SCORES})
    assert abs(value - metrics_sk.roc_auc_score(LABELS, SCORES)) < 0.01


def test_local_variables_initializer_restarts_metric_and_collections():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        value, update = tf.metrics.mean(x, metrics_collections=["m"], updates_collections=["u"])
        assert tf.get_collection("m") == [value] and tf.get_collection("u") == [update]
        state = tf.get_collection(tf.GraphKeys.METRIC_VARIABLES)
        assert [v.name for v in state] == ["mean/total:0", "mean/count:0"]
        assert state == tf.local_variables() and not tf.global_variables()
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run(value) == 0.0  # nothing seen yet
            sess.run(update, {x: [1.0, 2.0, 3.0]})
            sess.run(tf.local_variables_initializer())
            sess.run(update, {x: [10.0]})
            assert sess.run(value) == 10.0


def test_bad_arguments_raise():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="curve"):
            tf.metrics.auc([1], [0.5], curve="XY")
        with pytest.raises(ValueError, match="summation_method"):
            tf.metrics.auc([1], [0.5], summation_method="simpson")
        with pytest.raises(ValueError, match="incompatible"):
            tf.metrics.accuracy(tf.zeros([3]), tf.zeros([4]))
