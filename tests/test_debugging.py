"""tf.Print, tf.print, tf.Assert and the assert_* family, tf.check_numerics."""
import io
import sys

import numpy as np
import pytest

import tensorlib as tf


def test_print_passes_its_input_and_prints_a_summary(capsys):
    x = tf.constant([1, 2, 3, 4, 5])
    y = tf.Print(x, [x, tf.constant([[1.5, 2.0], [3.0, 4.0]])], message="values: ")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), [1, 2, 3, 4, 5])
    assert capsys.readouterr().err == "values: [1 2 3...][[1.5 2][3...]]\n"


def test_print_first_n_and_summarize(capsys):
    x = tf.constant(np.arange(6, dtype=np.int64))
    y = tf.Print(x, [x], message="x", first_n=2, summarize=10)
    with tf.Session() as sess:
        for _ in range(4):
            sess.run(y)
    assert capsys.readouterr().err == "x[0 1 2 3 4 5]\n" * 2


def test_print_gradient_flows_to_its_input():
    x = tf.constant([1.0, 2.0])
    (g,) = tf.gradients(tf.reduce_sum(tf.Print(x, [x]) * 3.0), [x])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g), [3.0, 3.0])


def test_tf_print_formats_like_numpy_with_python_values(capsys):
    x = tf.constant([[1, 2, 3], [4, 5, 6]])
    op = tf.print("x =", x, {"sum": tf.reduce_sum(x)}, output_stream=sys.stdout)
    with tf.Session() as sess:
        sess.run(op)
    assert capsys.readouterr().out == "x = [[1 2 3]\n [4 5 6]] {'sum': 21}\n"


def test_tf_print_elides_long_dims_and_writes_files(tmp_path):
    path = tmp_path / "log.txt"
    op = tf.print(tf.range(10), summarize=2, output_stream="file://" + str(path), end="!\n")
    with tf.Session() as sess:
        sess.run(op)
        sess.run(op)
    assert path.read_text() == "[0 1 ... 8 9]!\n" * 2


