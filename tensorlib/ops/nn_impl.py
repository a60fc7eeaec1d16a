"""Sampled losses for many classes (TF1's tf.nn.nce_loss and tf.nn.sampled_softmax_loss):
the logits of each example's true classes and of a few sampled classes, from rows of the
output weights gathered by id, so that their gradient reaches only those rows (an
IndexedSlices)."""
import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import array_ops, candidate_sampling_ops, embedding_ops, math_ops, nn_ops


def _accidental_hit_mask(labels, sampled, num_true, num_sampled, dtype):
    """-FLT_MAX where a sampled class is one of the example's true classes, else 0
    ([batch, num_sampled])."""
    rows, ids, _ = candidate_sampling_ops.compute_accidental_hits(labels, sampled, num_true)
    batch = array_ops.shape(labels)[0]
    flat = rows * num_sampled + math_ops.cast(ids, _dtypes.int32)
    hits = array_ops.unsorted_segment_sum(array_ops.ones_like(flat), flat, batch * num_sampled)
    hit = array_ops.reshape(math_ops.greater(hits, 0), array_ops.stack([batch, num_sampled]))
    lowest = array_ops.fill(array_ops.shape(hit), np.finfo(dtype.as_numpy_dtype).min)
    return math_ops.where(hit, math_ops.cast(lowest, dtype), array_ops.zeros_like(hit, dtype))


def _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                            num_true=1, sampled_values=None, subtract_log_q=True,
                            remove_accidental_hits=False, partition_strategy="mod", name=None,
                            seed=None):
    """(logits [batch, num_true + num_sampled], labels of the same shape): the true classes'
    logits then the sampled ones', each inputs . w[class] + b[class] - log(expected count)
    (TF1's composition); labels are 1 / num_true for the true classes and 0 for the sampled."""
    if not isinstance(weights, (list, tuple)):
        weights = [weights]
    with ops.name_scope(name, "compute_sampled_logits"):
        inputs = convert_to_tensor(inputs, name="inputs")
        labels = convert_to_tensor(labels, name="labels")
        if labels.dtype != _dtypes.int64:
            labels = math_ops.cast(labels, _dtypes.int64)
        labels_flat = array_ops.reshape(labels, [-1])
        if sampled_values is None:
            sampled_values = candidate_sampling_ops.log_uniform_candidate_sampler(
                labels, num_true, num_sampled, True, num_classes, seed=seed)
        sampled, true_expected, sampled_expected = (array_ops.stop_gradient(s)
                                                    for s in sampled_values)
        sampled = math_ops.cast(sampled, _dtypes.int64)
        all_ids = array_ops.concat([labels_flat, sampled], 0)
        n_true = array_ops.shape(labels_flat)[0]
        all_w = embedding_ops.embedding_lookup(weights, all_ids,
                                               partition_strategy=partition_strategy)
        if all_w.dtype != inputs.dtype:
            all_w = math_ops.cast(all_w, inputs.dtype)
        true_w = array_ops.slice(all_w, [0, 0], array_ops.stack([n_true, -1]))
        sampled_w = array_ops.slice(all_w, array_ops.stack([n_true, 0]), [-1, -1])
        sampled_logits = math_ops.matmul(inputs, sampled_w, transpose_b=True)
        all_b = embedding_ops.embedding_lookup(biases, all_ids,
                                               partition_strategy=partition_strategy)
        if all_b.dtype != inputs.dtype:
            all_b = math_ops.cast(all_b, inputs.dtype)
        true_b = array_ops.slice(all_b, [0], array_ops.reshape(n_true, [1]))
        sampled_b = array_ops.slice(all_b, array_ops.reshape(n_true, [1]), [-1])
        dim = array_ops.shape(true_w)[1:2]
        true_w = array_ops.reshape(true_w, array_ops.concat([[-1, num_true], dim], 0))
        dots = math_ops.multiply(array_ops.expand_dims(inputs, 1), true_w)
        true_logits = math_ops.reduce_sum(dots, 2) + array_ops.reshape(true_b, [-1, num_true])
        sampled_logits += sampled_b
        if remove_accidental_hits:
            sampled_logits += _accidental_hit_mask(labels, sampled, num_true, num_sampled,
                                                   sampled_logits.dtype)
        if subtract_log_q:
            true_logits -= math_ops.log(math_ops.cast(true_expected, true_logits.dtype))
            sampled_logits -= math_ops.log(math_ops.cast(sampled_expected,
                                                         sampled_logits.dtype))
        out_logits = array_ops.concat([true_logits, sampled_logits], 1)
        out_labels = array_ops.concat([array_ops.ones_like(true_logits) / num_true,
                                       array_ops.zeros_like(sampled_logits)], 1)
        return out_logits, out_labels


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, partition_strategy="mod",
             name="nce_loss"):
    """Noise-contrastive estimation loss (Gutmann and Hyvarinen 2010; Mnih and Teh 2012) per
    example: logistic losses of the true classes (label 1 / num_true) and of num_sampled
    classes from the sampler (label 0), each logit corrected by the log of its expected count.

    Args:
      weights: [num_classes, dim] (or a list of its partitions): the class embeddings.
      biases: [num_classes]: the class biases.
      labels: int [batch_size, num_true]: the target classes.
      inputs: [batch_size, dim]: the activations.
      num_sampled: the number of classes to sample per batch.
      num_classes: the number of classes.
      num_true: the number of target classes per example.
      sampled_values: a (sampled_candidates, true_expected_count, sampled_expected_count)
        tuple from a candidate sampler (log_uniform_candidate_sampler with unique=True by
        default).
      remove_accidental_hits: whether sampled classes that are true classes of an example get
        -FLT_MAX added to their logit.
      partition_strategy: 'mod' or 'div', for partitioned weights (see embedding_lookup).
      name: the name scope.

    Returns:
      [batch_size]: the NCE loss of each example.
    """
    logits, labels = _compute_sampled_logits(
        weights, biases, labels, inputs, num_sampled, num_classes, num_true=num_true,
        sampled_values=sampled_values, subtract_log_q=True,
        remove_accidental_hits=remove_accidental_hits, partition_strategy=partition_strategy,
        name=name)
    losses = nn_ops.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits,
                                                      name="sampled_losses")
    return math_ops.reduce_sum(losses, 1)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True,
                         partition_strategy="mod", name="sampled_softmax_loss", seed=None):
    """The softmax cross entropy over the true classes and num_sampled sampled classes
    (Jean et al. 2014), each logit corrected by the log of its expected count: a cheap
    estimate of the full softmax loss for training. Arguments as nce_loss (accidental hits
    removed by default; `seed` seeds the default sampler).

    Returns:
      [batch_size]: the sampled softmax loss of each example.
    """
    logits, labels = _compute_sampled_logits(
        weights, biases, labels, inputs, num_sampled, num_classes, num_true=num_true,
        sampled_values=sampled_values, subtract_log_q=True,
        remove_accidental_hits=remove_accidental_hits, partition_strategy=partition_strategy,
        name=name, seed=seed)
    labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
    return nn_ops.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
