"""Model files: the converter (freeze, prune, fold), the format (docs/model_format.md) and the
checked loader (truncated, corrupted and hostile files give clean errors)."""
import pathlib
import shutil
import struct
import subprocess

import numpy as np
import pytest

import tensorlib
import tensorlib as tf
from tensorlib import _core

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIB = pathlib.Path(tensorlib.__file__).parent / "lib"
THREADS = 2

# ---- the format, written and read here from docs/model_format.md alone -------------------------

HEADER, ENTRY = 64, 24
STRINGS, NODES, TENSORS, INPUTS, OUTPUTS, WEIGHTS, OP_LIBRARIES, FUNCTIONS = range(1, 9)
T_INT, T_FLOAT, T_BOOL, T_STRING, T_TYPE, T_INTS, T_SHAPE, T_TENSOR = range(8)


def _crc(data):
    return _core.crc32c(bytes(data))


def fix_checksums(buf):
    """Recomputes both checksums of a model in `buf` (a bytearray) after a deliberate edit."""
    header_size = struct.unpack_from("<I", buf, 12)[0]
    struct.pack_into("<I", buf, 32, _crc(buf[header_size:]))
    struct.pack_into("<I", buf, 36, 0)
    struct.pack_into("<I", buf, 36, _crc(buf[:header_size]))
    return buf


class Reader:
    """A reader of model files written from the documentation, for checking the layout."""

    def __init__(self, data):
        self.data = data
        assert data[:8] == b"TLMODEL\0"
        (self.major, self.minor, self.header_size, self.flags, count, self.file_size,
         ) = struct.unpack_from("<HHIIIQ", data, 8)
        assert self.file_size == len(data)
        self.sections = {}
        for i in range(count):
            sid, _, offset, size = struct.unpack_from("<IIQQ", data, HEADER + i * ENTRY)
            self.sections[sid] = (offset, size)
        self.strings = data[self.sections[STRINGS][0]:][:self.sections[STRINGS][1]]
        self.tensors = self._table(TENSORS, self._tensor)
        self.nodes = self._table(NODES, self._node)
        self.inputs = self._table(INPUTS, self._io)
        self.outputs = self._table(OUTPUTS, self._io)
        self.op_libraries = self._table(OP_LIBRARIES, lambda: (self._str(), self._str())) \
            if OP_LIBRARIES in self.sections else []

    def _get(self, fmt):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def _str(self):
        offset, length = self._get("II")
        return bytes(self.strings[offset:offset + length]).decode()

    def _shape(self):
        rank = self._get("i")
        return None if rank == -1 else tuple(self._get("q") for _ in range(rank))

    def _table(self, sid, item):
        self.pos = self.sections[sid][0]
        return [item() for _ in range(self._get("I"))]

    def _tensor(self):
        dtype, shape = self._get("i"), self._shape()
        offset, size = self._get("QQ")
        return dtype, shape, offset, size

    def _node(self):
        op, name, device = self._str(), self._str(), self._str()
        inputs = [self._get("II") for _ in range(self._get("I"))]
        control = [self._get("I") for _ in range(self._get("I"))]
        attrs = {}
        for _ in range(self._get("I")):
            key, tag = self._str(), self._get("I")
            attrs[key] = {
                T_INT: lambda: self._get("q"), T_FLOAT: lambda: self._get("d"),
                T_BOOL: lambda: bool(self._get("B")), T_STRING: self._str,
                T_TYPE: lambda: self._get("i"),
                T_INTS: lambda: [self._get("q") for _ in range(self._get("I"))],
                T_SHAPE: self._shape, T_TENSOR: lambda: self.tensor_value(self._get("I")),
            }[tag]()
        return {"op": op, "name": name, "device": device, "inputs": inputs,
                "control": control, "attrs": attrs}

    def _io(self):
        return self._str(), self._get("I"), self._get("I"), self._get("i"), self._shape()

    def tensor_value(self, index):
        dtype, shape, offset, _ = self.tensors[index]
        start = self.sections[WEIGHTS][0] + offset
        np_dtype = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64, 10: np.bool_,
                    19: np.float16}[dtype]
        return np.frombuffer(self.data, np_dtype, int(np.prod(shape)), start).reshape(shape)


