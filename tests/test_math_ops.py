"""Math ops against NumPy: one line of OPS per op and case (see op_testing.py)."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op, run_with_threads, run_with_vector_widths, runnable_gemm_kernels
from tensorlib.framework import ops


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _odd(y):
    """Nonzero divisors (odd numbers, both signs) from arbitrary integers."""
    return y * 2 + 1


OPS = [
    ("add", ["Add"], tf.add, np.add, [(3, 4), (3, 4)], np.float32, {}),
    ("add_broadcast", ["Add"], tf.add, np.add, [(2, 1, 4), (3, 1)], np.float64, {}),
    ("add_scalar", ["Add"], tf.add, np.add, [(5,), ()], np.int32, {}),
    ("add_empty", ["Add"], tf.add, np.add, [(0, 3), (1, 3)], np.float32, {}),
    ("subtract", ["Sub"], tf.subtract, np.subtract, [(4, 5), (5,)], np.float32, {}),
    ("subtract_int64", ["Sub"], tf.subtract, np.subtract, [(7,), (7,)], np.int64, {}),
    ("multiply", ["Mul"], tf.multiply, np.multiply, [(2, 3, 4), (2, 1, 4)], np.float32, {}),
    ("divide", ["RealDiv"], tf.divide, np.divide, [(3, 3), (3,)], np.float64, {}),
    ("negative", ["Neg"], tf.negative, np.negative, [(6,)], np.float32, {}),
    ("negative_int", ["Neg"], tf.negative, np.negative, [(2, 2)], np.int32, {}),
    ("exp", ["Exp"], tf.exp, np.exp, [(100,)], np.float32, {}),
    ("log", ["Log"], tf.log, np.log, [(4, 25)], np.float64, {"positive": True}),
    ("sigmoid", ["Sigmoid"], tf.sigmoid, _sigmoid, [(3, 7)], np.float32, {}),
    ("abs", ["Abs"], tf.abs, np.abs, [(3, 4)], np.float32, {}),
    ("abs_int", ["Abs"], tf.abs, np.abs, [(7,)], np.int64, {}),
    ("square", ["Square"], tf.square, np.square, [(2, 5)], np.float64, {}),
    ("square_int", ["Square"], tf.square, np.square, [(6,)], np.int32, {}),
    ("sqrt", ["Sqrt"], tf.sqrt, np.sqrt, [(4, 4)], np.float32, {"positive": True}),
    ("rsqrt", ["Rsqrt"], tf.rsqrt, lambda x: 1 / np.sqrt(x), [(9,)], np.float64,
     {"positive": True}),
    ("log1p", ["Log1p"], tf.log1p, np.log1p, [(3, 3)], np.float32, {"positive": True}),
    ("sign", ["Sign"], tf.sign, np.sign, [(10,)], np.float32, {}),
    ("sign_int", ["Sign"], tf.sign, np.sign, [(10,)], np.int32, {"small_ints": True}),
    ("floor", ["Floor"], lambda x: tf.floor(x * 3), lambda x: np.floor(x * 3), [(8,)],
     np.float32, {}),
    ("ceil", ["Ceil"], lambda x: tf.ceil(x * 3), lambda x: np.ceil(x * 3), [(2, 4)],
     np.float64, {}),
    ("round_half_even", ["Round"], lambda x: tf.round(x * 2), lambda x: np.round(x * 2),
     [(4, 5)], np.float64, {"small_ints": True}),
    ("round_float", ["Round"], lambda x: tf.round(x * 4), lambda x: np.round(x * 4), [(30,)],
     np.float32, {}),
    ("round_int", ["Round"], tf.round, np.round, [(5,)], np.int64, {}),
    ("sin", ["Sin"], tf.sin, np.sin, [(3, 6)], np.float32, {}),
    ("cos", ["Cos"], tf.cos, np.cos, [(7,)], np.float64, {}),
    ("tanh", ["Tanh"], tf.tanh, np.tanh, [(4, 9)], np.float32, {}),
    ("tanh_f64", ["Tanh"], tf.tanh, np.tanh, [(13,)], np.float64, {}),
    ("exp_f64", ["Exp"], tf.exp, np.exp, [(3, 3)], np.float64, {}),
    ("log_f32", ["Log"], tf.log, np.log, [(37,)], np.float32, {"positive": True}),
    ("sigmoid_f64", ["Sigmoid"], tf.sigmoid, _sigmoid, [(11,)], np.float64, {}),
    ("logical_not", ["LogicalNot"], tf.logical_not, np.logical_not, [(3, 4)], np.bool_, {}),
    ("floordiv", ["FloorDiv"], tf.floordiv, np.floor_divide, [(3, 4), (4,)], np.float32, {}),
    ("floordiv_int", ["FloorDiv"], lambda x, y: tf.floordiv(x, _odd(y)),
     lambda x, y: np.floor_divide(x, _odd(y)), [(5, 6), (5, 1)], np.int32, {}),
    ("floordiv_int64", ["FloorDiv"], lambda x, y: tf.floordiv(x, _odd(y)),
     lambda x, y: np.floor_divide(x, _odd(y)), [(8,), ()], np.int64, {}),
    ("floormod", ["FloorMod"], tf.floormod, np.mod, [(2, 3, 4), (3, 1)], np.float64, {}),
    ("floormod_int", ["FloorMod"], lambda x, y: tf.mod(x, _odd(y)),
     lambda x, y: np.mod(x, _odd(y)), [(6, 7), (6, 7)], np.int32, {}),
    ("floormod_int64", ["FloorMod"], lambda x, y: tf.floormod(x, _odd(y)),
     lambda x, y: np.mod(x, _odd(y)), [(9,), (9,)], np.int64, {}),
    ("pow", ["Pow"], tf.pow, np.power, [(3, 4), (4,)], np.float32, {"positive": True}),
    ("pow_f64", ["Pow"], tf.pow, np.power, [(5,), (1,)], np.float64, {"positive": True}),
    ("pow_int", ["Pow"], lambda x, y: tf.pow(x, tf.abs(y)), lambda x, y: x ** np.abs(y),
     [(4, 5), (4, 5)], np.int32, {"small_ints": True}),
    ("maximum", ["Maximum"], tf.maximum, np.maximum, [(4, 1, 3), (2, 3)], np.float32, {}),
    ("maximum_int", ["Maximum"], tf.maximum, np.maximum, [(6,), (6,)], np.int64, {}),
    ("minimum", ["Minimum"], tf.minimum, np.minimum, [(3, 5), ()], np.float64, {}),
    ("minimum_int", ["Minimum"], tf.minimum, np.minimum, [(2, 3), (2, 1)], np.int32, {}),
    ("minimum_empty", ["Minimum"], tf.minimum, np.minimum, [(0, 3), (3,)], np.float32, {}),
    ("squared_difference", ["SquaredDifference"], tf.squared_difference,
     lambda x, y: (x - y) ** 2, [(3, 4), (3, 1)], np.float32, {}),
    ("squared_difference_int", ["SquaredDifference"], tf.squared_difference,
     lambda x, y: (x - y) ** 2, [(5,), (5,)], np.int64, {}),
    ("not_equal", ["NotEqual"], tf.not_equal, np.not_equal, [(4, 3), (3,)], np.int32,
     {"small_ints": True}),
    ("not_equal_bool", ["NotEqual"], tf.not_equal, np.not_equal, [(6,), (6,)], np.bool_, {}),
    ("equal_bool", ["Equal"], tf.equal, np.equal, [(2, 3), (1, 3)], np.bool_, {}),
    ("less", ["Less"], tf.less, np.less, [(3, 4), (4,)], np.float32, {}),
    ("less_int", ["Less"], tf.less, np.less, [(5, 5), (5, 1)], np.int64, {"small_ints": True}),
    ("less_equal", ["LessEqual"], tf.less_equal, np.less_equal, [(2, 3, 4), (3, 1)],
     np.int32, {"small_ints": True}),
    ("greater", ["Greater"], tf.greater, np.greater, [(7,), ()], np.float64, {}),
    ("greater_equal", ["GreaterEqual"], tf.greater_equal, np.greater_equal, [(3, 3), (3, 3)],
     np.int32, {"small_ints": True}),
    ("greater_empty", ["Greater"], tf.greater, np.greater, [(2, 0), (1, 1)], np.float32, {}),
    ("logical_and", ["LogicalAnd"], tf.logical_and, np.logical_and, [(3, 4), (4,)],
     np.bool_, {}),
    ("logical_or", ["LogicalOr"], tf.logical_or, np.logical_or, [(2, 1, 3), (2, 3)], np.bool_,
     {}),
    ("logical_xor", ["LogicalAnd", "LogicalOr", "LogicalNot"], tf.logical_xor,
     np.logical_xor, [(4, 4), (4, 4)], np.bool_, {}),
    ("add_n", ["AddN"], lambda *xs: tf.add_n(list(xs)), lambda *xs: sum(xs),
     [(3, 4), (3, 4), (3, 4)], np.float32, {}),
    ("add_n_one", ["AddN"], lambda x: tf.add_n([x]), lambda x: x, [(5,)], np.float64, {}),
    ("add_n_int_many", ["AddN"], lambda *xs: tf.add_n(list(xs)), lambda *xs: sum(xs),
     [(2, 3)] * 5, np.int32, {}),
    ("add_n_half", ["AddN"], lambda *xs: tf.add_n(list(xs)),
     lambda *xs: sum(x.astype(np.float32) for x in xs).astype(np.float16), [(3, 5)] * 3,
     np.float16, {}),
    ("add_n_large", ["AddN"], lambda *xs: tf.add_n(list(xs)), lambda *xs: sum(xs),
     [(70000,)] * 3, np.float32, {}),
    ("where_select", ["SelectV2"], lambda c, x, y: tf.where(c > 0, x, y),
     lambda c, x, y: np.where(c > 0, x, y), [(3, 4), (3, 4), (3, 4)], np.float32, {}),
    ("where_select_rows", ["SelectV2", "Reshape"], lambda c, x, y: tf.where(c > 0, x, y),
     lambda c, x, y: np.where((c > 0)[:, None], x, y), [(3,), (3, 4), (3, 4)], np.float64,
     {}),
    ("where_v2_broadcast", ["SelectV2"], lambda c, x, y: tf.where_v2(c > 0, x, y),
     lambda c, x, y: np.where(c > 0, x, y), [(4, 1), (1, 5), ()], np.int32, {}),
    ("where_coordinates", ["Where"], lambda x: tf.where(x > 0), lambda x: np.argwhere(x > 0),
     [(3, 4, 2)], np.float32, {}),
    ("where_coordinates_empty", ["Where"], lambda x: tf.where(x > 100),
     lambda x: np.argwhere(x > 100), [(5, 2)], np.float64, {}),
    ("clip_by_value", ["Minimum", "Maximum"], lambda x: tf.clip_by_value(x, -0.5, 0.5),
     lambda x: np.clip(x, -0.5, 0.5), [(4, 6)], np.float32, {}),
    ("clip_by_value_tensors", ["Minimum", "Maximum"], tf.clip_by_value,
     lambda x, lo, hi: np.maximum(np.minimum(x, hi), lo), [(3, 4), (4,), ()], np.float64, {}),
    ("cumsum", ["Cumsum"], tf.cumsum, lambda x: np.cumsum(x, axis=0), [(5, 3)], np.float64,
     {}),
    ("cumsum_axis1_int", ["Cumsum"], lambda x: tf.cumsum(x, axis=1),
     lambda x: np.cumsum(x, axis=1, dtype=x.dtype), [(2, 6, 3)], np.int32, {}),
    ("cumsum_exclusive_reverse", ["Cumsum"],
     lambda x: tf.cumsum(x, axis=-1, exclusive=True, reverse=True),
     lambda x: np.flip(np.cumsum(np.flip(x, -1), -1), -1) - x, [(3, 7)], np.int64, {}),
    ("cumsum_exclusive", ["Cumsum"], lambda x: tf.cumsum(x, exclusive=True),
     lambda x: np.cumsum(x, axis=0) - x, [(6,)], np.float64, {}),
    ("cumsum_empty", ["Cumsum"], lambda x: tf.cumsum(x, 1), lambda x: np.cumsum(x, 1),
     [(0, 4)], np.float32, {}),
    ("tensordot_matmul", ["MatMul"], lambda a, b: tf.tensordot(a, b, 1),
     lambda a, b: np.tensordot(a, b, 1), [(3, 4), (4, 5)], np.float32, {}),
    ("einsum_matmul", ["MatMul"], lambda a, b: tf.einsum("ij,jk->ik", a, b),
     lambda a, b: np.einsum("ij,jk->ik", a, b), [(3, 4), (4, 2)], np.float32, {}),
    ("einsum_matmul_tb", ["MatMul"], lambda a, b: tf.einsum("ij,kj->ik", a, b),
     lambda a, b: np.einsum("ij,kj->ik", a, b), [(3, 4), (5, 4)], np.float64, {}),
    ("einsum_matmul_swapped_out", ["MatMul"], lambda a, b: tf.einsum("ij,jk->ki", a, b),
     lambda a, b: np.einsum("ij,jk->ki", a, b), [(3, 4), (4, 2)], np.float32, {}),
    ("einsum_batch", ["BatchMatMulV2"], lambda a, b: tf.einsum("bij,bjk->bik", a, b),
     lambda a, b: np.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)], np.float32, {}),
    ("einsum_outer", ["Mul", "Reshape"], lambda a, b: tf.einsum("i,j->ij", a, b),
     lambda a, b: np.einsum("i,j->ij", a, b), [(3,), (4,)], np.float32, {}),
    ("einsum_elementwise", ["Mul"], lambda a, b: tf.einsum("ij,ij->ij", a, b),
     lambda a, b: np.einsum("ij,ij->ij", a, b), [(3, 4), (3, 4)], np.float32, {}),
    ("einsum_dot", ["MatMul", "Reshape"], lambda a, b: tf.einsum("i,i->", a, b),
     lambda a, b: np.einsum("i,i->", a, b), [(6,), (6,)], np.float64, {}),
    ("einsum_sum_out", ["Sum"], lambda a: tf.einsum("ijk->ik", a),
     lambda a: np.einsum("ijk->ik", a), [(2, 3, 4)], np.float32, {}),
    ("einsum_matvec", ["MatMul", "Reshape"], lambda a, b: tf.einsum("ij,j->i", a, b),
     lambda a, b: np.einsum("ij,j->i", a, b), [(3, 4), (4,)], np.float32, {}),
    ("tensordot_two_axes", ["MatMul", "Reshape"], lambda a, b: tf.tensordot(a, b, 2),
     lambda a, b: np.tensordot(a, b, 2), [(2, 3, 4), (3, 4, 5)], np.float64, {}),
    ("tensordot_axis_lists", ["MatMul"], lambda a, b: tf.tensordot(a, b, [[0], [0]]),
     lambda a, b: np.tensordot(a, b, [[0], [0]]), [(4, 2, 3), (4, 5)], np.float32, {}),
    ("tensordot_trailing_b", ["MatMul"], lambda a, b: tf.tensordot(a, b, [[2], [1]]),
     lambda a, b: np.tensordot(a, b, [[2], [1]]), [(2, 3, 4), (5, 4)], np.float64, {}),
    ("tensordot_outer", ["MatMul"], lambda a, b: tf.tensordot(a, b, 0),
     lambda a, b: np.tensordot(a, b, 0), [(3,), (2, 2)], np.float32, {}),
    ("tensordot_middle_axes", ["Transpose", "MatMul"],
     lambda a, b: tf.tensordot(a, b, [[1], [0]]), lambda a, b: np.tensordot(a, b, [[1], [0]]),
     [(2, 3, 4), (3, 5)], np.float32, {}),
    ("tensordot_crossed_axes", ["Transpose", "MatMul"],
     lambda a, b: tf.tensordot(a, b, [[2, 0], [0, 2]]),
     lambda a, b: np.tensordot(a, b, [[2, 0], [0, 2]]), [(4, 3, 2), (2, 5, 4)], np.float64,
     {}),
    ("tensordot_negative_axes", ["Transpose", "MatMul"],
     lambda a, b: tf.tensordot(a, b, [[-2], [-1]]),
     lambda a, b: np.tensordot(a, b, [[-2], [-1]]), [(2, 3, 4), (5, 3)], np.float32, {}),
    ("tensordot_all_axes", ["MatMul"], lambda a, b: tf.tensordot(a, b, [[1, 0], [0, 1]]),
     lambda a, b: np.tensordot(a, b, [[1, 0], [0, 1]]), [(3, 4), (4, 3)], np.float64, {}),
    ("tensordot_empty", ["MatMul"], lambda a, b: tf.tensordot(a, b, [[0], [1]]),
     lambda a, b: np.tensordot(a, b, [[0], [1]]), [(3, 0), (2, 3)], np.float32, {}),
    ("einsum_contract_two", ["MatMul", "Reshape"], lambda a, b: tf.einsum("ijk,jkl", a, b),
     lambda a, b: np.einsum("ijk,jkl", a, b), [(2, 3, 4), (3, 4, 5)], np.float64, {}),
    ("einsum_transpose", ["Transpose"], lambda a: tf.einsum("ijk->kij", a),
     lambda a: np.einsum("ijk->kij", a), [(2, 3, 4)], np.float32, {}),
    ("einsum_sum_and_permute", ["Sum", "Transpose"], lambda a: tf.einsum("ijk->ki", a),
     lambda a: np.einsum("ijk->ki", a), [(2, 3, 4)], np.float64, {}),
    ("einsum_sum_all", ["Sum"], lambda a: tf.einsum("ij->", a),
     lambda a: np.einsum("ij->", a), [(3, 4)], np.float32, {}),
    ("einsum_batch_in_middle", ["Transpose", "BatchMatMulV2"],
     lambda a, b: tf.einsum("ibj,jbk->bik", a, b), lambda a, b: np.einsum("ibj,jbk->bik", a, b),
     [(3, 2, 4), (4, 2, 5)], np.float32, {}),
    ("einsum_batch_last_out", ["Transpose", "BatchMatMulV2"],
     lambda a, b: tf.einsum("bij,bjk->ikb", a, b), lambda a, b: np.einsum("bij,bjk->ikb", a, b),
     [(2, 3, 4), (2, 4, 5)], np.float64, {}),
    ("einsum_two_batch_dims", ["BatchMatMulV2"],
     lambda a, b: tf.einsum("abij,abkj->abik", a, b),
     lambda a, b: np.einsum("abij,abkj->abik", a, b), [(2, 3, 2, 4), (2, 3, 5, 4)],
     np.float32, {}),
    ("einsum_multi_contraction", ["Transpose", "MatMul"],
     lambda a, b: tf.einsum("ikjl,ljm->mki", a, b),
     lambda a, b: np.einsum("ikjl,ljm->mki", a, b), [(2, 3, 4, 5), (5, 4, 2)], np.float64,
     {}),
    ("einsum_outer_permuted", ["Mul", "Transpose"], lambda a, b: tf.einsum("ij,k->kji", a, b),
     lambda a, b: np.einsum("ij,k->kji", a, b), [(2, 3), (4,)], np.float32, {}),
    ("einsum_batch_outer", ["Mul"], lambda a, b: tf.einsum("bi,bj->bij", a, b),
     lambda a, b: np.einsum("bi,bj->bij", a, b), [(3, 2), (3, 4)], np.float64, {}),
    ("einsum_elementwise_transposed", ["Mul", "Transpose"],
     lambda a, b: tf.einsum("ij,ji->ij", a, b), lambda a, b: np.einsum("ij,ji->ij", a, b),
     [(3, 4), (4, 3)], np.float32, {}),
    ("einsum_sum_before_product", ["Sum", "MatMul"], lambda a, b: tf.einsum("ijx,jk->ik", a, b),
     lambda a, b: np.einsum("ijx,jk->ik", a, b), [(2, 3, 4), (3, 5)], np.float32, {}),
    ("einsum_three_operands", ["MatMul"], lambda a, b, c: tf.einsum("ij,jk,kl->li", a, b, c),
     lambda a, b, c: np.einsum("ij,jk,kl->li", a, b, c), [(2, 3), (3, 4), (4, 5)],
     np.float64, {}),
    ("einsum_implicit_output", ["MatMul"], lambda a, b: tf.einsum("ba,cb", a, b),
     lambda a, b: np.einsum("ba,cb", a, b), [(3, 2), (4, 3)], np.float32, {}),
    ("einsum_empty", ["MatMul"], lambda a, b: tf.einsum("ij,jk->ki", a, b),
     lambda a, b: np.einsum("ij,jk->ki", a, b), [(0, 3), (3, 2)], np.float32, {}),
    ("equal", ["Equal"], tf.equal, np.equal, [(4, 3), (3,)], np.int32, {"small_ints": True}),
    ("reduce_sum_all", ["Sum"], tf.reduce_sum, np.sum, [(4, 5, 6)], np.float32, {}),
    ("reduce_sum_axis", ["Sum"], lambda x: tf.reduce_sum(x, axis=1),
     lambda x: x.sum(axis=1), [(4, 5, 6)], np.float64, {}),
    ("reduce_sum_neg_axes_keepdims", ["Sum"],
     lambda x: tf.reduce_sum(x, axis=[0, -1], keepdims=True),
     lambda x: x.sum(axis=(0, 2), keepdims=True), [(3, 4, 5)], np.float32, {}),
    ("reduce_sum_int", ["Sum"], lambda x: tf.reduce_sum(x, 0), lambda x: x.sum(0),
     [(6, 2)], np.int64, {}),
    ("reduce_sum_empty", ["Sum"], tf.reduce_sum, np.sum, [(0, 3)], np.float32, {}),
    ("reduce_mean", ["Mean"], lambda x: tf.reduce_mean(x, axis=0),
     lambda x: x.mean(axis=0), [(10, 3)], np.float32, {}),
    ("reduce_mean_keep_dims", ["Mean"], lambda x: tf.reduce_mean(x, 1, keep_dims=True),
     lambda x: x.mean(1, keepdims=True), [(4, 9)], np.float64, {}),
    ("reduce_max", ["Max"], lambda x: tf.reduce_max(x, axis=1), lambda x: x.max(axis=1),
     [(4, 5, 6)], np.float32, {}),
    ("reduce_max_all_int", ["Max"], tf.reduce_max, np.max, [(3, 7)], np.int32, {}),
    ("reduce_max_keepdims_neg", ["Max"], lambda x: tf.reduce_max(x, [0, -1], keepdims=True),
     lambda x: x.max(axis=(0, 2), keepdims=True), [(3, 4, 5)], np.float64, {}),
    ("reduce_max_empty", ["Max"], lambda x: tf.reduce_max(x, 0),
     lambda x: np.max(x, 0, initial=-np.inf), [(0, 3)], np.float32, {}),
    ("reduce_max_empty_int", ["Max"], lambda x: tf.reduce_max(x, 1),
     lambda x: np.max(x, 1, initial=np.iinfo(np.int32).min), [(2, 0)], np.int32, {}),
    ("reduce_max_columns_long", ["Max"], lambda x: tf.reduce_max(x, 0), lambda x: x.max(0),
     [(300, 5)], np.float32, {}),
    ("reduce_max_row_long", ["Max"], lambda x: tf.reduce_max(x, 1), lambda x: x.max(1),
     [(2, 70000)], np.float32, {}),
    ("reduce_max_no_axes", ["Max"], lambda x: tf.reduce_max(x, axis=[]), lambda x: x,
     [(3, 2)], np.float32, {}),
    ("reduce_min", ["Min"], lambda x: tf.reduce_min(x, 0), lambda x: x.min(0), [(6, 3)],
     np.float64, {}),
    ("reduce_min_int64_keep_dims", ["Min"], lambda x: tf.reduce_min(x, 1, keep_dims=True),
     lambda x: x.min(1, keepdims=True), [(4, 5)], np.int64, {}),
    ("reduce_min_empty", ["Min"], tf.reduce_min, lambda x: np.min(x, initial=np.inf),
     [(0,)], np.float64, {}),
    ("reduce_min_two_groups", ["Min"], lambda x: tf.reduce_min(x, [0, 2]),
     lambda x: x.min(axis=(0, 2)), [(3, 4, 5, 2)], np.float32, {}),
    ("reduce_prod", ["Prod"], lambda x: tf.reduce_prod(x, -1), lambda x: x.prod(-1),
     [(4, 5)], np.float32, {}),
    ("reduce_prod_int", ["Prod"], tf.reduce_prod, np.prod, [(2, 3)], np.int64,
     {"small_ints": True}),
    ("reduce_prod_empty", ["Prod"], lambda x: tf.reduce_prod(x, 0), lambda x: x.prod(0),
     [(0, 2)], np.float64, {}),
    ("reduce_any", ["Any"], lambda x: tf.reduce_any(x, 1), lambda x: x.any(1), [(5, 3)],
     np.bool_, {}),
    ("reduce_any_all_axes", ["Any"], tf.reduce_any, np.any, [(2, 3, 4)], np.bool_, {}),
    ("reduce_all_long_rows", ["All"], lambda x: tf.reduce_all(x > -3.9, 1),
     lambda x: (x > -3.9).all(1), [(4, 5000)], np.float32, {}),
    ("reduce_any_long_rows", ["Any"], lambda x: tf.reduce_any(x > 4.2, -1),
     lambda x: (x > 4.2).any(-1), [(6, 40000)], np.float32, {}),
    ("reduce_any_empty", ["Any"], tf.reduce_any, np.any, [(0, 3)], np.bool_, {}),
    ("reduce_all", ["All"], lambda x: tf.reduce_all(x, 0, keepdims=True),
     lambda x: x.all(0, keepdims=True), [(4, 3)], np.bool_, {}),
    ("reduce_all_two_groups", ["All"], lambda x: tf.reduce_all(x, [0, 2]),
     lambda x: x.all(axis=(0, 2)), [(2, 3, 2, 4)], np.bool_, {}),
    ("reduce_all_empty", ["All"], lambda x: tf.reduce_all(x, 1), lambda x: x.all(1),
     [(3, 0)], np.bool_, {}),
    ("reduce_logsumexp", ["Max", "Sum", "Exp", "Log"], lambda x: tf.reduce_logsumexp(x, 1),
     lambda x: _logsumexp(x, 1), [(4, 6)], np.float64, {}),
    ("reduce_logsumexp_all_keepdims", ["Max", "Sum"],
     lambda x: tf.reduce_logsumexp(x * 100, keepdims=True),
     lambda x: _logsumexp(x * 100, keepdims=True), [(3, 5)], np.float32, {}),
    ("argmin", ["ArgMin"], lambda x: tf.argmin(x, axis=1), lambda x: np.argmin(x, axis=1),
     [(5, 8)], np.float32, {}),
    ("argmin_ties_int", ["ArgMin"], lambda x: tf.argmin(x, 0), lambda x: np.argmin(x, 0),
     [(6, 4)], np.int32, {"small_ints": True}),
    ("arg_min_int32_out", ["ArgMin"],
     lambda x: tf.arg_min(x, -1, output_type=tf.int32),
     lambda x: np.argmin(x, -1).astype(np.int32), [(3, 2, 7)], np.float64, {}),
    ("argmax", ["ArgMax"], lambda x: tf.argmax(x, axis=1), lambda x: np.argmax(x, axis=1),
     [(5, 8)], np.float32, {}),
    ("argmax_default_axis", ["ArgMax"], tf.argmax, lambda x: np.argmax(x, axis=0),
     [(6, 3)], np.int32, {}),
    ("cast_float_to_int", ["Cast"], lambda x: tf.cast(x * 10, tf.int32),
     lambda x: (x * 10).astype(np.int32), [(4, 4)], np.float32, {}),
    ("cast_to_half", ["Cast"], lambda x: tf.cast(x, tf.float16),
     lambda x: x.astype(np.float16), [(10,)], np.float32, {}),
    ("cast_to_bool", ["Cast"], lambda x: tf.cast(x, tf.bool), lambda x: x.astype(bool),
     [(10,)], np.int64, {"small_ints": True}),
    ("reshape", ["Reshape"], lambda x: tf.reshape(x, [3, -1]), lambda x: x.reshape(3, -1),
     [(2, 3, 4)], np.float32, {}),
    ("identity", ["Identity"], tf.identity, lambda x: x, [(3, 2)], np.int64, {}),
]

# The dtypes beyond float32, float64, int32 and int64 (tests/test_dtypes.py has the rest).
OPS += [
    ("add_int8", ["Add"], tf.add, np.add, [(3, 4), (4,)], np.int8, {}),
    ("add_uint16", ["Add"], tf.add, np.add, [(5,), ()], np.uint16, {}),
    ("add_complex64", ["Add"], tf.add, np.add, [(2, 3), (3,)], np.complex64, {}),
    ("subtract_uint8", ["Sub"], tf.subtract, np.subtract, [(6,), (6,)], np.uint8, {}),
    ("subtract_complex128", ["Sub"], tf.subtract, np.subtract, [(4,), (4,)], np.complex128,
     {}),
    ("multiply_int16", ["Mul"], tf.multiply, np.multiply, [(3, 5), (3, 1)], np.int16, {}),
    ("multiply_uint64", ["Mul"], tf.multiply, np.multiply, [(7,), (7,)], np.uint64, {}),
    ("multiply_complex128", ["Mul"], tf.multiply, np.multiply, [(2, 2), (2, 2)],
     np.complex128, {}),
    ("divide_complex64", ["RealDiv"], tf.divide, np.divide, [(3, 3), (3,)], np.complex64,
     {"away_from_zero": True}),
    ("divide_int16", ["Cast", "RealDiv"], lambda x, y: tf.divide(x, _odd(y)),
     lambda x, y: x.astype(np.float32) / _odd(y).astype(np.float32), [(4,), (4,)], np.int16,
     {}),
    ("divide_uint32", ["Cast", "RealDiv"], lambda x, y: x / _odd(y),
     lambda x, y: x.astype(np.float64) / _odd(y).astype(np.float64), [(5,), ()], np.uint32, {}),
    ("negative_int8", ["Neg"], tf.negative, np.negative, [(7,)], np.int8, {}),
    ("negative_complex64", ["Neg"], tf.negative, np.negative, [(5,)], np.complex64, {}),
    ("abs_int16", ["Abs"], tf.abs, np.abs, [(7,)], np.int16, {}),
    ("abs_uint8", ["Abs"], tf.abs, np.abs, [(7,)], np.uint8, {}),
    ("abs_complex64", ["ComplexAbs"], tf.abs, np.abs, [(3, 4)], np.complex64, {}),
    ("abs_complex128", ["ComplexAbs"], tf.abs, np.abs, [(6,)], np.complex128, {}),
    ("square_uint16", ["Square"], tf.square, np.square, [(6,)], np.uint16, {}),
    ("square_int8", ["Square"], tf.square, np.square, [(6,)], np.int8, {}),
    ("square_complex128", ["Square"], tf.square, np.square, [(2, 3)], np.complex128, {}),
    ("sign_int8", ["Sign"], tf.sign, np.sign, [(10,)], np.int8, {"small_ints": True}),
    ("sign_uint32", ["Sign"], tf.sign, np.sign, [(10,)], np.uint32, {"small_ints": True}),
    ("exp_complex64", ["Exp"], tf.exp, np.exp, [(6,)], np.complex64, {}),
    ("log_complex128", ["Log"], tf.log, np.log, [(6,)], np.complex128, {"away_from_zero": True}),
    ("sqrt_complex64", ["Sqrt"], tf.sqrt, np.sqrt, [(2, 4)], np.complex64, {}),
    ("floordiv_int8", ["FloorDiv"], lambda x, y: tf.floordiv(x, _odd(y)),
     lambda x, y: np.floor_divide(x, _odd(y)), [(5, 6), (5, 1)], np.int8, {}),
    ("floordiv_uint16", ["FloorDiv"], lambda x, y: x // _odd(y),
     lambda x, y: np.floor_divide(x, _odd(y)), [(8,), ()], np.uint16, {}),
    ("floormod_int16", ["FloorMod"], lambda x, y: tf.floormod(x, _odd(y)),
     lambda x, y: np.mod(x, _odd(y)), [(6, 7), (6, 7)], np.int16, {}),
    ("floormod_uint8", ["FloorMod"], lambda x, y: x % _odd(y),
     lambda x, y: np.mod(x, _odd(y)), [(9,), (9,)], np.uint8, {}),
    ("pow_int16", ["Pow"], lambda x, y: tf.pow(x, tf.abs(y)), lambda x, y: x ** np.abs(y),
     [(4, 5), (4, 5)], np.int16, {"small_ints": True}),
    ("pow_uint8", ["Pow"], tf.pow, np.power, [(4, 5), (5,)], np.uint8, {"small_ints": True}),
    ("maximum_uint32", ["Maximum"], tf.maximum, np.maximum, [(6,), (6,)], np.uint32, {}),
    ("minimum_int8", ["Minimum"], tf.minimum, np.minimum, [(2, 3), (2, 1)], np.int8, {}),
    ("equal_uint8", ["Equal"], tf.equal, np.equal, [(4, 3), (3,)], np.uint8,
     {"small_ints": True}),
    ("not_equal_int16", ["NotEqual"], tf.not_equal, np.not_equal, [(4, 3), (3,)], np.int16,
     {"small_ints": True}),
    ("less_uint16", ["Less"], tf.less, np.less, [(5, 5), (5, 1)], np.uint16,
     {"small_ints": True}),
    ("greater_equal_int8", ["GreaterEqual"], tf.greater_equal, np.greater_equal,
     [(3, 3), (3, 3)], np.int8, {"small_ints": True}),
    ("complex", ["Complex"], tf.complex, lambda re, im: (re + 1j * im).astype(np.complex64),
     [(3, 4), (4,)], np.float32, {}),
    ("complex_f64", ["Complex"], tf.complex,
     lambda re, im: (re + 1j * im).astype(np.complex128), [(5,), ()], np.float64, {}),
    ("real", ["Real"], tf.real, np.real, [(3, 4)], np.complex64, {}),
    ("imag", ["Imag"], tf.imag, np.imag, [(5,)], np.complex128, {}),
    ("conj", ["Conj"], tf.conj, np.conj, [(2, 3)], np.complex64, {}),
    ("angle", ["Angle"], tf.angle, np.angle, [(7,)], np.complex128, {}),
    ("reduce_sum_int8", ["Sum"], lambda x: tf.reduce_sum(x, 1),
     lambda x: np.sum(x, 1, dtype=x.dtype), [(3, 50)], np.int8, {}),
    ("reduce_sum_uint32", ["Sum"], lambda x: tf.reduce_sum(x, 0),
     lambda x: np.sum(x, 0, dtype=x.dtype), [(40, 3)], np.uint32, {}),
    ("reduce_sum_complex64", ["Sum"], lambda x: tf.reduce_sum(x, 0), lambda x: np.sum(x, 0),
     [(6, 3)], np.complex64, {}),
    ("reduce_prod_int16", ["Prod"], lambda x: tf.reduce_prod(x, 0),
     lambda x: np.prod(x, 0, dtype=x.dtype), [(5, 4)], np.int16, {"small_ints": True}),
    ("reduce_prod_complex128", ["Prod"], tf.reduce_prod, np.prod, [(2, 3)], np.complex128, {}),
    ("reduce_max_uint8", ["Max"], lambda x: tf.reduce_max(x, 1), lambda x: np.max(x, 1),
     [(4, 9)], np.uint8, {}),
    ("reduce_min_int16", ["Min"], tf.reduce_min, np.min, [(3, 3, 2)], np.int16, {}),
    ("reduce_mean_int8", ["Mean"], lambda x: tf.reduce_mean(x, 1),
     lambda x: np.trunc(x.sum(1, dtype=np.int64) / x.shape[1]).astype(x.dtype), [(4, 30)],
     np.int8, {}),
    ("reduce_mean_uint64", ["Mean"], tf.reduce_mean,
     lambda x: np.uint64(x.sum(dtype=np.uint64) // np.uint64(x.size)), [(5, 2)], np.uint64, {}),
    ("reduce_mean_complex64", ["Mean"], lambda x: tf.reduce_mean(x, 0),
     lambda x: np.mean(x, 0), [(8, 2)], np.complex64, {}),
    ("argmax_uint16", ["ArgMax"], lambda x: tf.argmax(x, 1), lambda x: np.argmax(x, 1),
     [(4, 6)], np.uint16, {"small_ints": True}),
    ("argmin_int8", ["ArgMin"], lambda x: tf.argmin(x, 0), lambda x: np.argmin(x, 0),
     [(5, 3)], np.int8, {"small_ints": True}),
]

# Gradients against finite differences (tests/test_gradients.py runs these):
# (id, op types covered, fn of float64 tensors, input shapes, options).
GRADS = [
    ("add", ["Add"], tf.add, [(2, 3), (3,)], {}),
    ("mul", ["Mul"], tf.multiply, [(2, 1, 3), (4, 1)], {}),
    ("add_n", ["AddN"], lambda a, b, c: tf.add_n([a, b, a * c]), [(2, 3)] * 3, {}),
    ("add_n_one", ["AddN"], lambda a: tf.add_n([a]), [(4,)], {}),
    ("sub", ["Sub"], tf.subtract, [(3, 1), (1, 4)], {}),
    ("sub_scalar", ["Sub"], tf.subtract, [(), (2, 3)], {}),
    ("real_div", ["RealDiv"], tf.divide, [(2, 3), (3,)], {"away_from_zero": True}),
    ("real_div_size1", ["RealDiv"], tf.divide, [(1, 4), (3, 1)], {"away_from_zero": True}),
    ("floor_mod", ["FloorMod"], tf.floormod, [(2, 3), (3,)], {"away_from_zero": True}),
    ("neg", ["Neg"], tf.negative, [(2, 3)], {}),
    ("abs", ["Abs"], tf.abs, [(2, 4)], {"away_from_zero": True}),
    ("exp", ["Exp"], tf.exp, [(3, 2)], {}),
    ("log", ["Log"], tf.log, [(5,)], {"positive": True}),
    ("log1p", ["Log1p"], tf.log1p, [(2, 2)], {"positive": True}),
    ("sqrt", ["Sqrt"], tf.sqrt, [(4,)], {"positive": True}),
    ("rsqrt", ["Rsqrt"], tf.rsqrt, [(2, 3)], {"positive": True}),
    ("square", ["Square"], tf.square, [(3, 1)], {}),
    ("squared_difference", ["SquaredDifference"], tf.squared_difference, [(2, 3), (2, 1)], {}),
    ("pow", ["Pow"], tf.pow, [(2, 3), (3,)], {"positive": True}),
    ("pow_broadcast_exponent", ["Pow"], tf.pow, [(4, 1), (1,)], {"positive": True}),
    ("maximum", ["Maximum"], tf.maximum, [(2, 3), (3,)], {}),
    ("maximum_size1", ["Maximum"], tf.maximum, [(4, 1), (1, 3)], {}),
    ("minimum", ["Minimum"], tf.minimum, [(3, 2), ()], {}),
    ("sigmoid", ["Sigmoid"], tf.sigmoid, [(2, 3)], {}),
    ("tanh", ["Tanh"], tf.tanh, [(5,)], {}),
    ("sin", ["Sin"], tf.sin, [(2, 2)], {}),
    ("cos", ["Cos"], tf.cos, [(3,)], {}),
    ("sign", ["Sign"], tf.sign, [(2, 3)], {"away_from_zero": True}),
    ("select_v2", ["SelectV2"], lambda x, y: tf.where_v2(x * y > 0, x, y), [(2, 3), (2, 3)],
     {}),
    ("select_v2_broadcast", ["SelectV2"],
     lambda x, y: tf.where_v2(np.array([[True], [False], [True]]), x, y), [(1, 4), ()], {}),
    ("select_rows", ["SelectV2"], lambda x, y: tf.where([True, False, True], x, y),
     [(3, 2), (3, 2)], {}),
    ("cumsum", ["Cumsum"], lambda x: tf.cumsum(x, axis=1), [(2, 4)], {}),
    ("cumsum_exclusive", ["Cumsum"], lambda x: tf.cumsum(x, exclusive=True), [(5,)], {}),
    ("cumsum_reverse", ["Cumsum"], lambda x: tf.cumsum(x, axis=-2, reverse=True), [(3, 2)],
     {}),
    ("cumsum_exclusive_reverse", ["Cumsum"],
     lambda x: tf.cumsum(x, axis=0, exclusive=True, reverse=True), [(4, 2)], {}),
    ("reduce_sum", ["Sum"], lambda x: tf.reduce_sum(x, axis=1), [(2, 3, 2)], {}),
    ("reduce_sum_all", ["Sum"], tf.reduce_sum, [(3, 4)], {}),
    ("reduce_sum_neg_axes_keepdims", ["Sum"],
     lambda x: tf.reduce_sum(x, axis=[0, -1], keepdims=True), [(2, 3, 2)], {}),
    ("reduce_sum_size1", ["Sum"], lambda x: tf.reduce_sum(x, axis=[-1]), [(3, 1)], {}),
    ("reduce_sum_no_axes", ["Sum"], lambda x: tf.reduce_sum(x, axis=[]), [(2, 2)], {}),
    ("reduce_mean", ["Mean"], lambda x: tf.reduce_mean(x, axis=0), [(4, 3)], {}),
    ("reduce_mean_keepdims", ["Mean"], lambda x: tf.reduce_mean(x, -1, keepdims=True),
     [(2, 1, 3)], {}),
    ("reduce_mean_all", ["Mean"], tf.reduce_mean, [(2, 3)], {}),
    ("reduce_prod", ["Prod"], lambda x: tf.reduce_prod(x, axis=1), [(3, 4)],
     {"away_from_zero": True}),
    ("reduce_prod_keepdims", ["Prod"], lambda x: tf.reduce_prod(x, [0, -1], keepdims=True),
     [(2, 2, 3)], {"away_from_zero": True}),
    ("reduce_max", ["Max"], lambda x: tf.reduce_max(x, axis=1), [(3, 4)], {}),
    ("reduce_max_all", ["Max"], tf.reduce_max, [(2, 3)], {}),
    ("reduce_max_ties", ["Max", "Maximum"], lambda x: tf.reduce_max(tf.maximum(x, 0.5), 0),
     [(4, 3)], {}),
    ("reduce_min_neg_axis_keepdims", ["Min"],
     lambda x: tf.reduce_min(x, -1, keepdims=True), [(2, 3, 2)], {}),
    ("reduce_min_ties", ["Min", "Minimum"],
     lambda x: tf.reduce_min(tf.minimum(x, -0.5), [0, 1]), [(3, 2)], {}),
    ("reduce_logsumexp", ["Max", "Sum", "Exp", "Log"],
     lambda x: tf.reduce_logsumexp(x, axis=-1), [(3, 4)], {}),
    ("reduce_logsumexp_keepdims", ["Max", "Sum", "Exp", "Log"],
     lambda x: tf.reduce_logsumexp(x, axis=0, keepdims=True), [(2, 3)], {}),
    ("broadcast_to", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [2, 3, 2]), [(3, 1)], {}),
    ("broadcast_to_scalar", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [4]), [()], {}),
    ("sum_to_shape", ["SumToShape"],
     lambda x: ops.apply_op("SumToShape", [x, tf.constant([3, 1])]).outputs[0], [(2, 3, 4)],
     {}),
    ("sum_to_shape_same", ["SumToShape"],
     lambda x: ops.apply_op("SumToShape", [x, tf.constant([2, 2])]).outputs[0], [(2, 2)], {}),
]


def _norm(ord, axis=None, keepdims=False):  # noqa: A002
    """np.linalg.norm over `axis` (the flattened array when None), in the input's dtype."""
    def ref(x):
        if axis is None:
            out = np.linalg.norm(x.ravel(), ord)
            return np.reshape(out, (1,) * x.ndim if keepdims else ()).astype(x.dtype)
        return np.linalg.norm(x, ord, axis, keepdims).astype(x.dtype)
    return ref


