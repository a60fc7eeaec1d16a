"""Op libraries: examples/custom_op built with CMake against the package, loaded with
tf.load_op_library, run from Python, differentiated by a Python rule, exported in a model file
and run by the C++ runtime; and the errors of loading libraries that are not what they should
be, or models without the library of their custom op."""
import importlib.util
import inspect
import os
import pathlib
import struct
import subprocess
import sys

import numpy as np
import pytest

import tensorlib as tf
from cpp_build import cmake_build, compile_cpp, needs_cmake
from op_testing import check_gradient
from tensorlib import _core
from tensorlib.framework import load_library

pytestmark = needs_cmake

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "custom_op"

# Ops of op libraries are not tensorlib's: they need no table line (see test_registry.py).
OPS = []

# Small libraries for the loader's checks, one per macro (the default one loads fine).
TEST_LIBRARY = r"""
#include "tensorlib/op_library.h"

namespace {

// Inputs of one dtype and one (known) shape: the output's.
tl::Status same_shape(tl::InferenceContext& ctx) {
  if (ctx.num_inputs() == 0) return tl::invalid_argument("needs an input");
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (ctx.input_dtype(i) != ctx.input_dtype(0) || ctx.input_shape(i) != ctx.input_shape(0)) {
      return tl::invalid_argument("inputs differ");
    }
  }
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  return tl::Status::OK();
}

tl::Status unimplemented(tl::KernelContext&) { return tl::unimplemented("not for running"); }

tl::OpDef op(const char* name) { return tl::OpDef(name).input("x").shape(same_shape); }

tl::KernelDef kernel(const char* name) {
  return tl::KernelDef(name, tl::Device::kCPU).compute(unimplemented);
}

bool is_float(tl::DType t) { return t == tl::DType::kFloat32 || t == tl::DType::kFloat64; }

tl::Status scale_shape(tl::InferenceContext& ctx) {
  const tl::DType out = ctx.attrs().get<tl::DType>("DstT");
  if (!is_float(ctx.input_dtype(0)) || !is_float(out)) return tl::type_error("floats only");
  ctx.set_output(0, out, ctx.input_shape(0));
  return tl::Status::OK();
}

template <typename In, typename Out>
void scale(tl::KernelContext& ctx) {
  const In* x = ctx.input(0).data<In>();
  Out* y = ctx.output(0).data<Out>();
  const double s = ctx.attrs().get<double>("scale");
  for (int64_t i = 0; i < ctx.input(0).num_elements(); ++i) y[i] = static_cast<Out>(x[i] * s);
}

// y = cast(x, DstT) * scale, for float32 and float64.
tl::Status scale_cpu(tl::KernelContext& ctx) {
  const bool in32 = ctx.input(0).dtype() == tl::DType::kFloat32;
  const bool out32 = ctx.output(0).dtype() == tl::DType::kFloat32;
  if (in32 && out32) scale<float, float>(ctx);
  if (in32 && !out32) scale<float, double>(ctx);
  if (!in32 && out32) scale<double, float>(ctx);
  if (!in32 && !out32) scale<double, double>(ctx);
  return tl::Status::OK();
}

tl::Status sum_shape(tl::InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(same_shape(ctx));
  if (ctx.input_dtype(0) != tl::DType::kFloat64) return tl::type_error("float64 only");
  return tl::Status::OK();
}

// The sum of float64 tensors of one shape.
tl::Status sum_cpu(tl::KernelContext& ctx) {
  double* y = ctx.output(0).data<double>();
  for (int64_t i = 0; i < ctx.output(0).num_elements(); ++i) {
    y[i] = 0;
    for (int k = 0; k < ctx.num_inputs(); ++k) y[i] += ctx.input(k).data<double>()[i];
  }
  return tl::Status::OK();
}

}  // namespace

#if defined(NO_OPS)
TL_OP_LIBRARY(lib) { (void)lib; }
#elif defined(CONFLICT)
TL_OP_LIBRARY(lib) {
  lib.add(op("NeverRegisteredForTest")).add(op("Relu"));
  lib.add(kernel("NeverRegisteredForTest")).add(kernel("Relu"));
}
#elif defined(SAME_AS_EXAMPLE)
TL_OP_LIBRARY(lib) { lib.add(op("ClipByNormPerRow")).add(kernel("ClipByNormPerRow")); }
#elif defined(TWICE)
TL_OP_LIBRARY(lib) {
  lib.add(op("TwiceForTest")).add(op("TwiceForTest")).add(kernel("TwiceForTest"));
}
#elif defined(OTHER_ABI)
extern "C" TL_OP_LIBRARY_EXPORT int tensorlib_op_library_abi() {
  return tl::op_library_abi() + 2;  // the next version
}
extern "C" TL_OP_LIBRARY_EXPORT void tensorlib_declare_ops(tl::OpLibraryBuilder& lib) {
  lib.add(op("OtherAbiForTest")).add(kernel("OtherAbiForTest"));
}
#else
TL_OP_LIBRARY(lib) {
  lib.add(tl::OpDef("ScaleForTest")
              .input("x")
              .attr("DstT", tl::AttrType::kType)
              .attr("scale", tl::AttrType::kFloat, 2.0)
              .shape(scale_shape));
  lib.add(tl::KernelDef("ScaleForTest", tl::Device::kCPU).compute(scale_cpu));
  lib.add(tl::OpDef("SumListForTest").variadic_input("values").shape(sum_shape));
  lib.add(tl::KernelDef("SumListForTest", tl::Device::kCPU).compute(sum_cpu));
}
#endif
"""
VARIANTS = ["GOOD", "NO_OPS", "CONFLICT", "SAME_AS_EXAMPLE", "TWICE", "OTHER_ABI"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The example built with CMake, and the test libraries built with sysconfig's flags (all
    at once): {"example": dir, variant: library path}."""
    root = tmp_path_factory.mktemp("custom_op")
    source = root / "test_library.cc"
    source.write_text(TEST_LIBRARY)
    builds = {v: (root / f"lib{v.lower()}.so") for v in VARIANTS}
    procs = [compile_cpp(source, path, "-shared", "-fPIC", f"-D{v}")
             for v, path in builds.items()]
    cmake_build(EXAMPLE, root / "example")
    for proc in procs:
        output = proc.communicate()[0]
        assert proc.returncode == 0, output
    return {"example": root / "example", **builds}


@pytest.fixture(scope="module")
def script(built):
    """The example's Python module (its gradient registered)."""
    spec = importlib.util.spec_from_file_location("clip_by_norm_per_row",
                                                  EXAMPLE / "clip_by_norm_per_row.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example(built, script):
    """The example's loaded op library."""
    return script.load(built["example"] / "libclip_by_norm_per_row.so")


@pytest.fixture(scope="module")
def exported(built, script, tmp_path_factory):
    """The example's trained model, input batch and expected outputs, as its program writes
    them: paths (model, input, expected)."""
    return [pathlib.Path(p) for p in script.export(
        built["example"] / "libclip_by_norm_per_row.so", tmp_path_factory.mktemp("exported"))]


def clip_by_norm_per_row(x, clip_norm):
    norms = np.sqrt(np.sum(np.square(x.astype(np.float64)), axis=-1))
    scale = clip_norm / np.maximum(norms, clip_norm)
    return x * scale[..., None], norms


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4), (4,), (0, 3), (3, 0), (300, 200)])
def test_example_op_matches_numpy(example, rng, shape, dtype):
    x = (rng.standard_normal(shape) * 0.8).astype(dtype)
    clipped, norms = example.clip_by_norm_per_row(x, clip_norm=1.5)
    assert clipped.dtype == norms.dtype == tf.as_dtype(dtype)
    with tf.Session() as sess:
        got_clipped, got_norms = sess.run([clipped, norms])
    want_clipped, want_norms = clip_by_norm_per_row(x, 1.5)
    assert got_clipped.shape == shape and np.shape(got_norms) == shape[:-1]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got_clipped, want_clipped, rtol=tol, atol=tol)
    np.testing.assert_allclose(got_norms, want_norms, rtol=tol, atol=tol)