class Writer:
    """Builds model files field by field (well-formed or not) from the documentation."""

    def __init__(self):
        self.strings = bytearray()
        self.nodes, self.tensors, self.inputs, self.outputs = [], [], [], []
        self.weights = bytearray()
        self.op_libraries = []
        self.functions = []

    def s(self, text):
        data = text.encode() if isinstance(text, str) else text
        ref = struct.pack("<II", len(self.strings), len(data))
        self.strings += data
        return ref

    @staticmethod
    def shape(dims):
        if dims is None:
            return struct.pack("<i", -1)
        return struct.pack(f"<i{len(dims)}q", len(dims), *dims)

    def attr(self, name, tag, payload):
        return self.s(name) + struct.pack("<I", tag) + payload

    def node(self, op, name, inputs=(), control=(), attrs=(), device="", into=None):
        """Appends a node to the graph's nodes, or to the list `into` (a function's body)."""
        out = self.s(op) + self.s(name) + self.s(device)
        out += struct.pack("<I", len(inputs)) + b"".join(struct.pack("<II", *e) for e in inputs)
        out += struct.pack("<I", len(control)) + b"".join(struct.pack("<I", c) for c in control)
        out += struct.pack("<I", len(attrs)) + b"".join(attrs)
        nodes = self.nodes if into is None else into
        nodes.append(out)
        return len(nodes) - 1

    def function(self, name, args, outputs, body):
        """Appends a function: arg node indices, (node, index) outputs, `body` a node list."""
        self.functions.append(
            self.s(name) + struct.pack(f"<I{len(args)}I", len(args), *args) +
            struct.pack("<I", len(outputs)) + b"".join(struct.pack("<II", *o) for o in outputs)
            + struct.pack("<I", len(body)) + b"".join(body))

    def tensor(self, dtype, dims, data, offset=None, size=None):
        """Appends `data` to the weights (64-byte aligned); returns the tensor's index."""
        self.weights += b"\0" * (-len(self.weights) % 64)
        at = len(self.weights)
        self.weights += data
        self.tensors.append(struct.pack("<i", dtype) + self.shape(dims) + struct.pack(
            "<QQ", at if offset is None else offset, len(data) if size is None else size))
        return len(self.tensors) - 1

    def io(self, which, name, node, index, dtype, dims):
        which.append(self.s(name) + struct.pack("<IIi", node, index, dtype) + self.shape(dims))

    def op_library(self, op, library):
        self.op_libraries.append(self.s(op) + self.s(library))

    def build(self, major=1, minor=0, flags=0, sections=None):
        """The file; `sections` overrides the (id, payload) list. The op libraries section is
        there when op_library() was called."""
        table = lambda items: struct.pack("<I", len(items)) + b"".join(items)  # noqa: E731
        if sections is None:
            sections = [(STRINGS, bytes(self.strings)), (NODES, table(self.nodes)),
                        (TENSORS, table(self.tensors)), (INPUTS, table(self.inputs)),
                        (OUTPUTS, table(self.outputs)), (WEIGHTS, bytes(self.weights))]
            if self.op_libraries:
                sections.insert(5, (OP_LIBRARIES, table(self.op_libraries)))
            if self.functions:
                sections.insert(5, (FUNCTIONS, table(self.functions)))
        header_size = HEADER + ENTRY * len(sections)
        body, entries = bytearray(), []
        for sid, payload in sections:
            align = 64 if sid == WEIGHTS else 8
            body += b"\0" * (-(header_size + len(body)) % align)
            entries.append(struct.pack("<IIQQ", sid, 0, header_size + len(body), len(payload)))
            body += payload
        buf = bytearray(HEADER) + b"".join(entries) + body
        buf[:8] = b"TLMODEL\0"
        struct.pack_into("<HHIIIQ", buf, 8, major, minor, header_size, flags, len(sections),
                         len(buf))
        return bytes(fix_checksums(buf))


def add_one_model(value=1.0):
    """A well-formed hand-written model: y = x + value (float32, shape [None, 2])."""
    w = Writer()
    x = w.node("Placeholder", "x", attrs=[w.attr("dtype", T_TYPE, struct.pack("<i", 1)),
                                          w.attr("shape", T_SHAPE, w.shape([-1, 2]))])
    t = w.tensor(1, [], struct.pack("<f", value))
    c = w.node("Const", "c", attrs=[w.attr("value", T_TENSOR, struct.pack("<I", t))])
    y = w.node("Add", "y", inputs=[(x, 0), (c, 0)])
    w.io(w.inputs, "x", x, 0, 1, [-1, 2])
    w.io(w.outputs, "y", y, 0, 1, [-1, 2])
    return w


# ---- running models --------------------------------------------------------------------------

def run_model(model, feeds, path=None):
    """Loads `model` (bytes, or the file at `path`) and runs it on `feeds` (one array per
    input): the list of its outputs."""
    graph, inputs, outputs = _core.load_model_file(path) if path else \
        _core.load_model(model)
    sess = _core.Session(graph, THREADS)
    run = sess.make_callable([i[1:3] for i in inputs], [i[0] for i in inputs],
                             [o[1:3] for o in outputs], [], False)
    return run(feeds)


def session():
    return tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=THREADS))


def assert_bitwise_equal(actual, expected):
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype and a.shape == e.shape
        assert a.tobytes() == e.tobytes()


def mlp_graph(rng):
    x = tf.placeholder(tf.float32, [None, 12], name="x")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    h = tf.layers.dense(x, 32, activation=tf.nn.relu)
    logits = tf.layers.dense(h, 5)
    probs = tf.nn.softmax(logits, name="probs")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    feed = {x: rng.standard_normal((6, 12)).astype(np.float32),
            labels: rng.integers(0, 5, 6).astype(np.int32)}
    return x, probs, train, feed


def trained_mlp(rng):
    """(model bytes, x feed, expected probabilities) of an MLP trained for a few steps."""
    x, probs, train, feed = mlp_graph(rng)
    with session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train, feed)
        model = tf.lite.TFLiteConverter.from_session(sess, [x], [probs]).convert()
        expected = sess.run(probs, {x: feed[x]})
    return model, feed[x], expected


# ---- converter -------------------------------------------------------------------------------

def test_converter_freezes_prunes_and_folds(rng):
    model, xv, expected = trained_mlp(rng)
    nodes = Reader(model).nodes
    ops = sorted(n["op"] for n in nodes)
    # Only inference remains: no variables, assignments, gradients, optimizer or loss.
    assert ops == sorted(["Placeholder", "Const", "Const", "MatMul", "BiasAdd", "Relu",
                          "Const", "Const", "MatMul", "BiasAdd", "Softmax"])
    assert [n["name"] for n in nodes if n["op"] == "Placeholder"] == ["x"]
    assert {n["name"] for n in nodes if n["op"] == "Const"} == {
        "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"}
    assert_bitwise_equal(run_model(model, [xv]), [expected])