def test_tf_print_writes_through_the_current_sys_stderr(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    op = tf.print(tf.constant(0.25), "done")
    with tf.Session() as sess:
        sess.run(op)
    assert buffer.getvalue() == "0.25 done\n"


def test_tf_print_rejects_unknown_streams():
    with pytest.raises(ValueError, match="output_stream"):
        tf.print(tf.constant(1), output_stream=io.StringIO())


def test_assert_fails_the_run_with_its_data():
    x = tf.placeholder(tf.float32, [None])
    check = tf.Assert(tf.reduce_all(x > 0), ["x must be positive:", x])
    with tf.control_dependencies([check]):
        y = tf.identity(x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"assertion failed: \[x must be positive:\] \[1 -2 3...\]"):
            sess.run(y, {x: [1.0, -2.0, 3.0, 4.0]})


@pytest.mark.parametrize("assertion, ok, bad", [
    (tf.assert_equal, ([1, 2], [1, 2]), ([1, 2], [1, 3])),
    (tf.assert_none_equal, ([1, 2], [3, 4]), ([1, 2], [1, 4])),
    (tf.assert_less, ([1, 2], [2, 3]), ([1, 2], [2, 2])),
    (tf.assert_less_equal, ([1, 2], [1, 2]), ([1, 3], [1, 2])),
    (tf.assert_greater, ([2, 3], [1, 2]), ([2, 2], [1, 2])),
    (tf.assert_greater_equal, ([2, 2], [2, 2]), ([1, 2], [2, 2])),
])
def test_binary_asserts_at_run_time_and_on_constants(assertion, ok, bad):
    a = tf.placeholder(tf.int32, [None])
    b = tf.placeholder(tf.int32, [None])
    check = assertion(a, b, message="custom message")
    with tf.Session() as sess:
        sess.run(check, {a: ok[0], b: ok[1]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="custom message"):
            sess.run(check, {a: bad[0], b: bad[1]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="did not hold"):
        assertion(tf.constant(bad[0]), tf.constant(bad[1]))


@pytest.mark.parametrize("assertion, ok, bad", [
    (tf.assert_positive, [1.0, 2.0], [1.0, 0.0]),
    (tf.assert_negative, [-1.0], [-1.0, 0.0]),
    (tf.assert_non_negative, [0.0, 2.0], [-1.0]),
    (tf.assert_non_positive, [0.0, -2.0], [1.0]),
])
def test_sign_asserts(assertion, ok, bad):
    x = tf.placeholder(tf.float32, [None])
    check = assertion(x)
    with tf.Session() as sess:
        sess.run(check, {x: ok})
        with pytest.raises(tf.errors.InvalidArgumentError, match="did not hold"):
            sess.run(check, {x: bad})


def test_assert_near_uses_tolerances():
    x = tf.placeholder(tf.float32, [2])
    check = tf.assert_near(x, tf.constant([1.0, 2.0]), rtol=0.0, atol=0.01)
    with tf.Session() as sess:
        sess.run(check, {x: [1.005, 1.995]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="tolerance"):
            sess.run(check, {x: [1.02, 2.0]})


def test_rank_type_and_scalar_checks():
    with pytest.raises(ValueError, match="must have rank 2"):
        tf.assert_rank(tf.constant([1, 2]), 2)
    x = tf.placeholder(tf.float32)
    check = tf.assert_rank(x, 2)
    at_least = tf.assert_rank_at_least(x, 1)
    with tf.Session() as sess:
        sess.run([check, at_least], {x: np.zeros((2, 3))})
        with pytest.raises(tf.errors.InvalidArgumentError, match="must have rank"):
            sess.run(check, {x: np.zeros(3)})
        with pytest.raises(tf.errors.InvalidArgumentError, match="at least"):
            sess.run(at_least, {x: np.float32(1)})
    with pytest.raises(TypeError, match="must be of type"):
        tf.assert_type(tf.constant(1), tf.float32)
    with pytest.raises(TypeError, match="integer"):
        tf.assert_integer(tf.constant(1.0))
    with pytest.raises(ValueError, match="scalar"):
        tf.assert_scalar(tf.constant([1]))
    assert tf.is_numeric_tensor(tf.constant(1.0)) and not tf.is_numeric_tensor(tf.constant("a"))


def test_monotonicity_predicates():
    with tf.Session() as sess:
        assert sess.run(tf.is_non_decreasing([1, 1, 2]))
        assert not sess.run(tf.is_strictly_increasing([1, 1, 2]))
        assert sess.run(tf.is_strictly_increasing([[1, 2], [3, 4]]))


@pytest.mark.parametrize("values, what", [
    ([1.0, np.nan], "NaN"), ([np.inf, 1.0], "Inf"), ([np.nan, -np.inf], "Inf and NaN")])
def test_check_numerics_names_what_it_found(values, what):
    x = tf.placeholder(tf.float32, [2])
    y = tf.check_numerics(x, "bad input")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=f"bad input : Tensor had {what} values"):
            sess.run(y, {x: values})


def test_check_numerics_checks_gradients_too():
    x = tf.placeholder(tf.float32, [2])
    (g,) = tf.gradients(tf.reduce_sum(tf.sqrt(tf.check_numerics(x, "x"))), [x])
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(g, {x: [1.0, 4.0]}), [0.5, 0.25])
        with pytest.raises(tf.errors.InvalidArgumentError, match="in gradient"):
            sess.run(g, {x: [0.0, 4.0]})


def test_check_numerics_rejects_integers_when_building():
    with pytest.raises(TypeError):
        tf.check_numerics(tf.constant([1]), "ints")


def test_add_check_numerics_ops_finds_the_op_that_made_a_nan():
    x = tf.placeholder(tf.float32, [])
    y = tf.log(x, name="the_log")
    check = tf.add_check_numerics_ops()
    with tf.Session() as sess:
        sess.run([y, check], {x: 2.0})
        with pytest.raises(tf.errors.InvalidArgumentError, match="the_log:0"):
            sess.run([y, check], {x: -1.0})
