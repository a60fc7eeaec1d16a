"""Inference, float32, against peers: a single-sample MLP and the batch-64 LeNet-style CNN.

    python benchmarks/bench_inference.py [mlp] [lenet] [--threads N]

MLP: 784-256-10, ReLU hidden layer, softmax output, batch 1 (microseconds per call). LeNet: the
model of benchmarks/bench_lenet.py (conv 5x5x32 SAME + ReLU + 2x2 max-pool, conv 5x5x64 SAME +
ReLU + 2x2 max-pool, dense 1024 + ReLU, dense 10) on 64 NHWC 28x28x1 images (milliseconds per
call). A call is what an application does per request: give the input, run, read the output
(TFLite's set_tensor, invoke, get_tensor).

Rows, all with the same weights and input, in one process:
  - tensorlib's Python Interpreter (tf.lite.Interpreter) on the model that
    tf.lite.TFLiteConverter.from_session makes of the graph;
  - tensorlib's C++ API, tl::Interpreter, on the same model file: benchmarks/cpp, built with
    CMake against the package (find_package(tensorlib) through tensorlib.get_cmake_dir()) into
    build/bench_cpp (again only when something changed), and run as a subprocess that times
    its calls when asked; left out, with CMake's message, where it cannot be built;
  - a tensorlib Session on the original graph (make_callable), and on the graph with a
    placeholder of unknown batch (`None`), as TF1 scripts write them;
  - LiteRT's Interpreter (ai-edge-litert; TensorFlow's tf.lite.Interpreter without it) on a
    .tflite model that TensorFlow's converter makes of the same model as a tf.function;
  - ONNX Runtime on the same model built with onnx.helper (NCHW convolutions);
  - PyTorch eager (torch.nn modules, torch.inference_mode);
  - TensorFlow 1 (tensorflow.compat.v1 Session, make_callable) on the same graph code.
Every implementation uses N threads (default 2). Peers that are not installed are left out,
with a note. Each output is checked against tensorlib's Session before anything is timed.
The rows are timed in turns, one sample of each per round, so that load from other processes
on a shared machine falls on all of them alike; each row's figure is its median sample.
"""
import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from _harness import optional_import, report
from bench_lenet import lenet, make_weights as lenet_weights

ROUNDS = 21  # samples per row
SAMPLE = 0.02  # seconds a sample lasts, about
PAUSE = 0.15  # seconds of rest before each sample (ONNX Runtime spins ~50 ms after a run)
WARMUP = 3  # calls before the samples, to measure a call's time
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CPP_SOURCE = os.path.join(ROOT, "benchmarks", "cpp")
CPP_BUILD = os.path.join(ROOT, "build", "bench_cpp")
INTERPRETER, CPP = "tensorlib Interpreter (Python)", "tensorlib C++ tl::Interpreter"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up logging, if loaded


class Skip(Exception):
    """A row that cannot run here: the message says why."""


# ---- the models: TF graph code shared by tensorlib, TensorFlow 1 and TensorFlow 2 ----

def mlp_weights(rng):
    def init(*shape):
        return (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32)

    return {"w1": init(784, 256), "b1": init(1, 256)[0], "w2": init(256, 10),
            "b2": init(1, 10)[0]}


def mlp(tf, x, w):
    h = tf.nn.relu(tf.matmul(x, w["w1"]) + w["b1"])
    return tf.nn.softmax(tf.matmul(h, w["w2"]) + w["b2"])


def nchw_dense(w):
    """The first dense layer's rows reordered from NHWC flattening (h, w, c) to NCHW's (c, h,
    w): the same product for NCHW frameworks, which flatten their feature maps that way."""
    return w["f1"].reshape(7, 7, 64, -1).transpose(2, 0, 1, 3).reshape(7 * 7 * 64, -1)


# ---- tensorlib ----

