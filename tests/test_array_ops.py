"""Array ops against NumPy: one line of OPS per op and case (see op_testing.py)."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op, run_with_threads
from tensorlib.framework import ops
from tensorlib.ops import array_ops

F32, F64, I32, I64, BOOL = np.float32, np.float64, np.int32, np.int64, np.bool_
SMALL = {"small_ints": True}


def _one_hot(x, depth, axis=-1):
    hot = (x[..., None] == np.arange(depth)).astype(np.float32)
    return np.moveaxis(hot, -1, axis)


def _mirror(mode):
    return lambda x: np.pad(x, [[1, 2], [2, 0]], mode="reflect" if mode == "REFLECT"
                            else "symmetric")


def _mod_table(*parts):
    table = np.empty((sum(len(p) for p in parts),) + parts[0].shape[1:], parts[0].dtype)
    for i, p in enumerate(parts):
        table[i::len(parts)] = p
    return table


def _slice_grad(x_shape, index):
    """(fn, NumPy reference) of StridedSliceGrad for input shape x_shape and the slice
    x[index]: dy scattered into zeros of x_shape."""
    def fn(dy):
        sliced = tf.zeros(x_shape, dy.dtype)[index].op
        return ops.apply_op("StridedSliceGrad", [tf.constant(np.array(x_shape, np.int32))] +
                            list(sliced.inputs[1:]) + [dy], sliced._attrs).outputs[0]

    def ref(dy):
        out = np.zeros(x_shape, dy.dtype)
        out[index] = dy
        return out
    return fn, ref


def _mirror_pad_grad(mode, paddings):
    """(fn, NumPy reference) of MirrorPadGrad: each element of the padded gradient added to
    the input element np.pad copied it from."""
    def fn(g):
        return ops.apply_op("MirrorPadGrad", [g, tf.constant(np.array(paddings, I32))],
                            {"mode": mode}).outputs[0]

    def ref(g):
        shape = tuple(d - a - b for d, (a, b) in zip(g.shape, paddings))
        source = np.pad(np.arange(int(np.prod(shape))).reshape(shape), paddings,
                        mode="reflect" if mode == "REFLECT" else "symmetric")
        out = np.zeros(int(np.prod(shape)), g.dtype)
        np.add.at(out, source.ravel(), g.ravel())
        return out.reshape(shape)
    return fn, ref


MIRROR_PAD_GRADS = [  # (id, mode, paddings, padded gradient shape, dtype)
    ("mirror_pad_grad_reflect", "REFLECT", [[1, 2], [2, 0]], (6, 6), F32),
    ("mirror_pad_grad_symmetric", "SYMMETRIC", [[2, 1], [0, 3], [1, 1]], (5, 6, 4), F64),
    ("mirror_pad_grad_int", "REFLECT", [[0, 0], [1, 1]], (2, 5), I64),
    ("mirror_pad_grad_none", "SYMMETRIC", [[0, 0], [0, 0]], (3, 2), I32),
    ("mirror_pad_grad_empty", "SYMMETRIC", [[0, 0], [1, 1]], (0, 4), F32),
    ("mirror_pad_grad_large", "REFLECT", [[3, 3], [0, 0], [2, 5]], (70, 300, 40), F32),
]


def _segment_sum(data, ids, n):
    out = np.zeros((n,) + data.shape[np.ndim(ids):], data.dtype)
    ids = np.asarray(ids)
    keep = ids >= 0
    np.add.at(out, ids[keep], data[keep])
    return out


SEGMENT_IDS = np.array([[0, 2, -1], [2, 2, 0]])
LARGE_SEGMENT_IDS = np.random.default_rng(5).integers(-1, 50, 3000)
SLICE_GRADS = [  # (id, input shape, index, dy shape, dtype)
    ("strided_slice_grad", (4, 6), np.s_[2::-1, :-5:-1], (3, 4), F32),
    ("strided_slice_grad_new_shrink", (3, 5, 2), np.s_[1:, ::-2, None, 0], (2, 3, 1), F64),
    ("strided_slice_grad_ellipsis", (2, 3, 4, 5), np.s_[1, ..., ::2], (3, 4, 3), I64),
    ("strided_slice_grad_empty", (3, 4), np.s_[-10:10, 3:1], (3, 0), F32),
    ("strided_slice_grad_long", (70001,), np.s_[::-3], (23334,), F32),
]

MASK = np.array([True, False, True])
MASK_2D = np.array([[True, False, True, True], [False, False, True, False],
                    [True, True, False, False]])

OPS = [
    # shapes
    ("shape", ["Shape"], tf.shape, lambda x: np.array(x.shape, I32), [(2, 0, 3)], F32, {}),
    ("shape_int64", ["Shape"], lambda x: tf.shape(x, out_type=tf.int64),
     lambda x: np.array(x.shape, I64), [(4, 1)], BOOL, {}),
    ("size", ["Size"], tf.size, lambda x: np.array(x.size, I32), [(3, 5)], I64, {}),
    ("size_empty", ["Size"], tf.size, lambda x: np.array(x.size, I32), [(3, 0)], F64, {}),
    ("rank", ["Rank"], lambda x: tf.rank(tf.placeholder_with_default(x, None)),  # unknown rank
     lambda x: np.array(x.ndim, I32), [(2, 1, 3)], F32, {}),
    ("rank_known", [], tf.rank, lambda x: np.array(x.ndim, I32), [(2, 1, 3)], F32, {}),
    ("expand_dims", ["ExpandDims"], lambda x: tf.expand_dims(x, 0), lambda x: x[None],
     [(2, 3)], F32, {}),
    ("expand_dims_neg", ["ExpandDims"], lambda x: tf.expand_dims(x, -1),
     lambda x: x[..., None], [(2, 3)], I64, {}),
    ("expand_dims_scalar", ["ExpandDims"], lambda x: tf.expand_dims(x, axis=0),
     lambda x: x[None], [()], BOOL, {}),
    ("squeeze_all", ["Squeeze"], lambda x: tf.squeeze(x), np.squeeze, [(1, 3, 1, 2)], F64, {}),
    ("squeeze_axis", ["Squeeze"], lambda x: tf.squeeze(x, [-1]), lambda x: x[..., 0],
     [(1, 3, 1)], I32, {}),
    ("squeeze_dims", ["Squeeze"], lambda x: tf.squeeze(x, squeeze_dims=[0]),
     lambda x: x[0], [(1, 0)], F32, {}),
    ("placeholder_with_default", ["PlaceholderWithDefault"],
     lambda x: tf.placeholder_with_default(x, [None, 3]), lambda x: x, [(2, 3)], F32, {}),
    # creation
    ("zeros_like", ["Fill"], tf.zeros_like, np.zeros_like, [(2, 3)], F32, {}),
    ("ones_like_int", ["Fill"], tf.ones_like, np.ones_like, [(4,)], I64, {}),
    ("ones_like_dtype", ["Fill"], lambda x: tf.ones_like(x, dtype=tf.float64),
     lambda x: np.ones(x.shape, F64), [(2, 0)], F32, {}),
    ("range", ["Range"], lambda: tf.range(2, 11, 3), lambda: np.arange(2, 11, 3, dtype=I32),
     [], F32, {}),
    ("range_limit_only", ["Range"], lambda: tf.range(5), lambda: np.arange(5, dtype=I32), [],
     F32, {}),
    ("range_negative_delta", ["Range"], lambda: tf.range(10, 1, -4, dtype=tf.int64),
     lambda: np.arange(10, 1, -4, dtype=I64), [], F32, {}),
    ("range_float", ["Range"], lambda: tf.range(0.5, 3.0, 0.7),
     lambda: np.arange(0.5, 3.0, 0.7).astype(F32), [], F32, {}),
    ("range_empty", ["Range"], lambda: tf.range(3, 3), lambda: np.arange(3, 3, dtype=I32), [],
     F32, {}),
    ("range_dynamic", ["Range", "Size"], lambda x: tf.range(tf.size(x)),
     lambda x: np.arange(x.size, dtype=I32), [(2, 3)], F64, {}),
    ("linspace", ["LinSpace"], lambda: tf.linspace(0.0, 1.0, 5),
     lambda: np.linspace(0, 1, 5, dtype=F32), [], F32, {}),
    ("linspace_one", ["LinSpace"], lambda: tf.lin_space(np.float64(2), np.float64(3), 1),
     lambda: np.array([2.0]), [], F64, {}),
    ("eye", ["OneHot", "Range"], lambda: tf.eye(3), lambda: np.eye(3, dtype=F32), [], F32, {}),
    ("eye_rect_batch", ["OneHot", "Tile"], lambda: tf.eye(2, 3, batch_shape=[2], dtype=tf.int32),
     lambda: np.tile(np.eye(2, 3, dtype=I32), (2, 1, 1)), [], F32, {}),
    # reordering
    ("transpose_2d", ["Transpose"], tf.transpose, np.transpose, [(70, 130)], F32, {}),
    ("transpose_perm", ["Transpose"], lambda x: tf.transpose(x, [1, 2, 0]),
     lambda x: x.transpose(1, 2, 0), [(3, 4, 5)], F64, {}),
    ("transpose_4d_int", ["Transpose"], lambda x: tf.transpose(x, [2, 0, 3, 1]),
     lambda x: x.transpose(2, 0, 3, 1), [(2, 3, 40, 50)], I64, {}),
    ("transpose_batched_blocks", ["Transpose"], lambda x: tf.transpose(x, [0, 2, 1]),
     lambda x: x.transpose(0, 2, 1), [(3, 33, 65)], I32, {}),
    ("transpose_bool_size1", ["Transpose"], lambda x: tf.transpose(x, [1, 0, 2]),
     lambda x: x.transpose(1, 0, 2), [(1, 4, 1)], BOOL, {}),
    ("transpose_empty", ["Transpose"], tf.transpose, np.transpose, [(0, 3)], F32, {}),
    ("transpose_half", ["Transpose"], tf.transpose, np.transpose, [(20, 33)], np.float16, {}),
    ("transpose_large", ["Transpose"], tf.transpose, np.transpose, [(300, 517)], F32, {}),
    ("transpose_ragged_f64", ["Transpose"], tf.transpose, np.transpose, [(37, 45)], F64, {}),
    ("transpose_ragged_i64", ["Transpose"], lambda x: tf.transpose(x, [1, 0, 2]),
     lambda x: x.transpose(1, 0, 2), [(19, 66, 1)], I64, {}),
    ("reverse", ["ReverseV2"], lambda x: tf.reverse(x, [0]), lambda x: x[::-1], [(4, 3)],
     F32, {}),
    ("reverse_neg_axis", ["ReverseV2"], lambda x: tf.reverse(x, [-1]), lambda x: x[..., ::-1],
     [(2, 3, 5)], I64, {}),
    ("reverse_two_axes", ["ReverseV2"], lambda x: tf.reverse(x, [0, 2]),
     lambda x: x[::-1, :, ::-1], [(2, 3, 4)], BOOL, {}),
    ("reverse_none", ["ReverseV2"], lambda x: tf.reverse(x, []), lambda x: x,
     [(3,)], F64, {}),
    ("tile", ["Tile"], lambda x: tf.tile(x, [2, 3]), lambda x: np.tile(x, (2, 3)), [(2, 3)],
     F32, {}),
    ("tile_3d_int", ["Tile"], lambda x: tf.tile(x, [1, 2, 2]), lambda x: np.tile(x, (1, 2, 2)),
     [(2, 1, 3)], I32, {}),
    ("tile_zero", ["Tile"], lambda x: tf.tile(x, [0, 2]), lambda x: np.tile(x, (0, 2)),
     [(2, 3)], F64, {}),
    ("tile_bool", ["Tile"], lambda x: tf.tile(x, [3]), lambda x: np.tile(x, 3), [(4,)], BOOL,
     {}),
    ("pad", ["Pad"], lambda x: tf.pad(x, [[1, 2], [0, 3]]),
     lambda x: np.pad(x, [[1, 2], [0, 3]]), [(3, 4)], F32, {}),
    ("pad_3d_int", ["Pad"], lambda x: tf.pad(x, [[0, 1], [2, 0], [1, 1]]),
     lambda x: np.pad(x, [[0, 1], [2, 0], [1, 1]]), [(2, 3, 2)], I64, {}),
    ("pad_empty", ["Pad"], lambda x: tf.pad(x, [[1, 1], [1, 1]]),
     lambda x: np.pad(x, [[1, 1], [1, 1]]), [(0, 2)], F64, {}),
    ("pad_constant_values", ["PadV2"], lambda x: tf.pad(x, [[1, 0], [2, 1]], constant_values=7),
     lambda x: np.pad(x, [[1, 0], [2, 1]], constant_values=7), [(2, 2)], I32, {}),
    ("pad_reflect", ["MirrorPad"], lambda x: tf.pad(x, [[1, 2], [2, 0]], "REFLECT"),
     _mirror("REFLECT"), [(3, 4)], F32, {}),
    ("pad_symmetric", ["MirrorPad"], lambda x: tf.pad(x, [[1, 2], [2, 0]], mode="symmetric"),
     _mirror("SYMMETRIC"), [(2, 3)], F64, {}),
    ("pad_reflect_3d", ["MirrorPad"], lambda x: tf.pad(x, [[1, 1], [0, 2], [2, 1]], "REFLECT"),
     lambda x: np.pad(x, [[1, 1], [0, 2], [2, 1]], mode="reflect"), [(3, 3, 4)], I64, {}),
    # joining and cutting
    ("concat", ["ConcatV2"], lambda a, b: tf.concat([a, b], 1),
     lambda a, b: np.concatenate([a, b], 1), [(2, 3), (2, 5)], F32, {}),
    ("concat_axis0", ["ConcatV2"], lambda a, b, c: tf.concat([a, b, c], 0),
     lambda a, b, c: np.concatenate([a, b, c], 0), [(2, 3), (1, 3), (4, 3)], I64, {}),
    ("concat_neg_axis_empty", ["ConcatV2"], lambda a, b: tf.concat([a, b], -1),
     lambda a, b: np.concatenate([a, b], -1), [(2, 2, 0), (2, 2, 3)], BOOL, {}),
    ("concat_half", ["ConcatV2"], lambda a, b: tf.concat([a, b], 0),
     lambda a, b: np.concatenate([a, b]), [(1, 3), (2, 3)], np.float16, {}),
    ("concat_large", ["ConcatV2"], lambda a, b: tf.concat([a, b], 1),
     lambda a, b: np.concatenate([a, b], 1), [(200, 300), (200, 100)], F64, {}),
    ("concat_one", ["Identity"], lambda a: tf.concat([a], 0), lambda a: a, [(3,)], I32, {}),
    ("stack", ["Pack"], lambda a, b: tf.stack([a, b]), lambda a, b: np.stack([a, b]),
     [(2, 3), (2, 3)], F32, {}),
    ("stack_axis", ["Pack"], lambda a, b, c: tf.stack([a, b, c], axis=-1),
     lambda a, b, c: np.stack([a, b, c], -1), [(2, 3), (2, 3), (2, 3)], I32, {}),
    ("stack_scalars", ["Pack"], lambda a, b: tf.stack([a, b], axis=0),
     lambda a, b: np.stack([a, b]), [(), ()], F64, {}),
    ("unstack", ["Unpack"], lambda x: tf.unstack(x, 3), lambda x: list(x), [(3, 2)], F32, {}),
    ("unstack_axis", ["Unpack"], lambda x: tf.unstack(x, 4, axis=-1),
     lambda x: list(np.moveaxis(x, -1, 0)), [(2, 3, 4)], BOOL, {}),
    ("split", ["Split"], lambda x: tf.split(x, 2, axis=1), lambda x: np.split(x, 2, axis=1),
     [(3, 4)], F32, {}),
    ("split_neg_axis", ["Split"], lambda x: tf.split(x, 3, -1), lambda x: np.split(x, 3, -1),
     [(2, 2, 6)], I64, {}),
    ("split_sizes", ["SplitV"], lambda x: tf.split(x, [1, -1, 2], 1)[1],
     lambda x: x[:, 1:3], [(2, 5)], F64, {}),
    ("split_sizes_empty", ["SplitV"], lambda x: tf.split(x, [0, 3], 0)[1], lambda x: x,
     [(3, 2)], I32, {}),
    # slicing
    ("slice", ["Slice"], lambda x: tf.slice(x, [1, 0], [2, -1]), lambda x: x[1:3, :],
     [(4, 5)], F32, {}),
    ("slice_3d", ["Slice"], lambda x: tf.slice(x, [0, 1, 2], [2, 1, 1]),
     lambda x: x[0:2, 1:2, 2:3], [(3, 3, 3)], I64, {}),
    ("slice_empty", ["Slice"], lambda x: tf.slice(x, [2, 0], [0, 2]), lambda x: x[2:2, 0:2],
     [(3, 2)], BOOL, {}),
    ("getitem_int", ["StridedSlice"], lambda x: x[1], lambda x: x[1], [(3, 4)], F32, {}),
    ("getitem_negative", ["StridedSlice"], lambda x: x[-1, -2:], lambda x: x[-1, -2:],
     [(3, 4)], F64, {}),
    ("getitem_range", ["StridedSlice"], lambda x: x[:, 1:3], lambda x: x[:, 1:3], [(3, 4)],
     I32, {}),
    ("getitem_newaxis", ["StridedSlice"], lambda x: x[..., None], lambda x: x[..., None],
     [(2, 3)], I64, {}),
    ("getitem_reverse", ["StridedSlice"], lambda x: x[::-1], lambda x: x[::-1], [(5, 2)],
     F32, {}),
    ("getitem_steps", ["StridedSlice"], lambda x: x[1:, ::-2, tf.newaxis, 0],
     lambda x: x[1:, ::-2, None, 0], [(3, 5, 2)], F32, {}),
    ("getitem_ellipsis_middle", ["StridedSlice"], lambda x: x[1, ..., ::2],
     lambda x: x[1, ..., ::2], [(2, 3, 4, 5)], BOOL, {}),
    ("getitem_long_strided_row", ["StridedSlice"], lambda x: x[::-3],
     lambda x: x[::-3], [(70001,)], F32, {}),
    ("getitem_clamped", ["StridedSlice"], lambda x: x[-10:10, 3:1], lambda x: x[-10:10, 3:1],
     [(3, 4)], F64, {}),
    ("getitem_reverse_from", ["StridedSlice"], lambda x: x[2::-1, :-5:-1],
     lambda x: x[2::-1, :-5:-1], [(4, 6)], I32, {}),
    ("getitem_tensor_index", ["StridedSlice", "Pack"], lambda x: x[tf.constant(1), 1:],
     lambda x: x[1, 1:], [(3, 4)], F32, {}),
    ("strided_slice_masks", ["StridedSlice"],
     lambda x: tf.strided_slice(x, [0, 1, 0], [0, 3, 0], [1, 1, 1], begin_mask=1, end_mask=5,
                                shrink_axis_mask=0),
     lambda x: x[:, 1:3, :], [(2, 4, 3)], F32, {}),
    # indexing
    ("gather", ["GatherV2"], lambda x: tf.gather(x, [2, 0, 2]), lambda x: x[[2, 0, 2]],
     [(3, 4)], F32, {}),
    ("gather_axis", ["GatherV2"], lambda x: tf.gather(x, [[1, 0], [0, 0]], axis=1),
     lambda x: np.take(x, [[1, 0], [0, 0]], axis=1), [(2, 3, 4)], F64, {}),
    ("gather_neg_axis_int64_indices", ["GatherV2"],
     lambda x: tf.gather(x, np.array([3, 1], I64), axis=-1),
     lambda x: np.take(x, [3, 1], axis=-1), [(2, 4)], I32, {}),
    ("gather_1d", ["GatherV2"], lambda x: tf.gather(x, [4, 4, 0]), lambda x: x[[4, 4, 0]],
     [(5,)], I64, {}),
    ("gather_empty_indices", ["GatherV2"], lambda x: tf.gather(x, np.zeros((0,), I32)),
     lambda x: x[:0], [(3, 2)], BOOL, {}),
    ("gather_scalar_index", ["GatherV2"], lambda x: tf.gather(x, 1), lambda x: x[1],
     [(3, 2)], F32, {}),
    ("one_hot", ["OneHot"], lambda x: tf.one_hot(x, 4), lambda x: _one_hot(x, 4), [(5,)],
     I32, SMALL),
    ("one_hot_axis0", ["OneHot"], lambda x: tf.one_hot(x, 3, axis=0),
     lambda x: _one_hot(x, 3, 0), [(2, 3)], I64, SMALL),
    ("one_hot_values", ["OneHot"],
     lambda x: tf.one_hot(x, 3, on_value=5, off_value=-1, axis=1),
     lambda x: np.where(_one_hot(x, 3, 1) == 1, 5, -1).astype(I32), [(2, 2)], I32, SMALL),
    ("one_hot_dtype", ["OneHot"], lambda x: tf.one_hot(x, 2, dtype=tf.float64),
     lambda x: _one_hot(x, 2).astype(F64), [(3,)], I64, SMALL),
    ("where", ["Where"], array_ops._where_indices, lambda x: np.argwhere(x).astype(I64),
     [(3, 4)], BOOL, {}),
    ("where_numeric", ["Where"], array_ops._where_indices,
     lambda x: np.argwhere(x).astype(I64), [(7,)], I32, SMALL),
    ("boolean_mask", ["Where", "GatherV2"], lambda x: tf.boolean_mask(x, MASK),
     lambda x: x[MASK], [(3, 4)], F32, {}),
    ("boolean_mask_2d", ["Where", "GatherV2"], lambda x: tf.boolean_mask(x, MASK_2D),
     lambda x: x[MASK_2D], [(3, 4, 2)], I64, {}),
    ("boolean_mask_axis", ["Where", "GatherV2"], lambda x: tf.boolean_mask(x, MASK, axis=1),
     lambda x: x[:, MASK], [(2, 3)], F64, {}),
    ("embedding_lookup", ["GatherV2"], lambda p: tf.nn.embedding_lookup(p, [[0, 2], [1, 1]]),
     lambda p: p[[[0, 2], [1, 1]]], [(3, 4)], F32, {}),
    ("embedding_lookup_div", ["ConcatV2", "GatherV2"],
     lambda a, b: tf.nn.embedding_lookup([a, b], [4, 0, 2], partition_strategy="div"),
     lambda a, b: np.concatenate([a, b])[[4, 0, 2]], [(3, 2), (2, 2)], F64, {}),
    ("broadcast_to", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [2, 3]),
     lambda x: np.broadcast_to(x, [2, 3]), [(3,)], F32, {}),
    ("broadcast_to_columns", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [2, 4, 37]),
     lambda x: np.broadcast_to(x, [2, 4, 37]), [(4, 1)], F64, {}),
    ("broadcast_to_middle", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [3, 2, 5]),
     lambda x: np.broadcast_to(x, [3, 2, 5]), [(3, 1, 5)], I64, {}),
    ("broadcast_to_scalar", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [2, 2]),
     lambda x: np.broadcast_to(x, [2, 2]), [()], BOOL, {}),
    ("broadcast_to_same", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [2, 3]),
     lambda x: x, [(2, 3)], I32, {}),
    ("broadcast_to_empty", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [0, 3]),
     lambda x: np.broadcast_to(x, [0, 3]), [(1, 3)], F32, {}),
    ("broadcast_to_float16", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [3, 1, 2]),
     lambda x: np.broadcast_to(x, [3, 1, 2]), [(1, 2)], np.float16, {}),
    ("broadcast_to_large", ["BroadcastTo"], lambda x: tf.broadcast_to(x, [300, 1000]),
     lambda x: np.broadcast_to(x, [300, 1000]), [(300, 1)], F32, {}),
    ("unsorted_segment_sum", ["UnsortedSegmentSum"],
     lambda x: tf.unsorted_segment_sum(x, [3, 0, 3, 1, 3], 5),
     lambda x: _segment_sum(x, [3, 0, 3, 1, 3], 5), [(5, 3)], F32, {}),
    ("unsorted_segment_sum_2d_ids_dropped", ["UnsortedSegmentSum"],
     lambda x: tf.unsorted_segment_sum(x, SEGMENT_IDS, 4),
     lambda x: _segment_sum(x, SEGMENT_IDS, 4), [(2, 3, 2)], I64, {}),
    ("unsorted_segment_sum_int64_ids", ["UnsortedSegmentSum"],
     lambda x: tf.unsorted_segment_sum(x, np.array([1, 1], I64), np.int64(3)),
     lambda x: _segment_sum(x, [1, 1], 3), [(2,)], F64, {}),
    ("unsorted_segment_sum_empty", ["UnsortedSegmentSum"],
     lambda x: tf.unsorted_segment_sum(x, np.zeros(0, I32), 2),
     lambda x: _segment_sum(x, np.zeros(0, I32), 2), [(0, 3)], I32, {}),
    ("unsorted_segment_sum_large", ["UnsortedSegmentSum"],
     lambda x: tf.unsorted_segment_sum(x, LARGE_SEGMENT_IDS, 50),
     lambda x: _segment_sum(x, LARGE_SEGMENT_IDS, 50), [(3000, 16)], F32, {}),
] + [(case_id, ["StridedSliceGrad"], *_slice_grad(shape, index), [dy], dtype, {})
     for case_id, shape, index, dy, dtype in SLICE_GRADS
     ] + [(case_id, ["MirrorPadGrad"], *_mirror_pad_grad(mode, paddings), [shape], dtype, {})
          for case_id, mode, paddings, shape, dtype in MIRROR_PAD_GRADS]


def _dynamic_perm(x, perm):
    """transpose with a perm that is not a constant of the graph."""
    return tf.transpose(x, tf.placeholder_with_default(np.array(perm, np.int32), [None]))


def _sum_splits(parts):
    """The parts weighted 1, 2, 3, ... and added."""
    total = parts[0]
    for i, p in enumerate(parts[1:]):
        total = total + p * float(i + 2)
    return total


GRADS = [
    ("reshape", ["Reshape"], lambda x: tf.reshape(x, [3, -1]), [(2, 3)], {}),
    ("identity", ["Identity"], tf.identity, [(3,)], {}),
    ("placeholder_with_default", ["PlaceholderWithDefault"],
     lambda x: tf.placeholder_with_default(x, [None, 3]), [(2, 3)], {}),
    ("fill", ["Fill"], lambda x: tf.fill([2, 3], x), [()], {}),
    ("expand_dims", ["ExpandDims"], lambda x: tf.expand_dims(x, -1), [(2, 3)], {}),
    ("squeeze", ["Squeeze"], lambda x: tf.squeeze(x, [1]), [(2, 1, 3)], {}),
    ("transpose", ["Transpose"], lambda x: tf.transpose(x, [1, 2, 0]), [(2, 3, 2)], {}),
    ("transpose_dynamic_perm", ["Transpose", "UnsortedSegmentSum"],
     lambda x: _dynamic_perm(x, [2, 0, 1]), [(2, 3, 2)], {}),
    ("reverse", ["ReverseV2"], lambda x: tf.reverse(x, [0, -1]), [(2, 3, 2)], {}),
    ("tile", ["Tile"], lambda x: tf.tile(x, [2, 1, 3]), [(2, 3, 1)], {}),
    ("pad", ["Pad"], lambda x: tf.pad(x, [[1, 0], [2, 1]]), [(2, 3)], {}),
    ("pad_v2", ["PadV2"], lambda x: tf.pad(x, np.array([[0, 1], [1, 1]], I64),
                                           constant_values=2.0), [(3, 2)], {}),
    ("mirror_pad_reflect", ["MirrorPad"], lambda x: tf.pad(x, [[1, 2], [2, 0]], "REFLECT"),
     [(3, 4)], {}),
    ("mirror_pad_symmetric", ["MirrorPad"],
     lambda x: tf.pad(x, [[2, 1], [0, 3], [1, 1]], "SYMMETRIC"), [(2, 3, 2)], {}),
    ("mirror_pad_grad", ["MirrorPadGrad"], _mirror_pad_grad("SYMMETRIC", [[1, 0], [2, 1]])[0],
     [(3, 5)], {}),
    ("concat", ["ConcatV2"], lambda a, b: tf.concat([a, b], -1), [(2, 3), (2, 2)], {}),
    ("concat_axis0", ["ConcatV2"], lambda a, b, c: tf.concat([a, b, c], 0),
     [(1, 2), (3, 2), (2, 2)], {}),
    ("split", ["Split"], lambda x: _sum_splits(tf.split(x, 2, axis=1)), [(3, 4)], {}),
    ("split_one_output_used", ["Split"], lambda x: tf.split(x, 3, -1)[1], [(2, 6)], {}),
    ("split_v", ["SplitV"], lambda x: tf.concat(tf.split(x, [1, -1], 0)[::-1], 0), [(3, 2)],
     {}),
    ("stack", ["Pack"], lambda a, b: tf.stack([a, b], axis=1), [(2, 3), (2, 3)], {}),
    ("unstack", ["Unpack"], lambda x: _sum_splits(tf.unstack(x, axis=1)), [(2, 3)], {}),
    ("slice", ["Slice"], lambda x: tf.slice(x, [1, 0], [2, -1]), [(4, 3)], {}),
    ("getitem_reverse_steps", ["StridedSlice"], lambda x: x[2::-1, :-5:-2], [(4, 6)], {}),
    ("getitem_new_axis_shrink", ["StridedSlice"], lambda x: x[1:, ::-2, None, 0],
     [(3, 5, 2)], {}),
    ("getitem_ellipsis", ["StridedSlice"], lambda x: x[1, ..., ::2], [(2, 3, 4)], {}),
    ("strided_slice_masks", ["StridedSlice"],
     lambda x: tf.strided_slice(x, [0, 1, 0], [0, 3, 0], [1, 1, 1], begin_mask=1, end_mask=5),
     [(2, 4, 3)], {}),
    ("strided_slice_grad", ["StridedSliceGrad"], _slice_grad((4, 6), np.s_[2::-1, 1::2])[0],
     [(3, 3)], {}),
    ("gather", ["GatherV2"], lambda x: tf.gather(x, [2, 0, 2]), [(3, 4)], {}),
    ("gather_axis", ["GatherV2"], lambda x: tf.gather(x, [[1, 0], [0, 0]], axis=1),
     [(2, 3, 2)], {}),
    ("gather_neg_axis", ["GatherV2"], lambda x: tf.gather(x, np.array([3, 1, 1], I64), axis=-1),
     [(2, 4)], {}),
    ("embedding_lookup_mod", ["GatherV2", "Pack", "Pad"],
     lambda a, b: tf.nn.embedding_lookup([a, b], [[3, 0], [2, 2]]), [(2, 2), (2, 2)], {}),
    ("unsorted_segment_sum", ["UnsortedSegmentSum"],
     lambda x: tf.unsorted_segment_sum(x, SEGMENT_IDS, 4), [(2, 3, 2)], {}),
]


def _unique(output, dtype=I32):
    """NumPy's unique values in first-occurrence order: y (0), idx (1) or count (2)."""
    def ref(x):
        _, first, inverse, count = np.unique(x, return_index=True, return_inverse=True,
                                             return_counts=True)
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return [x[first[order]], rank[inverse.ravel()].astype(dtype),
                count[order].astype(dtype)][output]
    return ref