def test_converter_freezes_the_current_variable_values():
    x = tf.placeholder(tf.float32, [3], name="x")
    v = tf.Variable([1.0, 2.0, 3.0], name="v")
    y = x * v
    with session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(v.assign([4.0, 5.0, 6.0]))
        model = tf.lite.TFLiteConverter.from_session(sess, [x], [y]).convert()
    reader = Reader(model)
    (const,) = [n for n in reader.nodes if n["name"] == "v"]
    assert const["op"] == "Const"
    np.testing.assert_array_equal(const["attrs"]["value"], [4.0, 5.0, 6.0])


def test_constant_subgraphs_are_folded_into_one_const():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    scale = tf.sqrt(tf.constant(4.0)) * tf.cast(tf.range(3), tf.float32)
    y = tf.add(x * scale, tf.zeros([3]), name="y")
    with session() as sess:
        xv = np.arange(6, dtype=np.float32).reshape(2, 3)
        expected = sess.run(y, {x: xv})
        model = tf.lite.TFLiteConverter.from_session(sess, [x], [y]).convert()
    nodes = Reader(model).nodes
    assert sorted(n["op"] for n in nodes) == ["Add", "Const", "Const", "Mul", "Placeholder"]
    (mul,) = [n for n in nodes if n["op"] == "Mul"]
    np.testing.assert_array_equal(nodes[mul["inputs"][1][0]]["attrs"]["value"], [0, 2, 4])
    assert_bitwise_equal(run_model(model, [xv]), [expected])


def test_random_ops_are_not_folded():
    x = tf.placeholder(tf.float32, [4], name="x")
    y = x + tf.random_uniform([4], seed=1) * tf.constant(0.0)
    with session() as sess:
        model = tf.lite.TFLiteConverter.from_session(sess, [x], [y]).convert()
    assert "RandomUniform" in [n["op"] for n in Reader(model).nodes]
    np.testing.assert_array_equal(run_model(model, [np.ones(4, np.float32)])[0], np.ones(4))


def test_placeholder_with_default_is_folded_unless_it_is_an_input():
    x = tf.placeholder(tf.float32, [2], name="x")
    keep = tf.placeholder_with_default(tf.constant(0.5), [], name="keep")
    y = x * keep
    with session() as sess:
        folded = tf.lite.TFLiteConverter.from_session(sess, [x], [y]).convert()
        fed = tf.lite.TFLiteConverter.from_session(sess, [x, keep], [y]).convert()
    assert "PlaceholderWithDefault" not in [n["op"] for n in Reader(folded).nodes]
    assert [i[0] for i in Reader(fed).inputs] == ["x", "keep"]
    xv = np.array([2.0, 4.0], np.float32)
    np.testing.assert_array_equal(run_model(folded, [xv])[0], [1.0, 2.0])
    np.testing.assert_array_equal(run_model(fed, [xv, np.float32(0.25)])[0], [0.5, 1.0])


def test_an_intermediate_tensor_can_be_an_input():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    h = tf.nn.relu(x * 3.0, name="h")
    y = tf.reduce_sum(h, axis=1, name="y")
    with session() as sess:
        model = tf.lite.TFLiteConverter.from_session(sess, [h], [y]).convert()
    reader = Reader(model)
    assert sorted(n["op"] for n in reader.nodes) == ["Const", "Placeholder", "Sum"]
    assert reader.inputs[0][0] == "h" and reader.inputs[0][4] == (-1, 2)
    np.testing.assert_array_equal(run_model(model, [np.ones((1, 2), np.float32)])[0], [2.0])


def test_converter_errors():
    x = tf.placeholder(tf.float32, [2], name="x")
    other = tf.placeholder(tf.float32, [2], name="other")
    v = tf.Variable([1.0, 2.0], name="v")
    with session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(ValueError, match="placeholder 'other'"):
            tf.lite.TFLiteConverter.from_session(sess, [x], [x + other])
        with pytest.raises(ValueError, match="changes a variable"):
            tf.lite.TFLiteConverter.from_session(sess, [x], [v.assign(x)])
        y = x * 2.0
        with pytest.raises(ValueError, match="listed twice"):
            tf.lite.TFLiteConverter.from_session(sess, [x], [y, y])
    w = tf.Variable([1.0, 2.0], name="w")
    with session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError):
            tf.lite.TFLiteConverter.from_session(sess, [x], [x * w])


def test_serializing_a_graph_with_variables_fails():
    v = tf.Variable([1.0], name="v")
    graph = tf.get_default_graph()
    with pytest.raises(tf.errors.FailedPreconditionError, match="freeze variables"):
        _core.serialize_model(graph._c, [], [v._variable._as_node_input()])


# ---- round trips -----------------------------------------------------------------------------

def test_mlp_round_trip_is_bitwise_equal_to_session_run(rng):
    model, xv, expected = trained_mlp(rng)
    assert_bitwise_equal(run_model(model, [xv]), [expected])


