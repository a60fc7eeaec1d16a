# Declarations of the C++ core (include/tensorlib/*.h) for the Cython modules, written once.
from libc.stdint cimport int32_t, int64_t, uint32_t
from libcpp cimport bool
from libcpp.memory cimport shared_ptr, unique_ptr
from libcpp.pair cimport pair
from libcpp.string cimport string
from libcpp.vector cimport vector


cdef extern from "tensorlib/status.h" namespace "tl" nogil:
    cdef cppclass Status:
        Status()
        bool ok()
        const string& message()
        int32_t node()


cdef extern from "tensorlib/shape.h" namespace "tl" nogil:
    cdef int kMaxRank
    cdef cppclass Shape:
        Shape()
        int rank() const
        bool rank_known() const
        int64_t dim(int i) const
        const int64_t* dims() const
        void add_dim(int64_t d)
        bool is_fully_defined() const
        int64_t num_elements() const
        string to_string() const
        vector[int64_t] to_vector() const


cdef extern from "tensorlib/tensor.h" namespace "tl" nogil:
    cdef cppclass Buffer:
        void* data() const
        size_t size() const
        bool owned() const

    cdef cppclass Tensor:
        Tensor()
        bool valid() const
        const Shape& shape() const
        int64_t num_elements() const
        size_t num_bytes() const
        void* raw_data() const
        const shared_ptr[Buffer]& buffer() const
        void release()


cdef extern from "tensorlib/attr.h" namespace "tl" nogil:
    cdef cppclass AttrMap:
        pass


cdef extern from "tensorlib/graph.h" namespace "tl" nogil:
    cdef cppclass Endpoint:
        int32_t node
        int32_t index

    cdef cppclass NodeSpec:
        string op
        string name
        vector[Endpoint] inputs
        vector[int32_t] control_inputs
        AttrMap attrs
        string device

    cdef cppclass Graph

    cdef cppclass Function:
        string name
        shared_ptr[const Graph] body
        vector[int32_t] args
        vector[Endpoint] outputs

    cdef cppclass FunctionLibrary:
        Status add(Function f)
        const Function* find(const string& name)
        vector[const Function*] functions()

    cdef cppclass Graph:
        Graph()
        Graph(FunctionLibrary* library)
        FunctionLibrary& functions()
        Status add_node(const NodeSpec& spec, int32_t* id)
        int32_t num_nodes()
        int32_t find(const string& name)
        Status set_output_shape(Endpoint e, const Shape& shape)


cdef extern from "tensorlib/executor.h" namespace "tl" nogil:
    cdef cppclass RunControl:
        pass


cdef extern from "tensorlib/devices.h" namespace "tl" nogil:
    cdef cppclass DeviceSpec:
        string job
        int replica
        int task
        string kind
        int index

    Status parse_device_spec(const string& spec, DeviceSpec* out)


cdef extern from "interrupts.h" namespace "tl::bridge" nogil:
    void install_interrupt_handler()
    void start_run(RunControl* control, bint interruptible, int64_t timeout_ms)
    bint interrupted(const RunControl& control)


cdef extern from "tensorlib/session.h" namespace "tl" nogil:
    cdef cppclass SessionOptions:
        int intra_op_threads
        bint allow_soft_placement

    cdef cppclass SessionState:
        void cancel_resources()

    cdef cppclass Session:
        Session(shared_ptr[const Graph] graph, SessionOptions options)
        SessionState& state()
        Status make_callable(const vector[Endpoint]& feeds, const vector[Endpoint]& fetches,
                             const vector[int32_t]& targets, int64_t* handle)
        Status run_callable(int64_t handle, const Tensor* feeds, Tensor* fetches,
                            RunControl* control)
        Status placement(int64_t handle, vector[string]* lines)
        Status step_nodes(int64_t handle, vector[vector[string]]* steps)

    void set_default_num_threads(int n)
    int default_num_threads()


cdef extern from "tensorlib/device.h" namespace "tl" nogil:
    cdef cppclass GpuInfo:
        int index
        string name
        size_t total_memory
        int compute_capability_major
        int compute_capability_minor
        int multiprocessors

    cdef cppclass GpuMemoryStats:
        size_t in_use
        size_t cached
        size_t peak

    bool built_with_cuda()
    vector[GpuInfo] list_gpus()
    Status gpu_memory_stats(int index, GpuMemoryStats* out)
    Status gpu_reset_peak_memory(int index)
    Status gpu_release_cached_memory(int index)
    void set_tensor_float_32_execution(bool enabled)
    bool tensor_float_32_execution_enabled()
    Status gpu_round_trip(int index, size_t bytes)
    Status set_gemm_kernel(const string& name)
    string gemm_kernel_name()


cdef extern from "tensorlib/crc32c.h" namespace "tl" nogil:
    uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n)


