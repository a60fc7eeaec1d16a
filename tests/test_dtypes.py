"""Every numeric dtype of TF1 end to end: DType's properties (against TensorFlow's, stored in
fixtures/dtypes), constants, feeds, fetches, variables, casts, complex numbers and the errors of
ops asked for a dtype they lack, checked against NumPy."""
import json
import os

import numpy as np
import pytest

import tensorlib as tf
from op_testing import TOLERANCE, address, address_read

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "dtypes", "dtypes.json")
with open(FIXTURE) as _f:
    TF_DTYPES = json.load(_f)

NEW_NUMPY_DTYPES = [np.int8, np.int16, np.uint8, np.uint16, np.uint32, np.uint64, np.complex64,
                    np.complex128]
# Every dtype that NumPy and tensorlib share, for the cast matrix.
CAST_DTYPES = [np.bool_, np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
               np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.complex64, np.complex128]


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


# ---- DType ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TF_DTYPES["dtypes"]))
def test_dtype_properties_match_tensorflow(name):
    want = TF_DTYPES["dtypes"][name]
    d = tf.as_dtype(name)
    assert d is getattr(tf, name) and d.name == name and d.as_datatype_enum == want["enum"]
    for prop in ("is_floating", "is_integer", "is_complex", "is_unsigned", "is_bool",
                 "is_quantized"):
        assert getattr(d, prop) == want[prop], prop
    assert d.real_dtype.name == want["real_dtype"] and d.base_dtype.name == want["base_dtype"]
    for attr in ("min", "max"):
        if want[attr] is None:
            with pytest.raises(TypeError):
                getattr(d, attr)
        elif d.is_floating:
            assert float(getattr(d, attr)) == float.fromhex(want[attr])
        else:
            assert int(getattr(d, attr)) == want[attr]
    if want["numpy"] is not None:
        assert np.dtype(d.as_numpy_dtype).name == want["numpy"] and d.size == want["size"]
        assert d.is_numpy_compatible
    assert tf.as_dtype(want["enum"]) is d


def test_as_dtype_spellings_numpy_and_python_types():
    for spelling, name in TF_DTYPES["spellings"].items():
        assert tf.as_dtype(spelling).name == name
    for np_type in NEW_NUMPY_DTYPES:
        d = tf.as_dtype(np_type)
        assert d is tf.as_dtype(np.dtype(np_type)) is tf.as_dtype(np.dtype(np_type).name)
        assert d.as_numpy_dtype is np_type
    assert tf.as_dtype(float) is tf.float32 and tf.as_dtype(complex) is tf.complex128
    assert tf.as_dtype(int) is tf.int64 and tf.as_dtype(bool) is tf.bool
    for bad in ("int17", 99, np.dtype([("a", np.int8)]), [1, 2], None):
        with pytest.raises(TypeError):
            tf.as_dtype(bad)


def test_dtype_equality_and_hashing_follow_tf1():
    assert tf.int16 == "int16" and tf.int16 == np.int16 and tf.int16 == np.dtype("int16")
    assert tf.int16 == 5 and tf.float32 == "float"
    assert tf.int16 != tf.int32 and tf.int16 != "int32" and tf.int16 != "no such type"
    assert not tf.int16 == None  # noqa: E711 (the comparison is the point)
    assert tf.uint8 != object()
    assert len({tf.int8, tf.as_dtype("int8"), tf.as_dtype(6), tf.uint8}) == 2
    assert hash(tf.complex64) == hash(tf.as_dtype(np.complex64))
    assert tf.int16.is_compatible_with(tf.int16) and tf.int16.is_compatible_with("int16")
    assert not tf.int16.is_compatible_with(tf.uint16)
    assert tf.dtypes.uint16 is tf.uint16 and tf.dtypes.as_dtype("uint16") is tf.uint16


# ---- constants, feeds, fetches, variables ------------------------------------------------------

