"""Data-parallel training on MPI with Horovod's TensorFlow 1 API.

A Horovod script runs with its imports changed:

    import tensorlib as tf
    import tensorlib.distribute as hvd

    hvd.init()
    opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.001 * hvd.size()))
    train_op = opt.minimize(loss)
    hooks = [hvd.BroadcastGlobalVariablesHook(0)]

launched with the MPI's own launcher or its thin wrapper:

    python -m tensorlib.distribute.run -np 2 python train.py

Communication happens inside the graph: allreduce, allgather and broadcast are graph ops whose
C++ kernels call MPI while Session.run runs (one Session.run per training step, GIL released).
DistributedOptimizer packs the gradients into fused buffers of at most
HOROVOD_FUSION_THRESHOLD bytes (default 128 MiB, 0 reduces each gradient alone), one MPI
allreduce each, in the order the backward pass computes them; each reduction starts as soon as
its gradients are computed and runs on a communication thread while the backward pass goes on
(TENSORLIB_ALLREDUCE_OVERLAP=0 reduces them after it instead). See docs/distributed.md.
"""
import math
import os

import tensorlib as tf
from tensorlib.distribute.compression import Compression
from tensorlib.distribute.mpi_ops import (allgather, broadcast, cross_rank, cross_size, init,
                                          is_initialized, local_rank, local_size,
                                          mpi_threads_supported, rank, shutdown, size)
from tensorlib.distribute import mpi_ops as _mpi_ops

__all__ = ["init", "shutdown", "is_initialized", "rank", "size", "local_rank", "local_size",
           "cross_rank", "cross_size", "mpi_threads_supported", "allreduce", "grouped_allreduce",
           "allgather", "broadcast", "broadcast_variables", "broadcast_global_variables",
           "BroadcastGlobalVariablesHook", "DistributedOptimizer", "Compression", "Average",
           "Sum", "Adasum"]

# The reduction of allreduce and DistributedOptimizer (Horovod's hvd.Average, hvd.Sum, ...).
Average, Sum, Adasum = "Average", "Sum", "Adasum"

# Horovod's default fusion buffer size.
_DEFAULT_FUSION_THRESHOLD = 128 * 1024 * 1024
# With overlap, DistributedOptimizer's groups hold at most this fraction of the gradients' bytes
# (and at most the fusion threshold): Horovod fuses what is ready within one cycle of its
# background thread, so the first gradients of a backward pass start their reduction while the
# later ones are computed; a static graph cannot fuse by time, so it splits by size instead.
# Each group costs a latency; the last group's reduction is what the backward pass cannot hide.
_OVERLAP_GROUPS = 4


def _reduction(op, average):
    """Whether allreduce averages, from Horovod's `op` and its deprecated `average`."""
    if op is not None and average is not None:
        raise ValueError("The op parameter supersedes average. Please provide only one of them.")
    if op is None:
        op = Average if average is None or average else Sum
    if op == Adasum:
        raise NotImplementedError("Adasum is not available in tensorlib.distribute")
    if op not in (Average, Sum):
        raise ValueError(f"op must be hvd.Average or hvd.Sum, not {op!r}")
    return op == Average


def _scaled(tensor, factor):
    """`tensor` (or an IndexedSlices' values) times `factor`."""
    if factor == 1.0:
        return tensor
    if isinstance(tensor, tf.IndexedSlices):
        return tf.IndexedSlices(_scaled(tensor.values, factor), tensor.indices,
                                dense_shape=tensor.dense_shape)
    return tensor * tf.cast(factor, tensor.dtype)


