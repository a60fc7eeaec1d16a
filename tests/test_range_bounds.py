"""tf.range at the edges of its dtypes: int64 spans wider than 2^63, lengths nothing can hold,
and messages that print huge and tiny bounds. The reference is Python's range, which counts
exactly (NumPy's arange counts in floating point and loses the last element of some spans)."""
import numpy as np
import pytest

import tensorlib as tf

INT64 = np.iinfo(np.int64)

WIDE_SPANS = [
    (INT64.min, INT64.max, 2 ** 62),
    (INT64.min, INT64.max, INT64.max),
    (INT64.max, INT64.min, -(2 ** 62)),
    (-(2 ** 62) * 3 // 2, 2 ** 62 * 3 // 2, 2 ** 61),
    (INT64.min + 5, INT64.max - 7, 3 * 2 ** 60 + 1),
]


@pytest.mark.parametrize("start,limit,delta", WIDE_SPANS)
def test_int64_range_wider_than_2_to_63_is_numpys(start, limit, delta):
    expected = np.array(range(start, limit, delta), dtype=np.int64)
    constant = tf.range(np.int64(start), np.int64(limit), np.int64(delta))
    assert constant.shape.as_list() == [len(expected)]  # the shape function counts it too
    bounds = [tf.placeholder(tf.int64, []) for _ in range(3)]
    fed = tf.range(*bounds)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(constant), expected)
        np.testing.assert_array_equal(
            sess.run(fed, dict(zip(bounds, (start, limit, delta)))), expected)


def test_int32_range_across_the_whole_dtype():
    info = np.iinfo(np.int32)
    r = tf.range(info.min, info.max, 2 ** 29 + 3)
    with tf.Session() as sess:
        np.testing.assert_array_equal(
            sess.run(r), np.array(range(info.min, info.max, 2 ** 29 + 3), dtype=np.int32))


def test_int64_range_longer_than_int64_can_count_is_a_clear_error():
    bounds = [tf.placeholder(tf.int64, []) for _ in range(3)]
    r = tf.range(*bounds)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"number of elements, 18446744073709551615, to be at most "
                                 r"2\^63 - 1(.|\n)*test_range_bounds.py"):
            sess.run(r, dict(zip(bounds, (INT64.min, INT64.max, 1))))
    with pytest.raises(ValueError, match=r"18446744073709551615, to be at most 2\^63 - 1"):
        tf.range(np.int64(INT64.min), np.int64(INT64.max), np.int64(1))


def test_float_range_too_long_prints_its_real_bounds():
    huge = tf.range(0.0, 1e30)  # delta 1 is an int: cast at run time, so checked there
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"= 1e\+30, to be at most 2\^63 - 1 \(start 0, limit 1e\+30, "
                                 r"delta 1\)(.|\n)*test_range_bounds.py"):
            sess.run(huge)
    with pytest.raises(ValueError, match=r"\(start 0, limit 1, delta 1e-30\).*"
                                         r"test_range_bounds.py"):
        tf.range(0.0, 1.0, 1e-30)  # all three constants: checked as the graph is built


def test_range_direction_errors_print_their_bounds():
    with pytest.raises(ValueError, match=r"Requires start <= limit when delta > 0 \(start 5, "
                                         r"limit 1, delta 1\)"):
        tf.range(5, 1)
    with pytest.raises(ValueError, match=r"Requires delta != 0 \(start 0, limit 1, delta 0\)"):
        tf.range(0.0, 1.0, 0.0)