OPS += [
    ("count_nonzero", ["NotEqual", "Cast", "Sum"], tf.count_nonzero,
     lambda x: np.array(np.count_nonzero(x), np.int64), [(3, 4)], np.int32, {"small_ints": True}),
    ("count_nonzero_axis", ["NotEqual", "Cast", "Sum"],
     lambda x: tf.count_nonzero(x, axis=1, keepdims=True, dtype=tf.int32),
     lambda x: np.count_nonzero(x, axis=1, keepdims=True).astype(np.int32), [(3, 4, 2)],
     np.float32, {}),
    ("count_nonzero_bool", ["NotEqual", "Cast", "Sum"], lambda x: tf.count_nonzero(x, [0]),
     lambda x: np.count_nonzero(x, axis=0).astype(np.int64), [(5, 3)], np.bool_, {}),
    ("norm", ["Mul", "Sum", "Sqrt", "Squeeze"], tf.norm, _norm(2), [(3, 4)], np.float32, {}),
    ("norm_axis", ["Mul", "Sum", "Sqrt"], lambda x: tf.norm(x, axis=-1, keepdims=True),
     _norm(2, -1, True), [(3, 4)], np.float64, {}),
    ("norm_keepdims_all", ["Mul", "Sum", "Sqrt"], lambda x: tf.norm(x, keepdims=True),
     _norm(2, None, True), [(2, 3)], np.float64, {}),
    ("norm_1", ["Abs", "Sum", "Squeeze"], lambda x: tf.norm(x, 1, axis=0), _norm(1, 0),
     [(3, 4)], np.float64, {}),
    ("norm_inf", ["Abs", "Max", "Squeeze"], lambda x: tf.norm(x, np.inf, 1), _norm(np.inf, 1),
     [(3, 4)], np.float32, {}),
    ("norm_p", ["Abs", "Pow", "Sum", "Squeeze"], lambda x: tf.norm(x, 3, 1), _norm(3, 1),
     [(3, 4)], np.float64, {}),
    ("norm_fro", ["Mul", "Sum", "Sqrt", "Squeeze"], lambda x: tf.norm(x, "fro", [1, 2]),
     _norm("fro", (1, 2)), [(2, 3, 4)], np.float64, {}),
    ("norm_matrix_1", ["Abs", "Sum", "Max", "Squeeze"], lambda x: tf.norm(x, 1, (-2, -1)),
     _norm(1, (-2, -1)), [(2, 3, 4)], np.float64, {}),
    ("norm_matrix_inf", ["Abs", "Sum", "Max"],
     lambda x: tf.norm(x, np.inf, [0, 1], keepdims=True), _norm(np.inf, (0, 1), True),
     [(3, 4)], np.float64, {}),
]