@pytest.mark.parametrize("np_type", NEW_NUMPY_DTYPES)
def test_constants_of_numpy_arrays_keep_their_dtype(np_type):
    value = (np.arange(6).reshape(2, 3) * 7).astype(np_type)
    if np.issubdtype(np_type, np.complexfloating):
        value = (value + 1j * np.arange(6).reshape(2, 3)).astype(np_type)
    c = tf.constant(value)
    assert c.dtype == tf.as_dtype(np_type) and c.shape.as_list() == [2, 3]
    got = run(c)
    assert got.dtype == np_type
    np.testing.assert_array_equal(got, value)


def test_constants_convert_python_values_to_the_dtype_asked_for():
    got = run([tf.constant([1, -2, 3], dtype=tf.int16), tf.constant(200, tf.uint8),
               tf.constant([[1.5, 2]], dtype=tf.complex64), tf.constant(1 + 2j)])
    assert [g.dtype for g in got] == [np.int16, np.uint8, np.complex64, np.complex128]
    np.testing.assert_array_equal(got[0], [1, -2, 3])
    assert got[1] == 200 and got[3] == 1 + 2j
    np.testing.assert_array_equal(got[2], [[1.5 + 0j, 2 + 0j]])
    with pytest.raises(TypeError):
        tf.constant(300, tf.uint8)
    with pytest.raises(TypeError):
        tf.constant(-1, tf.uint16)
    with pytest.raises(TypeError):
        tf.constant(1 + 2j, tf.float32)
    with pytest.raises(TypeError, match="bfloat16"):
        tf.constant(1.0, tf.bfloat16)


@pytest.mark.parametrize("np_type", NEW_NUMPY_DTYPES)
def test_placeholders_feed_and_fetch_every_dtype(np_type):
    x = tf.placeholder(tf.as_dtype(np_type), [None, 2])
    y = tf.identity(x)
    value = np.array([[1, 2], [3, 4]], dtype=np_type)
    got = run(y, {x: value})
    assert got.dtype == np_type
    np.testing.assert_array_equal(got, value)
    got = run(y, {x: [[5, 6]]})  # Python ints are converted to the placeholder's dtype
    assert got.dtype == np_type
    np.testing.assert_array_equal(got, np.array([[5, 6]], np_type))


def test_feeds_that_do_not_fit_the_dtype_are_refused():
    x = tf.placeholder(tf.uint8)
    with pytest.raises(TypeError, match="outside the range"):
        run(x + 1, {x: [-1, 3]})
    z = tf.placeholder(tf.float32)
    with pytest.raises(TypeError, match="not safe"):
        run(z * 2.0, {z: np.array([1 + 1j])})
    c = tf.placeholder(tf.complex64)
    got = run(c * 2, {c: [1.5, 2]})  # floats become complex numbers
    assert got.dtype == np.complex64
    np.testing.assert_array_equal(got, [3 + 0j, 4 + 0j])


@pytest.mark.parametrize("np_type", [np.int8, np.uint16, np.uint64, np.complex128])
def test_contiguous_feeds_of_new_dtypes_are_read_in_place(np_type):
    x = tf.placeholder(tf.as_dtype(np_type), [None])
    data = np.ones(1000, np_type)
    with tf.Session() as sess:
        at, first = sess.run([address_read(x), tf.slice(x, [0], [1])], {x: data})
    assert at == address(data) and first[0] == 1


@pytest.mark.parametrize("np_type", NEW_NUMPY_DTYPES)
def test_variables_of_every_dtype_assign_and_update(np_type):
    v = tf.Variable(np.array([1, 2, 3], np_type))
    assert v.dtype.base_dtype == tf.as_dtype(np_type)
    add = tf.assign_add(v, np.array([10, 20, 30], np_type))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(add)
        got = sess.run(v)
        sess.run(tf.assign(v, np.array([7, 8, 9], np_type)))
        assigned = sess.run(v)
    assert got.dtype == np_type
    np.testing.assert_array_equal(got, np.array([11, 22, 33], np_type))
    np.testing.assert_array_equal(assigned, np.array([7, 8, 9], np_type))


def test_tf1_basic_operations_example_with_int16():
    a = tf.placeholder(tf.int16)
    b = tf.placeholder(tf.int16)
    add = tf.add(a, b)
    mul = tf.multiply(a, b)
    with tf.Session() as sess:
        sum_value = sess.run(add, feed_dict={a: 2, b: 3})
        product = sess.run(mul, feed_dict={a: 2, b: 3})
    assert sum_value == 5 and product == 6
    assert sum_value.dtype == np.int16 and product.dtype == np.int16