def test_cnn_round_trip_is_bitwise_equal_to_session_run(rng):
    x = tf.placeholder(tf.float32, [None, 10, 10, 3], name="images")
    h = tf.layers.conv2d(x, 8, 3, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.conv2d(h, 4, 3, strides=2, padding="valid", activation=tf.nn.relu)
    h = tf.layers.batch_normalization(h, training=False)
    logits = tf.layers.dense(tf.layers.flatten(h), 3, name="logits")
    xv = rng.standard_normal((2, 10, 10, 3)).astype(np.float32)
    with session() as sess:
        sess.run(tf.global_variables_initializer())
        model = tf.lite.TFLiteConverter.from_session(sess, [x], [logits, h]).convert()
        expected = sess.run([logits, h], {x: xv})
    ops = {n["op"] for n in Reader(model).nodes}
    assert "Conv2D" in ops and "MaxPool" in ops and "VariableV2" not in ops
    assert_bitwise_equal(run_model(model, [xv]), expected)


def test_every_dtype_of_constant_round_trips():
    values = [np.array([1.5, -2.25], np.float16), np.array([[1e-3]], np.float64),
              np.array([7, -8], np.int32), np.array([2 ** 40], np.int64),
              np.array([True, False, True]), np.array([b"", b"ab\0c", "é".encode()], object),
              np.zeros((0, 3), np.float32)]
    x = tf.placeholder(tf.float32, [], name="x")
    outputs = [tf.identity(tf.constant(v), name=f"out{i}") for i, v in enumerate(values)]
    with session() as sess:
        model = tf.lite.TFLiteConverter.from_session(sess, [x], outputs).convert()
    got = run_model(model, [np.float32(0)])
    for g, v in zip(got, values):
        assert g.dtype == v.dtype and g.shape == v.shape
        assert g.tolist() == v.tolist()


def test_model_file_is_written_and_reloaded(tmp_path, rng):
    model, xv, expected = trained_mlp(rng)
    path = tmp_path / "mlp.tlm"
    path.write_bytes(model)
    assert_bitwise_equal(run_model(None, [xv], path=path), [expected])
    with pytest.raises(tf.errors.NotFoundError, match="cannot open"):
        _core.load_model_file(str(tmp_path / "missing.tlm"))
    (tmp_path / "empty.tlm").write_bytes(b"")
    with pytest.raises(tf.errors.DataLossError, match="truncated"):
        _core.load_model_file(str(tmp_path / "empty.tlm"))


def test_weights_are_64_byte_aligned(rng):
    reader = Reader(trained_mlp(rng)[0])
    assert reader.sections[WEIGHTS][0] % 64 == 0
    assert reader.tensors and all(t[2] % 64 == 0 for t in reader.tensors)


def test_inputs_and_outputs_carry_names_dtypes_and_shapes(rng):
    model = trained_mlp(rng)[0]
    _, inputs, outputs = _core.load_model(model)
    assert [(i[0], i[3], i[4]) for i in inputs] == [("x", 1, (None, 12))]
    assert [(o[0], o[3], o[4]) for o in outputs] == [("probs", 1, (None, 5))]


def test_hand_written_model_loads_and_runs():
    model = add_one_model(1.5).build()
    np.testing.assert_array_equal(run_model(model, [np.zeros((1, 2), np.float32)])[0],
                                  [[1.5, 1.5]])


@pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler")
def test_cpp_api_maps_the_file_and_borrows_the_weights(tmp_path):
    exe = tmp_path / "test_model"
    subprocess.run(["g++", "-std=c++17", "-O0", f"-I{ROOT / 'include'}",
                    str(ROOT / "tests_cpp" / "test_model.cc"), f"-L{LIB}", "-ltensorlib",
                    f"-Wl,-rpath,{LIB}", "-lpthread", "-o", str(exe)], check=True)
    out = subprocess.run([str(exe), str(tmp_path / "model.tlm")], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all checks passed" in out.stdout


# ---- damaged and hostile files ---------------------------------------------------------------

@pytest.fixture(scope="module")
def small_model():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2), name="w")
        y = tf.nn.softmax(tf.matmul(x, w) + tf.constant([0.5, -0.5]), name="y")
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.lite.TFLiteConverter.from_session(sess, [x], [y]).convert()


def test_every_truncation_is_data_loss(small_model):
    for n in range(len(small_model)):
        with pytest.raises(tf.errors.DataLossError, match="truncated|corrupted"):
            _core.load_model(small_model[:n])


def test_trailing_bytes_are_data_loss(small_model):
    with pytest.raises(tf.errors.DataLossError, match="unexpected bytes"):
        _core.load_model(small_model + b"\0")


def test_random_byte_flips_are_data_loss(small_model, rng):
    for _ in range(300):
        buf = bytearray(small_model)
        at = int(rng.integers(8, len(buf)))
        buf[at] ^= int(rng.integers(1, 256))
        with pytest.raises(tf.errors.DataLossError, match="corrupted|truncated|unexpected"):
            _core.load_model(bytes(buf))


def test_not_a_model_file():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a tensorlib model"):
        _core.load_model(b"\x89PNG\r\n\x1a\n" + bytes(100))


def test_newer_major_version_is_refused_with_a_clear_message(small_model):
    buf = bytearray(small_model)
    struct.pack_into("<HH", buf, 8, 2, 0)
    with pytest.raises(tf.errors.UnimplementedError,
                       match=r"version 2\.0 is not supported: this tensorlib reads 1\.x "
                             r"\(the file was written by a newer tensorlib; upgrade"):
        _core.load_model(bytes(fix_checksums(buf)))