GRADS += [
    ("norm", ["Sqrt", "Sum"], lambda x: tf.norm(x, axis=1), [(3, 4)], {}),
    ("norm_1", ["Abs", "Sum"], lambda x: tf.norm(x, 1), [(3, 4)], {"away_from_zero": True}),
    ("norm_p", ["Pow", "Abs"], lambda x: tf.norm(x, 3, 0), [(3, 4)], {"away_from_zero": True}),
    ("norm_matrix_inf", ["Abs", "Max"], lambda x: tf.norm(x, np.inf, [0, 1]), [(3, 4)],
     {"away_from_zero": True}),
]


@pytest.mark.parametrize("build, message", [
    (lambda: tf.norm(tf.zeros([2, 3]), 2, [0, 1]), "supported matrix norm"),
    (lambda: tf.norm(tf.zeros([2, 3]), "fro", 0), "supported vector norm"),
    (lambda: tf.norm(tf.zeros([2, 3]), -1), "supported vector norm"),
    (lambda: tf.norm(tf.zeros([2, 3]), axis=[0, 0]), "2 unique integers"),
    (lambda: tf.norm(tf.zeros([2, 3]), axis=[0, 1, 2]), "2 unique integers"),
])
def test_norm_rejects_unsupported_orders_and_axes(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)


