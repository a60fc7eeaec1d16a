"""Session: runs parts of a graph in the C++ executor.

`Session.run(fetches, feed_dict)` compiles each distinct (fetch structure, feed keys) pair once
into a callable (a C++ plan) and caches it, so a repeated run costs one dictionary lookup, one
call into C++ with the GIL released, and the wrapping of the results as NumPy arrays.
"""
import collections
import sys
import threading
import types

from tensorlib import _core, errors
from tensorlib.config import check_num_threads
from tensorlib.framework import indexed_slices, ops


class GPUOptions:
    """TF1's GPU options (recorded; placement comes with the CUDA backend)."""

    def __init__(self, allow_growth=False, per_process_gpu_memory_fraction=0.0,
                 visible_device_list=""):
        self.allow_growth = allow_growth
        self.per_process_gpu_memory_fraction = per_process_gpu_memory_fraction
        self.visible_device_list = visible_device_list


def _thread_count_field(name):
    """A ConfigProto field holding a thread count, checked when it is set (TF1's proto rejects
    a value out of its int32 field's range, tensorlib any negative one too)."""
    def set_count(self, value):
        self.__dict__[name] = 0 if value is None else check_num_threads(name, value)
    return property(lambda self: self.__dict__[name], set_count)


class ConfigProto:
    """Session configuration. `intra_op_parallelism_threads` caps the threads a kernel uses
    (0: tensorlib.config.get_num_threads()); the graph runs its ops one after another, so
    `inter_op_parallelism_threads` has no effect. `allow_soft_placement` runs an op on the CPU
    when the device its `tf.device` names is missing or has no kernel for it (else the run
    fails with InvalidArgumentError); `log_device_placement` prints where each op runs, as TF1
    does. `operation_timeout_in_ms` (> 0) bounds every run, as RunOptions' timeout_in_ms
    bounds one."""

    intra_op_parallelism_threads = _thread_count_field("intra_op_parallelism_threads")
    inter_op_parallelism_threads = _thread_count_field("inter_op_parallelism_threads")

    def __init__(self, intra_op_parallelism_threads=0, inter_op_parallelism_threads=0,
                 log_device_placement=False, allow_soft_placement=False, device_count=None,
                 gpu_options=None, operation_timeout_in_ms=0):
        self.operation_timeout_in_ms = operation_timeout_in_ms
        self.intra_op_parallelism_threads = intra_op_parallelism_threads
        self.inter_op_parallelism_threads = inter_op_parallelism_threads
        self.log_device_placement = log_device_placement
        self.allow_soft_placement = allow_soft_placement
        self.device_count = dict(device_count or {})
        self.gpu_options = gpu_options or GPUOptions()


class RunOptions:
    """Options of one Session.run: `timeout_in_ms` (> 0) ends a run that takes longer with
    DeadlineExceededError. TF1's tracing fields are accepted and have no effect."""

    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = range(4)

    def __init__(self, timeout_in_ms=0, trace_level=0, inter_op_thread_pool=0,
                 output_partition_graphs=False, report_tensor_allocations_upon_oom=False):
        self.timeout_in_ms = timeout_in_ms
        self.trace_level = trace_level
        self.inter_op_thread_pool = inter_op_thread_pool
        self.output_partition_graphs = output_partition_graphs
        self.report_tensor_allocations_upon_oom = report_tensor_allocations_upon_oom


class RunMetadata:
    """Accepted by Session.run for TF1 compatibility; tensorlib records no step statistics."""

    def __init__(self):
        self.step_stats = None
        self.partition_graphs = []


class _SessionStack(threading.local):
    def __init__(self):
        self.stack = []


_session_stack = _SessionStack()


def get_default_session():
    """The innermost session made default with `as_default` (or a `with` block), or None."""
    return _session_stack.stack[-1] if _session_stack.stack else None


def _run_using_default(element, feed_dict, session, what):
    session = session or get_default_session()
    if session is None:
        raise ValueError(f"Cannot evaluate tensor using `{what}`: No default session is "
                         "registered. Use `with sess.as_default()` or pass an explicit session "
                         f"to `{what}`")
    if session.graph is not element.graph:
        raise ValueError("Cannot use the given session to evaluate tensor: the tensor's graph "
                         "is different from the session's graph.")
    return session.run(element, feed_dict)