ND_INDICES = np.array([[[1, 0], [0, 2]], [[1, 2], [1, 0]], [[0, 0], [1, 1]]], I32)
ND_DUPLICATES = np.array([[3], [0], [3], [1], [3]], I64)


def _gather_nd(indices):
    return lambda x: x[tuple(np.moveaxis(indices, -1, 0))]


def _scatter_nd(indices, shape):
    def ref(u):
        out = np.zeros(shape, u.dtype)
        np.add.at(out, tuple(np.moveaxis(indices, -1, 0)), u)
        return out
    return ref


OPS += [
    ("unique", ["Unique"], lambda x: tf.unique(x).y, _unique(0), [(12,)], I32, SMALL),
    ("unique_idx", ["Unique"], lambda x: tf.unique(x)[1], _unique(1), [(12,)], F32, {}),
    ("unique_idx_int64", ["Unique"], lambda x: tf.unique(x, out_idx=tf.int64).idx,
     _unique(1, I64), [(10,)], I64, SMALL),
    ("unique_empty", ["Unique"], lambda x: tf.unique(x).y, _unique(0), [(0,)], F64, {}),
    ("unique_with_counts", ["UniqueWithCounts"], lambda x: tf.unique_with_counts(x).count,
     _unique(2), [(15,)], I64, SMALL),
    ("unique_with_counts_y", ["UniqueWithCounts"], lambda x: tf.unique_with_counts(x)[0],
     _unique(0), [(9,)], BOOL, {}),
    ("gather_nd", ["GatherNd"], lambda x: tf.gather_nd(x, ND_INDICES), _gather_nd(ND_INDICES),
     [(2, 3)], F32, {}),
    ("gather_nd_slices", ["GatherNd"], lambda x: tf.gather_nd(x, ND_INDICES),
     _gather_nd(ND_INDICES), [(2, 3, 4)], I64, {}),
    ("gather_nd_rows", ["GatherNd"], lambda x: tf.gather_nd(x, ND_DUPLICATES),
     _gather_nd(ND_DUPLICATES), [(4, 2)], BOOL, {}),
    ("gather_nd_empty_index", ["GatherNd"], lambda x: tf.gather_nd(x, np.zeros((2, 0), I32)),
     lambda x: np.stack([x, x]), [(3, 2)], F64, {}),
    ("scatter_nd", ["ScatterNd"], lambda u: tf.scatter_nd(ND_INDICES, u, [2, 3]),
     _scatter_nd(ND_INDICES, (2, 3)), [(3, 2)], F32, {}),
    ("scatter_nd_duplicates", ["ScatterNd"],
     lambda u: tf.scatter_nd(ND_DUPLICATES, u, tf.constant([5, 3], tf.int64)),
     _scatter_nd(ND_DUPLICATES, (5, 3)), [(5, 3)], I32, {}),
    ("scatter_nd_large", ["ScatterNd"], lambda u: tf.scatter_nd(ND_DUPLICATES, u, [4, 300, 70]),
     _scatter_nd(ND_DUPLICATES, (4, 300, 70)), [(5, 300, 70)], F64, {}),
]