def test_example_op_default_attribute_and_fed_input(example, rng):
    x = tf.placeholder(tf.float64, [None, 3])
    clipped, norms = example.clip_by_norm_per_row(x)
    assert clipped.op.get_attr("clip_norm") == 1.0
    assert clipped.shape.as_list() == [None, 3] and norms.shape.as_list() == [None]
    value = rng.standard_normal((6, 3))
    with tf.Session() as sess:
        got = sess.run(clipped, {x: value})
    np.testing.assert_allclose(got, clip_by_norm_per_row(value, 1.0)[0], rtol=1e-12)


def test_example_op_shape_function_checks_at_graph_time(example):
    unknown = tf.placeholder(tf.float32)
    clipped, norms = example.clip_by_norm_per_row(unknown)
    assert clipped.shape.ndims is None and norms.shape.ndims is None
    with pytest.raises(ValueError, match="rank >= 1"):
        example.clip_by_norm_per_row(tf.constant(1.0))
    with pytest.raises(ValueError, match="clip_norm > 0"):
        example.clip_by_norm_per_row(tf.constant([1.0]), clip_norm=0.0)
    with pytest.raises(TypeError, match="float32 or float64"):
        example.clip_by_norm_per_row(tf.constant([1, 2]))


def test_example_gradient_rule_from_python(example, rng):
    def fn(x):
        clipped, norms = example.clip_by_norm_per_row(x, clip_norm=1.5)
        return clipped * tf.expand_dims(norms, -1)

    check_gradient(("clip_by_norm_per_row", ["ClipByNormPerRow"], fn, [(5, 3)], {}), rng)