def test_a_newer_minor_version_with_an_unknown_section_loads():
    w = add_one_model()
    table = lambda items: struct.pack("<I", len(items)) + b"".join(items)  # noqa: E731
    sections = [(STRINGS, bytes(w.strings)), (NODES, table(w.nodes)),
                (TENSORS, table(w.tensors)), (99, b"future"), (INPUTS, table(w.inputs)),
                (OUTPUTS, table(w.outputs)), (WEIGHTS, bytes(w.weights))]
    buf = bytearray(w.build(sections=sections))
    struct.pack_into("<H", buf, 10, 7)
    run_model(bytes(fix_checksums(buf)), [np.zeros((1, 2), np.float32)])


def test_unknown_required_flags_are_refused():
    with pytest.raises(tf.errors.UnimplementedError, match="flags 0x4"):
        _core.load_model(add_one_model().build(flags=4))


def _patched(model, offset, fmt, value):
    buf = bytearray(model)
    struct.pack_into(fmt, buf, offset, value)
    return bytes(fix_checksums(buf))


def test_hostile_headers_are_invalid_argument(small_model):
    r = Reader(small_model)
    nodes_at = r.sections[NODES][0]
    cases = [
        (20, "<I", 0xFFFFFFFF, "sections do not fit"),                  # section count
        (HEADER + 8, "<Q", 2 ** 63, "lies outside the file"),          # a section's offset
        (HEADER + 16, "<Q", 2 ** 64 - 1, "lies outside the file"),     # a section's size
        (HEADER, "<I", NODES, "two nodes sections"),                    # strings -> nodes
        (nodes_at, "<I", 0xFFFFFFFF, "nodes section ends too early"),  # node count
        (r.sections[TENSORS][0], "<I", 0x7FFFFFFF, "tensors section ends too early"),
        (r.sections[INPUTS][0], "<I", 1 << 30, "inputs section ends too early"),
        (nodes_at + 4, "<I", 0xFFFFFFF0, "outside the strings section"),  # op name offset
        (nodes_at + 8, "<I", 0xFFFFFFFF, "outside the strings section"),  # op name length
    ]
    for offset, fmt, value, message in cases:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _core.load_model(_patched(small_model, offset, fmt, value))
    weights = bytearray(small_model)
    struct.pack_into("<I", weights, HEADER + 5 * ENTRY, 0)  # the weights section goes missing
    with pytest.raises(tf.errors.InvalidArgumentError, match="no weights section"):
        _core.load_model(bytes(fix_checksums(weights)))


def _tensor_fields(model):
    """Offset of the first tensor's fields: dtype, rank, dims..., offset, size."""
    return Reader(model).sections[TENSORS][0] + 4


def test_hostile_tensors_are_invalid_argument():
    w = add_one_model()
    model = w.build()
    at = _tensor_fields(model)  # dtype i32, rank i32 (0: a scalar), offset u64, size u64
    cases = [
        (at, "<i", 11, "unknown dtype 11"),  # 11: TF's quint8, which tensorlib lacks
        (at + 4, "<i", 9, "has rank 9"),
        (at + 4, "<i", -7, "has rank -7"),
        (at + 8, "<Q", 1, "not 64-byte aligned"),
        (at + 8, "<Q", 2 ** 64 - 64, "outside the weights section"),
        (at + 16, "<Q", 2 ** 64 - 1, "outside the weights section"),
        (at + 16, "<Q", 3, "holds 3 bytes"),
    ]
    for offset, fmt, value, message in cases:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _core.load_model(_patched(model, offset, fmt, value))


def test_hostile_tensor_shapes_and_contents_are_invalid_argument():
    def one_tensor(dtype, dims, data):
        w = Writer()
        t = w.tensor(dtype, dims, data)
        w.node("Const", "c", attrs=[w.attr("value", T_TENSOR, struct.pack("<I", t))])
        return w.build()

    cases = [
        (1, [2 ** 31, 2 ** 31, 2 ** 31], b"", "too large"),
        (1, [-1], b"", "partial shape"),
        (1, [-5], b"", "malformed"),
        (10, [2], b"\x01\x02", "neither 0 nor 1"),
        (7, [2 ** 50], b"", "shorter than its string lengths"),
        (7, [1], struct.pack("<Q", 2 ** 64 - 1) + b"abc", "overrun"),
        (7, [1], struct.pack("<Q", 1) + b"abc", "bytes after its strings"),
    ]
    for dtype, dims, data, message in cases:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _core.load_model(one_tensor(dtype, dims, data))


def test_hostile_nodes_are_invalid_argument():
    def model(make):
        w = Writer()
        make(w)
        return w.build()

    f32 = struct.pack("<i", 1)
    placeholder = lambda w, name="x": w.node(  # noqa: E731
        "Placeholder", name, attrs=[w.attr("dtype", T_TYPE, f32)])
    cases = [
        (lambda w: w.node("Identity", "y", inputs=[(0, 0)]), "an input comes from node 0"),
        (lambda w: (placeholder(w), w.node("Identity", "y", inputs=[(0, 5)])),
         "not an output of a node"),
        (lambda w: (placeholder(w), w.node("NoOp", "n", control=[1])), "control input is node 1"),
        (lambda w: (placeholder(w), placeholder(w)), "Duplicate node name"),
        (lambda w: placeholder(w, ""), "needs a name"),
        (lambda w: w.node("Placeholder", "x", attrs=[w.attr("dtype", T_TYPE, f32)] * 2),
         "given twice"),
        (lambda w: w.node("Placeholder", "x", attrs=[w.attr("dtype", 42, f32)]), "unknown tag"),
        (lambda w: w.node("Placeholder", "x", attrs=[w.attr("dtype", T_TYPE, b"\x63\0\0\0")]),
         "unknown dtype 99"),
        (lambda w: w.node("Placeholder", "x", attrs=[w.attr("dtype", T_INT, bytes(8))]),
         "must be a type"),
        (lambda w: w.node("Placeholder", "x", attrs=[w.attr("dtype", T_TYPE, f32),
                                                     w.attr("shape", T_SHAPE, b"\x02\0\0\0")]),
         "nodes section ends too early"),
        (lambda w: w.node("Placeholder", "x", attrs=[w.attr("dtype", T_TYPE, f32),
                                                     w.attr("bogus", T_BOOL, b"\x05")]),
         "neither 0 nor 1"),
        (lambda w: w.node("Const", "c", attrs=[w.attr("value", T_TENSOR, bytes(4))]),
         "refers to tensor 0 of 0"),
        (lambda w: w.node("Const", "c"), "requires attribute 'value'"),
        (lambda w: w.node("Split", "s", inputs=[], attrs=[]), "expects 2 inputs"),
    ]
    for make, message in cases:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _core.load_model(model(make))
    with pytest.raises(tf.errors.NotFoundError,
                       match=r"node 0 \('z'\): Op type not registered 'NoSuchOp'"):
        _core.load_model(model(lambda w: w.node("NoSuchOp", "z")))


