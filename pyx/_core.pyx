# The boundary between Python and the C++ core: graphs, sessions, and NumPy <-> tensors.
#
# Everything here validates and converts, releases the GIL around the call that computes, then
# maps a failed Status to a Python exception in one place (raise_status).
from cpython.exc cimport PyErr_CheckSignals
from cpython.pythread cimport PyThread_get_thread_ident
from cpython.ref cimport Py_INCREF
from libc.stdint cimport int32_t, int64_t, uint32_t
from libc.string cimport memcpy
from libcpp.memory cimport shared_ptr, unique_ptr
from libcpp.pair cimport pair
from libcpp.string cimport string
from libcpp.vector cimport vector

cimport numpy as cnp
import os
import threading

import numpy as np

from libtensorlib cimport (
    DeviceSpec, RunControl, install_interrupt_handler, interrupted, parse_device_spec, start_run,
)
from libtensorlib cimport (
    AttrInfo, AttrMap, Buffer, Device, Endpoint, Function, Graph as CGraph, Interpreter as CInterpreter,
    InterpreterOptions, KernelRegistry, Model, ModelTensor, NodeSpec, OpInfo, OpRegistry, Session as CSession,
    SessionOptions, Shape, Status, Tensor, TensorDetails, allocate_tensor, borrow_tensor,
    crc32c_extend, details_dtype, kMaxRank, kModelFileMap, kModelFileRead,
    load_model as c_load_model, load_model_file as c_load_model_file,
    load_op_library as c_load_op_library, make_shape,
    model_tensor_dtype, num_outputs, op_attr_types as c_op_attr_types, op_flags as c_op_flags,
    op_has_kernel, op_info as c_op_info, op_library_abi, op_library_of as c_op_library_of,
    output_dtype, output_shape, serialize_model as c_serialize_model,
    set_bool, set_float, set_int, set_ints, set_shape, set_string, set_tensor, set_type,
    status_code, string_data, tensor_dtype,
)

cnp.import_array()

cdef unsigned long _main_thread_ident = threading.main_thread().ident

from tensorlib import errors as _errors

# DType enum values (TensorFlow's numbering) and their NumPy types.
cdef enum:
    DT_FLOAT = 1
    DT_DOUBLE = 2
    DT_INT32 = 3
    DT_STRING = 7
    DT_INT64 = 9
    DT_BOOL = 10
    DT_HALF = 19
    DT_INT8 = 6
    DT_INT16 = 5
    DT_UINT8 = 4
    DT_UINT16 = 17
    DT_UINT32 = 22
    DT_UINT64 = 23
    DT_COMPLEX64 = 8
    DT_COMPLEX128 = 18
    DT_BFLOAT16 = 14

# AttrType enum values (include/tensorlib/attr.h).
cdef enum:
    ATTR_INT = 0
    ATTR_FLOAT = 1
    ATTR_BOOL = 2
    ATTR_STRING = 3
    ATTR_TYPE = 4
    ATTR_INTS = 5
    ATTR_SHAPE = 6
    ATTR_TENSOR = 7

_NUMPY_OF_DTYPE = {
    DT_FLOAT: np.dtype(np.float32), DT_DOUBLE: np.dtype(np.float64),
    DT_INT32: np.dtype(np.int32), DT_INT64: np.dtype(np.int64), DT_BOOL: np.dtype(np.bool_),
    DT_HALF: np.dtype(np.float16), DT_STRING: np.dtype(object),
    DT_INT8: np.dtype(np.int8), DT_INT16: np.dtype(np.int16), DT_UINT8: np.dtype(np.uint8),
    DT_UINT16: np.dtype(np.uint16), DT_UINT32: np.dtype(np.uint32),
    DT_UINT64: np.dtype(np.uint64), DT_COMPLEX64: np.dtype(np.complex64),
    DT_COMPLEX128: np.dtype(np.complex128),
}
_DTYPE_OF_NUMPY = {v: k for k, v in _NUMPY_OF_DTYPE.items() if k != DT_STRING}


cdef int npy_type(int dtype) noexcept:
    if dtype == DT_FLOAT:
        return cnp.NPY_FLOAT32
    if dtype == DT_DOUBLE:
        return cnp.NPY_FLOAT64
    if dtype == DT_INT32:
        return cnp.NPY_INT32
    if dtype == DT_INT64:
        return cnp.NPY_INT64
    if dtype == DT_BOOL:
        return cnp.NPY_BOOL
    if dtype == DT_HALF:
        return cnp.NPY_FLOAT16
    if dtype == DT_INT8:
        return cnp.NPY_INT8
    if dtype == DT_INT16:
        return cnp.NPY_INT16
    if dtype == DT_UINT8:
        return cnp.NPY_UINT8
    if dtype == DT_UINT16:
        return cnp.NPY_UINT16
    if dtype == DT_UINT32:
        return cnp.NPY_UINT32
    if dtype == DT_UINT64:
        return cnp.NPY_UINT64
    if dtype == DT_COMPLEX64:
        return cnp.NPY_COMPLEX64
    if dtype == DT_COMPLEX128:
        return cnp.NPY_COMPLEX128
    if dtype == DT_STRING:
        return cnp.NPY_OBJECT
    return -1  # no NumPy type (bfloat16)


cdef int check_numpy_type(int dtype) except -1:
    """Raises TypeError for a dtype that NumPy has no type for (bfloat16)."""
    if npy_type(dtype) < 0:
        raise TypeError(f"NumPy has no type for tensors of DataType {dtype} (bfloat16): "
                        "cast them to float32 to fetch or feed them")
    return 0


cdef int raise_status(const Status& s, bint building) except -1:
    """Raises the Python exception for a failed status (building: graph-construction errors)."""
    raise _errors.exception_from_status(status_code(s), s.message().decode("utf-8", "replace"),
                                        s.node(), building)


cdef class BufferOwner:
    """Keeps a tensorlib buffer alive for the NumPy array that views it (the array's `base`)."""
    cdef shared_ptr[Buffer] buffer

    @property
    def address(self):
        """Address of the buffer's first byte."""
        return <size_t>self.buffer.get().data()

    @property
    def nbytes(self):
        return self.buffer.get().size()