def test_fill_zeros_ones():
    with tf.Session() as sess:
        z, o, f = sess.run([tf.zeros([2, 3]), tf.ones((4,), tf.int64), tf.fill([2, 2], 7.5)])
    np.testing.assert_array_equal(z, np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(o, np.ones(4, np.int64))
    np.testing.assert_array_equal(f, np.full((2, 2), 7.5, np.float32))
    assert z.dtype == np.float32 and o.dtype == np.int64


def test_python_operators_follow_numpy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    b = np.full((3,), 2.0, np.float32)
    x, y = tf.constant(a), tf.constant(b)
    m = tf.constant(a.T.copy())
    exprs = [x + y, x - y, x * y, x / y, -x, 2 * x, 1 - x, 6 / x, b + x, x @ m]
    with tf.Session() as sess:
        got = sess.run(exprs)
    want = [a + b, a - b, a * b, a / b, -a, 2 * a, 1 - a, 6 / a, b + a, a @ a.T]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_operators_are_named_as_in_tf1():
    x = tf.constant(1.0)
    assert tf.add(x, x).op.name == "Add" and (x + x).op.name == "add_1"  # case-insensitive
    assert (x * x).op.name == "mul" and (-x).op.name == "neg"


def test_integer_division_is_true_division():
    with tf.Session() as sess:
        got = sess.run(tf.constant([7, -7]) / tf.constant([2, 2]))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [3.5, -3.5])


