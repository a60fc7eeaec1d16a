"""The MPI job and the collective ops: Horovod's basics (init, rank, size, ...) and the graph
ops whose C++ kernels call MPI (libtensorlib_mpi.so, built when an MPI was found).

MPI itself comes from mpi4py: importing it initialises MPI, and the op library then uses the
same libmpi (checked in `init`). The kernels communicate on MPI_COMM_WORLD while Session.run
runs, with the GIL released; see src/mpi/collective_ops.cc.
"""
import os
import re
import sys
import threading
import time

import tensorlib as tf
from tensorlib.framework import ops
from tensorlib.lite import converter

# The op types of the library. A model file cannot hold them: a model runs alone.
COLLECTIVE_OP_TYPES = ("MpiAllreduce", "MpiAllreduceStart", "MpiAllreduceWait", "MpiAllgather",
                       "MpiBroadcast")
converter.NOT_EXPORTABLE.update(
    (op_type, "communicates with the other processes of an MPI job")
    for op_type in COLLECTIVE_OP_TYPES)

_lock = threading.Lock()
_job = None  # the _Job of this process between init() and shutdown()


class _Job:
    """What init() learns of the MPI job, and the communicators it made to learn it."""

    def __init__(self, mpi):
        self.library = _load_library()
        world = mpi.COMM_WORLD
        self.local = world.Split_type(mpi.COMM_TYPE_SHARED, key=world.Get_rank())
        self.cross = world.Split(color=self.local.Get_rank(), key=world.Get_rank())
        self.rank, self.size = world.Get_rank(), world.Get_size()
        self.local_rank, self.local_size = self.local.Get_rank(), self.local.Get_size()
        self.cross_rank, self.cross_size = self.cross.Get_rank(), self.cross.Get_size()
        self.threads_supported = mpi.Query_thread() == mpi.THREAD_MULTIPLE


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError("tensorlib.distribute needs mpi4py and an MPI: "
                          "pip install \"tensorlib[mpi]\" (mpi4py and the mpich wheel)") from e
    return MPI


def _library_path():
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib",
                        "libtensorlib_mpi.so")


def _loaded_mpi_libraries():
    """The distinct libmpi files mapped into this process (Linux), symbolic links resolved."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(None, 5)[5].strip() for line in maps
                     if len(line.split(None, 5)) == 6}
    except OSError:
        return set()
    return {os.path.realpath(p) for p in paths if re.fullmatch(r"libmpi\.so(\.\d+)*",
                                                               os.path.basename(p))}


def _load_library():
    path = _library_path()
    if not os.path.exists(path):
        raise RuntimeError(
            "this tensorlib was built without its MPI collective ops (no mpicc was found when "
            "it was built): install an MPI first (pip install mpich mpi4py, or the cluster's "
            "MPI with mpicc on PATH), then rebuild tensorlib")
    library = tf.load_op_library(path)
    _register_gradients()
    mpis = _loaded_mpi_libraries()
    if len(mpis) > 1:
        raise RuntimeError(
            "two MPI libraries are loaded in this process, " + " and ".join(sorted(mpis)) +
            ": tensorlib's collective ops were built against another MPI than the one mpi4py "
            "uses; rebuild tensorlib with that MPI's mpicc (MPICC=... pip install .)")
    return library


def init(comm=None):
    """Initialises MPI (through mpi4py) and the collective ops. Horovod's `hvd.init`.

    `comm` may be None, an mpi4py communicator or a list of ranks, as in Horovod, but it must
    span MPI_COMM_WORLD: the collective ops communicate on MPI_COMM_WORLD only.
    """
    global _job
    mpi = _mpi()
    world = mpi.COMM_WORLD
    if isinstance(comm, (list, tuple)):
        spans_world = sorted(comm) == list(range(world.Get_size()))
    else:
        spans_world = comm is None or mpi.Comm.Compare(comm, world) in (mpi.IDENT,
                                                                          mpi.CONGRUENT)
    if not spans_world:
        raise NotImplementedError("tensorlib.distribute communicates on MPI_COMM_WORLD only: "
                                  "start the job with just the processes that train")
    with _lock:
        if _job is None:
            _job = _Job(mpi)
            _abort_job_on_uncaught_exception(mpi)


def _abort_job_on_uncaught_exception(mpi):
    """Makes an uncaught exception end the whole job once its traceback is shown. NOTE:
    without it, the other ranks would wait forever in their next collective for the rank that
    died; MPI_Abort makes the launcher end every process of the job."""
    shown = sys.excepthook
    if getattr(shown, "aborts_mpi_job", False):
        return

    def show_and_abort(kind, value, traceback):
        shown(kind, value, traceback)
        sys.stderr.flush()
        sys.stdout.flush()
        # NOTE: the launcher forwards the ranks' output through its proxies, and what they
        # have not forwarded yet when MPI_Abort kills them is lost: give them a moment.
        time.sleep(0.5)
        mpi.COMM_WORLD.Abort(1)

    show_and_abort.aborts_mpi_job = True
    sys.excepthook = show_and_abort


def shutdown():
    """Ends this process's use of the job (Horovod's `hvd.shutdown`); MPI itself is finalised
    by mpi4py when the process exits. init() may be called again."""
    global _job
    with _lock:
        job, _job = _job, None
    if job is not None:
        job.local.Free()
        job.cross.Free()


def is_initialized():
    return _job is not None


def _initialized_job():
    job = _job
    if job is None:
        raise ValueError("tensorlib.distribute has not been initialized; use hvd.init().")
    return job


def rank():
    """This process's rank in the job, 0 .. size() - 1."""
    return _initialized_job().rank


