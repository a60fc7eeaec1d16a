"""The runtime: tf.lite.Interpreter (TFLite's Python API), the C++ tl::Interpreter
(tests_cpp/test_interpreter.cc) and tensorlib/examples/cpp, all bitwise equal to
Session.run."""
import pathlib
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import tensorlib as tf
from cpp_build import cmake_build, compile_cpp, needs_cmake, needs_compiler

ROOT = pathlib.Path(__file__).resolve().parent.parent
THREADS = 2
TFLITE_KEYS = {"name", "index", "shape", "shape_signature", "dtype", "quantization",
               "quantization_parameters", "sparsity_parameters"}


def session():
    return tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=THREADS))


def export(build, *inputs):
    """Builds a graph with `build()` -> (inputs, outputs), initialises its variables, and
    returns (model bytes, a function running the session on feeds -> list of outputs)."""
    graph = tf.Graph()
    with graph.as_default():
        ins, outs = build()
        sess = session()
        sess.run(tf.global_variables_initializer())
    model = tf.lite.TFLiteConverter.from_session(sess, ins, outs).convert()

    def run(*feeds):
        return sess.run(outs, dict(zip(ins, feeds)))
    return model, run


def mlp(d=784, hidden=256, k=10, seed=0):
    rng = np.random.default_rng(seed)

    def build():
        x = tf.placeholder(tf.float32, [None, d], name="x")
        init = tf.random_normal_initializer(stddev=0.05, seed=seed)
        h = tf.layers.dense(x, hidden, activation=tf.nn.relu, kernel_initializer=init,
                            bias_initializer=tf.constant_initializer(0.1))
        y = tf.nn.softmax(tf.layers.dense(h, k, kernel_initializer=init), name="probs")
        return [x], [y]
    model, run = export(build)
    return model, run, rng


def recurrent():
    """A small recurrent model: a while_loop over the rows of a sequence, a cond inside it,
    a TensorArray of the states and a map_fn."""
    def build():
        xs = tf.placeholder(tf.float32, [None, None, 3], name="sequence")
        w = tf.Variable(np.linspace(-0.5, 0.5, 9, dtype=np.float32).reshape(3, 3))

        def body(t, h, states):
            h = tf.tanh(tf.matmul(h, w) + xs[t])
            h = tf.cond(tf.equal(t % 3, 2), lambda: h * 0.5, lambda: h)
            return t + 1, h, states.write(t, h)

        steps = tf.shape(xs)[0]
        _, h, states = tf.while_loop(lambda t, h, s: t < steps, body,
                                     [0, tf.zeros_like(xs[0]), tf.TensorArray(tf.float32,
                                                                              size=steps)])
        norms = tf.map_fn(lambda s: tf.reduce_sum(s * s, 1), states.stack())
        return [xs], [tf.identity(h, name="last"), tf.identity(norms, name="norms")]
    return export(build)


def lenet():
    def build():
        x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="images")
        init = tf.random_normal_initializer(stddev=0.1, seed=1)
        h = tf.layers.conv2d(x, 6, 5, activation=tf.nn.relu, kernel_initializer=init)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.conv2d(h, 16, 5, activation=tf.nn.relu, kernel_initializer=init)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.reshape(h, [-1, 4 * 4 * 16])
        h = tf.layers.dense(h, 120, activation=tf.nn.relu, kernel_initializer=init)
        logits = tf.layers.dense(h, 10, kernel_initializer=init)
        return [x], [tf.nn.softmax(logits, name="probs"), tf.argmax(logits, 1, name="label")]
    return export(build)


def interpret(model, threads=THREADS):
    it = tf.lite.Interpreter(model_content=model, num_threads=threads)
    it.allocate_tensors()
    return it


def run_interpreter(it, *feeds):
    """Resizes the inputs to `feeds`, runs, and returns every output."""
    for d, value in zip(it.get_input_details(), feeds):
        if list(d["shape"]) != list(value.shape):
            it.resize_tensor_input(d["index"], value.shape)
    it.allocate_tensors()
    for d, value in zip(it.get_input_details(), feeds):
        it.set_tensor(d["index"], value)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def assert_bitwise_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype and a.shape == e.shape
        assert a.tobytes() == e.tobytes()


