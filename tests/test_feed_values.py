"""Feeds whose NumPy form is unusual: object arrays of strings, and bool data whose bytes are
not 0 or 1. Each must give NumPy's answer, or a TypeError naming the tensor, never a crash."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tensorlib as tf

STRINGS = np.array([b"ab", "h\u00e9", b""], dtype=object)
EXPECTED = [b"ab", "h\u00e9".encode("utf-8"), b""]


def run_in_child(code):
    """Runs `code` in a new Python process (a crash there cannot take the test run down)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd="/", env=env, timeout=120)


def test_object_array_feeds_that_used_to_abort_the_process_run_cleanly():
    code = """
import numpy as np
import tensorlib as tf
values = np.array([b"ab", "cd"], dtype=object)
x = tf.placeholder(tf.string, [2])
d = tf.placeholder_with_default(tf.constant([b"x", b"y"]), [2])
v = tf.Variable([b"p", b"q"])
with tf.Session() as sess:
    sess.run(v.initializer)
    print(sess.run(x, {x: values}).tolist())
    print(sess.run(d, {d: values}).tolist())
    print(sess.make_callable(x, [x])(values).tolist())
    v.load(values, sess)
    print(sess.run(v).tolist())
    print(sess.run(tf.placeholder(tf.string, []), {"Placeholder_1:0": np.array("z", object)}))
"""
    out = run_in_child(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:5] == ["[b'ab', b'cd']"] * 4 + ["b'z'"]


def test_object_array_feeds_of_a_string_placeholder_give_bytes():
    x = tf.placeholder(tf.string, [3])
    with tf.Session() as sess:
        assert sess.run(x, {x: STRINGS}).tolist() == EXPECTED
        assert sess.run(x, {x: STRINGS.astype(str)}).tolist() == EXPECTED  # a '<U' array
        assert sess.run(x, {x: list(STRINGS)}).tolist() == EXPECTED
        assert sess.make_callable(x, [x])(STRINGS).tolist() == EXPECTED
        strided = np.array([b"a", None, b"b", None, b"c", None], dtype=object)[::2]
        assert sess.run(x, {x: strided}).tolist() == [b"a", b"b", b"c"]


def test_zero_dimensional_object_array_keeps_its_value():
    x = tf.placeholder(tf.string, [])
    with tf.Session() as sess:
        assert sess.run(x, {x: np.array(b"abc", dtype=object)}) == b"abc"
        assert sess.run(x, {x: np.array("\u00e9", dtype=object)}) == "\u00e9".encode("utf-8")


def test_placeholder_with_default_and_variable_load_take_object_arrays():
    d = tf.placeholder_with_default(tf.constant([b"x", b"y", b"z"]), [3])
    v = tf.Variable([b"p", b"q", b"r"])
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(d, {d: STRINGS}).tolist() == EXPECTED
        assert sess.run(d).tolist() == [b"x", b"y", b"z"]
        v.load(STRINGS, sess)
        assert sess.run(v).tolist() == EXPECTED


def test_assigning_an_initialised_string_variable_keeps_the_new_value():
    v = tf.Variable([b"a", b"b"])
    assign = tf.assign(v, tf.constant(["c", "\u00e9"]))
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(assign)
        assert sess.run(v).tolist() == [b"c", "\u00e9".encode("utf-8")]


def test_string_feed_of_other_objects_is_a_type_error_naming_the_placeholder():
    x = tf.placeholder(tf.string, [2], name="words")
    with tf.Session() as sess:
        with pytest.raises(TypeError, match=r"'words:0' of dtype string.*int values \(such as 3\)"):
            sess.run(x, {x: np.array([b"a", 3], dtype=object)})
        with pytest.raises(TypeError, match="'words:0'.*NoneType"):
            sess.make_callable(x, [x])(np.array([None, b"a"], dtype=object))


def test_object_array_fed_to_a_numeric_placeholder_is_a_type_error_naming_it():
    x = tf.placeholder(tf.float32, [2], name="numbers")
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="dtype object to tensor 'numbers:0'"):
            sess.run(x, {x: np.array([b"a", b"b"], dtype=object)})
        with pytest.raises(TypeError, match="dtype object to tensor 'numbers:0'"):
            sess.run(x, {x: np.array([1.0, 2.0], dtype=object)})


# ---- bool data whose bytes are not 0/1 -------------------------------------------------------

def odd_bools():
    """Bools as NumPy reads them ([T, F, T, T, F, T]) from bytes that are not all 0 or 1."""
    return np.array([1, 0, 2, 255, 0, 128], np.uint8).view(np.bool_)


DATA = np.arange(6, dtype=np.float32)

# (tensorlib op on a bool tensor, the NumPy reference on a bool array), one per op.
BOOL_OPS = {
    "logical_not": (tf.logical_not, np.logical_not),
    "cast_float32": (lambda b: tf.cast(b, tf.float32), lambda b: b.astype(np.float32)),
    "cast_int32": (lambda b: tf.cast(b, tf.int32), lambda b: b.astype(np.int32)),
    "cast_uint8": (lambda b: tf.cast(b, tf.uint8), lambda b: b.astype(np.uint8)),
    "equal": (lambda b: tf.equal(b, True), lambda b: np.equal(b, True)),
    "equal_itself": (lambda b: tf.equal(b, tf.logical_not(tf.logical_not(b))),
                     lambda b: np.ones(b.shape, bool)),
    "where": (tf.where, np.argwhere),
    "boolean_mask": (lambda b: tf.boolean_mask(DATA, b), lambda b: DATA[b]),
}


@pytest.mark.parametrize("op", BOOL_OPS)
def test_ops_on_fed_bools_whose_bytes_are_not_0_or_1_give_numpys_results(op):
    tensorlib_op, numpy_op = BOOL_OPS[op]
    flags = tf.placeholder(tf.bool, [None])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tensorlib_op(flags), {flags: odd_bools()}),
                                      numpy_op(odd_bools()))


def test_odd_bool_bytes_through_make_callable_strided_feeds_and_constants():
    flags = tf.placeholder(tf.bool, [None])
    count = tf.reduce_sum(tf.cast(flags, tf.int32))
    strided = np.array([3, 9, 0, 9, 7, 9], np.uint8).view(np.bool_)[::2]
    with tf.Session() as sess:
        assert sess.make_callable(count, [flags])(odd_bools()) == 4
        assert sess.run(count, {flags: strided}) == 2
        assert sess.run(tf.reduce_sum(tf.cast(tf.constant(odd_bools()), tf.int32))) == 4


def test_bool_feeds_give_numpy_results_and_stay_unchanged():
    flags = tf.placeholder(tf.bool, [4])
    value = np.array([True, False, True, True])
    odd = np.array([0, 5, 1, 0], np.uint8).view(np.bool_)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.logical_not(flags), {flags: value}), ~value)
        np.testing.assert_array_equal(sess.run(tf.logical_not(flags), {flags: odd}), ~odd)
    assert odd.view(np.uint8).tolist() == [0, 5, 1, 0]  # the fed array itself is left alone


def test_interpreter_input_of_odd_bool_bytes_gives_numpys_result():
    flags = tf.placeholder(tf.bool, [6])
    count = tf.reduce_sum(tf.cast(tf.logical_not(flags), tf.int32))
    with tf.Session() as sess:
        model = tf.lite.TFLiteConverter.from_session(sess, [flags], [count]).convert()
    interpreter = tf.lite.Interpreter(model_content=model)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], odd_bools())
    interpreter.invoke()
    output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert output == np.logical_not(odd_bools()).sum()