def _float32_samples(rng):
    """Floats of every magnitude (random bit patterns), a dense sweep over [-110, 110] and the
    special values: inf, -inf, NaN, zeros, subnormals and the overflow/underflow edges."""
    bits = rng.integers(0, 2 ** 32, size=200_000, dtype=np.uint64).astype(np.uint32)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, 1.17549435e-38,
               3.4028235e38, -3.4028235e38, 88.72283, 88.722839, 88.7228394, 89.0, -87.3,
               -103.97, -103.973, -104.0, 0.625, -0.625, 9.0, -9.0, 1.0, -1.0]
    return np.concatenate([bits.view(np.float32), np.asarray(special, np.float32),
                           np.linspace(-110, 110, 200_001, dtype=np.float32)])


@pytest.mark.parametrize("fn,ref", [
    (tf.exp, np.exp), (tf.log, np.log), (tf.tanh, np.tanh),
    (tf.sigmoid, lambda x: (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float32)),
], ids=["exp", "log", "tanh", "sigmoid"])
def test_float32_transcendentals_match_numpy_everywhere(fn, ref, rng):
    x = _float32_samples(rng)
    p = tf.placeholder(tf.float32, [None])
    with tf.Session() as sess:
        got = sess.run(fn(p), {p: x})
    with np.errstate(all="ignore"):
        want = ref(x)
    # atol: results in the subnormal range keep only a few bits (steps of 1.4e-45).
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=3e-45)