cdef extern from "tensorlib/model.h" namespace "tl" nogil:
    cdef cppclass ModelTensor:
        string name
        Endpoint endpoint
        Shape shape

    cdef cppclass Model:
        shared_ptr[Graph] graph
        vector[ModelTensor] inputs
        vector[ModelTensor] outputs

    Status serialize_model(const Graph& graph, const vector[Endpoint]& inputs,
                           const vector[Endpoint]& outputs, string* out)
    Status load_model(const void* data, size_t size, Model* out)
    ctypedef enum ModelFileAccess "tl::ModelFileAccess":
        kModelFileRead "tl::ModelFileAccess::kRead"
        kModelFileMap "tl::ModelFileAccess::kMap"
    Status load_model_file(const string& path, Model* out, ModelFileAccess access)


cdef extern from "tensorlib/interpreter.h" namespace "tl" nogil:
    cdef cppclass InterpreterOptions:
        int num_threads
        ModelFileAccess file_access

    cdef cppclass TensorDetails:
        string name
        int index
        Shape shape
        Shape shape_signature

    cdef cppclass Interpreter:
        @staticmethod
        Status from_file(const string& path, const InterpreterOptions& options,
                         unique_ptr[Interpreter]* out)
        @staticmethod
        Status from_buffer(const void* data, size_t size, const InterpreterOptions& options,
                           unique_ptr[Interpreter]* out)
        int num_inputs() const
        int num_outputs() const
        const TensorDetails& input(int i) const
        const TensorDetails& output(int i) const
        Status resize_input(int i, const Shape& shape)
        Status resize_input_strict(int i, const Shape& shape)
        Status allocate_tensors()
        Tensor* input_tensor(int i)
        Status set_input(int i, const void* data, size_t bytes)
        Status invoke()
        const Tensor& output_tensor(int i) const


cdef extern from "tensorlib/op_registry.h" namespace "tl" nogil:
    cdef cppclass OpRegistry:
        @staticmethod
        OpRegistry& global_ "global"()
        vector[string] names()


cdef extern from "tensorlib/tensor.h" namespace "tl" nogil:
    cdef enum class Device(int):
        kCPU
        kGPU


cdef extern from "tensorlib/kernel.h" namespace "tl" nogil:
    cdef cppclass KernelRegistry:
        @staticmethod
        KernelRegistry& global_ "global"()
        vector[string] ops(Device device)


cdef extern from "tensorlib/op_library.h" namespace "tl" nogil:
    int op_library_abi()
    Status load_op_library(const string& path, vector[string]* op_names)
    string op_library_of(const string& op)


cdef extern from "bridge.h" namespace "tl::bridge" nogil:
    ctypedef Status (*HostCallFn)(const string&, const vector[Tensor]&, vector[Tensor]*) noexcept
    ctypedef void (*HostWriteFn)(int, const string&) noexcept
    Status make_status(int code, const string& message)
    void install_host_callbacks(HostCallFn call, HostWriteFn write)


cdef extern from "bridge.h" namespace "tl::bridge" nogil:
    cdef cppclass AttrInfo:
        string name
        int type
        bool has_default
        int64_t int_value
        double float_value
        bool bool_value
        string string_value
        int type_value
        vector[int64_t] ints_value
        Shape shape_value
        Tensor tensor_value

    cdef cppclass OpInfo:
        vector[string] inputs
        bool variadic
        int num_outputs
        string num_outputs_attr
        vector[AttrInfo] attrs

    bool op_info(const string& name, OpInfo* out)
    int status_code(const Status& s)
    void set_int(AttrMap& m, const string& k, int64_t v)
    void set_float(AttrMap& m, const string& k, double v)
    void set_bool(AttrMap& m, const string& k, bool v)
    void set_string(AttrMap& m, const string& k, const string& v)
    void set_type(AttrMap& m, const string& k, int v)
    void set_ints(AttrMap& m, const string& k, const vector[int64_t]& v)
    void set_shape(AttrMap& m, const string& k, const Shape& v)
    void set_tensor(AttrMap& m, const string& k, const Tensor& v)
    bool op_attr_types(const string& name, vector[pair[string, int]]* out)
    bool op_has_kernel(const string& name, int device)
    int op_flags(const string& name)
    int output_dtype(const Graph& g, int32_t id, int index)
    const Shape& output_shape(const Graph& g, int32_t id, int index)
    int num_outputs(const Graph& g, int32_t id)
    Shape make_shape(const vector[int64_t]& dims, bool known_rank, Status* status)
    Tensor borrow_tensor(int dtype, const int64_t* dims, int rank, void* data)
    Status allocate_tensor(int dtype, const vector[int64_t]& dims, Tensor* out)
    int tensor_dtype(const Tensor& t)
    string* string_data(const Tensor& t)
    int model_tensor_dtype(const ModelTensor& t)
    int details_dtype(const TensorDetails& t)


cdef extern from "tensorlib/model.h" namespace "tl" nogil:
    cdef cppclass ModelOpLibrary:
        string op
        string library

    Status read_model_op_libraries(const void* data, size_t size, vector[ModelOpLibrary]* out)
