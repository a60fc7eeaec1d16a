"""Errors name the user's file and line: where a bad op was built (construction time), where a
failing op was defined (run time), and where a variable was first created (a reuse error)."""
import inspect

import numpy as np
import pytest

import tensorlib as tf


def next_line():
    """The number of the line after the caller's: where the statement under test sits."""
    return inspect.currentframe().f_back.f_lineno + 1


def here(line):
    """How errors name a line of this file."""
    return f"{__file__}:{line}"


def test_construction_error_names_the_users_line():
    a, b = tf.ones([2, 3]), tf.ones([4, 5])
    line = next_line()
    with pytest.raises(ValueError) as info:
        tf.matmul(a, b, name="product")
    message = str(info.value)
    assert "product" in message and "[2,3]" in message and "[4,5]" in message
    assert here(line + 1) in message


def make_sum(x, y):
    return x + y  # the innermost line outside tensorlib is the one named


def test_construction_error_in_a_helper_names_the_helpers_line():
    line = inspect.getsourcelines(make_sum)[1] + 1
    with pytest.raises(ValueError) as info:
        make_sum(tf.ones([2]), tf.ones([3]))
    assert here(line) in str(info.value)


def test_construction_error_inside_a_library_function_names_the_users_call():
    labels, logits = tf.ones([2, 3]), tf.ones([2, 4])
    line = next_line()
    with pytest.raises(ValueError) as info:
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    assert here(line + 1) in str(info.value)


def test_run_time_error_names_the_failing_op_and_the_line_that_defined_it():
    x = tf.placeholder(tf.float32, [None])
    line = next_line()
    square = tf.reshape(x, [2, 2], name="to_square")
    y = square * 2.0
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: np.ones(3, np.float32)})
        np.testing.assert_array_equal(sess.run(y, {x: np.ones(4, np.float32)}),
                                      np.full((2, 2), 2.0))
    assert info.value.op is square.op
    message = str(info.value)
    assert "to_square" in message and here(line) in message


def test_reuse_error_names_where_the_variable_was_first_defined():
    with tf.variable_scope("layer"):
        line = next_line()
        tf.get_variable("w", [1])
    with pytest.raises(ValueError, match="already exists") as info:
        with tf.variable_scope("layer"):
            tf.get_variable("w", [1])
    assert f"Originally defined at {here(line)}." in str(info.value)