@pytest.mark.skipif("avx512" not in runnable_gemm_kernels(), reason="needs an AVX-512 CPU")
def test_float32_transcendentals_give_the_same_bits_in_avx2_and_avx512_vectors(rng):
    # exp, log, tanh and sigmoid follow the vector width the kernels use (forced here through
    # the GEMM micro-kernel): lane for lane the same operations, so the same bits, tails of
    # fewer than 16 values included.
    x = _float32_samples(rng)
    p = tf.placeholder(tf.float32, [None])
    outs = [tf.exp(p), tf.log(p), tf.tanh(p), tf.sigmoid(p)]
    narrow, wide = run_with_vector_widths(
        lambda sess: [sess.run(outs, {p: x[:n]}) for n in (len(x), 7, 16, 33)])
    for got_n, want_n in zip(wide, narrow):
        for got, want in zip(got_n, want_n):
            np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_integer_floordiv_and_mod_by_zero_is_an_error():
    x = tf.constant([5, 7], tf.int32)
    for op in (tf.floordiv, tf.floormod):
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
                sess.run(op(x, tf.constant([1, 0])))


def test_integer_floordiv_of_the_minimum_by_minus_one_wraps():
    lo = np.iinfo(np.int32).min
    x = tf.constant([lo, lo, 7], tf.int32)
    with tf.Session() as sess:
        q, r = sess.run([x // -1, x % -1])
    np.testing.assert_array_equal(q, [lo, lo, -7])
    np.testing.assert_array_equal(r, [0, 0, 0])


def test_integer_pow_with_negative_exponent_is_an_error():
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="negative integer powers"):
            sess.run(tf.pow(tf.constant([2, 3]), tf.constant([1, -1])))


def test_mixed_dtypes_are_a_type_error_naming_both():
    x, y = tf.constant([1.0]), tf.constant([1.0], tf.float64)
    for op in (tf.maximum, tf.floordiv, tf.less, tf.pow, tf.squared_difference):
        with pytest.raises(TypeError, match="float64.*float32|float32.*float64"):
            op(x, y)
    with pytest.raises(TypeError):
        tf.logical_and(x, x)
    with pytest.raises(TypeError):
        tf.add_n([x, y])


def test_incompatible_shapes_are_a_value_error():
    with pytest.raises(ValueError):
        tf.maximum(tf.zeros([2, 3]), tf.zeros([4]))
    with pytest.raises(ValueError):
        tf.add_n([tf.zeros([2, 3]), tf.zeros([3, 2])])
    with pytest.raises(ValueError):
        tf.where(tf.zeros([2], tf.bool) | True, tf.zeros([3]), tf.zeros([3]))
    with pytest.raises(ValueError):
        tf.cumsum(tf.zeros([2, 3]), axis=2)


def test_round_halves_to_even_and_max_of_nothing():
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], np.float32)
    with tf.Session() as sess:
        r, m, lo = sess.run([tf.round(halves), tf.reduce_max(tf.zeros([0, 2]), 0),
                             tf.reduce_min(tf.zeros([0], tf.int64))])
    np.testing.assert_array_equal(r, [-2, -2, -0, 0, 2, 2])
    np.testing.assert_array_equal(m, [-np.inf, -np.inf])
    assert lo == np.iinfo(np.int64).max