def _op_libraries_section(model):
    """The (op, library) entries of a model's op libraries section (docs/model_format.md)."""
    count = struct.unpack_from("<I", model, 20)[0]
    sections = dict((sid, (offset, size)) for sid, _, offset, size in (
        struct.unpack_from("<IIQQ", model, 64 + 24 * i) for i in range(count)))
    strings_at = sections[1][0]
    at = sections[7][0]
    entries = []
    for i in range(struct.unpack_from("<I", model, at)[0]):
        refs = struct.unpack_from("<IIII", model, at + 4 + 16 * i)
        entries.append(tuple(model[strings_at + refs[k]:][:refs[k + 1]].decode() for k in (0, 2)))
    return entries


def test_exported_model_names_the_library_of_its_custom_op(exported):
    model = exported[0].read_bytes()
    assert struct.unpack_from("<HH", model, 8) == (1, 2)
    want = [("ClipByNormPerRow", "libclip_by_norm_per_row.so")]  # a file name, no directory
    assert _op_libraries_section(model) == want
    assert _core.model_op_libraries(model) == want
    _core.load_model(model)  # the library is loaded here


def _run_in_cpp(built, library, model, input_path, output_path):
    return subprocess.run([str(built["example"] / "run_clip_by_norm_per_row"), str(library),
                           str(model), str(input_path), str(output_path)],
                          capture_output=True, text=True, timeout=60)