def allreduce(tensor, average=None, device_dense="", device_sparse="",
              compression=Compression.none, op=None, prescale_factor=1.0,
              postscale_factor=1.0, name=None):
    """The sum or, by default, the mean of `tensor` over all ranks (Horovod's hvd.allreduce).

    An IndexedSlices is gathered rather than reduced, as Horovod does: its values and indices
    are allgathered (the values divided by size() for the mean), which sums them once they are
    applied. `compression` compresses dense tensors for the transfer. The device arguments are
    accepted for Horovod's signature: the collectives run on the CPU.
    """
    average = _reduction(op, average)
    if isinstance(tensor, tf.IndexedSlices):
        values = allgather(_scaled(tensor.values, prescale_factor))
        indices = allgather(tensor.indices)
        if average:
            values = values / tf.cast(size(), values.dtype)
        return tf.IndexedSlices(_scaled(values, postscale_factor), indices,
                                dense_shape=tensor.dense_shape)
    tensor = tf.convert_to_tensor(tensor)
    compressed, context = compression.compress(_scaled(tensor, prescale_factor))
    reduced = _mpi_ops.fused_allreduce([compressed], average, name=name)[0]
    return _scaled(compression.decompress(reduced, context), postscale_factor)


def _fusion_threshold():
    value = os.environ.get("HOROVOD_FUSION_THRESHOLD")
    return _DEFAULT_FUSION_THRESHOLD if value is None else int(value)


def _overlap():
    """Whether reductions start as soon as their tensors are computed (the default) rather
    than run where they were added to the graph."""
    return os.environ.get("TENSORLIB_ALLREDUCE_OVERLAP", "1") != "0"


def _known_bytes(tensor):
    """The bytes of `tensor`, or None when its shape is not fully known."""
    if not tensor.shape.is_fully_defined():
        return None
    return tensor.shape.num_elements() * tensor.dtype.size


def _fused_groups(tensors, threshold):
    """Indices of `tensors` in the groups that one fused allreduce each reduces, ordered by
    their first tensor: tensors of one dtype in order, at most `threshold` bytes per group; a
    larger tensor, or one of unknown size, alone. With threshold 0, each tensor alone."""
    groups, open_groups = [], {}  # open_groups: dtype -> (indices, bytes)
    for i, t in enumerate(tensors):
        nbytes = _known_bytes(t)
        if nbytes is None or threshold == 0 or nbytes > threshold:
            groups.append([i])
            continue
        indices, total = open_groups.get(t.dtype, ([], 0))
        if indices and total + nbytes > threshold:
            groups.append(indices)
            indices, total = [], 0
        indices.append(i)
        open_groups[t.dtype] = (indices, total + nbytes)
    groups.extend(indices for indices, _ in open_groups.values())
    return sorted(groups)


def _reduce_in_groups(tensors, average, compression, threshold, sparse_as_dense=False,
                      split=1):
    """`tensors` (None stays None) reduced over the ranks, the dense ones in fused groups
    (_fused_groups), IndexedSlices gathered. With overlap, the dense tensors are grouped in the
    order they are computed (the order of their producing nodes, which the executor runs in
    node-id order), each group into at most 1/`split` of their bytes, and each group's
    reduction starts as soon as its tensors are computed (overlapped_allreduce).

    NOTE: MPI needs every rank to reduce the groups in the same order. The groups are built
    the same way on every rank, and the executor orders a plan's nodes by the graph alone (node
    ids; a reduction's start right after its last input), so every rank that built the same
    graph reduces them in the same order."""
    reduced = list(tensors)
    dense = []  # (index, compressed tensor, compression context, producing node's id)
    for i, t in enumerate(tensors):
        if t is None:
            continue
        if isinstance(t, tf.IndexedSlices) and sparse_as_dense:
            t = tf.convert_to_tensor(t)
        if isinstance(t, tf.IndexedSlices):
            reduced[i] = allreduce(t, average=average)
            continue
        t = tf.convert_to_tensor(t)
        compressed, context = compression.compress(t)
        dense.append((i, compressed, context, t.op._id))
    reduce_group = _mpi_ops.fused_allreduce
    if _overlap():
        reduce_group = _mpi_ops.overlapped_allreduce
        dense.sort(key=lambda entry: entry[3])
        if split > 1:
            total = sum(_known_bytes(c) or 0 for _, c, _, _ in dense)
            threshold = min(threshold, max(1, math.ceil(total / split)))
    for group in _fused_groups([c for _, c, _, _ in dense], threshold):
        outputs = reduce_group([dense[j][1] for j in group], average)
        for j, output in zip(group, outputs):
            i, _, context, _ = dense[j]
            reduced[i] = compression.decompress(output, context)
    return reduced