cdef cnp.ndarray zero_one_bools(cnp.ndarray arr):
    """`arr` (a C-contiguous bool array) itself when every byte is 0 or 1, else a copy that
    is: NumPy reads any nonzero byte as True, while kernels read the byte (np.uint8 data viewed
    as bool holds 2..255). One scan, and a copy only for such data."""
    cdef const unsigned char* data = <const unsigned char*>cnp.PyArray_DATA(arr)
    cdef cnp.npy_intp n = cnp.PyArray_NBYTES(arr)
    cdef cnp.npy_intp i
    cdef unsigned char seen = 0
    with nogil:
        for i in range(n):
            seen |= data[i]
    if seen <= 1:
        return arr
    return arr.view(np.uint8).astype(np.bool_)


cdef object to_numpy(const Tensor& t):
    """A NumPy array that takes over `t`'s buffer (no copy); 0-d results become NumPy scalars."""
    cdef int dtype = tensor_dtype(t)
    check_numpy_type(dtype)
    cdef int rank = t.shape().rank()
    cdef cnp.npy_intp dims[16]
    cdef int i
    cdef int64_t n
    cdef string* strings
    for i in range(rank):
        dims[i] = t.shape().dim(i)
    if dtype == DT_STRING:
        n = t.num_elements()
        strings = string_data(t)
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = <bytes>(strings[i].data()[:strings[i].size()])
        return out[0] if rank == 0 else out.reshape(t.shape().to_vector())
    cdef BufferOwner owner = BufferOwner.__new__(BufferOwner)
    owner.buffer = t.buffer()
    arr = cnp.PyArray_SimpleNewFromData(rank, dims, npy_type(dtype), t.raw_data())
    Py_INCREF(owner)
    cnp.PyArray_SetBaseObject(arr, owner)
    return arr[()] if rank == 0 else arr


cdef int from_numpy(object value, Tensor* out) except -1:
    """Copies a NumPy array (numeric, bool or bytes/str) into a new tensor (Const values)."""
    cdef vector[int64_t] dims
    cdef int dtype
    cdef Status s
    cdef int64_t i
    cdef string* strings
    arr = np.asarray(value)
    if arr.ndim > kMaxRank:
        raise ValueError(f"tensorlib supports tensors of rank up to {kMaxRank}, got {arr.ndim}")
    dims = [int(d) for d in arr.shape]
    if arr.dtype.kind in "OSU":
        s = allocate_tensor(DT_STRING, dims, out)
        if not s.ok():
            raise_status(s, False)
        strings = string_data(out[0])
        for i, item in enumerate(arr.reshape(-1)):
            if isinstance(item, str):
                item = item.encode("utf-8")
            elif not isinstance(item, bytes):
                raise TypeError(f"a string tensor cannot hold {type(item).__name__} values "
                                f"(such as {item!r}), only bytes or str")
            strings[i] = <string>item
        return 0
    if arr.dtype not in _DTYPE_OF_NUMPY:
        raise TypeError(f"tensorlib has no dtype for NumPy's {arr.dtype}")
    dtype = _DTYPE_OF_NUMPY[arr.dtype]
    arr = np.ascontiguousarray(arr)
    if dtype == DT_BOOL:
        arr = zero_one_bools(arr)
    s = allocate_tensor(dtype, dims, out)
    if not s.ok():
        raise_status(s, False)
    if arr.nbytes:
        memcpy(out[0].raw_data(), cnp.PyArray_DATA(arr), arr.nbytes)
    return 0


cdef Shape to_shape(object dims) except *:
    """None -> unknown rank; a sequence with None (or -1) for unknown dims."""
    cdef Status s
    cdef vector[int64_t] v
    if dims is None:
        return make_shape(v, False, &s)
    v = [-1 if d is None else int(d) for d in dims]
    cdef Shape shape = make_shape(v, True, &s)
    if not s.ok():
        raise_status(s, True)
    return shape


cdef object from_shape(const Shape& shape):
    """The inverse of to_shape."""
    cdef int i
    if not shape.rank_known():
        return None
    dims = []
    for i in range(shape.rank()):
        dims.append(None if shape.dim(i) < 0 else shape.dim(i))
    return tuple(dims)


_attr_types_cache = {}


def op_attr_types(str op):
    """{attribute name: AttrType value} of a registered op (KeyError when unknown)."""
    cdef vector[pair[string, int]] items
    types = _attr_types_cache.get(op)
    if types is None:
        if not c_op_attr_types(op.encode(), &items):
            raise KeyError(op)
        types = {p.first.decode(): p.second for p in items}
        _attr_types_cache[op] = types
    return types


def registered_ops():
    """Names of every registered op, sorted."""
    return [n.decode() for n in OpRegistry.global_().names()]


def kernel_ops(str device):
    """Names of the ops that have a kernel on `device` ("CPU" or "GPU"), sorted."""
    if device not in ("CPU", "GPU"):
        raise ValueError(f"device must be 'CPU' or 'GPU', got {device!r}")
    kind = Device.kGPU if device == "GPU" else Device.kCPU
    return [n.decode() for n in KernelRegistry.global_().ops(kind)]


def op_flags(str op):
    """Bits of what graph rewrites must know about `op`: 1 stateful (never cached or folded),
    2 must be fed (Placeholder), 4 writes a variable through a reference input. KeyError when
    the op is unknown."""
    cdef int flags = c_op_flags(op.encode())
    if flags < 0:
        raise KeyError(op)
    return flags


def has_kernel(str op, int device):
    """True when `op` has a kernel for device 0 (CPU) or 1 (GPU)."""
    return op_has_kernel(op.encode(), device)


def load_op_library(str path):
    """Loads the op library at `path` (tl::load_op_library); returns the names of its ops."""
    cdef string cpath = path.encode()
    cdef vector[string] names
    cdef Status s
    with nogil:
        s = c_load_op_library(cpath, &names)
    if not s.ok():
        raise_status(s, False)
    return [n.decode() for n in names]


def cxx11_string_abi():
    """The _GLIBCXX_USE_CXX11_ABI value tensorlib is built with (op libraries must match)."""
    return op_library_abi() % 2


def op_library_of(str op):
    """The path of the op library that declared `op`; "" for tensorlib's own ops."""
    return c_op_library_of(op.encode()).decode()