def test_hostile_inputs_and_outputs_are_invalid_argument():
    cases = [
        (lambda w: w.io(w.outputs, "z", 9, 0, 1, [-1, 2]), "not a tensor of the graph"),
        (lambda w: w.io(w.outputs, "z", 2, 1, 1, [-1, 2]), "not a tensor of the graph"),
        (lambda w: w.io(w.outputs, "y", 2, 0, 1, [-1, 2]), "the name is used twice"),
        (lambda w: w.io(w.outputs, "z", 2, 0, 2, [-1, 2]), "is float64 but its node makes"),
        (lambda w: w.io(w.outputs, "z", 2, 0, 1, [5]), "has shape"),
    ]
    for make, message in cases:
        w = add_one_model()
        make(w)
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _core.load_model(w.build())


def test_empty_constants_with_huge_dims_load():
    """Found by fuzzing: [9, 2**62, 0] overflowed int64 while counting its (no) elements."""
    w = Writer()
    t = w.tensor(1, [9, 2 ** 62, 0], b"")
    w.node("Const", "c", attrs=[w.attr("value", T_TENSOR, struct.pack("<I", t))])
    w.io(w.outputs, "c", 0, 0, 1, [9, 2 ** 62, 0])
    graph, _, outputs = _core.load_model(w.build())
    assert outputs[0][4] == (9, 2 ** 62, 0)


def test_huge_window_attributes_are_invalid_argument():
    """Found by fuzzing: a Conv2D whose dilation overflowed int64 in shape inference."""
    w = Writer()
    ints = lambda values: struct.pack(f"<I{len(values)}q", len(values), *values)  # noqa: E731
    x = w.node("Placeholder", "x", attrs=[w.attr("dtype", T_TYPE, struct.pack("<i", 1)),
                                          w.attr("shape", T_SHAPE, w.shape([1, 5, 5, 1]))])
    t = w.tensor(1, [3, 3, 1, 1], bytes(36))
    f = w.node("Const", "f", attrs=[w.attr("value", T_TENSOR, struct.pack("<I", t))])
    w.node("Conv2D", "conv", inputs=[(x, 0), (f, 0)],
           attrs=[w.attr("strides", T_INTS, ints([1, 1, 1, 1])),
                  w.attr("padding", T_STRING, w.s("SAME")),
                  w.attr("dilations", T_INTS, ints([1, 2 ** 62, 1, 1]))])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Window too large"):
        _core.load_model(w.build())
    images = tf.placeholder(tf.float32, [1, 5, 5, 1])
    with pytest.raises(ValueError, match="Window too large"):
        tf.nn.conv2d(images, tf.zeros([3, 3, 1, 1]), [1, 2 ** 61, 1, 1], "SAME")


def test_reshape_targets_whose_product_overflows_are_invalid_argument():
    """Found by fuzzing: a Reshape target whose dims' product overflowed int64."""
    w = Writer()
    x = w.node("Placeholder", "x", attrs=[w.attr("dtype", T_TYPE, struct.pack("<i", 1)),
                                          w.attr("shape", T_SHAPE, w.shape([4]))])
    t = w.tensor(9, [3], struct.pack("<3q", 2 ** 62, 2 ** 40, -1))
    s = w.node("Const", "s", attrs=[w.attr("value", T_TENSOR, struct.pack("<I", t))])
    w.node("Reshape", "r", inputs=[(x, 0), (s, 0)])
    with pytest.raises(tf.errors.InvalidArgumentError, match="has too many elements"):
        _core.load_model(w.build())
    with pytest.raises(ValueError, match="has too many elements"):
        tf.reshape(tf.placeholder(tf.float32, [None]), tf.constant([2 ** 40, 2 ** 40, -1],
                                                                   tf.int64))


# ---- op libraries (format 1.1) ---------------------------------------------------------------

def test_models_without_custom_ops_have_no_op_libraries_section(small_model):
    r = Reader(small_model)
    assert (r.major, r.minor) == (1, 2)
    assert sorted(r.sections) == [STRINGS, NODES, TENSORS, INPUTS, OUTPUTS, WEIGHTS]
    assert _core.model_op_libraries(small_model) == []


