"""TF1's late names: tf.compat.v1 (tensorlib itself) and the byte/text helpers, the behaviour
switches, the version strings, the TF 1.13+ namespaces (tf.math, tf.random, tf.linalg, ...)
as aliases of the implementations, the math functions composed from primitives and the
learning-rate schedules, checked against NumPy and TensorFlow's values (fixtures/compat)."""
import json
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import tensorlib as tf
from tensorlib.ops import math_ops, nn_ops, random_ops

FIXTURES = json.loads((pathlib.Path(__file__).parent / "fixtures" / "compat" /
                       "decay.json").read_text())
ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


# ---- tf.compat ------------------------------------------------------------------------------

def test_compat_v1_is_tensorlib_itself():
    assert tf.compat.v1 is tf
    assert tf.compat.v1.compat.v1 is tf
    assert tf.compat.v1.placeholder is tf.placeholder


def test_import_compat_v1_as_tf_runs_a_graph():
    code = ("import tensorlib.compat.v1 as tf\n"
            "from tensorlib.compat import v1\n"
            "from tensorlib.compat.v1 import placeholder\n"
            "import tensorlib\n"
            "assert tf is tensorlib and v1 is tensorlib\n"
            "tf.disable_v2_behavior()\n"
            "x = tf.placeholder(tf.float32, [2])\n"
            "print(tf.Session().run(x * 3, {x: [1, 2]}).tolist())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[3.0, 6.0]"


def test_compat_v2_is_absent_with_a_clear_error():
    with pytest.raises(AttributeError, match="TensorFlow 1.x's API only"):
        tf.compat.v2  # noqa: B018


def test_as_bytes_as_text_and_as_str_any():
    assert tf.compat.as_bytes("héllo") == "héllo".encode("utf-8")
    assert tf.compat.as_bytes(b"abc") == b"abc"
    assert tf.compat.as_bytes("é", encoding="latin-1") == b"\xe9"
    assert tf.compat.as_text(b"h\xc3\xa9") == "hé"
    assert tf.compat.as_str("x") == "x"
    assert tf.compat.as_str_any(b"ab") == "ab"
    assert tf.compat.as_str_any(12) == "12"
    assert tf.compat.path_to_str(pathlib.Path("/a/b")) == "/a/b"
    with pytest.raises(TypeError, match="binary or unicode"):
        tf.compat.as_bytes(3)
    with pytest.raises(TypeError, match="binary or unicode"):
        tf.compat.as_text(None)


# ---- switches and versions ------------------------------------------------------------------

def test_switches_that_ask_for_tf1_behaviour_are_no_ops():
    for switch in (tf.disable_v2_behavior, tf.compat.v1.disable_v2_behavior,
                   tf.disable_eager_execution, tf.enable_resource_variables,
                   tf.disable_resource_variables, tf.enable_v2_tensorshape,
                   tf.disable_v2_tensorshape):
        assert switch() is None
    assert tf.executing_eagerly() is False
    # Shapes keep v1's Dimension indexing whatever the switch said.
    dim = tf.placeholder(tf.float32, [None, 3]).shape[1]
    assert isinstance(dim, tf.Dimension) and dim.value == 3
    assert tf.Session().run(tf.constant(2) * 3) == 6


def test_eager_execution_cannot_be_enabled():
    with pytest.raises(NotImplementedError, match="graph mode only"):
        tf.enable_eager_execution()
    with pytest.raises(NotImplementedError, match="graph mode only"):
        tf.enable_v2_behavior()


def test_version_strings_pass_tf1_checks():
    assert tf.__version__.startswith("1.")
    assert tf.VERSION == tf.__version__
    major, minor = (int(p) for p in tf.__version__.split(".")[:2])
    assert (major, minor) >= (1, 4)
    assert isinstance(tf.GIT_VERSION, str) and isinstance(tf.COMPILER_VERSION, str)


def test_tensorlib_version_is_one_source_of_truth():
    assert re.fullmatch(r"\d+\.\d+\.\d+", tf.__tensorlib_version__)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'attr = "tensorlib.__tensorlib_version__"' in pyproject
    assert re.search(r"^dynamic = \[\"version\"\]", pyproject, re.M)
    cmake = (ROOT / "CMakeLists.txt").read_text()
    assert f"project(tensorlib VERSION {tf.__tensorlib_version__} " in cmake


# ---- namespaces ------------------------------------------------------------------------------

@pytest.mark.parametrize("namespace, name, implementation", [
    ("math", "add", math_ops.add), ("math", "reduce_sum", math_ops.reduce_sum),
    ("math", "argmax", math_ops.argmax), ("math", "cumsum", math_ops.cumsum),
    ("math", "equal", math_ops.equal), ("math", "sigmoid", math_ops.sigmoid),
    ("math", "tanh", math_ops.tanh), ("math", "softplus", nn_ops.softplus),
    ("math", "log_softmax", nn_ops.log_softmax), ("math", "unsorted_segment_sum",
                                                  tf.unsorted_segment_sum),
    ("math", "log_sigmoid", tf.log_sigmoid), ("math", "is_nan", tf.is_nan),
    ("random", "normal", random_ops.random_normal),
    ("random", "uniform", random_ops.random_uniform),
    ("random", "truncated_normal", random_ops.truncated_normal),
    ("random", "shuffle", random_ops.random_shuffle),
    ("random", "set_random_seed", tf.set_random_seed), ("random", "get_seed", tf.get_seed),
    ("linalg", "matmul", math_ops.matmul), ("linalg", "transpose", tf.transpose),
    ("linalg", "eye", tf.eye), ("linalg", "einsum", math_ops.einsum),
    ("linalg", "tensordot", math_ops.tensordot), ("linalg", "l2_normalize", tf.nn.l2_normalize),
    ("nn", "softmax_cross_entropy_with_logits_v2", nn_ops.softmax_cross_entropy_with_logits_v2),
    ("nn", "sigmoid", math_ops.sigmoid), ("nn", "tanh", math_ops.tanh),
    ("debugging", "is_finite", tf.is_finite),
    ("dtypes", "cast", math_ops.cast), ("dtypes", "as_dtype", tf.as_dtype),
    ("dtypes", "DType", tf.DType),
    ("initializers", "random_normal", tf.random_normal_initializer),
    ("initializers", "glorot_uniform", tf.glorot_uniform_initializer),
    ("initializers", "variance_scaling", tf.variance_scaling_initializer),
    ("initializers", "zeros", tf.zeros_initializer), ("initializers", "ones", tf.ones_initializer),
    ("initializers", "constant", tf.constant_initializer),
    ("initializers", "truncated_normal", tf.truncated_normal_initializer),
])
def test_namespaces_alias_the_implementations(namespace, name, implementation):
    assert getattr(getattr(tf, namespace), name) is implementation


def test_namespace_modules_import_by_their_dotted_names():
    from tensorlib.math import reduce_mean
    from tensorlib.random import normal
    assert reduce_mean is tf.reduce_mean and normal is tf.random_normal
    assert tf.io.__name__ == "tensorlib.io"


def test_random_categorical_samples_the_likely_class():
    tf.set_random_seed(1)
    samples = tf.random.categorical([[0.0, 30.0, 0.0], [30.0, 0.0, 0.0]], 5, dtype=tf.int32)
    assert samples.dtype == tf.int32
    np.testing.assert_array_equal(run(samples), [[1] * 5, [0] * 5])


# ---- composed math ---------------------------------------------------------------------------

def test_casts_by_name():
    x = tf.constant([1.7, -2.7])
    values = run([tf.to_float(tf.constant([1, 2])), tf.to_double(x), tf.to_int32(x),
                  tf.to_int64(x)])
    assert [v.dtype for v in values] == [np.float32, np.float64, np.int32, np.int64]
    np.testing.assert_array_equal(values[2], [1, -2])


def test_nan_inf_finite_tests():
    x = np.float32([1.0, np.nan, np.inf, -np.inf, -0.0])
    nan, inf, finite = run([tf.is_nan(x), tf.is_inf(x), tf.is_finite(x)])
    np.testing.assert_array_equal(nan, np.isnan(x))
    np.testing.assert_array_equal(inf, np.isinf(x))
    np.testing.assert_array_equal(finite, np.isfinite(x))
    assert tf.debugging.is_nan(x).dtype == tf.bool
    with pytest.raises(TypeError, match="is_inf needs a floating-point input"):
        tf.is_inf(tf.constant([1, 2]))


INPUTS = FIXTURES["inputs"]
MATH = {
    "log_sigmoid": lambda: tf.math.log_sigmoid(np.float32(INPUTS["float"])),
    "reciprocal": lambda: tf.math.reciprocal(np.float32(INPUTS["nonzero_float"])),
    "truncatediv": lambda: tf.truncatediv(np.int32(INPUTS["int_x"]), np.int32(INPUTS["int_y"])),
    "truncatemod": lambda: tf.truncatemod(np.int32(INPUTS["int_x"]), np.int32(INPUTS["int_y"])),
    "truncatemod_float": lambda: tf.truncatemod(np.float32(INPUTS["float_x"]),
                                                np.float32(INPUTS["float_y"])),
    "div": lambda: tf.div(np.int32(INPUTS["int_x"]), np.int32(INPUTS["int_y"])),
    "reduce_variance": lambda: tf.math.reduce_variance(np.float32(INPUTS["matrix"]), axis=1),
    "reduce_std": lambda: tf.math.reduce_std(np.float32(INPUTS["matrix"]), axis=0),
}


@pytest.mark.parametrize("name", sorted(MATH))
def test_composed_math_matches_tensorflow(name):
    got = run(MATH[name]())
    expected = np.asarray(FIXTURES["math"][name])
    assert got.dtype.kind == expected.dtype.kind
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_realdiv_is_for_floats_only():
    np.testing.assert_allclose(run(tf.realdiv([1.0, 3.0], [2.0, 4.0])), [0.5, 0.75])
    with pytest.raises(TypeError, match="floating-point"):
        tf.realdiv(tf.constant([1]), tf.constant([2]))
    with pytest.raises(TypeError, match="integer"):
        tf.truncatediv(tf.constant([1.0]), tf.constant([2.0]))


def test_div_follows_python2():
    np.testing.assert_allclose(run(tf.div(tf.constant([7.0, -7.0]), 2.0)), [3.5, -3.5])
    np.testing.assert_array_equal(run(tf.div(tf.constant([7, -7]), 2)), [3, -4])


def test_log_sigmoid_gradient_is_sigmoid_of_minus_x():
    x = tf.constant([-50.0, -1.0, 0.0, 2.0, 50.0])
    value, grad = run([tf.log_sigmoid(x), tf.gradients(tf.log_sigmoid(x), x)[0]])
    xs = np.float64([-50.0, -1.0, 0.0, 2.0, 50.0])
    np.testing.assert_allclose(value, -np.logaddexp(0, -xs), rtol=1e-6)
    np.testing.assert_allclose(grad, 1 / (1 + np.exp(xs)), rtol=1e-5, atol=1e-7)


def test_variance_and_std_match_numpy(rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    var, std, var_all = run([tf.math.reduce_variance(x, axis=[0, 2], keepdims=True),
                             tf.math.reduce_std(x, axis=1), tf.math.reduce_variance(x)])
    np.testing.assert_allclose(var, x.var(axis=(0, 2), keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(std, x.std(axis=1), rtol=1e-5)
    np.testing.assert_allclose(var_all, x.var(), rtol=1e-5)
    with pytest.raises(TypeError, match="floating-point"):
        tf.math.reduce_variance(tf.constant([1, 2]))


def test_count_nonzero_matches_numpy(rng):
    x = rng.integers(-1, 2, (3, 4)).astype(np.float32)
    all_axes, rows, rows_kept = run([tf.count_nonzero(x), tf.math.count_nonzero(x, axis=1),
                                     tf.count_nonzero(x, axis=0, keepdims=True,
                                                      dtype=tf.int32)])
    assert all_axes == np.count_nonzero(x) and all_axes.dtype == np.int64
    np.testing.assert_array_equal(rows, np.count_nonzero(x, axis=1))
    np.testing.assert_array_equal(rows_kept, np.count_nonzero(x, axis=0, keepdims=True))
    assert rows_kept.dtype == np.int32
    assert run(tf.count_nonzero(tf.constant([True, False, True]))) == 2


def test_divide_no_nan_is_zero_where_the_divisor_is():
    x = tf.constant([1.0, 0.0, np.inf, 6.0])
    y = tf.constant([0.0, 0.0, 0.0, 3.0])
    np.testing.assert_array_equal(run(tf.math.divide_no_nan(x, y)), [0.0, 0.0, 0.0, 2.0])
    with pytest.raises(TypeError, match="floating-point"):
        tf.math.divide_no_nan(tf.constant([1]), tf.constant([0]))


@pytest.mark.parametrize("ord_, axis, keepdims, reference", [
    ("euclidean", None, False, lambda x: np.sqrt((x ** 2).sum())),
    (2, 1, False, lambda x: np.linalg.norm(x, axis=1)),
    (1, 0, True, lambda x: np.abs(x).sum(axis=0, keepdims=True)),
    (np.inf, -1, False, lambda x: np.abs(x).max(axis=-1)),
    (3, 1, False, lambda x: (np.abs(x) ** 3).sum(axis=1) ** (1 / 3)),
    ("fro", (0, 1), False, lambda x: np.linalg.norm(x, "fro")),
])
def test_norm_matches_numpy(rng, ord_, axis, keepdims, reference):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    got = run(tf.norm(x, ord=ord_, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(got, reference(x), rtol=1e-5)
    assert tf.linalg.norm is tf.norm


def test_norm_refuses_what_tf1_refuses():
    with pytest.raises(ValueError, match="matrix norm"):
        tf.norm(tf.ones([2, 2]), ord=2, axis=(0, 1))
    with pytest.raises(ValueError, match="vector norm"):
        tf.norm(tf.ones([2, 2]), ord="fro")
    with pytest.raises(ValueError, match="vector norm"):
        tf.norm(tf.ones([2]), ord=-1)


# ---- learning-rate schedules -----------------------------------------------------------------

SCHEDULES = {
    "exponential_decay": lambda s: tf.train.exponential_decay(0.1, s, 4, 0.5),
    "exponential_decay_staircase":
        lambda s: tf.train.exponential_decay(0.1, s, 4, 0.5, staircase=True),
    "natural_exp_decay": lambda s: tf.train.natural_exp_decay(0.1, s, 4, 0.5),
    "inverse_time_decay_staircase":
        lambda s: tf.train.inverse_time_decay(0.1, s, 4, 0.5, staircase=True),
    "polynomial_decay": lambda s: tf.train.polynomial_decay(0.1, s, 8, 0.01, power=2.0),
    "polynomial_decay_cycle": lambda s: tf.train.polynomial_decay(0.1, s, 4, 0.01, cycle=True),
    "cosine_decay": lambda s: tf.train.cosine_decay(0.1, s, 8, alpha=0.2),
    "linear_cosine_decay": lambda s: tf.train.linear_cosine_decay(0.1, s, 8),
    "linear_cosine_decay_periods":
        lambda s: tf.train.linear_cosine_decay(0.1, s, 8, num_periods=2.0, alpha=0.1,
                                               beta=0.01),
    "cosine_decay_restarts": lambda s: tf.train.cosine_decay_restarts(0.1, s, 3),
    "cosine_decay_restarts_equal":
        lambda s: tf.train.cosine_decay_restarts(0.1, s, 3, t_mul=1.0, m_mul=0.5, alpha=0.1),
    "piecewise_constant": lambda s: tf.train.piecewise_constant(s, [3, 7], [1.0, 0.5, 0.1]),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_tensorflow(name):
    step = tf.placeholder(tf.int64, [])
    lr = SCHEDULES[name](step)
    with tf.Session() as sess:
        got = [sess.run(lr, {step: s}) for s in FIXTURES["steps"]]
    np.testing.assert_allclose(got, FIXTURES["schedules"][name], rtol=1e-5, atol=1e-8)


def test_schedule_fixtures_cover_every_schedule():
    assert set(SCHEDULES) == set(FIXTURES["schedules"])


def test_tf_io_names_are_the_implementations():
    assert tf.io.TFRecordWriter is tf.python_io.TFRecordWriter
    assert tf.io.tf_record_iterator is tf.python_io.tf_record_iterator
    assert tf.io.parse_single_example is tf.parse_single_example
    assert tf.io.FixedLenFeature is tf.FixedLenFeature
    assert tf.io.decode_csv is tf.decode_csv and tf.io.read_file is tf.read_file