cdef object attr_default(const AttrInfo& a):
    if a.type == ATTR_INT:
        return a.int_value
    if a.type == ATTR_FLOAT:
        return a.float_value
    if a.type == ATTR_BOOL:
        return a.bool_value
    if a.type == ATTR_STRING:
        return a.string_value.decode("utf-8", "replace")
    if a.type == ATTR_TYPE:
        return a.type_value
    if a.type == ATTR_INTS:
        return list(a.ints_value)
    if a.type == ATTR_SHAPE:
        return from_shape(a.shape_value)
    return to_numpy(a.tensor_value)


def op_def(str op):
    """The declaration of a registered op (KeyError when unknown): a dict with "inputs" (names),
    "variadic" (the last input takes a list), "num_outputs", "num_outputs_attr" (the attribute
    giving the number of outputs, or "") and "attrs": (name, AttrType value, has_default,
    default) tuples, a type attribute's default as its DType enum value."""
    cdef OpInfo info
    cdef AttrInfo a
    if not c_op_info(op.encode(), &info):
        raise KeyError(op)
    attrs = []
    for a in info.attrs:
        attrs.append((a.name.decode(), a.type, a.has_default,
                      attr_default(a) if a.has_default else None))
    return {"inputs": [n.decode() for n in info.inputs], "variadic": info.variadic,
            "num_outputs": info.num_outputs,
            "num_outputs_attr": info.num_outputs_attr.decode(), "attrs": attrs}


cdef int set_attr(AttrMap& attrs, str op, str key, object value, dict types) except -1:
    cdef string k = key.encode()
    cdef Tensor t
    cdef int kind
    if key not in types:
        raise ValueError(f"Op '{op}' has no attribute '{key}'")
    kind = types[key]
    if kind == ATTR_INT:
        set_int(attrs, k, int(value))
    elif kind == ATTR_FLOAT:
        set_float(attrs, k, float(value))
    elif kind == ATTR_BOOL:
        set_bool(attrs, k, bool(value))
    elif kind == ATTR_STRING:
        set_string(attrs, k, value.encode() if isinstance(value, str) else bytes(value))
    elif kind == ATTR_TYPE:
        set_type(attrs, k, int(value))
    elif kind == ATTR_INTS:
        set_ints(attrs, k, [int(v) for v in value])
    elif kind == ATTR_SHAPE:
        set_shape(attrs, k, to_shape(value))
    else:
        from_numpy(value, &t)
        set_tensor(attrs, k, t)
    return 0


def parse_device(str spec):
    """TF1's device string `spec` parsed: (job, replica, task, kind, index), with None for
    what it leaves open. Raises ValueError for a malformed one."""
    cdef DeviceSpec d
    cdef Status s = parse_device_spec(spec.encode(), &d)
    if not s.ok():
        raise ValueError(s.message().decode("utf-8", "replace"))
    return (d.job.decode() or None, d.replica if d.replica >= 0 else None,
            d.task if d.task >= 0 else None, d.kind.decode() or None,
            d.index if d.index >= 0 else None)


def crc32c(const unsigned char[::1] data, uint32_t crc=0):
    """The CRC-32C of `data` (bytes or any contiguous buffer) appended to bytes whose CRC-32C is
    `crc` (the checksum of TFRecord files)."""
    cdef size_t n = data.shape[0]
    cdef const unsigned char* p = &data[0] if n else NULL
    with nogil:
        crc = crc32c_extend(crc, p, n)
    return crc


cdef class Graph:
    """The C++ graph behind a tensorlib.Graph: nodes are added here and shape-inferred at once.
    With `caller`, the body of a function of `caller`'s library (it shares that library)."""
    cdef shared_ptr[CGraph] ptr
    cdef Graph caller

    def __cinit__(self, Graph caller=None):
        self.caller = caller
        if caller is None:
            self.ptr.reset(new CGraph())
        else:
            self.ptr.reset(new CGraph(&caller.ptr.get().functions()))

    def add_function(self, str name, Graph body, list args, list outputs):
        """Adds function `name` to the library: `body` fed at its Placeholder nodes `args`
        (node ids) computes `outputs` ([(node id, output index)])."""
        cdef Function f
        f.name = name.encode()
        f.body = <shared_ptr[const CGraph]>body.ptr
        for a in args:
            f.args.push_back(a)
        f.outputs = to_endpoints(outputs)
        cdef Status s = self.ptr.get().functions().add(f)
        if not s.ok():
            raise_status(s, True)

    def add_functions_of(self, Graph other):
        """Adds every function of `other`'s library that this library lacks (bodies shared)."""
        cdef vector[const Function*] fs = other.ptr.get().functions().functions()
        cdef Status s
        for i in range(fs.size()):
            if self.ptr.get().functions().find(fs[i].name) == NULL:
                s = self.ptr.get().functions().add(fs[i][0])
                if not s.ok():
                    raise_status(s, True)

    def add_node(self, str op, str name, list inputs, list control_inputs, dict attrs,
                 str device):
        """Adds a node; returns its id. inputs: [(node id, output index)]."""
        cdef NodeSpec spec
        cdef Endpoint e
        cdef int32_t node_id
        cdef Status s
        types = op_attr_types(op) if attrs else None
        spec.op = op.encode()
        spec.name = name.encode()
        spec.device = device.encode()
        for node, index in inputs:
            e.node = node
            e.index = index
            spec.inputs.push_back(e)
        for c in control_inputs:
            spec.control_inputs.push_back(c)
        for key, value in attrs.items():
            set_attr(spec.attrs, op, key, value, types)
        s = self.ptr.get().add_node(spec, &node_id)
        if not s.ok():
            raise_status(s, True)
        return node_id

    def num_outputs(self, int32_t node):
        return num_outputs(self.ptr.get()[0], node)

    def output_dtype(self, int32_t node, int index):
        return output_dtype(self.ptr.get()[0], node, index)

    def output_shape(self, int32_t node, int index):
        """None for unknown rank, else a tuple with None for unknown dims."""
        return from_shape(output_shape(self.ptr.get()[0], node, index))

    def set_output_shape(self, int32_t node, int index, dims):
        cdef Endpoint e
        e.node = node
        e.index = index
        cdef Status s = self.ptr.get().set_output_shape(e, to_shape(dims))
        if not s.ok():
            raise_status(s, True)


cdef vector[Endpoint] to_endpoints(list pairs) except *:
    cdef vector[Endpoint] out
    cdef Endpoint e
    for node, index in pairs:
        e.node = node
        e.index = index
        out.push_back(e)
    return out


