"""tf.losses: TF1's loss functions, weighted and reduced as TF1 reduces them, each added to the
LOSSES collection; get_total_loss sums them with the regularization losses."""
from tensorlib.losses.losses_impl import (  # noqa: F401
    Reduction, absolute_difference, add_loss, compute_weighted_loss, cosine_distance, get_losses,
    get_regularization_loss, get_regularization_losses, get_total_loss, hinge_loss, huber_loss,
    log_loss, mean_pairwise_squared_error, mean_squared_error, sigmoid_cross_entropy,
    softmax_cross_entropy, sparse_softmax_cross_entropy,
)