GRADS += [
    ("gather_nd", ["GatherNd"], lambda x: tf.gather_nd(x, ND_INDICES), [(2, 3, 2)], {}),
    ("scatter_nd", ["ScatterNd"], lambda u: tf.scatter_nd(ND_DUPLICATES, u, [4, 2]),
     [(5, 2)], {}),
]


@pytest.mark.parametrize("build, message", [
    (lambda x: tf.gather_nd(x, [[0, 3]]), r"indices\[0\] = \[0, 3\] does not index into param "
                                          r"shape \[2,3\]"),
    (lambda x: tf.gather_nd(x, [[[1], [-1]]]), r"indices\[0,1\] = \[-1\]"),
    (lambda x: tf.scatter_nd([[4]], tf.expand_dims(x, 0), [4, 2, 3]),
     r"indices\[0\] = \[4\] does not index into shape \[4,2,3\]"),
])
def test_nd_indices_out_of_range_raise_invalid_argument(build, message):
    x, feed = _fed(tf.float32, (2, 3), np.zeros((2, 3), F32))
    out = build(x)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            sess.run(out, feed)


def test_scatter_nd_and_gather_nd_same_bits_for_any_thread_count(rng):
    indices = tf.constant(rng.integers(0, 50, size=(400, 1)))
    updates = tf.constant(rng.standard_normal((400, 30, 20)))
    summed = tf.scatter_nd(indices, updates, [50, 30, 20])
    one, two = run_with_threads([summed, tf.gather_nd(summed, indices)])
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_nd_shape_errors_raise_value_error():
    with pytest.raises(ValueError, match="innermost dimension"):
        tf.gather_nd(tf.zeros([2, 3]), [[0, 1, 2]])
    with pytest.raises(ValueError, match="updates.shape"):
        tf.scatter_nd([[0], [1]], tf.zeros([2, 4]), [3, 5])


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)