def grouped_allreduce(tensors, average=None, device_dense="", device_sparse="",
                      compression=Compression.none, op=None, prescale_factor=1.0,
                      postscale_factor=1.0):
    """allreduce of each of `tensors`, the dense ones of one dtype fused into one reduction
    whatever their size (Horovod's hvd.grouped_allreduce)."""
    average = _reduction(op, average)
    scaled = [_scaled(t if isinstance(t, tf.IndexedSlices) else tf.convert_to_tensor(t),
                      prescale_factor) for t in tensors]
    reduced = _reduce_in_groups(scaled, average, compression, threshold=math.inf)
    return [_scaled(t, postscale_factor) for t in reduced]


class DistributedOptimizer(tf.train.Optimizer):
    """An optimizer that averages (or sums) the gradients over all ranks before applying them
    (Horovod's hvd.DistributedOptimizer). It wraps any tf.train optimizer: compute_gradients
    reduces what the wrapped optimizer's compute_gradients returns; apply_gradients and the
    slots are the wrapped optimizer's.
    """

    def __init__(self, optimizer, name=None, use_locking=False, device_dense="",
                 device_sparse="", compression=Compression.none, sparse_as_dense=False,
                 backward_passes_per_step=1, op=Average):
        if backward_passes_per_step != 1:
            raise NotImplementedError("backward_passes_per_step > 1 is not available in "
                                      "tensorlib.distribute")
        super().__init__(use_locking=use_locking,
                         name=name or "Distributed" + type(optimizer).__name__)
        self._optimizer = optimizer
        self._average = _reduction(op, None)
        self._compression = compression
        self._sparse_as_dense = sparse_as_dense

    def compute_gradients(self, *args, **kwargs):
        """The wrapped optimizer's (gradient, variable) pairs, each gradient reduced over the
        ranks (left as it is in a job of one process, as Horovod does)."""
        grads_and_vars = self._optimizer.compute_gradients(*args, **kwargs)
        if size() == 1 or not grads_and_vars:
            return grads_and_vars
        grads, variables = zip(*grads_and_vars)
        with tf.name_scope("DistributedAllreduce"):
            reduced = _reduce_in_groups(grads, self._average, self._compression,
                                        _fusion_threshold(), self._sparse_as_dense,
                                        split=_OVERLAP_GROUPS)
        return list(zip(reduced, variables))

    def apply_gradients(self, *args, **kwargs):
        return self._optimizer.apply_gradients(*args, **kwargs)

    def get_slot(self, *args, **kwargs):
        return self._optimizer.get_slot(*args, **kwargs)

    def get_slot_names(self, *args, **kwargs):
        return self._optimizer.get_slot_names(*args, **kwargs)

    def variables(self, *args, **kwargs):
        return self._optimizer.variables(*args, **kwargs)


def broadcast_variables(variables, root_rank):
    """An op that assigns rank `root_rank`'s values of `variables` to them on every rank."""
    return tf.group(*[tf.assign(var, broadcast(var, root_rank)) for var in variables])


def broadcast_global_variables(root_rank):
    """An op that assigns rank `root_rank`'s values of all global variables to them on every
    rank: run it once after initialising them, so every rank starts from the same values."""
    return broadcast_variables(tf.global_variables(), root_rank)


class BroadcastGlobalVariablesHook(tf.train.SessionRunHook):
    """A hook that broadcasts all global variables from rank `root_rank` once the session is
    created (and its variables initialised or restored), for MonitoredTrainingSession."""

    def __init__(self, root_rank, device=""):
        super().__init__()
        self.root_rank = root_rank
        self.bcast_op = None
        self.device = device

    def begin(self):
        if self.bcast_op is None or self.bcast_op.graph is not tf.get_default_graph():
            self.bcast_op = broadcast_global_variables(self.root_rank)

    def after_create_session(self, session, coord):
        session.run(self.bcast_op)