def test_array_ops_move_values_of_new_dtypes():
    x = np.arange(12).reshape(3, 4).astype(np.uint16)
    z = (np.arange(6) + 1j).astype(np.complex64).reshape(2, 3)
    got = run([tf.transpose(x), tf.concat([x, x], 0), tf.gather(x, [2, 0]),
               tf.reshape(z, [3, 2]), tf.stack([z, z]), tf.zeros([2], tf.int8),
               tf.ones_like(z), tf.pad(x, [[1, 0], [0, 1]])])
    want = [x.T, np.concatenate([x, x]), x[[2, 0]], z.reshape(3, 2), np.stack([z, z]),
            np.zeros(2, np.int8), np.ones_like(z), np.pad(x, [[1, 0], [0, 1]])]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


# ---- casts ------------------------------------------------------------------------------------

def _cast_source(np_type):
    """Values of np_type that every dtype holds after NumPy's conversion, with fractions for
    floats, negatives for signed types and imaginary parts for complex numbers."""
    values = np.array([0, 1, 3, 100, 127])
    if np.issubdtype(np_type, np.bool_):
        return np.array([True, False, True, True, False])
    if np.issubdtype(np_type, np.signedinteger) or np_type == np.float16:
        values = np.array([0, -1, 3, -100, 127])
    if np.issubdtype(np_type, np.floating):
        values = values + np.array([0, -0.75, 0.5, 0.25, 0])
    if np.issubdtype(np_type, np.complexfloating):
        values = values + np.array([0, -0.75, 0.5, 0.25, 0]) + 2j
    return values.astype(np_type)


def _numpy_cast(x, to):
    """NumPy's conversion, with TF's rule for complex -> real (the real part, also for bool:
    2j casts to False); negative floats go to unsigned integers through int64, as tensorlib and
    TF do on x86."""
    if np.iscomplexobj(x) and not np.issubdtype(to, np.complexfloating):
        x = x.real
    if np.issubdtype(x.dtype, np.floating) and np.issubdtype(to, np.unsignedinteger):
        x = x.astype(np.int64)
    return x.astype(to)


@pytest.mark.parametrize("src", CAST_DTYPES, ids=lambda t: np.dtype(t).name)
def test_cast_between_every_pair_of_dtypes(src):
    x = _cast_source(src)
    got = run([tf.cast(tf.constant(x), dst) for dst in CAST_DTYPES])
    for dst, g in zip(CAST_DTYPES, got):
        want = _numpy_cast(x, dst)
        assert g.dtype == want.dtype, (src, dst)
        np.testing.assert_array_equal(g, want, err_msg=f"{np.dtype(src)} -> {np.dtype(dst)}")


def test_cast_wraps_integers_around_like_numpy():
    x = np.array([300, -129, 70000, -1], np.int64)
    got = run([tf.cast(x, t) for t in (tf.int8, tf.uint8, tf.int16, tf.uint16, tf.uint32)])
    for g, t in zip(got, (np.int8, np.uint8, np.int16, np.uint16, np.uint32)):
        np.testing.assert_array_equal(g, x.astype(t))


def test_saturate_cast_clips_to_the_target_range():
    x = np.array([-1e10, -200.5, -1, 0.5, 200, 70000, 3e9, 1e20])
    got = run([tf.saturate_cast(x, t) for t in (tf.int8, tf.uint8, tf.int16, tf.uint16,
                                                tf.int32, tf.uint32)])
    for g, t in zip(got, (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32)):
        info = np.iinfo(t)
        assert g.dtype == t
        np.testing.assert_array_equal(g, np.clip(x, info.min, info.max).astype(t))
    x32 = np.array([-3e9, 3e9, 5], np.float32)  # int32's max is not a float32
    got = run(tf.saturate_cast(x32, tf.int32))
    assert got[0] == -2 ** 31 and 2 ** 31 - 256 <= got[1] < 2 ** 31 and got[2] == 5
    z = run(tf.saturate_cast(np.array([300 + 4j, -7 - 1j]), tf.uint8))
    np.testing.assert_array_equal(z, np.array([255, 0], np.uint8))