# Cases whose functions need static dims (unstack's num, embedding_lookup's partitions) left out.
UNKNOWN_SHAPE_GRADS = [c for c in GRADS if c[0] not in ("unstack", "embedding_lookup_mod")]


@pytest.mark.parametrize("case", UNKNOWN_SHAPE_GRADS, ids=[c[0] for c in UNKNOWN_SHAPE_GRADS])
def test_gradient_with_unknown_shapes_matches_static_shapes(case):
    _, _, fn, shapes, opts = case
    rng = np.random.default_rng(3)
    xs = [np.asarray(rng.standard_normal(s)) for s in shapes]
    results = []
    for dims in (lambda s: s, lambda s: [None] * len(s)):
        holders = [tf.placeholder(tf.float64, dims(s)) for s in shapes]
        out = fn(*holders)
        # A gather's gradient is an IndexedSlices: compared densified.
        grads = [tf.convert_to_tensor(g) for g in tf.gradients(out * out, holders)]
        with tf.Session() as sess:
            results.append(sess.run(grads, dict(zip(holders, xs))))
    for static, unknown in zip(*results):
        np.testing.assert_allclose(unknown, static, rtol=1e-12, atol=1e-12)


def test_embedding_lookup_mod_partitions(rng):
    parts = [rng.standard_normal(s).astype(F32) for s in [(3, 2), (3, 2), (2, 2)]]
    ids = np.array([[0, 4], [5, 7], [2, 2]])
    out = tf.nn.embedding_lookup([tf.constant(p) for p in parts], ids)
    with tf.Session() as sess:
        got = sess.run(out)
    np.testing.assert_array_equal(got, _mod_table(*parts)[ids])
    assert out.shape.as_list() == [3, 2, 2]