# ---- TFLite's API ------------------------------------------------------------------------------

def test_details_have_tflite_keys_and_shapes():
    model, _, _ = mlp()
    it = tf.lite.Interpreter(model_content=model)
    (inp,), (out,) = it.get_input_details(), it.get_output_details()
    assert set(inp) == TFLITE_KEYS and set(out) == TFLITE_KEYS
    assert inp["name"] == "x" and inp["index"] == 0 and out["name"] == "probs"
    assert out["index"] == 1
    assert inp["dtype"] is np.float32 and out["dtype"] is np.float32
    assert inp["shape"].dtype == np.int32 and inp["shape_signature"].dtype == np.int32
    assert inp["shape"].tolist() == [1, 784] and inp["shape_signature"].tolist() == [-1, 784]
    assert out["shape_signature"].tolist() == [-1, 10]
    assert inp["quantization"] == (0.0, 0)
    assert [d["index"] for d in it.get_tensor_details()] == [0, 1]
    it.allocate_tensors()
    assert it.get_output_details()[0]["shape"].tolist() == [1, 10]
    it.resize_tensor_input(0, [7, 784])
    it.allocate_tensors()
    assert it.get_input_details()[0]["shape"].tolist() == [7, 784]
    assert it.get_output_details()[0]["shape"].tolist() == [7, 10]


# The session runs on THREADS threads; these products split only over rows and columns, so
# one thread gives the same bits too.
@pytest.mark.parametrize("threads", [THREADS, 1])
def test_mlp_is_bitwise_equal_to_session_run_at_any_batch(threads):
    model, run, rng = mlp()
    it = interpret(model, threads)
    for batch in (1, 3, 64, 1):
        xv = rng.random((batch, 784), dtype=np.float32)
        assert_bitwise_equal(run_interpreter(it, xv), run(xv))


def test_cnn_with_two_outputs_is_bitwise_equal_to_session_run():
    model, run = lenet()
    it = interpret(model)
    rng = np.random.default_rng(2)
    for batch in (1, 16):
        images = rng.random((batch, 28, 28, 1), dtype=np.float32)
        got = run_interpreter(it, images)
        assert_bitwise_equal(got, run(images))
        assert got[1].dtype == np.int64


@pytest.mark.parametrize("map_model_file", [False, True])
def test_model_path_read_or_mapped(tmp_path, map_model_file):
    model, run, rng = mlp(d=12, hidden=8, k=3)
    path = tmp_path / "mlp.tlm"
    path.write_bytes(model)
    xv = rng.random((1, 12), dtype=np.float32)
    for given in (str(path), path):
        it = tf.lite.Interpreter(model_path=given, map_model_file=map_model_file)
        assert_bitwise_equal(run_interpreter(it, xv), run(xv))


