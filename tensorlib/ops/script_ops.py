"""`tf.py_func` and `tf.numpy_function`: a Python function as a node of the graph.

The node (op PyFunc) names its function by a token; this module keeps the table of tokens for
as long as the graph that made them lives. A running PyFunc kernel calls back here through the
C++ host callbacks, taking the GIL only for the call, with the inputs as read-only NumPy views
of their tensors (no copy). Python exceptions become the run's error, with TF1's mapping:
ValueError/TypeError -> InvalidArgumentError, StopIteration -> OutOfRangeError (how
`Dataset.from_generator` ends), MemoryError -> ResourceExhaustedError, NotImplementedError ->
UnimplementedError, anything else -> UnknownError.
"""
import itertools
import logging
import sys
import threading
import traceback
import weakref

import numpy as np

from tensorlib import _core
from tensorlib import dtypes as _dtypes
from tensorlib import errors
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor

_ERROR_CODES = (
    ((ValueError, TypeError), errors.INVALID_ARGUMENT),
    ((StopIteration,), errors.OUT_OF_RANGE),
    ((MemoryError,), errors.RESOURCE_EXHAUSTED),
    ((NotImplementedError,), errors.UNIMPLEMENTED),
    ((KeyboardInterrupt,), errors.CANCELLED),
)


class _FunctionTable:
    """token -> (function, output dtypes, whether it returns one value rather than a list);
    an entry lives as long as the graph that made it."""

    def __init__(self):
        self._entries = {}
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def insert(self, func, output_types, single, graph):
        with self._lock:
            token = f"pyfunc_{next(self._counter)}"
            self._entries[token] = (func, output_types, single)
        weakref.finalize(graph, self._entries.pop, token, None)
        return token

    def call(self, token, args):
        """Runs function `token`: (0, output arrays) or (error code, message)."""
        entry = self._entries.get(token)
        if entry is None:
            return errors.FAILED_PRECONDITION, f"callback {token} is not found"
        func, output_types, single = entry
        try:
            result = func(*args)
        except BaseException as e:  # noqa: BLE001 (every error becomes the run's error)
            code = next((c for kinds, c in _ERROR_CODES if isinstance(e, kinds)), errors.UNKNOWN)
            trace = "".join(traceback.format_exception(type(e), e, e.__traceback__.tb_next))
            return code, f"{type(e).__name__}: {e}\n{trace}"
        try:
            return 0, _outputs(token, [result] if single else result, output_types)
        except (TypeError, ValueError) as e:
            return errors.INVALID_ARGUMENT, str(e)


def _outputs(token, result, output_types):
    """The function's result as one array per declared output type."""
    if not isinstance(result, (list, tuple)):
        result = [result] if output_types else []
    if result is None or len(result) != len(output_types):
        count = 0 if result is None else len(result)
        raise ValueError(f"{token} returns {count} values, but expects to see "
                         f"{len(output_types)} values.")
    return [_output_array(token, i, value, dtype)
            for i, (value, dtype) in enumerate(zip(result, output_types))]


def _output_array(token, index, value, dtype):
    """`value` as an array of `dtype`: NumPy values must already have it; Python numbers,
    strings and lists are converted to it (TF1 would reject a float for a float32 output)."""
    if dtype == _dtypes.string:
        return np.asarray(value, dtype=object)
    if isinstance(value, (np.ndarray, np.generic)):
        if np.dtype(value.dtype) != np.dtype(dtype.as_numpy_dtype):
            raise TypeError(f"{token} returns a {np.dtype(value.dtype).name} array as output "
                            f"{index}, but declares {dtype.name}")
        return value
    return np.asarray(value, dtype=dtype.as_numpy_dtype)


_table = _FunctionTable()


def _write(stream, text):
    """Where Print and tf.print write: Python's current sys.stderr/sys.stdout (so notebooks
    show the text) or the "tensorlib" logger."""
    if stream == 2:
        logging.getLogger("tensorlib").info(text.rstrip("\n"))
        return
    out = sys.stdout if stream == 1 else sys.stderr
    out.write(text)
    out.flush()


_core.set_host_callbacks(_table.call, _write)


def py_func(func, inp, Tout, stateful=True, name=None):  # noqa: N803 (TF1's names)
    """Wraps `func(*arrays)`, a Python function of NumPy arrays, into a graph node.

    `Tout` is a dtype (the node has one output) or a list of dtypes (one output each). The
    outputs have unknown shapes; use `set_shape` where they are known. The function runs on the
    executor's thread with the GIL held only while it runs; the graph cannot be exported to a
    model file for the C++ runtime.
    """
    del stateful  # every PyFunc node runs once per step: none is merged with another
    single = not isinstance(Tout, (list, tuple))
    types = [_dtypes.as_dtype(t) for t in ([Tout] if single else Tout)]
    inputs = [convert_to_tensor(x) for x in inp]
    graph = ops.outermost_graph(ops.graph_for(inputs))
    token = _table.insert(func, types, single, graph)
    op = ops.apply_op("PyFunc", inputs, {"num_outputs": len(types),
                                         "Tout": [t.as_datatype_enum for t in types],
                                         "token": token}, name=name or "PyFunc")
    if single:
        return op.outputs[0]
    return op.outputs if types else op


def numpy_function(func, inp, Tout, name=None):  # noqa: N803
    """`py_func` under its TF 1.14+ name."""
    return py_func(func, inp, Tout, stateful=True, name=name)


ops.NotDifferentiable("PyFunc")