def test_static_shapes_follow_partial_inputs():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    assert x[:, 1].shape.as_list() == [None, 4]
    assert x[..., None, 1:3].shape.as_list() == [None, 3, 1, 2]
    assert x[0].shape.as_list() == [3, 4]
    i = tf.placeholder(tf.int32, [])
    assert x[1:, i].shape.as_list() == [None, 4]
    assert x[..., i:].shape.as_list() == [None, 3, None]
    assert tf.transpose(x).shape.as_list() == [4, 3, None]
    assert tf.concat([x, x], 1).shape.as_list() == [None, 6, 4]
    assert tf.concat([x, tf.zeros([2, 3, 4])], 0).shape.as_list() == [None, 3, 4]
    assert tf.stack([x, x], 1).shape.as_list() == [None, 2, 3, 4]
    assert [t.shape.as_list() for t in tf.split(x, [1, 2], 1)] == [[None, 1, 4], [None, 2, 4]]
    assert tf.gather(x, tf.placeholder(tf.int32, [5, 6]), axis=1).shape.as_list() == \
        [None, 5, 6, 4]
    assert tf.tile(x, [2, 2, 1]).shape.as_list() == [None, 6, 4]
    assert tf.pad(x, [[1, 1], [0, 0], [2, 2]]).shape.as_list() == [None, 3, 8]
    assert tf.one_hot(tf.placeholder(tf.int32, [None]), 7).shape.as_list() == [None, 7]
    assert tf.squeeze(tf.placeholder(tf.float32, [None, 1, 2]), [1]).shape.as_list() == \
        [None, 2]
    assert tf.shape(x).shape.as_list() == [3]
    assert tf.boolean_mask(x, MASK, axis=1).shape.as_list() == [None, None, 4]