def test_max_min_and_maximum_propagate_nan():
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]], np.float32)
    with tf.Session() as sess:
        got = sess.run([tf.reduce_max(x, 1), tf.reduce_min(x, 0), tf.maximum(x, 2.0),
                        tf.argmax(x, 1)])
    np.testing.assert_array_equal(got[0], np.max(x, 1))
    np.testing.assert_array_equal(got[1], np.min(x, 0))
    np.testing.assert_array_equal(got[2], np.maximum(x, 2.0))
    np.testing.assert_array_equal(got[3], np.argmax(x, 1))


def test_reduce_logsumexp_is_stable_for_large_and_infinite_inputs():
    x = np.array([[1000.0, 1000.0], [-np.inf, -np.inf], [np.inf, 1.0]], np.float64)
    with tf.Session() as sess:
        got = sess.run(tf.reduce_logsumexp(x, axis=1))
    np.testing.assert_allclose(got, [1000.0 + np.log(2.0), -np.inf, np.inf])


def test_reductions_do_not_depend_on_thread_count(rng):
    x = rng.standard_normal((3, 200_000)).astype(np.float32)
    ops = [tf.reduce_sum(x), tf.reduce_max(x, 1), tf.reduce_prod(x, 0), tf.reduce_min(x, 0)]
    results = run_with_threads(ops)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_where_needs_both_or_neither_of_x_and_y():
    with pytest.raises(ValueError, match="both"):
        tf.where(tf.constant([True]), x=tf.constant([1.0]))


def test_unsupported_contractions_are_value_errors():
    a, b = tf.zeros([2, 3, 4]), tf.zeros([3, 5])
    with pytest.raises(ValueError, match="must be equal"):
        tf.tensordot(a, b, [[2], [0]])
    with pytest.raises(ValueError, match="out of range"):
        tf.tensordot(a, b, [[3], [0]])
    with pytest.raises(ValueError, match="repeated"):
        tf.tensordot(a, tf.zeros([3, 3]), [[1, 1], [0, 1]])
    with pytest.raises(ValueError, match="trace or a diagonal"):
        tf.einsum("ii->i", tf.zeros([2, 2]))
    with pytest.raises(ValueError, match="trace or a diagonal"):
        tf.einsum("ij,jj->i", tf.zeros([2, 2]), tf.zeros([2, 2]))
    with pytest.raises(ValueError, match="size 4 in one operand and 3"):
        tf.einsum("ijk,kl->ijl", a, b)
    with pytest.raises(ValueError, match="ellipses"):
        tf.einsum("...ij->...ji", a)
    with pytest.raises(ValueError, match="in no input"):
        tf.einsum("ij->ijk", b)
    with pytest.raises(ValueError, match="names 2 operands"):
        tf.einsum("ij,jk->ik", b)


def test_contractions_keep_static_dims_of_partial_shapes():
    a = tf.placeholder(tf.float32, [None, 3, 4])
    b = tf.placeholder(tf.float32, [4, None])
    assert tf.tensordot(a, b, 1).shape.as_list() == [None, 3, None]
    assert tf.einsum("bij,jk->kbi", a, b).shape.as_list() == [None, None, 3]


def test_comparison_and_logic_operators():
    a = np.array([[1, 5, 3], [4, 2, 6]], np.int32)
    x = tf.constant(a)
    p, q = tf.constant([True, False, True]), tf.constant([True, True, False])
    exprs = [x < 3, x <= 3, x > 3, x >= 3, 3 < x, x // 2, 7 // x, x % 4, -7 % x, x ** 2,
             2 ** x, abs(-x), p & q, p | q, p ^ q, ~p, True & q]
    with tf.Session() as sess:
        got = sess.run(exprs)
    pn, qn = np.array([True, False, True]), np.array([True, True, False])
    want = [a < 3, a <= 3, a > 3, a >= 3, 3 < a, a // 2, 7 // a, a % 4, -7 % a, a ** 2,
            2 ** a, abs(-a), pn & qn, pn | qn, pn ^ qn, ~pn, True & qn]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert (x == x) is True and (x != tf.constant(a)) is True  # identity, as in TF1


def test_operators_are_named_as_in_tf1_comparisons():
    x = tf.constant(1.0)
    assert (x < x).op.type == "Less" and (x < x).op.name.startswith("Less")
    assert (x // x).op.name.startswith("floordiv") and (x % x).op.name.startswith("mod")
    assert (x ** x).op.name.startswith("pow") and abs(x).op.type == "Abs"


def test_large_elementwise_inputs_use_the_thread_pool_consistently(rng):
    a = rng.standard_normal(300_000).astype(np.float32)
    b = rng.standard_normal((1, 300_000)).astype(np.float32)
    x, y = tf.constant(a), tf.constant(b)
    outs = [tf.exp(x), tf.tanh(x), tf.sigmoid(x), tf.log(tf.abs(x)), x + y, x * 2,
            tf.maximum(x, y), tf.cumsum(x)]
    results = run_with_threads(outs)
    for x, y in zip(*results):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_allclose(results[0][4], a + b, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_floor_ceil_round_match_numpy_on_special_values(dtype):
    x = np.array([-0.0, 0.0, -0.3, 0.3, -0.5, 0.5, -1.5, 1.5, -2.0, 2.5, np.nan, np.inf, -np.inf,
                  1e30, -1e30, 8388607.5, -8388607.5, 16777217.0], dtype)
    with tf.Session() as sess:
        got = sess.run([tf.floor(x), tf.ceil(x), tf.round(x), tf.floordiv(x, dtype(0.5))])
    # FloorDiv of floats is floor(x / y) in TF (NumPy gives NaN for inf // y).
    for g, w in zip(got, [np.floor(x), np.ceil(x), np.round(x), np.floor(x / dtype(0.5))]):
        np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(np.signbit(g), np.signbit(w))


def test_results_are_right_when_outputs_reuse_input_buffers(rng):
    a = rng.standard_normal((4, 300)).astype(np.float32)
    p = tf.placeholder(tf.float32, [4, 300])
    # Each op's input dies there, so the executor may hand its buffer to the output.
    chain = tf.cumsum(tf.cumsum(p * 1.0, axis=1, exclusive=True) * 1.0, axis=0, reverse=True)
    summed = tf.add_n([p * 1.0, p * 2.0, p * 3.0])
    picked = tf.where(p * 1.0 > 0, p * 2.0, p * 3.0)
    with tf.Session() as sess:
        got = sess.run([chain, summed, picked], {p: a})
    excl = np.cumsum(a, axis=1) - a
    np.testing.assert_allclose(got[0], np.flip(np.cumsum(np.flip(excl, 0), 0), 0), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(got[1], 6 * a, rtol=1e-6)
    np.testing.assert_allclose(got[2], np.where(a > 0, 2 * a, 3 * a), rtol=1e-6)


def test_fed_axes_are_checked_at_run_time():
    x = tf.zeros([2, 3])
    axis = tf.placeholder(tf.int32)  # unknown rank: nothing to check while building
    with tf.Session() as sess:
        for op in (tf.cumsum(x, axis), tf.argmin(x, axis), tf.argmax(x, axis),
                   tf.reduce_max(x, axis)):
            for bad in (2, -3):
                with pytest.raises(tf.errors.InvalidArgumentError):
                    sess.run(op, {axis: bad})
        for op in (tf.cumsum(x, axis), tf.argmin(x, axis)):
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(op, {axis: [0, 1]})
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(op, {axis: np.zeros([0], np.int32)})


def _product_of_others(x, axis):
    """d prod(x, axis) / dx: at each element, the product of the others along `axis`."""
    moved = np.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    out = np.stack([np.prod(np.delete(moved, j, -1), -1) for j in range(n)], -1)
    return np.moveaxis(out, -1, axis)


def test_prod_gradient_with_zeros_is_the_product_of_the_others():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.5, 2.0, -3.0]])
    p = tf.placeholder(tf.float64, [3, 3])
    q = tf.placeholder(tf.float64, [None, None])
    grads = [tf.gradients(tf.reduce_prod(p, 1), p)[0],
             tf.gradients(tf.reduce_prod(q, 0, keepdims=True), q)[0]]
    with tf.Session() as sess:
        rows, cols = sess.run(grads, {p: x, q: x.T})
    np.testing.assert_allclose(rows, _product_of_others(x, 1))
    np.testing.assert_allclose(cols, _product_of_others(x.T, 0))