def tensorlib_session(tl, model, w, threads, shape=None):
    g = tl.Graph()
    with g.as_default():
        x = tl.placeholder(tl.float32, shape or model["shape"])
        y = model["build"](tl, x, w)
    config = tl.ConfigProto(intra_op_parallelism_threads=threads)
    return tl.Session(graph=g, config=config), x, y


def tflite_call(interpreter, x):
    """set_tensor, invoke, get_tensor: one call of a TFLite-style interpreter."""
    interpreter.allocate_tensors()
    src = interpreter.get_input_details()[0]["index"]
    dst = interpreter.get_output_details()[0]["index"]

    def call():
        interpreter.set_tensor(src, x)
        interpreter.invoke()
        return interpreter.get_tensor(dst)

    return call


def build_cpp():
    """The path of the benchmarks/cpp program, configured for the tensorlib imported here and
    built (again only when something changed)."""
    import tensorlib
    if shutil.which("cmake") is None:
        raise Skip("no `cmake` on PATH to build benchmarks/cpp")
    exe = os.path.join(CPP_BUILD, "bench_interpreter")
    for command in (["cmake", "-S", CPP_SOURCE, "-B", CPP_BUILD, "-DCMAKE_BUILD_TYPE=Release",
                     f"-Dtensorlib_DIR={tensorlib.get_cmake_dir()}"],
                    ["cmake", "--build", CPP_BUILD]):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise Skip(f"`{' '.join(command)}` failed:\n{done.stdout}{done.stderr}")
    return exe


@contextlib.contextmanager
def cpp_sampler(model_bytes, x, threads):
    """(output, sampler) of the C++ program running the model on `x`: sampler(number) has it
    make `number` calls and returns their seconds per call."""
    exe = build_cpp()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, f) for f in ("model.tlm", "input.bin", "output.bin")]
        with open(paths[0], "wb") as f:
            f.write(model_bytes)
        x.tofile(paths[1])
        with subprocess.Popen([exe, *paths, str(threads)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as proc:
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError(f"{exe} failed:\n{proc.stderr.read()}")

            def sampler(number):
                proc.stdin.write(f"{number}\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"{exe} failed:\n{proc.stderr.read()}")
                return float(line)

            yield np.fromfile(paths[2], np.float32), sampler
            proc.stdin.close()


# ---- peers ----

def tflite_model(tf, model, w):
    """The .tflite bytes that TensorFlow's converter makes of the model as a tf.function."""
    @tf.function(input_signature=[tf.TensorSpec(model["shape"], tf.float32)])
    def forward(x):
        return model["build"](tf, x, w)

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [forward.get_concrete_function()], forward)
    return converter.convert()


def litert_row(model, w, x, threads):
    tf = optional_import("tensorflow")
    if tf is None:
        raise Skip("TensorFlow is not installed (its converter makes the .tflite model)")
    litert = optional_import("ai_edge_litert.interpreter")
    name, make = ("LiteRT Interpreter", litert.Interpreter) if litert else (
        "TF Lite Interpreter (tensorflow)", tf.lite.Interpreter)
    interpreter = make(model_content=tflite_model(tf, model, w), num_threads=threads)
    return name, tflite_call(interpreter, x)


def onnx_graph(onnx, model, w):
    """The model as an ONNX graph: input "x" (NHWC like the others), output "y"."""
    from onnx import TensorProto, helper, numpy_helper

    node = helper.make_node
    if model["name"] == "mlp":
        weights = w
        nodes = [node("MatMul", ["x", "w1"], ["m1"]), node("Add", ["m1", "b1"], ["a1"]),
                 node("Relu", ["a1"], ["h1"]), node("MatMul", ["h1", "w2"], ["m2"]),
                 node("Add", ["m2", "b2"], ["a2"]), node("Softmax", ["a2"], ["y"], axis=-1)]
    else:
        weights = dict(w, c1=w["c1"].transpose(3, 2, 0, 1), c2=w["c2"].transpose(3, 2, 0, 1),
                       f1=nchw_dense(w))  # HWIO -> OIHW
        conv = {"kernel_shape": [5, 5], "pads": [2, 2, 2, 2]}
        pool = {"kernel_shape": [2, 2], "strides": [2, 2]}
        nodes = [node("Transpose", ["x"], ["xt"], perm=[0, 3, 1, 2]),
                 node("Conv", ["xt", "c1", "b1"], ["v1"], **conv), node("Relu", ["v1"], ["r1"]),
                 node("MaxPool", ["r1"], ["p1"], **pool),
                 node("Conv", ["p1", "c2", "b2"], ["v2"], **conv), node("Relu", ["v2"], ["r2"]),
                 node("MaxPool", ["r2"], ["p2"], **pool), node("Flatten", ["p2"], ["f"]),
                 node("MatMul", ["f", "f1"], ["m1"]), node("Add", ["m1", "g1"], ["a1"]),
                 node("Relu", ["a1"], ["h1"]), node("MatMul", ["h1", "f2"], ["m2"]),
                 node("Add", ["m2", "g2"], ["y"])]
    graph = helper.make_graph(
        nodes, model["name"],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(model["shape"]))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [model["shape"][0], 10])],
        [numpy_helper.from_array(np.ascontiguousarray(v), k) for k, v in weights.items()])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              ir_version=8)  # opset 17's, which every ONNX Runtime reads
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def onnxruntime_row(model, w, x, threads):
    onnx, ort = optional_import("onnx"), optional_import("onnxruntime")
    if onnx is None or ort is None:
        raise Skip("onnx and onnxruntime are not both installed")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_graph(onnx, model, w), options,
                                providers=["CPUExecutionProvider"])
    return "ONNX Runtime", lambda: sess.run(None, {"x": x})[0]