def serialize_model(Graph graph, list inputs, list outputs):
    """The model file (bytes) holding every node of `graph`, fed at `inputs` and fetched at
    `outputs` ([(node id, output index)]); see docs/model_format.md."""
    cdef vector[Endpoint] cin = to_endpoints(inputs)
    cdef vector[Endpoint] cout = to_endpoints(outputs)
    cdef string out
    cdef Status s
    with nogil:
        s = c_serialize_model(graph.ptr.get()[0], cin, cout, &out)
    if not s.ok():
        raise_status(s, False)
    return <bytes>out


cdef object model_tensors(const vector[ModelTensor]& tensors):
    cdef size_t i
    return [(tensors[i].name.decode("utf-8", "replace"), tensors[i].endpoint.node,
             tensors[i].endpoint.index, model_tensor_dtype(tensors[i]),
             from_shape(tensors[i].shape)) for i in range(tensors.size())]


cdef object from_model(Model& model):
    cdef Graph graph = Graph()
    graph.ptr = model.graph
    return graph, model_tensors(model.inputs), model_tensors(model.outputs)


def load_model(const unsigned char[::1] data):
    """Loads a model from `data` (bytes or any contiguous buffer, copied once into an aligned
    buffer): (Graph, inputs, outputs), each input and output a tuple (name, node id, output
    index, dtype enum, shape tuple or None). Raises DataLossError, InvalidArgumentError,
    NotFoundError or UnimplementedError for a file it cannot load."""
    cdef size_t n = data.shape[0]
    cdef const unsigned char* p = &data[0] if n else NULL
    cdef Model model
    cdef Status s
    with nogil:
        s = c_load_model(p, n, &model)
    if not s.ok():
        raise_status(s, False)
    return from_model(model)


def load_model_file(path, bint map_file=False):
    """load_model for the file at `path` (a str or os.PathLike), read into memory, or mapped
    with `map_file` (tl::ModelFileAccess in include/tensorlib/model.h)."""
    cdef string cpath = os.fsencode(path)
    cdef Model model
    cdef Status s
    with nogil:
        s = c_load_model_file(cpath, &model, kModelFileMap if map_file else kModelFileRead)
    if not s.ok():
        raise_status(s, False)
    return from_model(model)


cdef class Session:
    """The C++ session: variables and cached plans of one graph."""
    cdef CSession* ptr
    cdef Graph graph

    def __cinit__(self, Graph graph, int intra_op_threads, bint allow_soft_placement=False):
        cdef SessionOptions options
        options.intra_op_threads = intra_op_threads
        options.allow_soft_placement = allow_soft_placement
        self.graph = graph
        self.ptr = new CSession(<shared_ptr[const CGraph]>graph.ptr, options)
        if threading.current_thread() is threading.main_thread():
            install_interrupt_handler()  # Ctrl-C stops runs of the main thread

    def __dealloc__(self):
        # Without the GIL: destroying the state joins a dataset's worker threads, which may be
        # waiting for it to run a Python function (a py_func).
        cdef CSession* session = self.ptr
        with nogil:
            del session

    def cancel_resources(self):
        """Releases the runs blocked on the session's queues and readers (they fail
        Cancelled), and fails every later one: the session is closing."""
        with nogil:
            self.ptr.state().cancel_resources()

    def placement(self, int64_t handle):
        """Where the nodes of callable `handle` run: TF1's log_device_placement lines."""
        cdef vector[string] lines
        cdef Status s = self.ptr.placement(handle, &lines)
        if not s.ok():
            raise_status(s, False)
        return [line.decode("utf-8", "replace") for line in lines]

    def step_nodes(self, int64_t handle):
        """The node names each step of callable `handle` runs, in run order: one for a
        kernel's step, one per stage for a fused elementwise chain (a debugging aid)."""
        cdef vector[vector[string]] steps
        cdef Status s = self.ptr.step_nodes(handle, &steps)
        if not s.ok():
            raise_status(s, False)
        return [[name.decode("utf-8", "replace") for name in step] for step in steps]

    def make_callable(self, list feeds, list feed_names, list fetches, list targets,
                      bint single):
        """Compiles a plan. feeds and fetches: [(node id, output index)]; targets: [node id].
        single: the callable returns the one fetched array itself, not a list of it."""
        cdef vector[Endpoint] cfeeds, cfetches
        cdef vector[int32_t] ctargets
        cdef Endpoint e
        cdef int64_t handle
        cdef Status s
        for node, index in feeds:
            e.node = node
            e.index = index
            cfeeds.push_back(e)
        for node, index in fetches:
            e.node = node
            e.index = index
            cfetches.push_back(e)
        for t in targets:
            ctargets.push_back(t)
        s = self.ptr.make_callable(cfeeds, cfetches, ctargets, &handle)
        if not s.ok():
            raise_status(s, False)
        feed_info = [(self.graph.output_dtype(n, i), self.graph.output_shape(n, i))
                     for n, i in feeds]
        return Callable(self, handle, feed_info, feed_names, len(fetches), single)


def format_shape(dims):
    """TF1's spelling of a static shape: (?, 3) or <unknown>."""
    if dims is None:
        return "<unknown>"
    dims = ["?" if d is None or d < 0 else str(d) for d in dims]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


cdef bint _is_dlpack(value):
    return (not isinstance(value, np.ndarray) and hasattr(value, "__dlpack__")
            and hasattr(value, "__dlpack_device__"))


cdef object _from_dlpack(value, str name):
    """A host array exporting DLPack (a PyTorch CPU tensor, a JAX CPU array, ...) viewed as a
    NumPy array without a copy."""
    try:
        return np.from_dlpack(value)
    except (BufferError, RuntimeError, TypeError, ValueError) as e:
        raise TypeError(f"Cannot feed {type(value).__name__} to tensor '{name}' through DLPack: "
                        f"{e} (only arrays in host memory can be fed)") from None