def test_placeholder_with_default_can_be_fed():
    x = tf.placeholder_with_default(np.arange(3, dtype=F32), [None])
    y = x * 2.0
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), [0, 2, 4])
        np.testing.assert_array_equal(sess.run(y, {x: np.ones(5, F32)}), np.full(5, 2.0))


def test_getitem_on_fed_index():
    x = tf.constant(np.arange(12).reshape(3, 4))
    i = tf.placeholder(tf.int32, [])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(x[i], {i: 2}), [8, 9, 10, 11])
        np.testing.assert_array_equal(sess.run(x[:, i], {i: -1}), [3, 7, 11])
        with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
            sess.run(x[i], {i: 3})


def _random_index(rng, shape):
    """A random NumPy basic index for `shape`: ints, slices, at most one ..., newaxis."""
    spec, used, ellipsis = [], 0, False
    for _ in range(rng.integers(1, len(shape) + 2)):
        r = rng.random()
        if r < 0.1 and not ellipsis:
            spec.append(Ellipsis)
            ellipsis = True
        elif r < 0.2:
            spec.append(None)
        elif used < len(shape) and r < 0.45 and shape[used] > 0 and not ellipsis:
            spec.append(int(rng.integers(-shape[used], shape[used])))
            used += 1
        elif used < len(shape):
            ends = [None if rng.random() < 0.3 else int(rng.integers(-7, 8)) for _ in "be"]
            step = None if rng.random() < 0.4 else int(rng.choice([-3, -2, -1, 1, 2, 3]))
            spec.append(slice(ends[0], ends[1], step))
            used += 1
    return tuple(spec)


def test_getitem_matches_numpy_on_random_indices(rng):
    cases = []
    for _ in range(150):
        shape = tuple(int(d) for d in rng.integers(0, 5, rng.integers(1, 5)))
        x = rng.standard_normal(shape).astype(F32)
        index = _random_index(rng, shape)
        cases.append((x, index, tf.placeholder(tf.float32, [None] * len(shape))))
    outs = [(h[index], tf.constant(x)[index]) for x, index, h in cases]
    with tf.Session() as sess:
        got = sess.run(outs, {h: x for x, _, h in cases})
    for (x, index, _), (fed, const) in zip(cases, got):
        np.testing.assert_array_equal(fed, x[index])
        np.testing.assert_array_equal(const, x[index])


def test_getitem_rejects_bad_indices():
    x = tf.constant(np.zeros((3, 4)))
    for bad in (1.5, "a", tf.constant([1, 2]), tf.constant(1.0), True):
        with pytest.raises(TypeError, match="valid indices"):
            x[bad]  # noqa: B018


