"""Candidate samplers for sampled losses (TF1's tf.nn.*_candidate_sampler and
compute_accidental_hits), seeded like the other random ops.

A sampler draws `num_sampled` classes of [0, range_max) (distinct ones, by rejection, when
`unique`) and returns (sampled_candidates, true_expected_count, sampled_expected_count): the
expected number of times each true and each sampled class would appear among the draws,
P(class) * num_sampled, or with `unique` 1 - (1 - P(class))^num_tries for the num_tries draws
it took to find num_sampled distinct classes.
"""
import collections

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import math_ops
from tensorlib.ops.random_ops import _seed_attrs

CandidateSamples = collections.namedtuple(
    "CandidateSamples", ["sampled_candidates", "true_expected_count", "sampled_expected_count"])


def _true_classes(true_classes):
    t = convert_to_tensor(true_classes, preferred_dtype=_dtypes.int64, name="true_classes")
    return t if t.dtype == _dtypes.int64 else math_ops.cast(t, _dtypes.int64)


def _sampler(op_type, true_classes, num_true, num_sampled, unique, range_max, seed, name):
    with ops.name_scope(name, op_type):
        attrs = dict(_seed_attrs(seed), num_true=int(num_true), num_sampled=int(num_sampled),
                     unique=bool(unique), range_max=int(range_max))
        op = ops.apply_op(op_type, [_true_classes(true_classes)], attrs)
        return CandidateSamples(*op.outputs)


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                              name=None):
    """Samples classes uniformly from [0, range_max).

    Args:
      true_classes: int64 [batch_size, num_true]: the target classes.
      num_true: the number of target classes per example.
      num_sampled: the number of classes to sample.
      unique: whether the sampled classes are distinct (num_sampled <= range_max).
      range_max: the number of classes.
      seed, name: the op-level seed and the op's name.

    Returns:
      (sampled_candidates int64 [num_sampled], true_expected_count float32
      [batch_size, num_true], sampled_expected_count float32 [num_sampled]).
    """
    return _sampler("UniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name)


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """Samples classes from the log-uniform (Zipfian) distribution
    P(class) = (log(class + 2) - log(class + 1)) / log(range_max + 1), which suits classes
    sorted by decreasing frequency (word ids by rank). Arguments and results as
    uniform_candidate_sampler."""
    return _sampler("LogUniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name)


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """The sampled candidates that are also target classes of an example.

    Returns:
      (indices int32, ids int64, weights float32), one entry per hit: the example (row of
      true_classes), the position of the class in sampled_candidates, and -FLT_MAX (to add
      to that sampled logit).
    """
    with ops.name_scope(name, "ComputeAccidentalHits"):
        attrs = dict(_seed_attrs(seed), num_true=int(num_true))
        sampled = convert_to_tensor(sampled_candidates, dtype=_dtypes.int64,
                                    name="sampled_candidates")
        op = ops.apply_op("ComputeAccidentalHits", [_true_classes(true_classes), sampled], attrs)
        return tuple(op.outputs)


for _op_type in ("UniformCandidateSampler", "LogUniformCandidateSampler",
                 "ComputeAccidentalHits"):
    ops.NotDifferentiable(_op_type)