def convert_feed(value, dtype, str name):
    """The one conversion of a feed that cannot be read in place (documented in README).

    An object exporting DLPack from host memory (a PyTorch CPU tensor) is viewed in place.
    Same-kind conversions (float64 -> float32, Python lists, int -> float) make one contiguous
    copy; conversions that lose meaning (float -> int, anything -> bool, strings) raise TypeError.
    """
    if hasattr(value, "op") and hasattr(value, "value_index"):
        raise TypeError(f"The value of a feed cannot be a tf.Tensor object (feeding '{name}'). "
                        "Acceptable feed values include Python scalars, strings, lists, "
                        "numpy ndarrays, or TensorHandles.")
    arr = _from_dlpack(value, name) if _is_dlpack(value) else np.asarray(value)
    if arr.dtype != dtype:
        integers = arr.dtype.kind in "iu" and dtype.kind in "iu"  # range-checked below
        if arr.dtype.kind not in "biufc" or (dtype.kind == "b") != (arr.dtype.kind == "b") or \
                not (integers or np.can_cast(arr.dtype, dtype, casting="same_kind")):
            raise TypeError(f"Cannot feed a value of dtype {arr.dtype} to tensor '{name}' of "
                            f"dtype {dtype}: the conversion is not safe; cast it first")
        if dtype.kind in "iu" and arr.size and (arr.min() < np.iinfo(dtype).min or
                                                arr.max() > np.iinfo(dtype).max):
            raise TypeError(f"Cannot feed {arr.dtype} values outside the range of {dtype} to "
                            f"tensor '{name}'")
    arr = np.asarray(arr, dtype=dtype, order="C")  # NOTE: ascontiguousarray makes 0-d 1-d
    if not arr.flags.aligned:  # asarray passes misaligned data through as it is
        arr = arr.copy()
    return arr


cdef class Callable:
    """One compiled plan: call it with the feed values in order; returns the fetched arrays."""
    cdef Session session
    cdef readonly int64_t handle
    cdef int num_feeds
    cdef int num_fetches
    cdef vector[int] feed_npy_types
    cdef vector[int] feed_dtypes
    cdef vector[vector[int64_t]] feed_dims   # static dims, -1 unknown
    cdef vector[char] feed_rank_known
    cdef list feed_numpy_dtypes
    cdef list feed_names
    cdef bint single
    # Reused by one call at a time (`busy`); GIL-protected, so a concurrent call sees busy.
    cdef vector[Tensor] feed_scratch
    cdef vector[Tensor] fetch_scratch
    cdef bint busy

    def __cinit__(self, Session session, int64_t handle, list feed_info, list feed_names,
                  int num_fetches, bint single):
        self.single = single and num_fetches == 1
        self.feed_scratch.resize(len(feed_info))
        self.fetch_scratch.resize(num_fetches)
        self.session = session
        self.handle = handle
        self.num_feeds = len(feed_info)
        self.num_fetches = num_fetches
        self.feed_numpy_dtypes = []
        self.feed_names = feed_names
        for dtype, dims in feed_info:
            check_numpy_type(dtype)
            self.feed_dtypes.push_back(dtype)
            self.feed_npy_types.push_back(npy_type(dtype))
            self.feed_numpy_dtypes.append(_NUMPY_OF_DTYPE[dtype])
            self.feed_rank_known.push_back(dims is not None)
            self.feed_dims.push_back([-1 if d is None else d for d in (dims or ())])

    cdef bint fits(self, int i, cnp.ndarray arr):
        """True when arr's shape is compatible with feed i's static shape."""
        cdef int r
        if not self.feed_rank_known[i]:
            return arr.ndim <= kMaxRank
        if arr.ndim != <int>self.feed_dims[i].size():
            return False
        for r in range(arr.ndim):
            if self.feed_dims[i][r] >= 0 and self.feed_dims[i][r] != arr.shape[r]:
                return False
        return True

    def __call__(self, values, int64_t timeout_ms=0):
        """Runs the plan. values: a sized iterable with one value per feed; timeout_ms > 0:
        DeadlineExceededError when the run takes longer."""
        return self.call(values, timeout_ms)

    cdef object call(self, object values, int64_t timeout_ms):
        cdef vector[Tensor] own_feeds, own_fetches
        cdef int i
        if len(values) != self.num_feeds:
            raise ValueError(f"expected {self.num_feeds} feed values, got {len(values)}")
        if self.busy:  # another thread is running this callable: use vectors of our own
            own_feeds.resize(self.num_feeds)
            own_fetches.resize(self.num_fetches)
            return self.run(values, own_feeds, own_fetches, timeout_ms)
        self.busy = True
        try:
            return self.run(values, self.feed_scratch, self.fetch_scratch, timeout_ms)
        finally:
            for i in range(self.num_feeds):
                self.feed_scratch[i].release()
            for i in range(self.num_fetches):
                self.fetch_scratch[i].release()
            self.busy = False

    cdef object run(self, object values, vector[Tensor]& feeds, vector[Tensor]& fetches,
                    int64_t timeout_ms):
        cdef cnp.ndarray arr
        cdef Status s
        cdef RunControl control
        cdef int i = 0
        cdef object arrays = None  # keeps converted feeds alive until the run is over
        cdef bint on_main_thread = PyThread_get_thread_ident() == _main_thread_ident
        for value in values:
            if self.feed_dtypes[i] == DT_STRING:  # bytes or str, copied into the tensor
                arr = np.asarray(value, dtype=object)
            elif (type(value) is np.ndarray
                    and cnp.PyArray_TYPE(<cnp.ndarray>value) == self.feed_npy_types[i]
                    and cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>value)):
                arr = <cnp.ndarray>value  # read in place: no copy
            else:
                arr = convert_feed(value, self.feed_numpy_dtypes[i], self.feed_names[i])
                arrays = (arr, arrays)
            if not self.fits(i, arr):
                dims = self.feed_dims[i] if self.feed_rank_known[i] else None
                raise ValueError(
                    f"Cannot feed value of shape {np.shape(arr)} for Tensor "
                    f"'{self.feed_names[i]}', which has shape "
                    f"'{format_shape(dims)}'")
            if self.feed_dtypes[i] == DT_STRING:
                try:
                    from_numpy(arr, &feeds[i])
                except TypeError as e:
                    raise TypeError(f"Cannot feed this value to tensor '{self.feed_names[i]}' "
                                    f"of dtype string: {e}") from None
            else:
                if self.feed_dtypes[i] == DT_BOOL:
                    normalised = zero_one_bools(arr)
                    if normalised is not arr:
                        arr = normalised
                        arrays = (arr, arrays)
                feeds[i] = borrow_tensor(self.feed_dtypes[i], <int64_t*>cnp.PyArray_DIMS(arr),
                                         arr.ndim, cnp.PyArray_DATA(arr))
            i += 1
        start_run(&control, on_main_thread, timeout_ms)
        if on_main_thread:
            # A Ctrl-C that came before start_run read the count (while the run was being
            # prepared) is Python's to raise, now: the run would wait for one that has come.
            PyErr_CheckSignals()
        with nogil:
            s = self.session.ptr.run_callable(self.handle, feeds.data(), fetches.data(),
                                              &control)
        if not s.ok():
            if interrupted(control):
                PyErr_CheckSignals()  # Python's SIGINT handler: KeyboardInterrupt
            raise_status(s, False)
        if self.single:
            return to_numpy(fetches[0])
        return [to_numpy(fetches[i]) for i in range(self.num_fetches)]