BUILD_ERRORS = [
    ("mirror_pad_grad_paddings", lambda: _mirror_pad_grad("REFLECT", [[2, 2], [0, 0]])[0](
        tf.zeros([5, 2])), "less than"),
    ("mirror_pad_grad_too_large", lambda: _mirror_pad_grad("SYMMETRIC", [[3, 3], [0, 0]])[0](
        tf.zeros([5, 2])), "larger than"),
    ("segment_ids_shape", lambda: tf.unsorted_segment_sum(tf.zeros([2, 3]), [0, 1, 2], 3),
     "does not start with"),
    ("segment_count", lambda: tf.unsorted_segment_sum(tf.zeros([2]), [0, 1], -1),
     "non-negative"),
    ("gather_axis", lambda: tf.gather(tf.zeros([2, 3]), [0], axis=2), "axis"),
    ("transpose_perm_size", lambda: tf.transpose(tf.zeros([2, 3]), [1, 0, 2]), "size 2"),
    ("transpose_perm_repeat", lambda: tf.transpose(tf.zeros([2, 3]), [1, 1]), "missing"),
    ("concat_dims", lambda: tf.concat([tf.zeros([2, 3]), tf.zeros([2, 4])], 0), "3 and 4"),
    ("concat_rank", lambda: tf.concat([tf.zeros([2, 3]), tf.zeros([2])], 0), "rank"),
    ("concat_axis", lambda: tf.concat([tf.zeros([2]), tf.zeros([2])], 1), "range"),
    ("concat_scalars", lambda: tf.concat([tf.zeros([]), tf.zeros([])], 0), "scalars"),
    ("stack_shapes", lambda: tf.stack([tf.zeros([2]), tf.zeros([3])]), "Shapes"),
    ("stack_axis", lambda: tf.stack([tf.zeros([2]), tf.zeros([2])], axis=2), "axis"),
    ("unstack_num", lambda: tf.unstack(tf.placeholder(tf.float32, [None, 2])), "infer num"),
    ("unstack_wrong_num", lambda: tf.unstack(tf.zeros([3, 2]), num=2), "Dimension must be 2"),
    ("split_uneven", lambda: tf.split(tf.zeros([5, 2]), 2), "evenly divisible"),
    ("split_sizes", lambda: tf.split(tf.zeros([5, 2]), [2, 2]), "Determined shape"),
    ("split_two_unknown", lambda: tf.split(tf.zeros([5, 2]), [-1, -1]), "Only one"),
    ("slice_begin", lambda: tf.slice(tf.zeros([3, 4]), [4, 0], [1, 1]), "begin"),
    ("slice_size", lambda: tf.slice(tf.zeros([3, 4]), [1, 0], [3, 1]), "size"),
    ("slice_rank", lambda: tf.slice(tf.zeros([3, 4]), [1], [3]), "size 2"),
    ("getitem_out_of_bounds", lambda: tf.zeros([3, 4])[3], "out of bounds"),
    ("getitem_negative_out_of_bounds", lambda: tf.zeros([3, 4])[:, -5], "out of bounds"),
    ("getitem_too_many", lambda: tf.zeros([3])[1, 2], "Index out of range"),
    ("getitem_zero_step", lambda: tf.zeros([3])[::0], "non-zero"),
    ("getitem_two_ellipses", lambda: tf.zeros([3, 3])[..., ...], "Multiple ellipses"),
    ("expand_dims_axis", lambda: tf.expand_dims(tf.zeros([2, 3]), 4), "expand dim"),
    ("squeeze_not_one", lambda: tf.squeeze(tf.zeros([2, 3]), [1]), "expected a dimension of 1"),
    ("squeeze_axis", lambda: tf.squeeze(tf.zeros([1, 3]), [2]), "squeeze dim"),
    ("tile_length", lambda: tf.tile(tf.zeros([2, 3]), [1, 2, 3]), "length 2"),
    ("tile_negative", lambda: tf.tile(tf.zeros([2, 3]), [1, -1]), ">= 0"),
    ("tile_huge", lambda: tf.tile(tf.zeros([2 ** 20]), [2 ** 30]), "too large"),
    ("pad_rank", lambda: tf.pad(tf.zeros([2, 3]), [[1, 1]]), "rank of inputs"),
    ("pad_negative", lambda: tf.pad(tf.zeros([2, 3]), [[1, 1], [-1, 0]]), "non-negative"),
    ("pad_huge", lambda: tf.pad(tf.zeros([2]), [[2 ** 62, 0]]), "too large"),
    ("pad_reflect_large", lambda: tf.pad(tf.zeros([2, 3]), [[2, 0], [0, 0]], "REFLECT"),
     "less than"),
    ("pad_symmetric_large", lambda: tf.pad(tf.zeros([2, 3]), [[0, 0], [0, 4]], "SYMMETRIC"),
     "no greater"),
    ("pad_mode", lambda: tf.pad(tf.zeros([2]), [[1, 1]], "EDGE"), "Unknown padding mode"),
    ("one_hot_axis", lambda: tf.one_hot([1, 2], 3, axis=2), "axis"),
    ("one_hot_depth", lambda: tf.one_hot([1, 2], -1), "depth"),
    ("reverse_repeat", lambda: tf.reverse(tf.zeros([2, 3]), [1, -1]), "more than once"),
    ("reverse_axis", lambda: tf.reverse(tf.zeros([2, 3]), [2]), "axis"),
    ("range_delta", lambda: tf.range(0, 5, 0), "delta != 0"),
    ("range_direction", lambda: tf.range(5, 0, 1), "start <= limit"),
    ("linspace_num", lambda: tf.linspace(0.0, 1.0, 0), "num > 0"),
    ("boolean_mask_scalar", lambda: tf.boolean_mask(tf.zeros([2]), True), "scalar"),
    ("boolean_mask_shape", lambda: tf.boolean_mask(tf.zeros([2, 3]), MASK), "incompatible"),
    ("placeholder_with_default_shape",
     lambda: tf.placeholder_with_default(tf.zeros([2, 3]), [3, None]), "incompatible"),
]


@pytest.mark.parametrize("build", [c[1] for c in BUILD_ERRORS], ids=[c[0] for c in BUILD_ERRORS])
def test_bad_static_arguments_raise_value_error(build):
    message = next(m for _, b, m in BUILD_ERRORS if b is build)
    with pytest.raises(ValueError, match=message):
        build()


def test_dtype_errors_raise_type_error():
    with pytest.raises(TypeError):
        tf.concat([tf.zeros([2]), tf.zeros([2], tf.int32)], 0)
    with pytest.raises(TypeError):
        tf.gather(tf.zeros([2]), tf.constant([0.5]))
    with pytest.raises(TypeError):
        tf.one_hot([0], 2, on_value=tf.constant(1.0), off_value=tf.constant(0, tf.int32))
    with pytest.raises(TypeError):
        tf.boolean_mask(tf.zeros([2]), [1, 0])


def _fed(dtype, shape, value):
    holder = tf.placeholder(dtype, [None] * len(shape))
    return holder, {holder: value}


RUN_ERRORS = [
    ("strided_slice_grad_dy", lambda x: _slice_grad((4, 6), np.s_[2::-1, :-5:-1])[0](x),
     (2, 3), r"shape of dy was \[2,3\] instead of \[3,4\]"),
    ("segment_id", lambda x: tf.unsorted_segment_sum(x, [0, 3], 3), (2, 3),
     r"segment_ids\[1\] = 3 is out of range \[0, 3\)"),
    ("gather_index", lambda x: tf.gather(x, [0, 5]), (3, 2),
     r"indices\[1\] = 5 is not in \[0, 3\)"),
    ("gather_negative_index", lambda x: tf.gather(x, [[0], [-1]], axis=1), (3, 2),
     r"indices\[1,0\] = -1 is not in \[0, 2\)"),
    ("embedding_id", lambda x: tf.nn.embedding_lookup(x, [7]), (3, 2), "not in"),
    ("concat_dims", lambda x: tf.concat([x, tf.zeros([2, 2])], 0), (2, 3), "must be equal"),
    ("stack_shapes", lambda x: tf.stack([x, tf.zeros([2, 2])]), (2, 3), "must match|must be equal"),
    ("split_uneven", lambda x: tf.split(x, 2)[0], (3, 2), "evenly divisible"),
    ("slice_size", lambda x: tf.slice(x, [1, 0], [3, 1]), (2, 3), "size"),
    ("getitem", lambda x: x[2], (2, 3), "out of bounds"),
    ("squeeze", lambda x: tf.squeeze(x, [0]), (2, 3), "expected a dimension of 1"),
    ("reflect_pad", lambda x: tf.pad(x, [[2, 0], [0, 0]], "REFLECT"), (2, 3), "less than"),
    ("unstack", lambda x: tf.unstack(x, num=3)[0], (2, 3), "Dimension must be 3"),
    ("one_hot_axis", lambda x: tf.one_hot(tf.cast(tf.reshape(x, tf.placeholder_with_default(
        [6], [None])), tf.int32), 3, axis=2), (2, 3), "axis"),
    ("transpose_perm", lambda x: tf.transpose(x, tf.placeholder_with_default([0, 0], [2])),
     (2, 3), "missing"),
]


