"""TF1's `tf.losses`: per-element losses composed from the op library, then weighted and
reduced by compute_weighted_loss (the one place reductions live)."""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import constant, convert_to_tensor
from tensorlib.ops import array_ops, math_ops, nn_ops


class Reduction:
    """How compute_weighted_loss reduces the weighted losses."""

    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE,
                cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}.")


def _safe_div(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0."""
    positive = math_ops.greater(denominator, 0.0)
    safe = math_ops.where(positive, denominator, array_ops.ones_like(denominator))
    return math_ops.where(positive, numerator / safe, array_ops.zeros_like(numerator))


def add_loss(loss, loss_collection=ops.GraphKeys.LOSSES):
    """Adds `loss` to the collection `loss_collection` (none when it is None)."""
    if loss_collection:
        ops.add_to_collection(loss_collection, loss)


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=ops.GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """`losses` times `weights` (broadcast to the losses' shape), reduced by `reduction`, added to
    `loss_collection`. A float32 scalar unless reduction is NONE."""
    Reduction.validate(reduction)
    with ops.name_scope(scope, "weighted_loss"):
        losses = convert_to_tensor(losses)
        input_dtype = losses.dtype
        losses = math_ops.cast(losses, _dtypes.float32)
        weights = math_ops.cast(convert_to_tensor(weights), _dtypes.float32)
        weighted = math_ops.multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = math_ops.reduce_sum(weighted)
            every_weight = weights * array_ops.ones_like(losses)
            if reduction == Reduction.MEAN:
                loss = _safe_div(loss, math_ops.reduce_sum(every_weight))
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = _safe_div(loss, math_ops.cast(array_ops.size(losses), _dtypes.float32))
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                nonzero = math_ops.reduce_sum(math_ops.cast(
                    math_ops.not_equal(every_weight, 0.0), _dtypes.float32))
                loss = _safe_div(loss, nonzero)
        loss = math_ops.cast(loss, input_dtype)
        add_loss(loss, loss_collection)
        return loss


def _inputs(labels, predictions):
    predictions = convert_to_tensor(predictions, name="predictions")
    labels = math_ops.cast(convert_to_tensor(labels, name="labels"), predictions.dtype)
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
    return labels, predictions


def absolute_difference(labels, predictions, weights=1.0, scope=None,
                        loss_collection=ops.GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """|predictions - labels|, weighted and reduced."""
    with ops.name_scope(scope, "absolute_difference") as scope:
        labels, predictions = _inputs(labels, predictions)
        losses = math_ops.abs(predictions - labels)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def mean_squared_error(labels, predictions, weights=1.0, scope=None,
                       loss_collection=ops.GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """(predictions - labels)^2, weighted and reduced."""
    with ops.name_scope(scope, "mean_squared_error") as scope:
        labels, predictions = _inputs(labels, predictions)
        losses = math_ops.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None,
               loss_collection=ops.GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """0.5 e^2 where |e| <= delta, else delta |e| - 0.5 delta^2 (e = predictions - labels)."""
    with ops.name_scope(scope, "huber_loss") as scope:
        labels, predictions = _inputs(labels, predictions)
        error = math_ops.abs(predictions - labels)
        quadratic = math_ops.minimum(error, delta)
        linear = error - quadratic
        losses = 0.5 * quadratic * quadratic + delta * linear
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None,
             loss_collection=ops.GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """-labels log(p + eps) - (1 - labels) log(1 - p + eps), weighted and reduced."""
    with ops.name_scope(scope, "log_loss") as scope:
        labels, predictions = _inputs(labels, predictions)
        losses = (-labels * math_ops.log(predictions + epsilon) -
                  (1.0 - labels) * math_ops.log(1.0 - predictions + epsilon))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=ops.GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """max(0, 1 - (2 labels - 1) logits) for labels in {0, 1}, weighted and reduced."""
    with ops.name_scope(scope, "hinge_loss") as scope:
        labels, logits = _inputs(labels, logits)
        losses = nn_ops.relu(1.0 - (2.0 * labels - 1.0) * logits)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None,
                    loss_collection=ops.GraphKeys.LOSSES,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS, dim=None):
    """1 - sum(labels * predictions) along `axis` (both unit-normalized), weighted and
    reduced."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    with ops.name_scope(scope, "cosine_distance_loss") as scope:
        labels, predictions = _inputs(labels, predictions)
        losses = 1.0 - math_ops.reduce_sum(labels * predictions, axis, keepdims=True)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def mean_pairwise_squared_error(labels, predictions, weights=1.0, scope=None,
                                loss_collection=ops.GraphKeys.LOSSES):
    """Per example, the mean over pairs (i, j) of ((p_i - p_j) - (l_i - l_j))^2, weighted and
    averaged over the examples with nonzero weight."""
    with ops.name_scope(scope, "mean_pairwise_squared_error") as scope:
        labels, predictions = _inputs(labels, predictions)
        diff = predictions - labels
        axes = list(range(1, diff.shape.ndims))
        n = math_ops.cast(math_ops.reduce_prod(array_ops.shape(diff)[1:]), diff.dtype)
        sum_sq = math_ops.reduce_sum(math_ops.square(diff), axes)
        sum_diff = math_ops.reduce_sum(diff, axes)
        # mean over ordered pairs of (d_i - d_j)^2 = 2 (n sum d^2 - (sum d)^2) / n^2
        losses = _safe_div(2.0 * (n * sum_sq - math_ops.square(sum_diff)), n * n)
        return compute_weighted_loss(losses, weights, scope, loss_collection,
                                     Reduction.SUM_BY_NONZERO_WEIGHTS)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0,
                          scope=None, loss_collection=ops.GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """The sigmoid cross-entropy of each logit, labels smoothed towards 1/2 by
    label_smoothing, weighted and reduced."""
    with ops.name_scope(scope, "sigmoid_cross_entropy_loss") as scope:
        labels, logits = _inputs(multi_class_labels, logits)
        if label_smoothing > 0:
            labels = labels * (1.0 - label_smoothing) + 0.5 * label_smoothing
        losses = nn_ops.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=ops.GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """The softmax cross-entropy of each example ([batch, classes] one-hot labels, smoothed
    towards uniform by label_smoothing), weighted per example and reduced."""
    with ops.name_scope(scope, "softmax_cross_entropy_loss") as scope:
        labels, logits = _inputs(onehot_labels, logits)
        if label_smoothing > 0:
            classes = math_ops.cast(array_ops.shape(labels)[-1], logits.dtype)
            labels = labels * (1.0 - label_smoothing) + label_smoothing / classes
        losses = nn_ops.softmax_cross_entropy_with_logits_v2(
            labels=array_ops.stop_gradient(labels), logits=logits)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None,
                                 loss_collection=ops.GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """The softmax cross-entropy of each example with integer class labels, weighted per
    example and reduced."""
    with ops.name_scope(scope, "sparse_softmax_cross_entropy_loss") as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        losses = nn_ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def get_losses(scope=None, loss_collection=ops.GraphKeys.LOSSES):
    """The losses in `loss_collection` (those whose name matches `scope`)."""
    return ops.get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    """The regularization losses (GraphKeys.REGULARIZATION_LOSSES) matching `scope`."""
    return ops.get_collection(ops.GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses matching `scope` (0.0 when there are none)."""
    losses = get_regularization_losses(scope)
    if losses:
        return math_ops.add_n(losses, name=name)
    return constant(0.0, name=name)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the losses in LOSSES (and the regularization losses)."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("No losses found")
    return math_ops.add_n(losses, name=name)