@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_gradients_with_unknown_shapes_and_fed_axes(keepdims, rng):
    x = rng.standard_normal((2, 3, 4))
    x[0, 1, 2] = x[0, 1, 3]  # a tie for the max over the last axis
    p = tf.placeholder(tf.float64, [None, None, None])
    axes = tf.placeholder(tf.int32, [None])
    reductions = [tf.reduce_sum, tf.reduce_mean, tf.reduce_prod, tf.reduce_max, tf.reduce_min]
    grads = [tf.gradients(f(p, axes, keepdims=keepdims), p)[0] for f in reductions]
    with tf.Session() as sess:
        for fed in ([0, 2], [-1], []):
            got = sess.run(grads, {p: x, axes: np.array(fed, np.int32)})
            axis = tuple(fed)
            count = np.prod([x.shape[a] for a in axis])
            top, low = x.max(axis, keepdims=True), x.min(axis, keepdims=True)
            want = [np.ones_like(x), np.full_like(x, 1.0 / count),
                    x.prod(axis, keepdims=True) / x,
                    (x == top) / (x == top).sum(axis, keepdims=True),
                    (x == low) / (x == low).sum(axis, keepdims=True)]
            for g, w in zip(got, want):
                np.testing.assert_allclose(g, w, rtol=1e-12)


def test_gradients_keep_float32_and_float16_dtypes(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    p, v = tf.placeholder(tf.float32, [None, 3]), tf.constant(w)
    gp, gv = tf.gradients(tf.reduce_mean(tf.tanh(tf.matmul(p, v)) ** 2), [p, v])
    h = tf.placeholder(tf.float16, [5])
    wide = tf.cast(h, tf.float32)
    gh, = tf.gradients(tf.reduce_sum(tf.square(wide)) + tf.reduce_sum(tf.cast(h, tf.float32)),
                       h)
    assert (gp.dtype, gv.dtype, gh.dtype) == (tf.float32, tf.float32, tf.float16)
    x16 = rng.standard_normal(5).astype(np.float16)
    with tf.Session() as sess:
        gp, gv, gh = sess.run([gp, gv, gh], {p: x, h: x16})
    t = np.tanh(x.astype(np.float64) @ w)
    dz = 2 * t * (1 - t * t) / t.size
    np.testing.assert_allclose(gp, dz @ w.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gv, x.T @ dz, rtol=1e-5, atol=1e-6)
    assert gh.dtype == np.float16
    np.testing.assert_allclose(gh, 2 * x16.astype(np.float32) + 1, rtol=1e-3, atol=1e-3)


def test_cast_gradient_is_the_gradient_cast_back(rng):
    # Finite differences cannot see through a float32 rounding: checked against the rule.
    w = rng.standard_normal(6).astype(np.float32)
    x = tf.placeholder(tf.float64, [6])
    g, = tf.gradients(tf.cast(tf.cast(x, tf.float32) * w, tf.float64) * 3.0, x)
    assert g.dtype == tf.float64
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g, {x: rng.standard_normal(6)}),
                                      (w * np.float32(3.0)).astype(np.float64))


def test_integer_cast_and_not_differentiable_ops_give_none():
    x = tf.placeholder(tf.float64, [3])
    n = tf.cast(x, tf.int32)
    ys = [tf.cast(n, tf.float64), tf.floor(x), tf.round(x), tf.ceil(x), tf.floordiv(x, 2.0),
          tf.cast(tf.argmax(x), tf.float64), tf.cast(x > 0, tf.float64)]
    assert tf.gradients(ys, x) == [None]


def test_clip_by_norm_and_global_norm_match_numpy():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(5)
    ta, tb = tf.constant(a), tf.constant(b)
    norm = np.sqrt((a ** 2).sum() + (b ** 2).sum())
    clipped, got_norm = tf.clip_by_global_norm([ta, None, tb], 1.5)
    assert clipped[1] is None
    rows = tf.clip_by_norm(ta, 1.0, axes=[1])
    whole = tf.clip_by_norm(tb, 100.0)
    with tf.Session() as sess:
        c0, c2, n, r, w = sess.run([clipped[0], clipped[2], got_norm, rows, whole])
    np.testing.assert_allclose(n, norm)
    np.testing.assert_allclose(c0, a * 1.5 / norm)
    np.testing.assert_allclose(c2, b * 1.5 / norm)
    row_norms = np.sqrt((a ** 2).sum(1, keepdims=True))
    np.testing.assert_allclose(r, a / np.maximum(row_norms, 1.0))
    np.testing.assert_allclose(w, b)  # within the norm: unchanged
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        tf.clip_by_global_norm(ta, 1.0)


def test_clip_by_norm_of_zeros_has_a_finite_gradient():
    x = tf.placeholder(tf.float64, [3])
    g = tf.gradients(tf.reduce_sum(tf.clip_by_norm(x, 1.0)), x)[0]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g, {x: np.zeros(3)}), np.ones(3))


def test_reductions_over_all_axes_of_a_tensor_of_unknown_rank():
    # TF1's linear-regression example: placeholders without shapes, fed scalars and vectors.
    x = tf.placeholder("float")
    y = tf.placeholder("float")
    w = tf.Variable(0.3)
    b = tf.Variable(-0.2)
    cost = tf.reduce_sum(tf.pow(x * w + b - y, 2)) / 34.0
    mean = tf.reduce_mean(x, keepdims=True)
    gw, gb = tf.gradients(cost, [w, b])
    train = tf.train.GradientDescentOptimizer(0.01).minimize(cost)
    xs = np.array([3.3, 4.4, 5.5, 6.71], np.float32)
    ys = np.array([1.7, 2.76, 2.09, 3.19], np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        r = xs * 0.3 - 0.2 - ys
        np.testing.assert_allclose(sess.run(cost, {x: xs, y: ys}), (r ** 2).sum() / 34, rtol=1e-6)
        np.testing.assert_allclose(sess.run([gw, gb], {x: xs, y: ys}),
                                   [(2 * r * xs).sum() / 34, (2 * r).sum() / 34], rtol=1e-5)
        np.testing.assert_allclose(sess.run(mean, {x: np.ones((2, 3))}), np.ones((1, 1)))
        for xv, yv in zip(xs, ys):  # scalars fed one by one
            sess.run(train, {x: xv, y: yv})
        wv, bv = 0.3, -0.2
        for xv, yv in zip(xs, ys):
            rv = xv * wv + bv - yv
            wv, bv = wv - 0.01 * 2 * rv * xv / 34, bv - 0.01 * 2 * rv / 34
        np.testing.assert_allclose(sess.run([w, b]), [wv, bv], rtol=1e-5)
