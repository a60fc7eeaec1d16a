"""tf.metrics: streaming metrics, each a pair (value tensor, update op).

    acc, update = tf.metrics.accuracy(labels, predictions)
    sess.run(tf.local_variables_initializer())     # resets every metric
    for batch in batches:
        sess.run(update, feed(batch))
    print(sess.run(acc))                            # accuracy over every batch seen

A metric's state (sums, counts) lives in local variables (the LOCAL_VARIABLES and
METRIC_VARIABLES collections), so a Saver does not save it and
tf.local_variables_initializer() starts it again. Running the update op adds one batch and
returns the metric over everything seen so far; the value tensor only reads the state.
"""
from tensorlib import dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import constant, convert_to_tensor
from tensorlib.ops import array_ops, math_ops, variable_scope, variables

_AUC_EPSILON = 1e-6       # TF1's smoothing of the rates in compute_auc
_THRESHOLD_EPSILON = 1e-7  # how far the end thresholds lie outside [0, 1]


def metric_variable(shape, dtype, validate_shape=True, name=None):
    """A zero-initialized local variable holding metric state (LOCAL_VARIABLES and
    METRIC_VARIABLES), made outside any control flow."""
    return variables.Variable(
        lambda: array_ops.zeros(shape, dtype), trainable=False,
        collections=[ops.GraphKeys.LOCAL_VARIABLES, ops.GraphKeys.METRIC_VARIABLES],
        validate_shape=validate_shape, name=name)


def _collect(value, update_op, metrics_collections, updates_collections):
    if metrics_collections:
        ops.add_to_collections(metrics_collections, value)
    if updates_collections:
        ops.add_to_collections(updates_collections, update_op)
    return value, update_op


def _safe_div(numerator, denominator, name):
    """numerator / denominator, 0 where the denominator is not positive (TF1's _safe_div)."""
    positive = math_ops.greater(denominator, 0.0)
    safe = math_ops.where(positive, denominator, array_ops.ones_like(denominator))
    return math_ops.where(positive, math_ops.truediv(numerator, safe),
                          array_ops.zeros_like(numerator), name=name)


def _squeezed(labels, predictions):
    """`labels` and `predictions` with a trailing dimension of 1 dropped from the one whose
    rank is one more than the other's (TF1's remove_squeezable_dimensions); they must then
    have compatible shapes."""
    predictions = convert_to_tensor(predictions, name="predictions")
    if labels is None:
        return None, predictions
    labels = convert_to_tensor(labels, name="labels")
    p_rank, l_rank = predictions.shape.ndims, labels.shape.ndims
    if p_rank is not None and l_rank is not None:
        if p_rank - l_rank == 1 and predictions.shape[-1] in (1, None):
            predictions = array_ops.squeeze(predictions, [-1])
        elif l_rank - p_rank == 1 and labels.shape[-1] in (1, None):
            labels = array_ops.squeeze(labels, [-1])
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible "
                         f"(predictions and labels)")
    return labels, predictions