class _FetchPlan:
    """How one fetch structure maps to a flat list of unique tensors and back."""

    def __init__(self, graph, fetches):
        self.tensors = []    # unique tensors to fetch
        self.targets = []    # ops to run for their effect
        self._index = {}
        self.rebuild = self._compile(graph, fetches)

    def _compile(self, graph, fetch):
        """A function from the list of fetched arrays to the user's structure."""
        if fetch is None:
            raise TypeError(f"Fetch argument None has invalid type {type(None)}")
        if isinstance(fetch, (list, tuple)):
            parts = [self._compile(graph, f) for f in fetch]
            if isinstance(fetch, list):
                return lambda values: [p(values) for p in parts]
            if hasattr(fetch, "_fields"):  # namedtuple
                cls = type(fetch)
                return lambda values: cls(*[p(values) for p in parts])
            return lambda values: tuple(p(values) for p in parts)
        if isinstance(fetch, indexed_slices.IndexedSlices):
            parts = [self._compile(graph, t)
                     for t in (fetch.values, fetch.indices, fetch.dense_shape) if t is not None]
            if fetch.dense_shape is None:
                return lambda values: indexed_slices.IndexedSlicesValue(
                    parts[0](values), parts[1](values), None)
            return lambda values: indexed_slices.IndexedSlicesValue(*[p(values) for p in parts])
        if isinstance(fetch, collections.abc.Mapping):
            keys = list(fetch)
            parts = [self._compile(graph, fetch[k]) for k in keys]
            cls = type(fetch)
            return lambda values: cls(zip(keys, [p(values) for p in parts]))
        if hasattr(fetch, "_fetch_parts"):  # a composite such as tf.SparseTensor
            tensors, combine = fetch._fetch_parts()
            parts = [self._compile(graph, t) for t in tensors]
            return lambda values: combine([p(values) for p in parts])
        try:
            element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
        except (TypeError, ValueError, KeyError) as e:
            raise type(e)(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. "
                          f"({e})") from None
        if isinstance(element, ops.Operation):
            if element not in self.targets:
                self.targets.append(element)
            return lambda values: None
        i = self._index.get(element)
        if i is None:
            i = self._index[element] = len(self.tensors)
            self.tensors.append(element)
        return lambda values: values[i]


def _structure_key(fetches):
    """A hashable key for a fetch structure (lists become tuples, dicts sorted items)."""
    if isinstance(fetches, list):
        return (list, tuple(_structure_key(f) for f in fetches))
    if isinstance(fetches, tuple):
        return (type(fetches), tuple(_structure_key(f) for f in fetches))
    if isinstance(fetches, collections.abc.Mapping):
        return (type(fetches), tuple((k, _structure_key(v)) for k, v in fetches.items()))
    return fetches


