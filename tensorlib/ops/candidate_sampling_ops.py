"""Candidate samplers for sampled losses (TF1's tf.nn.*_candidate_sampler and
compute_accidental_hits), seeded like the other random ops.

A sampler draws `num_sampled` classes of [0, range_max) (distinct ones, by rejection, when
`unique`) and returns (sampled_candidates, true_expected_count, sampled_expected_count): the
expected number of times each true and each sampled class would appear among the draws,
P(class) * num_sampled, or with `unique` 1 - (1 - P(class))^num_tries for the num_tries draws
it took to find num_sampled distinct classes.
"""
import collections

import numpy as np

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


def _sampler(op_type, true_classes, num_true, num_sampled, unique, range_max, seed, name,
             **extra_attrs):
    with ops.name_scope(name, op_type):
        attrs = dict(_seed_attrs(seed), num_true=int(num_true), num_sampled=int(num_sampled),
                     unique=bool(unique), range_max=int(range_max), **extra_attrs)
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


def _vocab_counts(vocab_file):
    """The last comma-separated field of each line of `vocab_file`: its words' counts."""
    with open(vocab_file, encoding="utf-8") as f:
        return [float(line.rstrip("\n").split(",")[-1]) for line in f if line.strip()]


def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                    vocab_file="", distortion=1.0, num_reserved_ids=0,
                                    num_shards=1, shard=0, unigrams=(), seed=None, name=None):
    """Samples classes with probability proportional to unigram counts raised to
    `distortion`: the counts of ids num_reserved_ids, num_reserved_ids + 1, ... come from
    `unigrams` or from `vocab_file` (one word per line, its count the last comma-separated
    field); the reserved ids are never sampled. Other arguments and results as
    uniform_candidate_sampler.

    Raises:
      ValueError: if the counts and reserved ids do not make range_max classes, or both or
        neither of vocab_file and unigrams are given.
      NotImplementedError: for num_shards other than 1.
    """
    if num_shards != 1 or shard != 0:
        raise NotImplementedError("tensorlib's fixed_unigram_candidate_sampler samples from "
                                  "one shard (num_shards=1, shard=0) only")
    if bool(vocab_file) == bool(len(unigrams)):
        raise ValueError("fixed_unigram_candidate_sampler needs exactly one of vocab_file and "
                         "unigrams")
    counts = _vocab_counts(vocab_file) if vocab_file else list(unigrams)
    if num_reserved_ids + len(counts) != range_max:
        raise ValueError(f"range_max {range_max} must be num_reserved_ids "
                         f"({num_reserved_ids}) + the number of unigrams ({len(counts)})")
    weights = np.concatenate([np.zeros(num_reserved_ids),
                              np.power(np.asarray(counts, np.float64), distortion)])
    return _sampler("FixedUnigramCandidateSampler", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name, unigrams=weights)


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
                 "FixedUnigramCandidateSampler", "ComputeAccidentalHits"):
    ops.NotDifferentiable(_op_type)