def torch_row(model, w, x, threads):
    torch = optional_import("torch")
    if torch is None:
        raise Skip("PyTorch is not installed")
    from torch import nn

    torch.set_num_threads(threads)
    if model["name"] == "mlp":
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10), nn.Softmax(-1))
        params = [w["w1"].T, w["b1"], w["w2"].T, w["b2"]]
        to_input = torch.from_numpy
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(),
                            nn.Linear(1024, 10))
        params = [w["c1"].transpose(3, 2, 0, 1), w["b1"], w["c2"].transpose(3, 2, 0, 1),
                  w["b2"], nchw_dense(w).T, w["g1"], w["f2"].T, w["g2"]]

        def to_input(images):  # NHWC -> NCHW (a copy: a permuted view runs channels-last)
            return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        for p, v in zip(net.parameters(), params, strict=True):
            p.copy_(torch.from_numpy(np.ascontiguousarray(v)))
    net.eval()

    def call():
        with torch.inference_mode():
            return net(to_input(x)).numpy()

    return "PyTorch eager", call


def tf1_row(model, w, x, threads):
    tf = optional_import("tensorflow")
    if tf is None:
        raise Skip("TensorFlow is not installed")
    tf = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        xp = tf.placeholder(tf.float32, model["shape"])
        y = model["build"](tf, xp, w)
    config = tf.ConfigProto(intra_op_parallelism_threads=threads,
                            inter_op_parallelism_threads=threads)
    run = tf.Session(graph=g, config=config).make_callable(y, [xp])
    return "TensorFlow 1 Session", lambda: run(x)


PEERS = [("LiteRT", litert_row), ("ONNX Runtime", onnxruntime_row), ("PyTorch", torch_row),
         ("TensorFlow 1", tf1_row)]


# ---- the benchmark ----

def check(name, got, want):
    np.testing.assert_allclose(
        np.reshape(got, want.shape), want, rtol=1e-4, atol=1e-4,
        err_msg=f"{name}'s output differs from tensorlib Session's: the rows would not "
                "compute the same model")


def timer(call):
    """A sampler of `call`: sampler(number) returns the seconds per call of `number` calls."""
    def sampler(number):
        start = time.perf_counter()
        for _ in range(number):
            call()
        return (time.perf_counter() - start) / number
    return sampler