def test_exported_model_runs_in_cpp_bitwise_like_session_run(built, example, exported, tmp_path):
    model, input_path, expected_path = exported
    output_path = tmp_path / "output.f32"
    out = _run_in_cpp(built, built["example"] / "libclip_by_norm_per_row.so", model,
                      input_path, output_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["logits/BiasAdd: [5,3]", "clip:1: [5]"]
    got = output_path.read_bytes()
    # The outputs the example's program computed with Session.run (one thread) on its graph.
    assert got == expected_path.read_bytes()
    # And those of a session (one thread, as the runner) on the model as loaded in Python.
    graph, inputs, outputs = _core.load_model(model.read_bytes())
    run = _core.Session(graph, 1).make_callable([i[1:3] for i in inputs],
                                                [i[0] for i in inputs],
                                                [o[1:3] for o in outputs], [], False)
    batch = np.fromfile(input_path, np.float32).reshape(-1, inputs[0][4][1])
    want = run([batch])
    assert [w.shape for w in want] == [(5, 3), (5,)]
    assert got == b"".join(w.astype(np.float32).tobytes() for w in want)
    # And tf.lite.Interpreter's, on the same C++ runtime.
    interpreter = tf.lite.Interpreter(model_path=model, num_threads=1)
    interpreter.resize_tensor_input(0, batch.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(0, batch)
    interpreter.invoke()
    assert got == b"".join(interpreter.get_tensor(i).tobytes() for i in (1, 2))
    # The op did clip: the rows' norms are above clip_norm, at least some of them.
    assert (want[1] > 1.0).any()


def test_cpp_runner_without_the_library_names_it(built, exported, tmp_path):
    model, input_path, _ = exported
    out = _run_in_cpp(built, built["GOOD"], model, input_path, tmp_path / "output.f32")
    assert out.returncode == 1
    assert ("op 'ClipByNormPerRow' is not registered: the model uses it from op library "
            "'libclip_by_norm_per_row.so'; load that library (tl::load_op_library, or "
            "tensorlib.load_op_library in Python) before loading the model") in out.stderr


def test_loading_the_model_without_its_library_names_the_library(exported):
    code = ("import sys; import tensorlib as tf; from tensorlib import _core\n"
            "data = open(sys.argv[1], 'rb').read()\n"
            "print(_core.model_op_libraries(data))\n"
            "for load in (lambda: _core.load_model(data),\n"
            "             lambda: tf.lite.Interpreter(model_path=sys.argv[1]),\n"
            "             lambda: tf.lite.Interpreter(model_content=data)):\n"
            "    try:\n"
            "        load()\n"
            "    except tf.errors.NotFoundError as e:\n"
            "        print(e.message)\n")
    # cwd "/": the tensorlib under test is imported, not the source tree beside the tests.
    out = subprocess.run([sys.executable, "-c", code, str(exported[0])], capture_output=True,
                         text=True, cwd="/", timeout=60)
    assert out.returncode == 0, out.stderr
    libraries, *messages = out.stdout.splitlines()
    assert libraries == "[('ClipByNormPerRow', 'libclip_by_norm_per_row.so')]"
    assert len(messages) == 3
    for message in messages:
        assert message.endswith(
            "op 'ClipByNormPerRow' is not registered: the model uses it from op library "
            "'libclip_by_norm_per_row.so'; load that library (tl::load_op_library, or "
            "tensorlib.load_op_library in Python) before loading the model")


def test_loading_again_returns_the_same_module(built, example, tmp_path):
    path = built["example"] / "libclip_by_norm_per_row.so"
    link = tmp_path / "link.so"
    link.symlink_to(path)
    assert tf.load_op_library(str(path)) is example
    assert tf.load_op_library(link) is example  # the same file under another name
    assert _core.registered_ops().count("ClipByNormPerRow") == 1
    assert _core.op_library_of("ClipByNormPerRow") == str(path.resolve())
    assert _core.op_library_of("Relu") == ""


def test_bare_library_name_is_found_on_the_loader_search_path(built):
    code = ("import tensorlib as tf; from tensorlib import _core; "
            "tf.load_op_library('libclip_by_norm_per_row.so'); "
            "print(_core.op_library_of('ClipByNormPerRow'))")
    # cwd "/": the tensorlib under test is imported, not the source tree beside the tests.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/",
                         env={**os.environ, "LD_LIBRARY_PATH": str(built["example"])}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str((built["example"] / "libclip_by_norm_per_row.so").resolve())


def test_op_library_shares_the_package_core_library(example):
    cores = {line.split()[-1] for line in open("/proc/self/maps") if "libtensorlib.so" in line}
    assert cores == {str(pathlib.Path(tf.get_lib(), "libtensorlib.so").resolve())}


@pytest.mark.parametrize("op_type,name", [("ZeroOut", "zero_out"), ("Conv2D", "conv2d"),
                                          ("LRNGrad", "lrn_grad"), ("BiasAddV2", "bias_add_v2")])
def test_functions_are_named_like_tf_op_wrappers(op_type, name):
    assert load_library._snake_case(op_type) == name


def test_generated_functions_follow_the_op_declarations(built, rng):
    lib = tf.load_op_library(built["GOOD"])
    assert sorted(lib.__all__) == ["scale_for_test", "sum_list_for_test"]
    params = inspect.signature(lib.scale_for_test).parameters
    assert list(params) == ["x", "DstT", "scale", "name"]
    assert params["scale"].default == 2.0 and params["name"].default is None
    assert "DstT: type attribute" in lib.scale_for_test.__doc__
    x = rng.standard_normal((2, 3)).astype(np.float32)
    outs = [lib.scale_for_test(x, tf.float64), lib.scale_for_test(x, np.float32, scale=0.5),
            lib.scale_for_test(x, DstT="float64", scale=-1.0, name="neg")]
    assert [o.dtype for o in outs] == [tf.float64, tf.float32, tf.float64]
    assert outs[2].op.name == "neg"
    a, b = rng.standard_normal((2, 4, 2))
    ones = [[1.0, 1.0]] * 4  # float64 like the Tensor (float32 alone)
    total = lib.sum_list_for_test([tf.constant(a), b, ones])
    with tf.Session() as sess:
        got = sess.run(outs + [total])
    for out, scale in zip(got, [2.0, 0.5, -1.0]):
        np.testing.assert_allclose(out, x.astype(np.float64) * scale, rtol=1e-6)
    np.testing.assert_allclose(got[3], a + b + 1.0, rtol=1e-12)


def test_library_ops_are_not_differentiable_until_a_rule_is_registered(built):
    lib = tf.load_op_library(built["GOOD"])
    x = tf.placeholder(tf.float64, [3])
    assert tf.gradients(tf.reduce_sum(lib.scale_for_test(x, tf.float64)), x) == [None]

    @tf.RegisterGradient("SumListForTest")
    def _sum_list_grad(op, grad):
        return [grad] * len(op.inputs)

    y = lib.sum_list_for_test([x, x * 3.0])
    grad = tf.gradients(tf.reduce_sum(y), x)[0]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(grad, {x: np.zeros(3)}), np.full(3, 4.0))
    with pytest.raises(KeyError, match="two gradient"):
        tf.RegisterGradient("SumListForTest")(_sum_list_grad)


def test_missing_library_is_not_found(tmp_path):
    with pytest.raises(tf.errors.NotFoundError, match="not found"):
        tf.load_op_library(str(tmp_path / "libmissing.so"))
    with pytest.raises(tf.errors.NotFoundError, match="libmissing_ops_for_test.so"):
        tf.load_op_library("libmissing_ops_for_test.so")  # a bare name: dlopen's search path


def test_files_that_are_not_op_libraries_are_refused(built, tmp_path):
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a tensorlib op library"):
        tf.load_op_library(pathlib.Path(tf.get_lib(), "libtensorlib.so"))
    text = tmp_path / "libtext.so"
    text.write_text("not a shared library\n")
    with pytest.raises(tf.errors.InvalidArgumentError, match="could not load op library"):
        tf.load_op_library(text)
    with pytest.raises(tf.errors.InvalidArgumentError, match="declares no ops"):
        tf.load_op_library(built["NO_OPS"])
    with pytest.raises(tf.errors.InvalidArgumentError, match="built for op library ABI version"):
        tf.load_op_library(built["OTHER_ABI"])


def test_taken_op_names_refuse_the_whole_library(built, example):
    with pytest.raises(tf.errors.AlreadyExistsError,
                       match="declares op 'Relu', which is already registered by tensorlib"):
        tf.load_op_library(built["CONFLICT"])
    assert "NeverRegisteredForTest" not in _core.registered_ops()  # all or nothing
    with pytest.raises(tf.errors.AlreadyExistsError, match="libclip_by_norm_per_row.so"):
        tf.load_op_library(built["SAME_AS_EXAMPLE"])
    with pytest.raises(tf.errors.AlreadyExistsError, match="'TwiceForTest' is declared twice"):
        tf.load_op_library(built["TWICE"])
    assert "TwiceForTest" not in _core.registered_ops()
