"""tf.metrics: streaming metrics over batches, each a (value, update_op) pair whose state lives
in local variables."""
from tensorlib.metrics.metrics_impl import (  # noqa: F401
    accuracy, auc, false_negatives, false_positives, mean, mean_absolute_error,
    mean_per_class_accuracy, mean_squared_error, precision, recall, root_mean_squared_error,
    true_negatives, true_positives,
)