def _broadcast_weights(weights, values):
    """`weights` as float32 with the shape of `values` (a scalar, or a shape broadcastable to
    it, as TF1 requires)."""
    weights = math_ops.cast(convert_to_tensor(weights, name="weights"), dtypes.float32)
    w_rank, v_rank = weights.shape.ndims, values.shape.ndims
    if w_rank is not None and v_rank is not None and w_rank == v_rank + 1:
        weights = array_ops.squeeze(weights, [-1])
    elif w_rank is not None and v_rank is not None and 0 < w_rank == v_rank - 1:
        weights = array_ops.expand_dims(weights, -1)
    return math_ops.multiply(weights, array_ops.ones_like(values, dtype=dtypes.float32))


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) mean of every value seen: total / count, 0 before any weight is seen."""
    with variable_scope.variable_scope(name, "mean"):
        values = math_ops.cast(convert_to_tensor(values, name="values"), dtypes.float32)
        total = metric_variable([], dtypes.float32, name="total")
        count = metric_variable([], dtypes.float32, name="count")
        if weights is None:
            num_values = math_ops.cast(array_ops.size(values), dtypes.float32)
        else:
            weights = _broadcast_weights(weights, values)
            values = math_ops.multiply(values, weights)
            num_values = math_ops.reduce_sum(weights)
        update_total = total.assign_add(math_ops.reduce_sum(values))
        with ops.control_dependencies([values]):
            update_count = count.assign_add(num_values)
        value = _safe_div(total.value(), count.value(), "value")
        update_op = _safe_div(update_total, update_count, "update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)


def accuracy(labels, predictions, weights=None, metrics_collections=None,
             updates_collections=None, name=None):
    """How often `predictions` equals `labels` (weighted mean of the matches)."""
    labels, predictions = _squeezed(labels, predictions)
    if labels.dtype != predictions.dtype:
        predictions = math_ops.cast(predictions, labels.dtype)
    is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections,
                name or "accuracy")


def mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):
    """The (weighted) mean of (predictions - labels)^2."""
    labels, predictions = _float_pair(labels, predictions)
    return mean(math_ops.squared_difference(predictions, labels), weights,
                metrics_collections, updates_collections, name or "mean_squared_error")


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
    """The (weighted) mean of |predictions - labels|."""
    labels, predictions = _float_pair(labels, predictions)
    return mean(math_ops.abs(predictions - labels), weights, metrics_collections,
                updates_collections, name or "mean_absolute_error")


def root_mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    """The square root of the (weighted) mean squared error."""
    labels, predictions = _float_pair(labels, predictions)
    with variable_scope.variable_scope(name, "root_mean_squared_error"):
        mse, update_mse = mean(math_ops.squared_difference(predictions, labels), weights)
        value = math_ops.sqrt(mse)
        update_op = math_ops.sqrt(update_mse)
        return _collect(value, update_op, metrics_collections, updates_collections)


def _float_pair(labels, predictions):
    labels, predictions = _squeezed(labels, predictions)
    return (math_ops.cast(labels, dtypes.float32), math_ops.cast(predictions, dtypes.float32))


def _bool_pair(labels, predictions):
    labels, predictions = _squeezed(labels, predictions)
    return math_ops.cast(labels, dtypes.bool), math_ops.cast(predictions, dtypes.bool)


def _count_condition(condition, weights, metrics_collections, updates_collections):
    """The (weighted) number of True values of `condition` seen (in the current scope)."""
    count = metric_variable([], dtypes.float32, name="count")
    values = math_ops.cast(condition, dtypes.float32)
    if weights is not None:
        values = math_ops.multiply(values, _broadcast_weights(weights, values))
    value = array_ops.identity(count.value())
    update_op = count.assign_add(math_ops.reduce_sum(values))
    return _collect(value, update_op, metrics_collections, updates_collections)


def _outcome_metric(default_name, label_is, prediction_is):
    """A counting metric of the (label, prediction) outcome named by two booleans."""
    def metric(labels, predictions, weights=None, metrics_collections=None,
               updates_collections=None, name=None):
        with variable_scope.variable_scope(name, default_name):
            labels, predictions = _bool_pair(labels, predictions)
            hits = math_ops.logical_and(math_ops.equal(labels, label_is),
                                        math_ops.equal(predictions, prediction_is))
            return _count_condition(hits, weights, metrics_collections, updates_collections)

    metric.__name__ = default_name
    metric.__doc__ = (f"The (weighted) number of examples whose label is {label_is} and whose "
                      f"prediction is {prediction_is}; labels and predictions are cast to bool.")
    return metric


true_positives = _outcome_metric("true_positives", True, True)
false_positives = _outcome_metric("false_positives", False, True)
false_negatives = _outcome_metric("false_negatives", True, False)
true_negatives = _outcome_metric("true_negatives", False, False)


def _ratio_metric(default_name, other_count, doc):
    """precision or recall: true_positives / (true_positives + `other_count`)."""
    def metric(labels, predictions, weights=None, metrics_collections=None,
               updates_collections=None, name=None):
        with variable_scope.variable_scope(name, default_name):
            tp, update_tp = true_positives(labels, predictions, weights)
            other, update_other = other_count(labels, predictions, weights)
            value = _safe_div(tp, tp + other, "value")
            update_op = _safe_div(update_tp, update_tp + update_other, "update_op")
            return _collect(value, update_op, metrics_collections, updates_collections)

    metric.__name__ = default_name
    metric.__doc__ = doc
    return metric


precision = _ratio_metric(
    "precision", false_positives,
    "true_positives / (true_positives + false_positives): how many predicted positives are "
    "positive (0 while there are none).")
recall = _ratio_metric(
    "recall", false_negatives,
    "true_positives / (true_positives + false_negatives): how many positives are predicted "
    "positive (0 while there are none).")


def _auc_thresholds(num_thresholds):
    """TF1's thresholds: num_thresholds - 2 evenly spaced in (0, 1), and one just outside
    each end so that every prediction in [0, 1] lies between the first and the last."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _THRESHOLD_EPSILON] + inner + [1.0 + _THRESHOLD_EPSILON]