cdef class SessionRunner:
    """The fast path of Session.run, in C: look up the cached callable for this fetch structure
    and these feed keys, call it, rebuild the structure. The Python subclass supplies
    `_prepare(fetches, feed_dict) -> (Callable, rebuild or None)` for a cache miss,
    `_structure_key(fetches)` for unhashable fetch structures and `_annotated(error)`."""
    cdef dict _run_cache
    cdef public bint _closed
    cdef public int64_t _timeout_ms  # every run's deadline when > 0 (operation_timeout_in_ms)

    def __cinit__(self, *args, **kwargs):
        self._run_cache = {}

    def _clear_run_cache(self):
        self._run_cache = {}

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Computes `fetches` (a tensor, op, name, or nested list/tuple/dict/namedtuple of
        them), feeding `feed_dict` ({tensor or name: value}). Returns the same structure with
        NumPy arrays (scalars for 0-d tensors) for tensors and None for ops. `options`: a
        RunOptions whose timeout_in_ms bounds the run (DeadlineExceededError); run_metadata
        is accepted and left empty. Ctrl-C stops a run of the main thread at its next step
        (KeyboardInterrupt); the session stays usable."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        cdef int64_t timeout_ms = self._timeout_ms
        if options is not None:
            timeout_ms = options.timeout_in_ms or timeout_ms
        feed_keys = tuple(feed_dict) if feed_dict else None
        try:
            key = (fetches, feed_keys)
            entry = self._run_cache.get(key)
        except TypeError:  # an unhashable structure (a list or dict of fetches)
            key = (self._structure_key(fetches), feed_keys)
            entry = self._run_cache.get(key)
        if entry is None:
            entry = self._prepare(fetches, feed_dict)
            self._run_cache[key] = entry
        callable_, rebuild = <tuple>entry
        try:
            out = (<Callable>callable_).call(feed_dict.values() if feed_dict else (), timeout_ms)
        except _errors.OpError as e:
            raise self._annotated(e) from None
        return out if rebuild is None else rebuild(out)


# ---- the runtime: tensorlib.lite.Interpreter -------------------------------------------------

_runtime_error_classes = {}


cdef int raise_runtime(const Status& s) except -1:
    """Raises the OpError subclass for `s`, made a RuntimeError too: TFLite scripts catch
    RuntimeError from allocate_tensors and invoke, tensorlib ones the OpError."""
    exc = _errors.exception_from_status(status_code(s), s.message().decode("utf-8", "replace"),
                                        -1, False)
    base = type(exc)
    if not isinstance(exc, RuntimeError):
        cls = _runtime_error_classes.get(base)
        if cls is None:
            cls = type(base.__name__, (base, RuntimeError), {"__module__": base.__module__})
            _runtime_error_classes[base] = cls
        exc = cls(None, None, str(exc))
    raise exc


cdef object details_dims(const Shape& shape):
    """A shape as TFLite shows it: an int32 array, -1 for open dims (empty for unknown rank);
    int64 when a dim does not fit in int32 (TFLite's format cannot hold such a model)."""
    cdef int i
    dims = [shape.dim(i) for i in range(shape.rank() if shape.rank_known() else 0)]
    return np.array(dims, np.int32 if all(d < 2**31 for d in dims) else np.int64)


cdef object tensor_view(const Tensor& t, bint writeable):
    """A NumPy array over `t`'s buffer, which it keeps alive (no copy)."""
    cdef cnp.npy_intp dims[16]
    cdef int i
    cdef int rank = t.shape().rank()
    for i in range(rank):
        dims[i] = t.shape().dim(i)
    check_numpy_type(tensor_dtype(t))
    cdef BufferOwner owner = BufferOwner.__new__(BufferOwner)
    owner.buffer = t.buffer()
    cdef cnp.ndarray arr = cnp.PyArray_SimpleNewFromData(rank, dims, npy_type(tensor_dtype(t)),
                                                          t.raw_data())
    Py_INCREF(owner)
    cnp.PyArray_SetBaseObject(arr, owner)
    if not writeable:
        cnp.PyArray_CLEARFLAGS(arr, cnp.NPY_ARRAY_WRITEABLE)
    return arr