def size():
    """The number of processes in the job."""
    return _initialized_job().size


def local_rank():
    """This process's rank among the processes on its machine."""
    return _initialized_job().local_rank


def local_size():
    """The number of processes on this process's machine."""
    return _initialized_job().local_size


def cross_rank():
    """The index of this process's machine among those holding a process of its local rank."""
    return _initialized_job().cross_rank


def cross_size():
    """The number of machines holding a process of this process's local rank."""
    return _initialized_job().cross_size


def mpi_threads_supported():
    """Whether MPI was initialised with MPI_THREAD_MULTIPLE."""
    return _initialized_job().threads_supported


# ---- the ops: one graph node each ------------------------------------------------------------

def _apply(op_type, tensors, attrs, name):
    _initialized_job()  # the ops exist once init() has loaded the library
    return ops.apply_op(op_type, tensors, attrs, name=name or op_type)


def fused_allreduce(tensors, average, name=None):
    """One MpiAllreduce node reducing `tensors` (one dtype) together in one fused buffer;
    returns the reduced tensors, each the sum (or, when `average`, the mean) over the ranks."""
    tensors = [tf.convert_to_tensor(t) for t in tensors]
    op = _apply("MpiAllreduce", tensors, {"N": len(tensors), "average": bool(average)}, name)
    return list(op.outputs)


def overlapped_allreduce(tensors, average, name=None):
    """fused_allreduce in two nodes: an MpiAllreduceStart, which the executor runs as soon as
    `tensors` are computed and which hands their reduction to the op library's communication
    thread, and an MpiAllreduceWait, at its place in the graph's order, which waits for it. What
    runs between the two (the rest of the backward pass) overlaps the communication."""
    tensors = [tf.convert_to_tensor(t) for t in tensors]
    attrs = {"N": len(tensors), "average": bool(average)}
    start = _apply("MpiAllreduceStart", tensors, attrs, name and name + "_start")
    wait = _apply("MpiAllreduceWait", [start.outputs[0]] + tensors, {"N": len(tensors)},
                  name and name + "_wait")
    return list(wait.outputs)


def allgather(tensor, name=None):
    """The ranks' `tensor`s concatenated along dimension 0, in rank order. The ranks' tensors
    may differ in dimension 0 only."""
    return _apply("MpiAllgather", [tf.convert_to_tensor(tensor)], {}, name).outputs[0]


def broadcast(tensor, root_rank, name=None):
    """Rank `root_rank`'s `tensor` on every rank (which must all pass one dtype and shape)."""
    return _apply("MpiBroadcast", [tf.convert_to_tensor(tensor)], {"root_rank": int(root_rank)},
                  name).outputs[0]


# ---- gradients (Horovod's rules) -------------------------------------------------------------
# Registered when init() loads the op library: like every op library's rules, they belong to
# ops that exist only from then on (tests/test_distribute.py checks them).

_GRADIENTS = {}  # op type -> rule


def _gradient(op_type):
    def record(rule):
        _GRADIENTS[op_type] = rule
        return rule
    return record


def _register_gradients():
    for op_type, rule in _GRADIENTS.items():
        if ops._gradient_registry.get(op_type, (None, False))[0] is not rule:
            tf.RegisterGradient(op_type)(rule)


def _reduced_gradients(outputs, grads, average):
    # Each rank's output is the sum (mean) of every rank's input: the gradient of an input is
    # the sum (mean) of the output gradients of every rank.
    grads = [tf.zeros_like(y) if g is None else g for g, y in zip(grads, outputs)]
    return fused_allreduce(grads, average)


@_gradient("MpiAllreduce")
def _allreduce_grad(op, *grads):
    return _reduced_gradients(op.outputs, grads, op.get_attr("average"))


@_gradient("MpiAllreduceWait")
def _allreduce_wait_grad(op, *grads):
    # The outputs are the allreduce of the inputs after the handle; the handle (and its
    # MpiAllreduceStart) has no gradient.
    average = op.inputs[0].op.get_attr("average")
    return [None] + _reduced_gradients(op.outputs, grads, average)


@_gradient("MpiAllgather")
def _allgather_grad(op, grad):
    # Every rank's loss depends on every rank's rows: sum the gradients over the ranks, then
    # keep this rank's rows.
    x = op.inputs[0]
    grad = fused_allreduce([grad], average=False)[0]
    rows = allgather(tf.shape(x)[:1])
    start = tf.reduce_sum(rows[:rank()], keepdims=True)
    rest = tf.shape(x)[1:]
    return tf.slice(grad, tf.concat([start, tf.zeros_like(rest)], 0),
                    tf.concat([rows[rank():rank() + 1], rest], 0))


@_gradient("MpiBroadcast")
def _broadcast_grad(op, grad):
    # Every rank's output is the root's input: only the root's input has a gradient, the sum
    # of every rank's output gradient.
    grad = fused_allreduce([grad], average=False)[0]
    return grad if rank() == op.get_attr("root_rank") else grad * 0