def test_bfloat16_is_stored_with_round_to_nearest_even():
    x = np.array([1.0, 1.00390625, 1.01171875, 3.1415927, -2.5e-3, 1e30, np.inf, 65504],
                 np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16).astype(np.uint32)
    want = rounded.view(np.float32)
    b = tf.cast(tf.constant(x), tf.bfloat16)
    assert b.dtype == tf.bfloat16
    got = run([tf.cast(b, tf.float32), tf.cast(tf.cast(x.astype(np.float64), tf.bfloat16),
                                               tf.float64)])
    np.testing.assert_array_equal(got[0], want)
    np.testing.assert_array_equal(got[1], want.astype(np.float64))
    with pytest.raises(TypeError, match="bfloat16"):
        run(b)


# ---- arithmetic -------------------------------------------------------------------------------

@pytest.mark.parametrize("np_type,want", [(np.int8, np.float32), (np.uint8, np.float32),
                                          (np.int16, np.float32), (np.uint16, np.float32),
                                          (np.int32, np.float64), (np.uint32, np.float64),
                                          (np.int64, np.float64), (np.uint64, np.float64),
                                          (np.complex64, np.complex64)])
def test_true_division_follows_tf1s_table(np_type, want):
    x = np.array([7, 9, 100], np_type)
    y = np.array([2, 4, 3], np_type)
    a, b = tf.constant(x), tf.constant(y)
    got = run([a / b, tf.divide(a, b), tf.truediv(a, b)])
    for g in got:
        assert g.dtype == want
        np.testing.assert_allclose(g, x.astype(want) / y.astype(want), rtol=1e-6)


def test_integer_floordiv_and_mod_take_pythons_signs():
    x = np.array([7, -7, 7, -7, -128, 0], np.int8)
    y = np.array([2, 2, -2, -2, -1, -3], np.int8)
    q, r = run([tf.constant(x) // y, tf.constant(x) % y])
    with np.errstate(over="ignore"):  # -128 // -1 wraps around to -128
        np.testing.assert_array_equal(q, x // y)
        np.testing.assert_array_equal(r, x % y)
    with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
        run(tf.constant(np.array([1], np.uint16)) // np.array([0], np.uint16))


def test_complex_arithmetic_against_numpy():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(8) + 1j * rng.standard_normal(8)).astype(np.complex64)
    y = (rng.standard_normal(8) + 1j * rng.standard_normal(8)).astype(np.complex64)
    a, b = tf.constant(x), tf.constant(y)
    got = run([a + b, a - b, a * b, a / b, -a, tf.square(a), tf.exp(a), tf.log(a), tf.sqrt(a),
               tf.abs(a), tf.pow(a, b), tf.equal(a, a), tf.not_equal(a, b),
               tf.equal(a, tf.conj(a))])
    want = [x + y, x - y, x * y, x / y, -x, x * x, np.exp(x), np.log(x), np.sqrt(x),
            np.abs(x), x ** y, x == x, x != y, x == np.conj(x)]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_complex_parts_functions_and_namespaces():
    z = np.array([3 + 4j, -1 - 1j, -2 + 0j, 0j])
    parts = run([tf.real(z), tf.imag(z), tf.angle(z), tf.conj(z), tf.abs(z),
                 tf.math.real(z), tf.math.imag(z), tf.complex(z.real, z.imag)])
    want = [z.real, z.imag, np.angle(z), np.conj(z), np.abs(z), z.real, z.imag, z]
    for g, w in zip(parts, want):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=TOLERANCE[np.float64])
    real = np.array([-1.5, 2.0], np.float32)
    got = run([tf.real(real), tf.imag(real), tf.angle(real), tf.conj(real)])
    want = [real, np.zeros(2, np.float32), np.angle(real).astype(np.float32), real]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_reductions_of_integers_wrap_in_their_own_dtype():
    x = np.full((4, 100), 100, np.int8)
    got = run([tf.reduce_sum(x), tf.reduce_sum(x, 1), tf.reduce_prod(x[:, :3], 0),
               tf.reduce_max(x.astype(np.uint64)), tf.reduce_mean(x, 0)])
    np.testing.assert_array_equal(got[0], np.sum(x, dtype=np.int8))
    np.testing.assert_array_equal(got[1], np.sum(x, 1, dtype=np.int8))
    np.testing.assert_array_equal(got[2], np.prod(x[:, :3], 0, dtype=np.int8))
    assert got[3] == 100 and got[3].dtype == np.uint64
    np.testing.assert_array_equal(got[4], np.full(100, 100, np.int8))


# ---- dtypes an op lacks -----------------------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda: tf.exp(tf.constant([1], tf.int16)),
    lambda: tf.sigmoid(tf.constant([1], tf.uint8)),
    lambda: tf.less(tf.constant([1j]), tf.constant([2j])),
    lambda: tf.maximum(tf.constant([1j]), tf.constant([2j])),
    lambda: tf.floordiv(tf.constant([1j]), tf.constant([2j])),
    lambda: tf.reduce_max(tf.constant([1j])),
    lambda: tf.argmax(tf.constant([[1j]]), 1),
    lambda: tf.sign(tf.constant([1j], tf.complex64)),
    lambda: tf.complex(tf.constant([1], tf.int32), tf.constant([2], tf.int32)),
    lambda: tf.matmul(tf.constant([[1]], tf.int8), tf.constant([[1]], tf.int8)),
    lambda: tf.add(tf.constant([1], tf.int8), tf.constant([1], tf.uint8)),
], ids=["exp_int16", "sigmoid_uint8", "less_complex", "maximum_complex", "floordiv_complex",
        "reduce_max_complex", "argmax_complex", "sign_complex", "complex_of_ints",
        "matmul_int8", "mixed_dtypes"])