def test_a_1_0_file_without_the_section_loads(small_model):
    buf = bytearray(small_model)
    struct.pack_into("<H", buf, 10, 0)
    old = bytes(fix_checksums(buf))
    assert _core.model_op_libraries(old) == []
    x = np.ones((2, 3), np.float32)
    assert_bitwise_equal(run_model(old, [x]), run_model(small_model, [x]))
    hand_written = add_one_model().build()  # written as 1.0
    assert Reader(hand_written).minor == 0
    assert _core.model_op_libraries(hand_written) == []


def test_op_libraries_section_is_read_back():
    w = add_one_model()
    w.op_library("Add", "libadd.so")  # an op registered here: the model loads all the same
    w.op_library("ClipByNormPerRow", "libclip_by_norm_per_row.so")
    model = w.build(minor=1)
    assert Reader(model).op_libraries == [("Add", "libadd.so"),
                                          ("ClipByNormPerRow", "libclip_by_norm_per_row.so")]
    assert _core.model_op_libraries(model) == Reader(model).op_libraries
    assert _core.model_op_libraries(memoryview(model)[:]) == Reader(model).op_libraries
    np.testing.assert_array_equal(run_model(model, [np.zeros((1, 2), np.float32)])[0],
                                  [[1.0, 1.0]])


def test_an_unregistered_op_of_a_listed_library_names_the_library():
    w = Writer()
    w.node("OpOfALibraryForTest", "z")
    w.op_library("OpOfALibraryForTest", "libops_for_test.so")
    model = w.build(minor=1)
    with pytest.raises(tf.errors.NotFoundError) as info:
        _core.load_model(model)
    assert info.value.message == (
        "model node 0 ('z'): op 'OpOfALibraryForTest' is not registered: the model uses it "
        "from op library 'libops_for_test.so'; load that library (tl::load_op_library, or "
        "tensorlib.load_op_library in Python) before loading the model")
    assert _core.model_op_libraries(model) == [("OpOfALibraryForTest", "libops_for_test.so")]


def test_hostile_op_libraries_sections_are_invalid_argument():
    def entries(*pairs):
        w = add_one_model()
        for op, library in pairs:
            w.op_library(op, library)
        return w

    def raw(payload):
        w = add_one_model()
        table = lambda items: struct.pack("<I", len(items)) + b"".join(items)  # noqa: E731
        return w.build(minor=1, sections=[
            (STRINGS, bytes(w.strings)), (NODES, table(w.nodes)), (TENSORS, table(w.tensors)),
            (INPUTS, table(w.inputs)), (OUTPUTS, table(w.outputs)), (OP_LIBRARIES, payload),
            (WEIGHTS, bytes(w.weights))])

    cases = [
        (entries(("Op", "../lib/libops.so")).build(minor=1), "not a file name"),
        (entries(("Op", "/usr/lib/libops.so")).build(minor=1), "not a file name"),
        (entries(("Op", "..")).build(minor=1), "not a file name"),
        (entries(("Op", "")).build(minor=1), "library's name is empty"),
        (entries(("Op", "x" * 256)).build(minor=1), "longer than 255 bytes"),
        (entries(("Op", b"lib\0ops.so")).build(minor=1), "not a UTF-8 file name"),
        (entries(("Op", b"lib\xff.so")).build(minor=1), "not a UTF-8 file name"),
        (entries(("Op", b"lib\xed\xa0\x80.so")).build(minor=1), "not a UTF-8 file name"),
        (entries(("", "libops.so")).build(minor=1), "no valid op name"),
        (entries((b"\xc0\xaf", "libops.so")).build(minor=1), "no valid op name"),
        (entries(("Op", "liba.so"), ("Op", "libb.so")).build(minor=1), "'Op' is listed twice"),
        (raw(struct.pack("<I", 0xFFFFFFFF)), "op libraries section ends too early"),
        (raw(b""), "op libraries section ends too early"),
        (raw(struct.pack("<IIIII", 1, 0, 1, 0xFFFFFFF0, 4)), "outside the strings section"),
        (raw(struct.pack("<IIIII", 1, 0, 1, 0, 0xFFFFFFFF)), "outside the strings section"),
        (raw(struct.pack("<I", 0) + b"\0"), "op libraries section has extra bytes"),
    ]
    for model, message in cases:
        for load in (_core.load_model, _core.model_op_libraries):
            with pytest.raises(tf.errors.InvalidArgumentError, match=message):
                load(model)
    good = entries(("Op", "libops.so")).build(minor=1)
    r = Reader(good)
    table = bytearray(good)
    at = HEADER + [i for i, sid in enumerate(r.sections) if sid == WEIGHTS][0] * ENTRY
    struct.pack_into("<I", table, at, OP_LIBRARIES)  # the weights entry becomes a second one
    with pytest.raises(tf.errors.InvalidArgumentError, match="two op libraries sections"):
        _core.model_op_libraries(bytes(fix_checksums(table)))


def test_damaged_op_libraries_sections_are_data_loss():
    w = add_one_model()
    w.op_library("Add", "libadd.so")
    model = w.build(minor=1)
    offset, size = Reader(model).sections[OP_LIBRARIES]
    for at in range(offset, offset + size):
        buf = bytearray(model)
        buf[at] ^= 0x41
        for load in (_core.load_model, _core.model_op_libraries):
            with pytest.raises(tf.errors.DataLossError, match="corrupted"):
                load(bytes(buf))
    for n in range(0, len(model), 7):
        with pytest.raises(tf.errors.DataLossError, match="truncated|corrupted"):
            _core.model_op_libraries(model[:n])