def _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights):
    """The four counts at each threshold (a prediction above it is positive): {key: value}
    and {key: update op} for keys 'tp', 'fn', 'tn', 'fp', each of shape [len(thresholds)]."""
    labels, predictions = _squeezed(labels, predictions)
    predictions = math_ops.cast(predictions, dtypes.float32)
    n = len(thresholds)
    predictions_row = array_ops.reshape(predictions, [1, -1])
    labels_row = array_ops.reshape(math_ops.cast(labels, dtypes.bool), [1, -1])
    thresholds_col = array_ops.reshape(constant(thresholds, dtypes.float32), [-1, 1])
    pred_is_pos = math_ops.greater(array_ops.tile(predictions_row, [n, 1]), thresholds_col)
    pred_is_neg = math_ops.logical_not(pred_is_pos)
    label_is_pos = array_ops.tile(labels_row, [n, 1])
    label_is_neg = math_ops.logical_not(label_is_pos)
    weights_tiled = None
    if weights is not None:
        weights_row = array_ops.reshape(_broadcast_weights(weights, predictions), [1, -1])
        weights_tiled = array_ops.tile(weights_row, [n, 1])
    outcomes = {"tp": (label_is_pos, pred_is_pos), "fn": (label_is_pos, pred_is_neg),
                "tn": (label_is_neg, pred_is_neg), "fp": (label_is_neg, pred_is_pos)}
    names = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives",
             "fp": "false_positives"}
    values, updates = {}, {}
    for key, (label_cond, pred_cond) in outcomes.items():
        var = metric_variable([n], dtypes.float32, name=names[key])
        hits = math_ops.cast(math_ops.logical_and(label_cond, pred_cond), dtypes.float32)
        if weights_tiled is not None:
            hits = math_ops.multiply(hits, weights_tiled)
        values[key] = var.value()
        updates[key] = var.assign_add(math_ops.reduce_sum(hits, 1))
    return values, updates


def _interpolated_pr_auc(tp, fp, fn, n):
    """The area under the PR curve with precision interpolated between thresholds as TF1's
    'careful_interpolation' does: within each interval, true positives grow linearly with
    the predicted positives P, so precision is slope + intercept / P there and its integral
    over recall is slope * (dTP + intercept * log(P_A / P_B)) / (TP_B + FN_B)."""
    d_tp = tp[:n - 1] - tp[1:]
    p = tp + fp
    slope = _safe_div(d_tp, p[:n - 1] - p[1:], None)
    intercept = tp[1:] - slope * p[1:]
    both_positive = math_ops.logical_and(math_ops.greater(p[:n - 1], 0.0),
                                         math_ops.greater(p[1:], 0.0))
    p_ratio = math_ops.where(both_positive, _safe_div(p[:n - 1], p[1:], None),
                             array_ops.ones_like(p[1:]))
    increments = _safe_div(slope * (d_tp + intercept * math_ops.log(p_ratio)),
                           tp[1:] + fn[1:], None)
    return math_ops.reduce_sum(increments)


