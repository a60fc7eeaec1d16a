"""MatMul and BatchMatMulV2 against NumPy: one line of OPS per case (see op_testing.py).
Sizes cover the plain-loop path (tiny), the packed path with edge tiles, several k slabs and
row blocks, and the few-rows path."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op


def _t(x):
    return np.swapaxes(x, -1, -2)


OPS = [
    ("matmul", ["MatMul"], tf.matmul, np.matmul, [(5, 7), (7, 3)], np.float32, {}),
    ("matmul_large", ["MatMul"], tf.matmul, np.matmul, [(130, 257), (257, 65)], np.float64,
     {}),
    ("matmul_ta", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_a=True),
     lambda a, b: a.T @ b, [(7, 5), (7, 3)], np.float32, {}),
    ("matmul_tb", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_b=True),
     lambda a, b: a @ b.T, [(5, 7), (3, 7)], np.float64, {}),
    ("matmul_edge_tiles", ["MatMul"], tf.matmul, np.matmul, [(67, 131), (131, 45)],
     np.float32, {}),
    ("matmul_ta_tb_blocked", ["MatMul"],
     lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
     lambda a, b: a.T @ b.T, [(300, 157), (83, 300)], np.float64, {}),
    ("matmul_ta_blocked", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_a=True),
     lambda a, b: a.T @ b, [(90, 161), (90, 37)], np.float32, {}),
    ("matmul_tb_blocked", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_b=True),
     lambda a, b: a @ b.T, [(161, 90), (37, 90)], np.float32, {}),
    ("matmul_many_slabs_and_blocks", ["MatMul"], tf.matmul, np.matmul,
     [(310, 600), (600, 70)], np.float64, {}),
    ("matmul_one_block_of_rows_wide", ["MatMul"], tf.matmul, np.matmul,
     [(50, 300), (300, 700)], np.float64, {}),
    ("matmul_few_rows", ["MatMul"], tf.matmul, np.matmul, [(3, 150), (150, 300)], np.float32,
     {}),
    ("matmul_one_column", ["MatMul"], tf.matmul, np.matmul, [(200, 300), (300, 1)],
     np.float64, {}),
    ("matmul_k0", ["MatMul"], tf.matmul, np.matmul, [(4, 0), (0, 3)], np.float32, {}),
    ("matmul_empty", ["MatMul"], tf.matmul, np.matmul, [(0, 5), (5, 3)], np.float64, {}),
    ("matmul_int32", ["MatMul"], tf.matmul, np.matmul, [(40, 50), (50, 30)], np.int32, {}),
    ("matmul_int64_tb", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_b=True),
     lambda a, b: a @ b.T, [(9, 6), (4, 6)], np.int64, {}),
    ("matmul_batched", ["BatchMatMulV2"], tf.matmul, np.matmul, [(2, 1, 4, 5), (3, 5, 2)],
     np.float32, {}),
    ("matmul_batched_large", ["BatchMatMulV2"], tf.matmul, np.matmul,
     [(3, 70, 130), (1, 130, 50)], np.float64, {}),
    ("matmul_batched_adjoint", ["BatchMatMulV2"],
     lambda a, b: tf.matmul(a, b, adjoint_a=True, adjoint_b=True),
     lambda a, b: _t(a) @ _t(b), [(2, 40, 30), (2, 20, 40)], np.float32, {}),
    ("matmul_batched_k0", ["BatchMatMulV2"], tf.matmul, np.matmul, [(2, 3, 0), (2, 0, 4)],
     np.float32, {}),
    ("matmul_batched_empty_batch", ["BatchMatMulV2"], tf.matmul, np.matmul,
     [(0, 3, 4), (4, 2)], np.float64, {}),
    ("matmul_batched_int", ["BatchMatMulV2"], tf.matmul, np.matmul, [(4, 3, 5), (5, 2)],
     np.int64, {}),
]

# Gradients against finite differences (tests/test_gradients.py runs these):
# (id, op types covered, fn of float64 tensors, input shapes, options).
GRADS = [
    ("matmul", ["MatMul"], tf.matmul, [(2, 3), (3, 4)], {}),
    ("matmul_ta", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_a=True),
     [(3, 2), (3, 4)], {}),
    ("matmul_tb", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_b=True),
     [(2, 3), (4, 3)], {}),
    ("matmul_ta_tb", ["MatMul"],
     lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True), [(3, 2), (4, 3)], {}),
    ("matmul_size1", ["MatMul"], tf.matmul, [(1, 3), (3, 1)], {}),
    ("batch_matmul", ["BatchMatMulV2"], tf.matmul, [(2, 2, 3), (2, 3, 2)], {}),
    ("batch_matmul_broadcast", ["BatchMatMulV2"], tf.matmul, [(2, 1, 2, 3), (3, 3, 2)], {}),
    ("batch_matmul_rank2_operand", ["BatchMatMulV2"], tf.matmul, [(2, 3), (2, 3, 2)], {}),
    ("batch_matmul_adj_x", ["BatchMatMulV2"], lambda a, b: tf.matmul(a, b, adjoint_a=True),
     [(2, 3, 2), (1, 3, 2)], {}),
    ("batch_matmul_adj_y", ["BatchMatMulV2"], lambda a, b: tf.matmul(a, b, adjoint_b=True),
     [(1, 2, 3), (2, 4, 3)], {}),
    ("batch_matmul_adj_both", ["BatchMatMulV2"],
     lambda a, b: tf.matmul(a, b, adjoint_a=True, adjoint_b=True), [(2, 3, 2), (2, 2, 3)],
     {}),
]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)


def test_matmul_inner_dims_must_match():
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.matmul(tf.zeros([2, 3]), tf.zeros([4, 2]))


def test_matmul_gradients_with_unknown_dims_sum_over_broadcast_batch_dims(rng):
    av, bv = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((3, 5, 2))
    a = tf.placeholder(tf.float64, [None, None, 4, 5])
    b = tf.placeholder(tf.float64, [None, 5, None])
    ga, gb = tf.gradients(tf.matmul(a, b), [a, b])
    assert ga.shape.as_list() == [None, None, 4, 5] and gb.shape.as_list() == [None, 5, None]
    with tf.Session() as sess:
        ga, gb = sess.run([ga, gb], {a: av, b: bv})
    ones = np.ones((2, 3, 4, 2))
    np.testing.assert_allclose(ga, ones @ _t(bv), rtol=1e-12)
    np.testing.assert_allclose(gb, (_t(av) @ ones).sum(0), rtol=1e-12)
