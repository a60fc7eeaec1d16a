"""numpy_input_fn: an Estimator input_fn that feeds NumPy arrays batch by batch."""
import collections
import re

import numpy as np

from tensorlib import dtypes, errors
from tensorlib.framework import ops, random_seed
from tensorlib.ops import array_ops
from tensorlib.train.basic_session_run_hooks import FeedFnHook
from tensorlib.train.monitored_session import INPUT_HOOKS


class _BatchFeeder:
    """The feed of each run: the next `batch_size` rows of the arrays, taken from a stream of
    `num_epochs` passes over them (each pass in a new random order when `shuffle`), so a batch
    may span two passes and the last one may be short. Raises OutOfRangeError once the stream
    is used up, which ends a MonitoredSession's loop."""

    def __init__(self, placeholders, arrays, batch_size, num_epochs, shuffle, seed):
        self._placeholders, self._arrays = placeholders, arrays
        self._n = len(arrays[0])
        self._batch_size, self._num_epochs, self._shuffle = batch_size, num_epochs, shuffle
        self._rng = np.random.RandomState(seed)
        self._epoch = 0
        self._order = np.zeros(0, np.int64)

    def _take(self, count):
        """Up to `count` row indices from the stream."""
        taken = []
        while count > 0:
            if not len(self._order):
                if self._num_epochs is not None and self._epoch >= self._num_epochs:
                    break
                self._epoch += 1
                self._order = (self._rng.permutation(self._n) if self._shuffle
                               else np.arange(self._n))
            taken.append(self._order[:count])
            count -= len(taken[-1])
            self._order = self._order[len(taken[-1]):]
        return np.concatenate(taken) if taken else np.zeros(0, np.int64)

    def __call__(self):
        rows = self._take(self._batch_size)
        if not len(rows):
            raise errors.OutOfRangeError(
                None, None, f"End of input: numpy_input_fn fed its {self._num_epochs} "
                            f"epoch(s) of {self._n} examples")
        return {ph: arr[rows] for ph, arr in zip(self._placeholders, self._arrays)}


def _op_name(key):
    """A valid op name made from a feature key."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", str(key)).lstrip("_-") or "input"


def _as_ordered_dict(value, what):
    if isinstance(value, dict):
        return collections.OrderedDict(value)
    if isinstance(value, np.ndarray):
        return collections.OrderedDict([(what, value)])
    raise TypeError(f"{what} must be a dict or array; got {type(value).__name__}")


def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000,
                   num_threads=1):
    """An input_fn giving batches of NumPy arrays: features `x` (an array, or a dict of
    arrays) and labels `y` (an array, a dict of arrays, or None), `batch_size` rows at a time,
    for `num_epochs` passes (None: forever), in a new random order each pass when `shuffle`
    (which must be given, True or False, as TF 1.x requires). The last batch may be short.

    The input_fn returns placeholders, and the batches are fed into them with NumPy arrays
    before each run, by a feed hook the function adds to the graph's INPUT_HOOKS collection
    (MonitoredSession, and so Estimator, run it): unlike TF1 there is no queue, and
    queue_capacity and num_threads have no effect. The order of a shuffled pass comes from
    the graph's random seed (RunConfig's tf_random_seed) when it is set. When the input is
    used up, the run raises tf.errors.OutOfRangeError, which ends Estimator.train, evaluate and
    predict.
    """
    if not isinstance(shuffle, bool):
        raise ValueError("shuffle must be provided and explicitly set as boolean (it is "
                         "recommended to set it as True for training); got {}".format(shuffle))
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if num_epochs is not None and num_epochs <= 0:
        raise ValueError(f"num_epochs must be None or positive, got {num_epochs}")
    if isinstance(x, dict) and not x:
        raise ValueError("x cannot be an empty dict")
    if isinstance(y, dict) and not y:
        raise ValueError("y cannot be empty dict, use None instead.")
    features = _as_ordered_dict(x, "x")
    labels = None if y is None else _as_ordered_dict(y, "y")
    if labels is not None:
        shared = sorted(set(features) & set(labels))
        if isinstance(x, dict) and isinstance(y, dict) and shared:
            raise ValueError(f"{len(shared)} duplicate keys are found in both x and y: {shared}")
    columns = list(features.values()) + list((labels or {}).values())
    if len({len(c) for c in columns}) > 1:
        raise ValueError(
            "Length of tensors in x and y is mismatched. All elements in x and y must have the "
            f"same length.\nShapes in x: {[v.shape for v in features.values()]}\n"
            f"Shapes in y: {[v.shape for v in (labels or {}).values()]}\n")

    def input_fn():
        with ops.name_scope("numpy_input"):
            placeholders = {}
            for part in (features, labels or {}):
                for key, arr in part.items():
                    placeholders[(id(part), key)] = array_ops.placeholder(
                        dtypes.as_dtype(arr.dtype), [None] + list(arr.shape[1:]),
                        name=_op_name(key))
        seed, _ = random_seed.get_seed(None)
        feeder = _BatchFeeder(list(placeholders.values()), columns, batch_size, num_epochs,
                              shuffle, seed)
        ops.add_to_collection(INPUT_HOOKS, FeedFnHook(feeder))
        out_features = {k: placeholders[(id(features), k)] for k in features}
        out_features = out_features if isinstance(x, dict) else out_features["x"]
        if labels is None:
            return out_features
        out_labels = {k: placeholders[(id(labels), k)] for k in labels}
        return out_features, (out_labels if isinstance(y, dict) else out_labels["y"])

    return input_fn