def _without_compiled_frames(error):
    """`error`, caught in a Python frame, ready to be raised again from there: without the
    traceback entries of compiled (Cython) functions, which have no source to show (IPython
    prints "Could not get source" for each), nor the catching frame's own entry, which
    raising adds back. The traceback shows the user's line, then tensorlib's Python only."""
    kept = None
    entries = []
    tb = error.__traceback__.tb_next
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    for entry in reversed(entries):
        if not entry.tb_frame.f_code.co_filename.endswith(".pyx"):
            kept = types.TracebackType(kept, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return error.with_traceback(kept)


_compiled_run = _core.SessionRunner.run


class BaseSession(_core.SessionRunner):
    """Runs a graph. Holds the graph's variable values; a plan cache makes repeated runs cheap.
    Thread-safe: several threads may call run() at once. `run` calls _core.SessionRunner's
    (its fast path is compiled); the cache misses come back here."""

    def __init__(self, target="", graph=None, config=None):
        if target:
            raise ValueError(f"tensorlib runs in-process; target {target!r} is not supported")
        if graph is not None and not isinstance(graph, ops.Graph):
            raise TypeError(f"graph must be a tf.Graph, but got {type(graph)}")
        self._graph = graph if graph is not None else ops.get_default_graph()
        self._config = config or ConfigProto()
        self._c = _core.Session(self._graph._c,
                                int(self._config.intra_op_parallelism_threads or 0),
                                bool(self._config.allow_soft_placement))
        self._timeout_ms = int(getattr(self._config, "operation_timeout_in_ms", 0) or 0)
        self._closed = False
        self._lock = threading.Lock()

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        # A Python frame costs ~0.1 us of a cached run's ~2 us; for it, an error points at
        # the user's line and tensorlib's Python only.
        try:
            return _compiled_run(self, fetches, feed_dict, options, run_metadata)
        except Exception as e:
            raise _without_compiled_frames(e)

    run.__doc__ = _compiled_run.__doc__

    @property
    def graph(self):
        return self._graph

    def close(self):
        """Frees the session's state (variable values, plans); later runs raise RuntimeError."""
        self._closed = True
        self._clear_run_cache()
        if self._c is not None:
            self._c.cancel_resources()  # runs blocked on a queue return (CancelledError)
        self._c = None

    def as_default(self):
        """Makes this the default session (for Tensor.eval/Operation.run) in a `with` block."""
        return _default_session(self)

    def __enter__(self):
        self._default_graph = self._graph.as_default()
        self._default_graph.__enter__()
        self._default_session = self.as_default()
        self._default_session.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._default_session.__exit__(exc_type, exc, tb)
        self._default_graph.__exit__(exc_type, exc, tb)
        self.close()

    def make_callable(self, fetches, feed_list=None, accept_options=False):
        """A function that runs `fetches` with positional feed values for `feed_list`; with
        `accept_options`, it also takes keyword arguments `options` (RunOptions) and
        `run_metadata`."""
        self._check_open()
        feed_list = list(feed_list or [])
        run, rebuild = self._prepare(fetches, dict.fromkeys(feed_list))

        def call(*values, options=None, run_metadata=None):
            self._check_open()
            if (options is not None or run_metadata is not None) and not accept_options:
                raise TypeError("this callable was made without accept_options=True")
            timeout = (options.timeout_in_ms if options is not None else 0) or self._timeout_ms
            try:
                out = run(values, timeout)
            except errors.OpError as e:
                raise _without_compiled_frames(self._annotated(e)) from None
            except Exception as e:
                raise _without_compiled_frames(e)
            return out if rebuild is None else rebuild(out)

        return call

    def _check_open(self):
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")

    _structure_key = staticmethod(_structure_key)

    def _prepare(self, fetches, feed_dict):
        graph = self._graph
        plan = _FetchPlan(graph, fetches)
        feeds = []
        for key in feed_dict or ():
            try:
                t = graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
            except (TypeError, ValueError, KeyError) as e:
                raise TypeError(f"Cannot interpret feed_dict key as Tensor: {e}") from None
            feeds.append(t)
        # A lone tensor needs no rebuilding: the callable returns its array directly.
        single = len(plan.tensors) == 1 and not plan.targets and not isinstance(
            fetches, (list, tuple, collections.abc.Mapping, indexed_slices.IndexedSlices))
        with self._lock:
            try:
                callable_ = self._c.make_callable(
                    [t._as_node_input() for t in feeds], [t.name for t in feeds],
                    [t._as_node_input() for t in plan.tensors],
                    [op._id for op in plan.targets], single)
            except errors.OpError as e:
                raise _without_compiled_frames(self._annotated(e)) from None
        if self._config.log_device_placement:
            # TF1's device placement log, once per compiled set of fetches.
            for line in self._c.placement(callable_.handle):
                print(line, file=sys.stderr)
        return callable_, None if single else plan.rebuild

    def _annotated(self, e):
        """The error with the failing node and the user's line that made it."""
        op = self._graph._op_by_id(getattr(e, "_node_id", -1))
        if op is not None:
            e.op = op
            e.message = f"{e.message}\n\t [[node {op.name}{op._where()} ]]"
            e.args = (e.message,)
        return e


class _default_session:
    def __init__(self, session):
        self._session = session

    def __enter__(self):
        _session_stack.stack.append(self._session)
        return self._session

    def __exit__(self, *exc):
        _session_stack.stack.pop()


class Session(BaseSession):
    """TF1's Session: `Session(target='', graph=None, config=None)`."""


class InteractiveSession(BaseSession):
    """A session that makes itself the default on creation (for notebooks and shells), so
    `t.eval()` and `op.run()` work without a `with` block."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        self._default = self.as_default()
        self._default.__enter__()
        self._graph_default = self._graph.as_default()
        self._graph_default.__enter__()

    def close(self):
        if not self._closed:
            if get_default_session() is self:
                self._default.__exit__(None, None, None)
            stack = ops._graph_stack.stack
            if stack and stack[-1] is self._graph:
                self._graph_default.__exit__(None, None, None)
        super().close()