# ---- functions (format 1.2) ------------------------------------------------------------------

def _f32_placeholder(w, name, into):
    return w.node("Placeholder", name, into=into,
                  attrs=[w.attr("dtype", T_TYPE, struct.pack("<i", 1)),
                         w.attr("shape", T_SHAPE, w.shape([-1, 2]))])


def if_model(then_args=(0,), then_outputs=((2, 0),), extra_function=None, branch="double"):
    """A hand-written model: y = If(p, x) calling `double` (x * 2) or `negate` (-x)."""
    w = Writer()
    two = w.tensor(1, [], struct.pack("<f", 2.0))
    body = []
    x = _f32_placeholder(w, "x", body)
    c = w.node("Const", "two", into=body, attrs=[w.attr("value", T_TENSOR,
                                                        struct.pack("<I", two))])
    w.node("Mul", "y", inputs=[(x, 0), (c, 0)], into=body)
    w.function("double", list(then_args), list(then_outputs), body)
    body = []
    x = _f32_placeholder(w, "x", body)
    w.node("Neg", "y", inputs=[(x, 0)], into=body)
    w.function("negate", [0], [(1, 0)], body)
    if extra_function:
        extra_function(w)
    p = w.node("Placeholder", "p", attrs=[w.attr("dtype", T_TYPE, struct.pack("<i", 10)),
                                          w.attr("shape", T_SHAPE, w.shape([]))])
    x = _f32_placeholder(w, "x", None)
    y = w.node("If", "y", inputs=[(p, 0), (x, 0)],
               attrs=[w.attr("then_branch", T_STRING, w.s(branch)),
                      w.attr("else_branch", T_STRING, w.s("negate")),
                      w.attr("num_outputs", T_INT, struct.pack("<q", 1))])
    w.io(w.inputs, "p", p, 0, 10, [])
    w.io(w.inputs, "x", x, 0, 1, [-1, 2])
    w.io(w.outputs, "y", y, 0, 1, [-1, 2])
    return w.build(minor=2)


def test_hand_written_functions_load_and_run():
    model = if_model()
    x = np.array([[1.0, -2.0]], np.float32)
    np.testing.assert_array_equal(run_model(model, [np.bool_(True), x])[0], [[2.0, -4.0]])
    np.testing.assert_array_equal(run_model(model, [np.bool_(False), x])[0], [[-1.0, 2.0]])


def test_hostile_functions_sections_are_invalid_argument():
    def duplicate(w):
        body = []
        _f32_placeholder(w, "x", body)
        w.function("negate", [0], [(0, 0)], body)

    for model, message in [
            (if_model(then_args=(1,)), "not a Placeholder of its body"),
            (if_model(then_args=(7,)), "argument node 7 is not in its body"),
            (if_model(then_outputs=((1, 3),)), "an output is not a tensor of its body"),
            (if_model(then_outputs=((9, 0),)), "an output is not a tensor of its body"),
            (if_model(extra_function=duplicate), "already in the library"),
            (if_model(branch="missing"), "calls function 'missing', which is not defined"),
    ]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _core.load_model(model)
    w = Writer()
    add = add_one_model()
    for cut in (4, 12, 20):
        broken = add.build(minor=2, sections=[
            (STRINGS, bytes(add.strings) + b"f"), (NODES, struct.pack("<I", 0)),
            (TENSORS, struct.pack("<I", 0)), (INPUTS, struct.pack("<I", 0)),
            (OUTPUTS, struct.pack("<I", 0)),
            (FUNCTIONS, (struct.pack("<I", 1) + struct.pack("<II", len(add.strings), 1) +
                         struct.pack("<III", 0, 0, 0))[:cut]),
            (WEIGHTS, b"")])
        with pytest.raises(tf.errors.InvalidArgumentError, match="functions section"):
            _core.load_model(broken)
    del w


def control_flow_model():
    """(model, feed, expected) of a model with a loop, a cond inside it and a TensorArray."""
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    w = tf.Variable(np.linspace(-1, 1, 16, dtype=np.float32).reshape(4, 4), name="w")

    def body(i, h, ta):
        h = tf.cond(tf.equal(i % 2, 0), lambda: tf.tanh(tf.matmul(h, w)), lambda: h * 1.5)
        return i + 1, h, ta.write(i, tf.reduce_sum(h, 1))

    _, h, ta = tf.while_loop(lambda i, h, ta: i < 5, body,
                             [0, x, tf.TensorArray(tf.float32, size=5)])
    y = tf.identity(h, name="y")
    trace = tf.identity(ta.stack(), name="trace")
    squares = tf.map_fn(lambda r: r * r, x)
    feed = np.random.default_rng(7).standard_normal((3, 4)).astype(np.float32)
    with session() as sess:
        sess.run(tf.global_variables_initializer())
        expected = sess.run([y, trace, squares], {x: feed})
        model = tf.lite.TFLiteConverter.from_session(sess, [x], [y, trace, squares]).convert()
    return model, feed, expected


def test_control_flow_round_trip_is_bitwise_equal_to_session_run():
    model, feed, expected = control_flow_model()
    r = Reader(model)
    assert (r.major, r.minor) == (1, 2) and FUNCTIONS in r.sections
    assert_bitwise_equal(run_model(model, [feed]), expected)
    interpreter = tf.lite.Interpreter(model_content=model)
    interpreter.resize_tensor_input(0, feed.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(0, feed)
    interpreter.invoke()
    got = [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]
    assert_bitwise_equal(got, expected)