def test_ops_refuse_dtypes_they_lack_when_the_graph_is_built(build):
    with pytest.raises((TypeError, ValueError)):
        build()


# ---- model files and checkpoints --------------------------------------------------------------

def test_model_files_carry_the_new_dtypes_to_the_interpreter():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.uint8, [None, 3], name="pixels")
        scale = tf.constant(np.array([1 + 1j, 2, -1j], np.complex64))
        waves = tf.cast(x, tf.complex64) * scale
        counts = tf.reduce_sum(tf.cast(x, tf.int16), 1) - tf.constant(np.int16(300))
        sess = tf.Session()
    model = tf.lite.TFLiteConverter.from_session(sess, [x], [waves, counts]).convert()
    pixels = np.array([[0, 200, 255], [1, 2, 3]], np.uint8)
    want = sess.run([waves, counts], {x: pixels})
    it = tf.lite.Interpreter(model_content=model)
    it.allocate_tensors()
    assert it.get_input_details()[0]["dtype"] is np.uint8
    it.resize_tensor_input(it.get_input_details()[0]["index"], pixels.shape)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], pixels)
    it.invoke()
    got = [it.get_tensor(d["index"]) for d in it.get_output_details()]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    assert want[1].dtype == np.int16
    np.testing.assert_array_equal(want[1], pixels.astype(np.int16).sum(1) - 300)


def test_lists_holding_tensors_are_packed_in_the_first_tensors_dtype():
    x = tf.placeholder(tf.float32, [])
    i = tf.constant(1)
    matrix = tf.convert_to_tensor([[x, 0.0], [0, x]])
    indices = tf.convert_to_tensor([i, 2])
    assert matrix.dtype == tf.float32 and matrix.shape.as_list() == [2, 2]
    assert indices.dtype == tf.int32
    v = tf.Variable([1.0, 2.0, 3.0])
    update = tf.scatter_add(v, [i, 2], [10.0, 20.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(matrix, {x: 3.0}), [[3, 0], [0, 3]])
        np.testing.assert_array_equal(sess.run(indices), [1, 2])
        np.testing.assert_array_equal(sess.run(update), [1, 12, 23])
    with pytest.raises(TypeError, match="int32"):
        tf.convert_to_tensor([i, 2.5])  # not silently truncated
    with pytest.raises(ValueError, match="float64"):
        tf.convert_to_tensor([x, 1.0], dtype=tf.float64)