def _compute_auc(counts, num_thresholds, curve, summation_method, name):
    """The area under the ROC or PR curve through the points given by `counts`."""
    tp, fn, tn, fp = counts["tp"], counts["fn"], counts["tn"], counts["fp"]
    if curve == "PR" and summation_method == "careful_interpolation":
        return array_ops.identity(_interpolated_pr_auc(tp, fp, fn, num_thresholds), name=name)
    rec = math_ops.truediv(tp + _AUC_EPSILON, tp + fn + _AUC_EPSILON)
    if curve == "ROC":
        x, y = math_ops.truediv(fp, fp + tn + _AUC_EPSILON), rec
    else:
        x, y = rec, math_ops.truediv(tp + _AUC_EPSILON, tp + fp + _AUC_EPSILON)
    dx = x[:num_thresholds - 1] - x[1:]
    if summation_method in ("trapezoidal", "careful_interpolation"):
        heights = (y[:num_thresholds - 1] + y[1:]) / 2.0
    elif summation_method == "minoring":
        heights = math_ops.minimum(y[:num_thresholds - 1], y[1:])
    else:
        heights = math_ops.maximum(y[:num_thresholds - 1], y[1:])
    return math_ops.reduce_sum(math_ops.multiply(dx, heights), name=name)


def auc(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None,
        updates_collections=None, curve="ROC", name=None, summation_method="trapezoidal",
        thresholds=None):
    """The area under the ROC curve (curve='ROC') or the precision-recall curve ('PR'),
    approximated as TF1 does: counts of true/false positives/negatives at `num_thresholds`
    thresholds (or the given `thresholds`, with -1e-7 and 1 + 1e-7 added at the ends), rates
    smoothed by 1e-6, and a Riemann sum over the points ('trapezoidal', or 'minoring' /
    'majoring' for a lower / upper bound; 'careful_interpolation' interpolates the PR curve
    and means 'trapezoidal' for ROC). Predictions are probabilities in [0, 1]; labels are
    cast to bool."""
    if curve not in ("ROC", "PR"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring", "majoring"):
        raise ValueError(f"Invalid summation_method: {summation_method} summation_method "
                         "should be 'trapezoidal', 'careful_interpolation', 'minoring', or "
                         "'majoring'.")
    with variable_scope.variable_scope(name, "auc"):
        if thresholds is not None:
            thresholds = ([0.0 - _THRESHOLD_EPSILON] + sorted(float(t) for t in thresholds) +
                          [1.0 + _THRESHOLD_EPSILON])
        else:
            if num_thresholds <= 1:
                raise ValueError("`num_thresholds` must be > 1.")
            thresholds = _auc_thresholds(num_thresholds)
        n = len(thresholds)
        values, updates = _confusion_matrix_at_thresholds(labels, predictions, thresholds,
                                                          weights)
        value = _compute_auc(values, n, curve, summation_method, "value")
        update_op = _compute_auc(updates, n, curve, summation_method, "update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)


def mean_per_class_accuracy(labels, predictions, num_classes, weights=None,
                            metrics_collections=None, updates_collections=None, name=None):
    """The mean over classes of each class's (weighted) accuracy. As in TF1, the value is the
    mean (a scalar) and the update op returns the per-class accuracies (shape
    [num_classes])."""
    with variable_scope.variable_scope(name, "mean_accuracy"):
        labels, predictions = _squeezed(labels, predictions)
        labels = array_ops.reshape(labels, [-1])
        predictions = array_ops.reshape(predictions, [-1])
        if labels.dtype != predictions.dtype:
            predictions = math_ops.cast(predictions, labels.dtype)
        total = metric_variable([num_classes], dtypes.float32, name="total")
        count = metric_variable([num_classes], dtypes.float32, name="count")
        ones = array_ops.ones_like(labels, dtype=dtypes.float32)
        is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
        if weights is not None:
            weights = math_ops.cast(array_ops.reshape(
                convert_to_tensor(weights, name="weights"), [-1]), dtypes.float32)
            ones = math_ops.multiply(ones, weights)
            is_correct = math_ops.multiply(is_correct, weights)
        class_ids = math_ops.cast(labels, dtypes.int32)
        update_total = total.assign_add(
            array_ops.unsorted_segment_sum(ones, class_ids, num_classes))
        update_count = count.assign_add(
            array_ops.unsorted_segment_sum(is_correct, class_ids, num_classes))
        value = math_ops.reduce_mean(_safe_div(count.value(), total.value(), None),
                                     name="mean_accuracy")
        update_op = _safe_div(update_count, update_total, "update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)