cdef class Interpreter:
    """The C++ tl::Interpreter (include/tensorlib/interpreter.h) with TFLite's Python API;
    tensorlib.lite.Interpreter documents it. Tensor indices: the inputs', then the outputs'."""
    cdef unique_ptr[CInterpreter] ptr
    cdef int num_inputs
    cdef int num_outputs
    cdef bint allocated
    cdef bint busy  # in allocate_tensors or invoke with the GIL released
    cdef list input_npy_types

    def __init__(self, model_path=None, model_content=None, experimental_delegates=None,
                 num_threads=None, bint map_model_file=False):
        cdef InterpreterOptions options
        cdef string path
        cdef const unsigned char[::1] content
        cdef Status s
        cdef unique_ptr[CInterpreter] loaded
        cdef int i
        self.check_uninitialised()
        if experimental_delegates:
            raise ValueError("tensorlib's Interpreter takes no delegates: it runs its own "
                             "kernels")
        if num_threads is not None:
            if not isinstance(num_threads, int) or num_threads < -1 or num_threads == 0:
                raise ValueError(f"num_threads should be >= 1 or -1 (the default), got "
                                 f"{num_threads!r}")
            options.num_threads = num_threads
        if model_path is not None and model_content is not None:
            raise ValueError("Can't both provide `model_path` and `model_content`")
        if model_path is not None:
            path = os.fsencode(model_path)
            options.file_access = kModelFileMap if map_model_file else kModelFileRead
            with nogil:
                s = CInterpreter.from_file(path, options, &loaded)
        elif model_content is not None:
            content = model_content
            with nogil:
                s = CInterpreter.from_buffer(&content[0] if content.shape[0] else NULL,
                                             content.shape[0], options, &loaded)
        else:
            raise ValueError("Can't create an Interpreter without a model: give `model_path` "
                             "or `model_content`")
        if not s.ok():
            raise_status(s, False)
        # Checked again after loading, which ran without the GIL: another thread may have
        # initialised this Interpreter meanwhile.
        self.check_uninitialised()
        self.ptr.swap(loaded)
        self.num_inputs = self.ptr.get().num_inputs()
        self.num_outputs = self.ptr.get().num_outputs()
        self.input_npy_types = [npy_type(details_dtype(self.ptr.get().input(i)))
                                for i in range(self.num_inputs)]

    cdef int check_uninitialised(self) except -1:
        """Refuses a second __init__: other threads may be using the C++ interpreter it would
        replace (TFLite's Interpreter does not support calling __init__ again either)."""
        if self.ptr.get() != NULL:
            raise RuntimeError("the Interpreter is already initialised: __init__ cannot be "
                               "called again (make a new Interpreter for another model)")
        return 0

    cdef const TensorDetails* details(self, int index) except NULL:
        self.check_idle()
        if self.ptr.get() == NULL:
            raise ValueError("the Interpreter was not initialised")
        if 0 <= index < self.num_inputs:
            return &self.ptr.get().input(index)
        if self.num_inputs <= index < self.num_inputs + self.num_outputs:
            return &self.ptr.get().output(index - self.num_inputs)
        raise ValueError(f"Tensor with index {index} does not exist: the model has "
                         f"{self.num_inputs} input(s) (indices 0..{self.num_inputs - 1}) and "
                         f"{self.num_outputs} output(s) (indices {self.num_inputs}.."
                         f"{self.num_inputs + self.num_outputs - 1})")

    cdef dict details_dict(self, int index):
        cdef const TensorDetails* d = self.details(index)
        return {
            "name": d.name.decode("utf-8", "replace"),
            "index": index,
            "shape": details_dims(d.shape),
            "shape_signature": details_dims(d.shape_signature),
            "dtype": _NUMPY_OF_DTYPE[details_dtype(d[0])].type,
            "quantization": (0.0, 0),
            "quantization_parameters": {"scales": np.zeros(0, np.float32),
                                        "zero_points": np.zeros(0, np.int32),
                                        "quantized_dimension": 0},
            "sparsity_parameters": {},
        }

    def get_input_details(self):
        """One dict per input: name, index, shape, shape_signature, dtype (and TFLite's
        quantization keys, always unquantized)."""
        return [self.details_dict(i) for i in range(self.num_inputs)]

    def get_output_details(self):
        """One dict per output, as get_input_details."""
        return [self.details_dict(self.num_inputs + i) for i in range(self.num_outputs)]

    def get_tensor_details(self):
        """The inputs' and the outputs' details (the only tensors a model shows)."""
        return [self.details_dict(i) for i in range(self.num_inputs + self.num_outputs)]

    def resize_tensor_input(self, int input_index, tensor_size, bint strict=False):
        """Gives input `input_index` the shape `tensor_size` (e.g. another batch size), as
        TFLite does: any shape, or with `strict` only one that changes just the dims its
        shape_signature leaves open (-1). allocate_tensors() must follow before invoke(); it
        infers the graph's shapes again and raises where the model cannot take the new shape
        (e.g. a reshape to a fixed size)."""
        self.details(input_index)
        if input_index >= self.num_inputs:
            raise ValueError(f"tensor {input_index} is an output: only inputs can be resized")
        dims = np.asarray(tensor_size)
        if dims.ndim != 1 or dims.dtype.kind not in "iu":
            raise ValueError(f"tensor_size must be a 1-D list of ints, got {tensor_size!r}")
        if len(dims) > kMaxRank or (dims < 0).any():
            raise ValueError(f"cannot resize input {input_index} to {dims.tolist()}: dims must "
                             f"be >= 0 and at most {kMaxRank} of them")
        cdef Shape shape = to_shape(dims.tolist())
        cdef Status s = (self.ptr.get().resize_input_strict(input_index, shape) if strict
                         else self.ptr.get().resize_input(input_index, shape))
        if not s.ok():
            raise ValueError(s.message().decode("utf-8", "replace"))
        self.allocated = False

    cdef int check_idle(self) except -1:
        """Refuses calls while another thread runs this Interpreter (the GIL is released then):
        the C++ interpreter serves one thread at a time."""
        if self.busy:
            raise RuntimeError("the Interpreter is running on another thread: an Interpreter "
                               "serves one thread at a time (make one per thread)")
        return 0

    def allocate_tensors(self):
        """Fixes the inputs' shapes, infers the outputs' and compiles the model for them."""
        self.check_idle()
        if self.ptr.get() == NULL:
            raise ValueError("the Interpreter was not initialised")
        self.run_released(False)
        self.allocated = True

    cdef int run_released(self, bint invoke) except -1:
        """invoke() or allocate_tensors() of the C++ interpreter with the GIL released, other
        threads' calls refused meanwhile (check_idle)."""
        cdef Status s
        self.busy = True
        try:
            with nogil:
                s = self.ptr.get().invoke() if invoke else self.ptr.get().allocate_tensors()
        finally:
            self.busy = False
        if not s.ok():
            raise_runtime(s)
        return 0

    cdef int check_allocated(self) except -1:
        if not self.allocated:
            raise RuntimeError("Tensors are not allocated: call allocate_tensors() first (and "
                               "again after resize_tensor_input)")
        return 0

    def set_tensor(self, int tensor_index, value):
        """Copies `value` into input `tensor_index`; its dtype and shape must be the input's."""
        cdef cnp.ndarray arr
        cdef Tensor* t
        cdef Tensor st
        cdef int64_t i
        cdef bint same
        self.details(tensor_index)
        if tensor_index >= self.num_inputs:
            raise ValueError(f"tensor {tensor_index} is an output: only inputs can be set")
        self.check_allocated()
        string_input = self.input_npy_types[tensor_index] == cnp.NPY_OBJECT
        # The value is converted first: converting may run Python code (and let another thread
        # in), so the input's buffer is looked up only after it.
        if string_input:
            from_numpy(value, &st)
        elif type(value) is np.ndarray and cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>value):
            arr = <cnp.ndarray>value
        else:
            arr = np.ascontiguousarray(value)
        if not string_input and cnp.PyArray_TYPE(arr) == cnp.NPY_BOOL:
            arr = zero_one_bools(arr)
        cdef const TensorDetails* d = self.details(tensor_index)
        self.check_allocated()
        t = self.ptr.get().input_tensor(tensor_index)
        if string_input:
            if st.shape().to_vector() != t.shape().to_vector():
                raise ValueError(f"Cannot set tensor: got a value of shape "
                                 f"{tuple(st.shape().to_vector())} but input {tensor_index} "
                                 f"('{d.name.decode()}') has shape "
                                 f"{tuple(t.shape().to_vector())}")
            for i in range(t.num_elements()):
                string_data(t[0])[i] = string_data(st)[i]
            return
        if cnp.PyArray_TYPE(arr) != <int>self.input_npy_types[tensor_index]:
            raise ValueError(f"Cannot set tensor: got a value of dtype {arr.dtype} but input "
                             f"{tensor_index} ('{d.name.decode()}') expects "
                             f"{_NUMPY_OF_DTYPE[details_dtype(d[0])]}")
        same = arr.ndim == t.shape().rank()
        for i in range(arr.ndim if same else 0):
            same = same and arr.shape[i] == t.shape().dim(i)
        if not same:
            raise ValueError(f"Cannot set tensor: got a value of shape {(<object>arr).shape} but "
                             f"input {tensor_index} ('{d.name.decode()}') has shape "
                             f"{tuple(t.shape().to_vector())} (resize_tensor_input and "
                             "allocate_tensors change it)")
        memcpy(t.raw_data(), cnp.PyArray_DATA(arr), t.num_bytes())

    def invoke(self):
        """Runs the model on the inputs set (the GIL is released while it runs)."""
        self.check_idle()
        self.check_allocated()
        self.run_released(True)

    cdef const Tensor* current(self, int tensor_index) except NULL:
        """Tensor `tensor_index` now: an input's buffer, or an output of the last invoke."""
        self.details(tensor_index)
        self.check_allocated()
        if tensor_index < self.num_inputs:
            return self.ptr.get().input_tensor(tensor_index)
        cdef const Tensor* t = &self.ptr.get().output_tensor(tensor_index - self.num_inputs)
        if not t.valid():
            raise ValueError(f"output {tensor_index} has no value yet: call invoke() first")
        return t

    cdef object view(self, int tensor_index):
        cdef const Tensor* t = self.current(tensor_index)
        if tensor_dtype(t[0]) == DT_STRING:
            raise ValueError(f"tensor {tensor_index} holds strings, which have no view: use "
                             "get_tensor")
        return tensor_view(t[0], tensor_index < self.num_inputs)

    def get_tensor(self, int tensor_index):
        """A copy of input or output `tensor_index`."""
        cdef const Tensor* t = self.current(tensor_index)
        cdef cnp.npy_intp dims[16]
        cdef int i
        if tensor_dtype(t[0]) == DT_STRING:
            return to_numpy(t[0])  # a new array of bytes objects
        check_numpy_type(tensor_dtype(t[0]))
        for i in range(t.shape().rank()):
            dims[i] = t.shape().dim(i)
        arr = cnp.PyArray_SimpleNew(t.shape().rank(), dims, npy_type(tensor_dtype(t[0])))
        memcpy(cnp.PyArray_DATA(arr), t.raw_data(), t.num_bytes())
        return arr

    def tensor(self, int tensor_index):
        """A function returning a view of tensor `tensor_index`'s current buffer (no copy):
        writeable for inputs (write the input in place), read-only for outputs. Call it again
        after each invoke(): each run gives the outputs new buffers (an old view keeps showing
        the old values, never freed memory)."""
        self.details(tensor_index)
        return lambda: self.view(tensor_index)