@pytest.mark.parametrize("case", RUN_ERRORS, ids=[c[0] for c in RUN_ERRORS])
def test_bad_dynamic_values_raise_invalid_argument(case):
    _, fn, shape, message = case
    x, feed = _fed(tf.float32, shape, np.zeros(shape, F32))
    out = fn(x)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            sess.run(out, feed)


def test_gather_out_of_range_on_constants_fails_at_run_time():
    out = tf.gather(tf.constant([1.0, 2.0]), [2])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
            sess.run(out)


def test_fed_values_checked_by_range_and_split():
    n = tf.placeholder(tf.int32, [])
    sizes = tf.placeholder(tf.int32, [2])
    x = tf.zeros([5, 2])
    with tf.Session() as sess:
        assert sess.run(tf.range(n), {n: 3}).tolist() == [0, 1, 2]
        with pytest.raises(tf.errors.InvalidArgumentError, match="start <= limit"):
            sess.run(tf.range(n), {n: -1})
        a, b = tf.split(x, sizes)
        assert sess.run(b, {sizes: [1, 4]}).shape == (4, 2)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Determined shape"):
            sess.run(b, {sizes: [1, 1]})


def test_large_copies_match_numpy_for_any_thread_count(rng):
    x = rng.standard_normal((64, 300, 20)).astype(F32)
    t = tf.constant(x)
    outs = [tf.transpose(t, [2, 0, 1]), tf.concat([t, t], 2), tf.tile(t, [1, 1, 3]),
            t[:, ::-3], tf.pad(t, [[1, 1], [0, 0], [2, 2]], "REFLECT"),
            tf.gather(t, [3, 1], axis=2)]
    want = [x.transpose(2, 0, 1), np.concatenate([x, x], 2), np.tile(x, (1, 1, 3)), x[:, ::-3],
            np.pad(x, [[1, 1], [0, 0], [2, 2]], "reflect"), x[..., [3, 1]]]
    for got in run_with_threads(outs):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_transpose_every_tile_edge(rng):
    sizes = [1, 7, 8, 9, 16, 17, 33, 40]
    cases = [rng.standard_normal((r, c)).astype(dtype) for dtype in (F32, F64, np.float16, I64)
             for r in sizes for c in sizes]
    cases += [rng.random((r, c)) < 0.5 for r in sizes for c in sizes]
    outs = [tf.transpose(tf.constant(x)) for x in cases]
    with tf.Session() as sess:
        for got, x in zip(sess.run(outs), cases):
            np.testing.assert_array_equal(got, x.T)


def test_broadcast_to_shape_errors_and_partial_shapes():
    x = tf.zeros([2, 3])
    with pytest.raises(ValueError, match="Unable to broadcast"):
        tf.broadcast_to(x, [3, 3])
    with pytest.raises(ValueError, match="Rank of input"):
        tf.broadcast_to(x, [3])
    with pytest.raises(ValueError, match="non-negative"):
        tf.broadcast_to(x, [-1, 3])
    with pytest.raises(TypeError):
        tf.broadcast_to(x, [2.0, 3.0])
    p = tf.placeholder(F32, [None, 1, 3])
    assert tf.broadcast_to(p, [2, 4, 3]).shape.as_list() == [2, 4, 3]
    n = tf.placeholder(tf.int32, [3])
    assert tf.broadcast_to(p, n).shape.as_list() == [None, None, 3]
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Unable to broadcast"):
            sess.run(tf.broadcast_to(p, [2, 4, 3]), {p: np.zeros((3, 1, 3), F32)})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Unable to broadcast"):
            sess.run(tf.broadcast_to(p, n), {p: np.zeros((1, 1, 3), F32), n: [1, 2, 2]})


def test_broadcast_to_large_inputs_match_numpy_for_any_thread_count(rng):
    cases = [(rng.standard_normal((1, 200, 1)).astype(F32), [30, 200, 70]),
             (rng.standard_normal((64, 1)).astype(F64), [3, 64, 900]),
             (rng.standard_normal(5000).astype(np.float16), [40, 5000])]
    outs = [tf.broadcast_to(tf.constant(x), s) for x, s in cases]
    for got in run_with_threads(outs):
        for g, (x, s) in zip(got, cases):
            np.testing.assert_array_equal(g, np.broadcast_to(x, s))


def test_huge_shapes_are_rejected_not_wrapped():
    x = tf.zeros([4])
    with pytest.raises(ValueError, match="too many elements|Cannot reshape"):
        tf.reshape(x, [2**40, 2**40, -1])
    empty = tf.zeros([0])
    assert tf.reshape(empty, [2**62, 2**62, 0]).shape.as_list() == [2**62, 2**62, 0]


def _reverse_sequence_ref(x, lengths, seq_axis, batch_axis):
    moved = np.moveaxis(np.array(x), [seq_axis, batch_axis], [0, 1]).copy()
    for b, n in enumerate(lengths):
        moved[:n, b] = moved[:n, b][::-1].copy()
    return np.moveaxis(moved, [0, 1], [seq_axis, batch_axis])


@pytest.mark.parametrize("seq_axis,batch_axis", [(1, 0), (0, 1), (2, 0)])
def test_reverse_sequence_matches_numpy_with_steps_known_only_at_run_time(seq_axis, batch_axis):
    rng = np.random.default_rng(2)
    x_value = rng.standard_normal((3, 4, 5))
    lengths_value = [x_value.shape[seq_axis], 0, 2][:x_value.shape[batch_axis]]
    lengths_value += [1] * (x_value.shape[batch_axis] - len(lengths_value))
    x = tf.placeholder(tf.float64, [None, None, None])
    y = tf.reverse_sequence(x, tf.constant(lengths_value), seq_axis=seq_axis,
                            batch_axis=batch_axis)
    g = tf.gradients(tf.reduce_sum(y * tf.constant(x_value)), x)[0]
    with tf.Session() as sess:
        got, grad = sess.run([y, g], {x: x_value})
    want = _reverse_sequence_ref(x_value, lengths_value, seq_axis, batch_axis)
    np.testing.assert_array_equal(got, want)
    # The gradient of a permutation is the inverse permutation of the upstream gradient.
    np.testing.assert_array_equal(grad, _reverse_sequence_ref(x_value, lengths_value, seq_axis,
                                                              batch_axis))


def test_shapes_given_as_lists_may_hold_scalar_tensors():
    n = tf.placeholder(tf.int32, [])
    filled = tf.fill([n, 2], 7)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(filled, {n: 3}), np.full((3, 2), 7))


def test_sequence_mask_matches_numpy():
    lengths = np.array([[1, 2], [3, 0]])
    masks = [tf.sequence_mask([1, 3, 0], 4), tf.sequence_mask(tf.constant(lengths),
                                                               dtype=tf.float32),
             tf.sequence_mask(tf.placeholder_with_default(np.int64(2), []), 3)]
    with tf.Session() as sess:
        got = sess.run(masks)
    np.testing.assert_array_equal(got[0], np.arange(4) < np.array([1, 3, 0])[:, None])
    np.testing.assert_array_equal(got[1], (np.arange(3) < lengths[..., None]).astype(np.float32))
    np.testing.assert_array_equal(got[2], [True, True, False])
    assert got[0].dtype == np.bool_ and got[1].dtype == np.float32