def interleaved_medians(samplers):
    """[(name, median seconds per call)] of [(name, sampler)], the samples taken in turns (one
    of each row per round), so that load from other processes falls on every row alike. Each
    sample makes enough calls to last about SAMPLE seconds (as measured by warm-up calls). Before
    each, a pause lets the previous library's idle threads stop spinning, then as many untimed
    calls wake this library's threads: the samples time calls that follow each other."""
    numbers = {}
    for name, sampler in samplers:
        time.sleep(PAUSE)
        per_call = min(sampler(1) for _ in range(WARMUP))
        numbers[name] = max(1, round(SAMPLE / per_call))
    samples = {name: [] for name, _ in samplers}
    for _ in range(ROUNDS):
        for name, sampler in samplers:
            time.sleep(PAUSE)
            sampler(numbers[name])
            samples[name].append(sampler(numbers[name]))
    return [(name, statistics.median(samples[name])) for name, _ in samplers]


def bench(model, threads):
    import tensorlib as tl

    rng = np.random.default_rng(0)
    w = model["weights"](rng)
    x = rng.random(model["shape"], dtype=np.float32)
    rows, notes = [], []  # rows: (name, output, sampler)

    sess, xp, y = tensorlib_session(tl, model, w, threads)
    session_call = sess.make_callable(y, [xp])
    want = session_call(x)
    model_bytes = tl.lite.TFLiteConverter.from_session(sess, [xp], [y]).convert()
    interpreter_call = tflite_call(
        tl.lite.Interpreter(model_content=model_bytes, num_threads=threads), x)
    rows.append((INTERPRETER, interpreter_call(), timer(interpreter_call)))
    with contextlib.ExitStack() as stack:
        try:
            rows.append((CPP, *stack.enter_context(
                cpp_sampler(model_bytes, x, threads))))
        except Skip as e:
            notes.append(f"{CPP} left out: {e}")
        rows.append(("tensorlib Session (make_callable)", want,
                     timer(lambda: session_call(x))))
        # The graph as most TF1 scripts write it: a placeholder of unknown batch.
        open_sess, open_x, open_y = tensorlib_session(tl, model, w, threads,
                                                      (None, *model["shape"][1:]))
        open_call = open_sess.make_callable(open_y, [open_x])
        rows.append(("tensorlib Session, `None` batch", open_call(x),
                     timer(lambda: open_call(x))))
        for peer, make_row in PEERS:
            try:
                name, call = make_row(model, w, x, threads)
            except Skip as e:
                notes.append(f"{peer} left out: {e}")
                continue
            rows.append((name, call(), timer(call)))
        for name, output, _ in rows:
            check(name, output, want)
        times = interleaved_medians([(name, sampler) for name, _, sampler in rows])

    report(f"{model['title']}, float32, {threads} thread{'s' * (threads > 1)}, per call (set "
           "input, run, read output)", times, unit=model["unit"], reference=INTERPRETER)
    times = dict(times)
    if CPP in times:
        print(f"  Python Interpreter / C++ API: {times[INTERPRETER] / times[CPP]:.2f}x")
    for note in notes:
        print(f"  ({note})")


MODELS = {
    "mlp": {"name": "mlp", "title": "MLP 784-256-10 inference, batch 1", "build": mlp,
            "weights": mlp_weights, "shape": (1, 784), "unit": "us"},
    "lenet": {"name": "lenet", "title": "LeNet inference, batch 64", "build": lenet,
              "weights": lenet_weights, "shape": (64, 28, 28, 1), "unit": "ms"},
}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", metavar="{mlp,lenet}",
                        help="the models to run (default: both)")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for every implementation (default 2)")
    args = parser.parse_args(argv)
    unknown = set(args.models) - set(MODELS)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}: choose from {list(MODELS)}")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    for name in args.models or list(MODELS):
        bench(MODELS[name], args.threads)


if __name__ == "__main__":
    main(sys.argv[1:])