from libtensorlib cimport ModelOpLibrary, read_model_op_libraries as c_read_model_op_libraries


def model_op_libraries(const unsigned char[::1] data):
    """The op libraries the model in `data` (bytes or any contiguous buffer) names: a list of
    (op type, library file name) for its ops that come from op libraries, read without loading
    the model (so before loading those libraries). Raises like load_model for a damaged file."""
    cdef size_t n = data.shape[0]
    cdef const unsigned char* p = &data[0] if n else NULL
    cdef vector[ModelOpLibrary] libraries
    cdef Status s
    with nogil:
        s = c_read_model_op_libraries(p, n, &libraries)
    if not s.ok():
        raise_status(s, False)
    return [(libraries[i].op.decode("utf-8", "replace"),
             libraries[i].library.decode("utf-8", "replace")) for i in range(libraries.size())]


# ---- host callbacks: Python functions called by running kernels (host.h) ------------------

from libtensorlib cimport install_host_callbacks, make_status

cdef object _host_caller = None  # (token, [arrays]) -> (0, [arrays]) or (error code, message)
cdef object _host_writer = None  # (stream, text) -> None


cdef Status _call_host_function(const string& token, const vector[Tensor]& inputs,
                                vector[Tensor]* outputs) noexcept nogil:
    with gil:
        return _call_python(token, inputs, outputs)


cdef Status _call_python(const string& token, const vector[Tensor]& inputs,
                         vector[Tensor]* outputs) noexcept:
    cdef Tensor t
    cdef size_t i
    try:
        args = []
        for i in range(inputs.size()):
            arr = to_numpy(inputs[i])
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False  # it views the input tensor's buffer
            args.append(arr)
        code, result = _host_caller(token.decode("utf-8"), args)
        if code:
            return make_status(code, str(result).encode("utf-8", "replace"))
        for value in result:
            from_numpy(value, &t)
            outputs.push_back(t)
        return Status()
    except BaseException as e:  # a bug in the conversion itself: never let it escape
        return make_status(2, f"{type(e).__name__}: {e}".encode("utf-8", "replace"))


cdef void _write_host(int stream, const string& text) noexcept nogil:
    with gil:
        try:
            _host_writer(stream, text.decode("utf-8", "replace"))
        except BaseException:
            pass


def set_host_callbacks(caller, writer):
    """Installs the Python functions that PyFunc nodes call and that printing ops write
    through: caller(token, arrays) -> (0, arrays) | (code, message); writer(stream, text)."""
    global _host_caller, _host_writer
    _host_caller = caller
    _host_writer = writer
    install_host_callbacks(_call_host_function, _write_host)