def run_child(script, *args):
    """Runs `script` in a Python child process (a crash there cannot take the tests down) and
    returns its standard output; fails with its output when it does not exit with 0."""
    # NOTE: run outside the source tree, so that the child imports the installed package.
    child = subprocess.run([sys.executable, "-c", script, *map(str, args)], cwd="/",
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, (f"exit status {child.returncode} (a negative one is the "
                                   f"signal)\n{child.stdout}\n{child.stderr}")
    return child.stdout


CHANGE_THE_FILE_AFTER_LOADING = """
import os, sys
import numpy as np
import tensorlib as tf
path, other, change, mapped = sys.argv[1:]
it = tf.lite.Interpreter(model_path=path, map_model_file=mapped == "True")
it.allocate_tensors()
x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(1, 12)

def run():
    it.set_tensor(0, x)
    it.invoke()
    return it.get_tensor(1)

before = run()
new = open(other, "rb").read()
if change == "truncate":    # what open(path, "wb") does first when exporting to the same path
    open(path, "wb").close()
elif change == "rewrite":   # other weights written over the file in place
    with open(path, "r+b") as f:
        f.write(new)
        f.truncate()
else:                       # "replace": a new file renamed over it
    with open(path + ".tmp", "wb") as f:
        f.write(new)
    os.replace(path + ".tmp", path)
print(run().tobytes() == before.tobytes())
"""


@pytest.mark.parametrize("change, map_model_file", [
    ("truncate", False), ("rewrite", False), ("replace", False), ("replace", True)])
def test_loaded_model_does_not_change_with_its_file(tmp_path, change, map_model_file):
    # Read into memory (the default), the model survives whatever happens to its file; mapped,
    # it survives what an export should do, a new file renamed over the old one.
    model, run, _ = mlp(d=12, hidden=8, k=3, seed=0)
    other, run_other, _ = mlp(d=12, hidden=8, k=3, seed=1)
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(1, 12)
    assert run(x)[0].tobytes() != run_other(x)[0].tobytes()
    path, other_path = tmp_path / "model.tlm", tmp_path / "other.tlm"
    path.write_bytes(model)
    other_path.write_bytes(other)
    out = run_child(CHANGE_THE_FILE_AFTER_LOADING, path, other_path, change, map_model_file)
    assert out.split() == ["True"]
    # The file did change: a new Interpreter sees the other model (or none, when truncated).
    if change == "truncate":
        with pytest.raises(tf.errors.DataLossError):
            tf.lite.Interpreter(model_path=path)
    else:
        assert_bitwise_equal(run_interpreter(tf.lite.Interpreter(model_path=path), x),
                             run_other(x))


def test_several_inputs_found_by_name():
    def build():
        a = tf.placeholder(tf.float64, [None, 3], name="a")
        b = tf.placeholder(tf.int32, [], name="b")
        return [a, b], [a * tf.cast(b, tf.float64) + 1.0, tf.reduce_sum(a, axis=1)]
    model, run = export(build)
    it = interpret(model)
    names = {d["name"]: d for d in it.get_input_details()}
    assert names["a"]["dtype"] is np.float64 and names["b"]["dtype"] is np.int32
    assert names["b"]["shape"].tolist() == [] and names["b"]["shape_signature"].tolist() == []
    av = np.arange(6, dtype=np.float64).reshape(2, 3)
    bv = np.array(3, np.int32)
    assert_bitwise_equal(run_interpreter(it, av, bv), run(av, bv))


def test_tensor_views_read_and_write_in_place():
    model, run, rng = mlp(d=12, hidden=8, k=3)
    it = interpret(model)
    xv = rng.random((1, 12), dtype=np.float32)
    view = it.tensor(0)
    view()[...] = xv  # the input written in place, no set_tensor
    it.invoke()
    out = it.tensor(1)()
    assert_bitwise_equal([out], run(xv))
    assert not out.flags.writeable
    with pytest.raises(ValueError):
        out[0, 0] = 1
    it.set_tensor(0, xv * 2)  # a new run gives new output buffers: the old view stays valid
    it.invoke()
    assert_bitwise_equal([out], run(xv))
    assert_bitwise_equal([it.tensor(1)()], run(xv * 2))
    np.testing.assert_array_equal(it.get_tensor(0), xv * 2)


def test_get_tensor_returns_a_copy():
    model, _, rng = mlp(d=12, hidden=8, k=3)
    it = interpret(model)
    it.set_tensor(0, rng.random((1, 12), dtype=np.float32))
    it.invoke()
    got = it.get_tensor(1)
    expected = got.copy()
    got[...] = 0
    np.testing.assert_array_equal(it.get_tensor(1), expected)


def test_set_tensor_accepts_non_contiguous_arrays_of_the_right_dtype():
    model, run, rng = mlp(d=12, hidden=8, k=3)
    it = interpret(model)
    wide = rng.random((1, 24), dtype=np.float32)
    it.set_tensor(0, wide[:, ::2])
    it.invoke()
    assert_bitwise_equal([it.get_tensor(1)], run(np.ascontiguousarray(wide[:, ::2])))


def test_bad_arguments_raise_value_error():
    model, _, _ = mlp(d=12, hidden=8, k=3)
    it = tf.lite.Interpreter(model_content=model)
    with pytest.raises(RuntimeError, match="allocate_tensors"):
        it.invoke()
    with pytest.raises(RuntimeError, match="allocate_tensors"):
        it.set_tensor(0, np.zeros((1, 12), np.float32))
    it.allocate_tensors()
    with pytest.raises(ValueError, match="dtype float64"):
        it.set_tensor(0, np.zeros((1, 12)))
    with pytest.raises(ValueError, match=r"shape \(2, 12\)"):
        it.set_tensor(0, np.zeros((2, 12), np.float32))
    with pytest.raises(ValueError, match="only inputs"):
        it.set_tensor(1, np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="index 5 does not exist"):
        it.get_tensor(5)
    with pytest.raises(ValueError, match="index -1 does not exist"):
        it.tensor(-1)
    with pytest.raises(ValueError, match="no value yet"):
        it.get_tensor(1)
    with pytest.raises(ValueError, match="strict resize changes only its -1 dims"):
        it.resize_tensor_input(0, [2, 13], strict=True)
    with pytest.raises(ValueError, match="1-D list of ints"):
        it.resize_tensor_input(0, [[2, 12]])
    with pytest.raises(ValueError, match=">= 0"):
        it.resize_tensor_input(0, [-1, 12])
    it.resize_tensor_input(0, [4, 12])
    with pytest.raises(RuntimeError, match="allocate_tensors"):
        it.invoke()
    it.allocate_tensors()
    it.set_tensor(0, np.zeros((4, 12), np.float32))
    it.invoke()


def test_constructor_errors():
    model, _, _ = mlp(d=12, hidden=8, k=3)
    with pytest.raises(ValueError, match="both"):
        tf.lite.Interpreter(model_path="m.tlm", model_content=model)
    with pytest.raises(ValueError, match="without a model"):
        tf.lite.Interpreter()
    with pytest.raises(ValueError, match="num_threads"):
        tf.lite.Interpreter(model_content=model, num_threads=0)
    with pytest.raises(ValueError, match="delegates"):
        tf.lite.Interpreter(model_content=model, experimental_delegates=[object()])
    with pytest.raises(tf.errors.NotFoundError):
        tf.lite.Interpreter(model_path="/nonexistent/model.tlm")
    with pytest.raises(tf.errors.DataLossError):
        tf.lite.Interpreter(model_content=model[: len(model) // 2])
    damaged = bytearray(model)
    damaged[len(damaged) // 2] ^= 0xFF
    with pytest.raises(tf.errors.DataLossError):
        tf.lite.Interpreter(model_content=bytes(damaged))
    assert tf.lite.Interpreter(model_content=model, num_threads=-1).get_input_details()


def test_run_time_errors_are_op_errors_and_runtime_errors():
    def build():
        idx = tf.placeholder(tf.int32, [None], name="idx")
        return [idx], [tf.gather(tf.constant([1.0, 2.0, 3.0]), idx)]
    model, run = export(build)
    it = tf.lite.Interpreter(model_content=model)
    it.resize_tensor_input(0, [2])
    it.allocate_tensors()
    it.set_tensor(0, np.array([0, 7], np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        it.invoke()
    assert isinstance(info.value, RuntimeError)
    it.set_tensor(0, np.array([2, 0], np.int32))
    it.invoke()
    np.testing.assert_array_equal(it.get_tensor(1), [3.0, 1.0])


def test_string_inputs_and_outputs():
    def build():
        s = tf.placeholder(tf.string, [None], name="s")
        return [s], [tf.identity(s, name="same")]
    model, _ = export(build)
    it = tf.lite.Interpreter(model_content=model)
    it.resize_tensor_input(0, [2])
    it.allocate_tensors()
    it.set_tensor(0, np.array([b"ab", "c"], dtype=object))
    it.invoke()
    assert it.get_tensor(1).tolist() == [b"ab", b"c"]
    with pytest.raises(ValueError, match="strings"):
        it.tensor(1)()


def slow_model():
    """A model whose invoke takes tens of milliseconds on one thread for a [384, 384] input."""
    def build():
        x = tf.placeholder(tf.float32, [None, 384], name="x")
        w = tf.constant(np.random.default_rng(0).random((384, 384), dtype=np.float32) / 384)
        y = x
        for _ in range(24):
            y = tf.matmul(y, w)
        return [x], [y]
    return export(build)[0]


def slow_interpreter():
    """An interpreter of slow_model() on one thread, allocated for a [384, 384] input."""
    it = tf.lite.Interpreter(model_content=slow_model(), num_threads=1)
    it.resize_tensor_input(0, [384, 384])
    it.allocate_tensors()
    return it


def test_invoke_releases_the_gil():
    it = slow_interpreter()
    started = threading.Event()
    times = {}

    def work():
        times["start"] = time.perf_counter()
        started.set()
        it.invoke()  # tens of ms of matrix products
        times["end"] = time.perf_counter()
    worker = threading.Thread(target=work)
    worker.start()
    started.wait()
    # Holding the GIL, invoke would keep this thread from running until it returned.
    woke = time.perf_counter()
    worker.join()
    assert woke < times["start"] + (times["end"] - times["start"]) / 2


def test_interpreters_in_threads_agree_with_session_run():
    model, run, rng = mlp(d=64, hidden=32, k=4)
    rows = rng.random((8, 64), dtype=np.float32)
    expected = [run(rows[i:i + 1])[0] for i in range(len(rows))]
    failures = []

    def work(t):
        it = interpret(model, 1 + t % 2)
        for r in range(40):
            i = (t + r) % len(rows)
            it.set_tensor(0, rows[i:i + 1])
            it.invoke()
            if it.get_tensor(1).tobytes() != expected[i].tobytes():
                failures.append((t, r))
    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


# ---- C++ ---------------------------------------------------------------------------------------

@needs_compiler
def test_cpp_interpreter(tmp_path):
    """tests_cpp/test_interpreter.cc: details, batches, zero-copy inputs, errors, threads."""
    exe = tmp_path / "test_interpreter"
    build = compile_cpp(ROOT / "tests_cpp" / "test_interpreter.cc", exe, "-O1", "-pthread")
    model, run, rng = mlp(d=40, hidden=24, k=5)
    (tmp_path / "mlp.tlm").write_bytes(model)
    rows = rng.random((6, 40), dtype=np.float32)
    rows.tofile(tmp_path / "input.bin")
    run(rows)[0].tofile(tmp_path / "batch.bin")
    np.concatenate([run(rows[i:i + 1])[0] for i in range(6)]).tofile(tmp_path / "rows.bin")
    assert build.wait() == 0, build.stdout.read()
    out = subprocess.run([str(exe)] + [str(tmp_path / f) for f in
                                       ("mlp.tlm", "input.bin", "batch.bin", "rows.bin")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all checks passed" in out.stdout


@needs_cmake
def test_cpp_example_matches_python_bitwise(tmp_path):
    """tensorlib/examples/cpp (shipped in the package) built with CMake against the package
    runs a model exported here."""
    cmake_build(ROOT / "tensorlib" / "examples" / "cpp", tmp_path / "build")
    model, run = lenet()
    (tmp_path / "lenet.tlm").write_bytes(model)
    images = np.random.default_rng(3).random((5, 28, 28, 1), dtype=np.float32)
    np.save(tmp_path / "images.npy", images)
    outputs = [tmp_path / "probs.npy", tmp_path / "label.npy"]
    out = subprocess.run([str(tmp_path / "build" / "run_model"), str(tmp_path / "lenet.tlm"),
                          str(tmp_path / "images.npy"), "-o", *map(str, outputs),
                          "--threads", str(THREADS)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "'images' float32 [?,28,28,1]" in out.stdout
    expected = run(images)
    assert_bitwise_equal([np.load(p) for p in outputs], expected)
    assert_bitwise_equal(run_interpreter(interpret(model), images), expected)
    bad = subprocess.run([str(tmp_path / "build" / "run_model"), str(tmp_path / "lenet.tlm"),
                          str(tmp_path / "probs.npy")], capture_output=True, text=True)
    assert bad.returncode == 1 and "InvalidArgument" in bad.stderr
    # Control flow (While, If, TensorArray) runs from C++ with Session.run's bits.
    model, run = recurrent()
    (tmp_path / "recurrent.tlm").write_bytes(model)
    sequence = np.random.default_rng(4).standard_normal((7, 2, 3)).astype(np.float32)
    np.save(tmp_path / "sequence.npy", sequence)
    outputs = [tmp_path / "last.npy", tmp_path / "norms.npy"]
    out = subprocess.run([str(tmp_path / "build" / "run_model"), str(tmp_path / "recurrent.tlm"),
                          str(tmp_path / "sequence.npy"), "-o", *map(str, outputs)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    expected = run(sequence)
    assert_bitwise_equal([np.load(p) for p in outputs], expected)
    assert_bitwise_equal(run_interpreter(interpret(model), sequence), expected)


def test_signature_runner_takes_inputs_by_name_at_any_batch():
    model, run, rng = mlp(d=12, hidden=8, k=3)
    it = tf.lite.Interpreter(model_content=model)
    assert it.get_signature_list() == {"serving_default": {"inputs": ["x"],
                                                           "outputs": ["probs"]}}
    runner = it.get_signature_runner()
    assert set(runner.get_input_details()) == {"x"}
    for batch in (5, 1):
        xv = rng.random((batch, 12), dtype=np.float32)
        got = runner(x=xv)
        assert set(got) == {"probs"}
        assert_bitwise_equal([got["probs"]], run(xv))
    with pytest.raises(ValueError, match="expected the inputs"):
        runner(y=xv)
    with pytest.raises(ValueError, match="signature_key"):
        it.get_signature_runner("train")


def test_calls_during_another_threads_invoke_raise_instead_of_racing():
    it = slow_interpreter()
    started = threading.Event()
    worker = threading.Thread(target=lambda: (started.set(), it.invoke()))
    worker.start()
    started.wait()
    raised = []
    for call in (it.invoke, it.allocate_tensors, lambda: it.get_tensor(1),
                 lambda: it.set_tensor(0, np.zeros((384, 384), np.float32)),
                 lambda: it.resize_tensor_input(0, [2, 384])):
        try:
            call()
        except RuntimeError as e:
            raised.append("another thread" in str(e))
    worker.join()
    # The calls made while invoke ran (tens of ms: at least the first) raised; afterwards the
    # interpreter works as before.
    assert raised and all(raised)
    it.set_tensor(0, np.ones((384, 384), np.float32))
    it.invoke()
    assert it.get_tensor(1).shape == (384, 384)


REINITIALISE_DURING_INVOKE = """
import sys, threading
import numpy as np
import tensorlib as tf
model = open(sys.argv[1], "rb").read()
it = tf.lite.Interpreter(model_content=model, num_threads=1)
it.resize_tensor_input(0, [384, 384])
it.allocate_tensors()
x = np.ones((384, 384), np.float32)
it.set_tensor(0, x)
it.invoke()
expected = it.get_tensor(1)
done = threading.Event()
results = []

def invoke_repeatedly():
    for _ in range(20):
        it.invoke()
        results.append(it.get_tensor(1).tobytes() == expected.tobytes())
    done.set()

worker = threading.Thread(target=invoke_repeatedly)
worker.start()
refused = 0
while not done.is_set():
    try:
        it.__init__(model_content=model)
    except RuntimeError as e:
        # Either message: invoke may be running or between two runs.
        refused += "already initialised" in str(e)
worker.join()
print(refused > 0, all(results) and len(results) == 20)
"""


def test_init_again_is_refused_while_another_thread_invokes(tmp_path):
    model = slow_model()
    path = tmp_path / "slow.tlm"
    path.write_bytes(model)
    assert run_child(REINITIALISE_DURING_INVOKE, path).split() == ["True", "True"]
    idle = tf.lite.Interpreter(model_content=model)
    with pytest.raises(RuntimeError, match="already initialised"):
        idle.__init__(model_content=model)
    assert idle.get_input_details()[0]["name"] == "x"


def dense_with_fixed_batch(reshape):
    """A dense layer converted with input shape [1, 4] (no open dims) and its weights; with
    `reshape`, a second output reshapes the input to [2, 2], which no other batch fits."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)

    def build():
        x = tf.placeholder(tf.float32, [1, 4], name="x")
        y = tf.nn.relu(tf.matmul(x, tf.Variable(w)) + tf.Variable(b), name="y")
        return [x], [y] + ([tf.reshape(x, [2, 2], name="square")] if reshape else [])
    model, _ = export(build)
    return model, w, b


def test_resize_changes_a_dim_the_signature_fixes_as_tflite_does():
    model, w, b = dense_with_fixed_batch(reshape=True)
    it = tf.lite.Interpreter(model_content=model)
    (inp,) = it.get_input_details()
    assert inp["shape_signature"].tolist() == [1, 4]
    with pytest.raises(ValueError, match=r"signature \[1,4\]: a strict resize"):
        it.resize_tensor_input(0, [16, 4], strict=True)
    it.resize_tensor_input(0, [16, 4])
    # Everything downstream of the input is inferred again: the reshape to a fixed [2, 2]
    # cannot take 16 rows, and the error names it.
    with pytest.raises(tf.errors.InvalidArgumentError, match="at node 'square'") as info:
        it.allocate_tensors()
    assert isinstance(info.value, RuntimeError)

    model, w, b = dense_with_fixed_batch(reshape=False)
    it = tf.lite.Interpreter(model_content=model)
    it.resize_tensor_input(0, [16, 4])
    it.allocate_tensors()
    assert it.get_input_details()[0]["shape"].tolist() == [16, 4]
    assert it.get_input_details()[0]["shape_signature"].tolist() == [1, 4]
    assert it.get_output_details()[0]["shape"].tolist() == [16, 3]
    xv = np.random.default_rng(4).standard_normal((16, 4)).astype(np.float32)
    it.set_tensor(0, xv)
    it.invoke()
    np.testing.assert_allclose(it.get_tensor(1), np.maximum(xv @ w + b, 0), rtol=1e-6,
                               atol=1e-6)
    it.resize_tensor_input(0, [1, 4], strict=True)  # back to the signature
    it.allocate_tensors()
    it.set_tensor(0, xv[:1])
    it.invoke()
    np.testing.assert_allclose(it.get_tensor(1), np.maximum(xv[:1] @ w + b, 0), rtol=1e-6,
                               atol=1e-6)


def test_strict_resize_changes_open_dims():
    model, run, rng = mlp(d=12, hidden=8, k=3)
    it = tf.lite.Interpreter(model_content=model)
    it.resize_tensor_input(0, [5, 12], strict=True)
    xv = rng.random((5, 12), dtype=np.float32)
    assert_bitwise_equal(run_interpreter(it, xv), run(xv))


def test_details_hold_dims_beyond_int32():
    big = 3 * 2**31

    def build():
        x = tf.placeholder(tf.float32, [None, big], name="x")
        return [x], [tf.reduce_sum(x, axis=1, name="total")]
    model, _ = export(build)
    it = tf.lite.Interpreter(model_content=model)
    (inp,), (out,) = it.get_input_details(), it.get_output_details()
    assert inp["shape_signature"].tolist() == [-1, big]
    assert inp["shape"].tolist() == [1, big]
    assert inp["shape"].dtype == np.int64
    # Shapes that fit keep TFLite's int32.
    assert out["shape_signature"].tolist() == [-1] and out["shape_signature"].dtype == np.int32
