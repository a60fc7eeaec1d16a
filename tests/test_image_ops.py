"""Image ops: resizing against NumPy and TensorFlow's values (tests/fixtures/image; bicubic
against TensorFlow's only), the gradients of resizing, and tf.image's composites against
NumPy."""
import colorsys
import pathlib

import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op, run_with_threads
from tensorlib.framework import ops

F32, F64, I32, I64 = np.float32, np.float64, np.int32, np.int64
FIXTURES = np.load(pathlib.Path(__file__).parent / "fixtures" / "image" / "resize.npz")


def _scale(n_in, n_out, align):
    if align and n_out > 1:
        return F32(n_in - 1) / F32(n_out - 1)
    return F32(n_in) / F32(n_out)


def _coords(size_in, size_out, align, half):
    """Where each output index samples the input, in TF1's conventions (float32)."""
    scale = _scale(size_in, size_out, align)
    i = np.arange(size_out, dtype=F32)
    return (i + F32(0.5)) * scale - F32(0.5) if half else i * scale


def _bilinear(size, align=False, half=False):
    def ref(x):
        def axis(n_in, n_out):
            c = _coords(n_in, n_out, align, half)
            lo = np.maximum(np.floor(c), 0).astype(int)
            hi = np.minimum(np.ceil(c), n_in - 1).astype(int)
            return lo, hi, (c - np.floor(c)).astype(F32)
        y0, y1, ly = axis(x.shape[1], size[0])
        x0, x1, lx = axis(x.shape[2], size[1])
        x = x.astype(F32)
        lx = lx[None, None, :, None]
        top = x[:, y0][:, :, x0] + (x[:, y0][:, :, x1] - x[:, y0][:, :, x0]) * lx
        bottom = x[:, y1][:, :, x0] + (x[:, y1][:, :, x1] - x[:, y1][:, :, x0]) * lx
        return top + (bottom - top) * ly[None, :, None, None]
    return ref


def _nearest_sources(n_in, n_out, align, half):
    scale = _scale(n_in, n_out, align)
    c = (np.arange(n_out, dtype=F32) + (F32(0.5) if half else 0)) * scale
    src = np.floor(c + F32(0.5)) if align else np.floor(c)  # C's roundf of c >= 0
    return np.clip(src.astype(int), 0, n_in - 1)


def _nearest(size, align=False, half=False):
    def ref(x):
        rows = _nearest_sources(x.shape[1], size[0], align, half)
        cols = _nearest_sources(x.shape[2], size[1], align, half)
        return x[:, rows][:, :, cols]
    return ref


def _nearest_grad(size, align=False):
    def fn(g):
        return ops.apply_op("ResizeNearestNeighborGrad", [g, tf.constant(size, tf.int32)],
                            {"align_corners": align}).outputs[0]

    def ref(g):
        rows = _nearest_sources(size[0], g.shape[1], align, False)
        cols = _nearest_sources(size[1], g.shape[2], align, False)
        out = np.zeros((g.shape[0],) + tuple(size) + (g.shape[3],), g.dtype)
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                out[:, r, c] += g[:, i, j]
        return out
    return fn, ref


def _bilinear_grad(in_shape, align=False):
    """ResizeBilinearGrad to a float32 image of `in_shape` and its NumPy reference: the
    transpose of the forward map, applied to grads."""
    def fn(g):
        original = tf.zeros(in_shape, tf.float32)
        return ops.apply_op("ResizeBilinearGrad", [g, original],
                            {"align_corners": align}).outputs[0]

    def ref(g):
        b, h, w, c = g.shape
        n = in_shape[1] * in_shape[2]
        basis = np.eye(n, dtype=F32).reshape(n, in_shape[1], in_shape[2], 1)
        matrix = _bilinear((h, w), align)(basis)[..., 0].reshape(n, h * w).astype(F64)
        out = np.einsum("nk,bkc->bnc", matrix, g.reshape(b, h * w, c).astype(F64))
        return out.reshape(in_shape).astype(F32)
    return fn, ref


def _flip(axis):
    return lambda x: np.flip(x, axis)


def _crop_or_pad(x, th, tw):
    """NumPy's resize_image_with_crop_or_pad of a 3-D image."""
    h, w = x.shape[:2]
    top, left = max((h - th) // 2, 0), max((w - tw) // 2, 0)
    x = x[top:top + min(th, h), left:left + min(tw, w)]
    pt, pl = max((th - h) // 2, 0), max((tw - w) // 2, 0)
    return np.pad(x, [[pt, th - pt - x.shape[0]], [pl, tw - pl - x.shape[1]], [0, 0]])


def _resize_with_pad(th, tw):
    """NumPy's resize_image_with_pad (bilinear) of a 3-D image."""
    def ref(x):
        h, w = x.shape[:2]
        ratio = max(F32(w) / F32(tw), F32(h) / F32(th))
        fitted = np.array([h, w], F32) / ratio
        size = np.floor(fitted).astype(int)
        pads = np.maximum(np.floor((np.array([th, tw], F32) - fitted) / 2).astype(int), 0)
        resized = _bilinear(tuple(size))(x[None])[0]
        return np.pad(resized, [[pads[0], th - pads[0] - size[0]],
                                [pads[1], tw - pads[1] - size[1]], [0, 0]])
    return ref


def _standardize(x):
    x = x.astype(F32)
    axes = tuple(range(x.ndim - 3, x.ndim))
    mean = x.mean(axes, keepdims=True)
    std = np.maximum(x.std(axes, keepdims=True), 1 / np.sqrt(np.prod(x.shape[-3:])))
    return ((x - mean) / std).astype(F32)


def _contrast(factor):
    def ref(x):
        mean = x.mean((-3, -2), keepdims=True, dtype=F32)
        return ((x - mean) * F32(factor) + mean).astype(x.dtype)
    return ref


def _brightness_int(delta):
    """adjust_brightness of non-negative int32 images: in floats of [0, 1], clipped back."""
    def ref(x):
        scale = F32(1 / np.iinfo(I32).max)
        floats = np.abs(x).astype(F32) * scale + F32(delta)
        top = np.iinfo(I32).max
        return np.clip(floats * F32(top + 0.5), 0, top).astype(I32)
    return ref


def _per_pixel(fn):
    """A NumPy reference applying fn(a, b, c) -> (a', b', c') to each pixel (last dim 3)."""
    def ref(x):
        flat = x.reshape(-1, 3).astype(F64)
        return np.array([fn(*p) for p in flat]).reshape(x.shape).astype(x.dtype)
    return ref


def _hsv_adjusted(hue_delta=0.0, saturation_factor=1.0):
    def adjust(r, g, b):
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        return colorsys.hsv_to_rgb((h + hue_delta) % 1.0, min(s * saturation_factor, 1.0), v)
    return _per_pixel(adjust)


UNIT = {"positive": True}  # inputs > 0, squashed into [0, 1) by the cases' functions


def _unit(x):
    return x / (1 + x)


NN_GRAD = _nearest_grad((3, 5))
NN_GRAD_ALIGN = _nearest_grad((4, 2), align=True)
BL_GRAD = _bilinear_grad((2, 3, 4, 2))
BL_GRAD_ALIGN = _bilinear_grad((1, 5, 2, 2), align=True)

OPS = [
    ("resize_bilinear", ["ResizeBilinear"], lambda x: tf.image.resize_bilinear(x, [5, 7]),
     _bilinear((5, 7)), [(2, 3, 4, 2)], F32, {}),
    ("resize_bilinear_down_align", ["ResizeBilinear"],
     lambda x: tf.image.resize_bilinear(x, [2, 3], align_corners=True),
     _bilinear((2, 3), align=True), [(1, 5, 7, 3)], F64, {}),
    ("resize_bilinear_half_pixel", ["ResizeBilinear"],
     lambda x: tf.image.resize_bilinear(x, [4, 9], half_pixel_centers=True),
     _bilinear((4, 9), half=True), [(2, 6, 4, 1)], F32, {}),
    ("resize_bilinear_int", ["ResizeBilinear"], lambda x: tf.image.resize_bilinear(x, [3, 3]),
     _bilinear((3, 3)), [(2, 2, 5, 2)], I32, {}),
    ("resize_bilinear_3d", ["ResizeBilinear"], lambda x: tf.image.resize_images(x, [4, 6]),
     lambda x: _bilinear((4, 6))(x[None])[0], [(3, 2, 2)], F32, {}),
    ("resize_bilinear_large", ["ResizeBilinear"], lambda x: tf.image.resize_bilinear(x, [61, 47]),
     _bilinear((61, 47)), [(3, 30, 40, 16)], F32, {}),
    ("resize_nearest", ["ResizeNearestNeighbor"],
     lambda x: tf.image.resize_nearest_neighbor(x, [5, 7]), _nearest((5, 7)), [(2, 3, 4, 2)],
     I64, {}),
    ("resize_nearest_align", ["ResizeNearestNeighbor"],
     lambda x: tf.image.resize_nearest_neighbor(x, [3, 8], align_corners=True),
     _nearest((3, 8), align=True), [(1, 6, 3, 2)], F32, {}),
    ("resize_nearest_half_pixel", ["ResizeNearestNeighbor"],
     lambda x: tf.image.resize_nearest_neighbor(x, [7, 2], half_pixel_centers=True),
     _nearest((7, 2), half=True), [(2, 3, 5, 1)], F64, {}),
    ("resize_images_bicubic_same_size", [], lambda x: tf.image.resize_images(
        x, [3, 4], tf.image.ResizeMethod.BICUBIC), lambda x: x, [(3, 4, 2)], F32, {}),
    ("resize_images_nearest_3d", ["ResizeNearestNeighbor"],
     lambda x: tf.image.resize_images(x, [2, 5], tf.image.ResizeMethod.NEAREST_NEIGHBOR),
     lambda x: _nearest((2, 5))(x[None])[0], [(4, 3, 2)], I32, {}),
    ("resize_nearest_grad", ["ResizeNearestNeighborGrad"], NN_GRAD[0], NN_GRAD[1],
     [(2, 7, 9, 2)], F32, {}),
    ("resize_nearest_grad_align", ["ResizeNearestNeighborGrad"], NN_GRAD_ALIGN[0],
     NN_GRAD_ALIGN[1], [(1, 3, 5, 3)], I64, {}),
    ("resize_bilinear_grad", ["ResizeBilinearGrad"], BL_GRAD[0], BL_GRAD[1], [(2, 5, 7, 2)],
     F32, {}),
    ("resize_bilinear_grad_align", ["ResizeBilinearGrad"], BL_GRAD_ALIGN[0], BL_GRAD_ALIGN[1],
     [(1, 3, 4, 2)], F32, {}),
    # composites
    ("flip_left_right", ["ReverseV2"], tf.image.flip_left_right, _flip(1), [(3, 4, 2)], F32, {}),
    ("flip_left_right_batch", ["ReverseV2"], tf.image.flip_left_right, _flip(2),
     [(2, 3, 4, 2)], I32, {}),
    ("flip_up_down", ["ReverseV2"], tf.image.flip_up_down, _flip(0), [(3, 4, 2)], F64, {}),
    ("flip_up_down_batch", ["ReverseV2"], tf.image.flip_up_down, _flip(1), [(2, 3, 4, 1)], F32,
     {}),
    ("transpose_image", ["Transpose"], tf.image.transpose_image,
     lambda x: x.transpose(1, 0, 2), [(3, 4, 2)], F32, {}),
    ("transpose_image_batch", ["Transpose"], tf.image.transpose_image,
     lambda x: x.transpose(0, 2, 1, 3), [(2, 3, 4, 2)], I64, {}),
    ("rot90", ["ReverseV2", "Transpose"], tf.image.rot90, lambda x: np.rot90(x, 1, (0, 1)),
     [(3, 4, 2)], F32, {}),
    ("rot90_k2", ["ReverseV2"], lambda x: tf.image.rot90(x, 2), lambda x: np.rot90(x, 2),
     [(3, 4, 2)], F32, {}),
    ("rot90_k3", ["ReverseV2", "Transpose"], lambda x: tf.image.rot90(x, k=-1),
     lambda x: np.rot90(x, 3), [(3, 4, 1)], I32, {}),
    ("rot90_fed_k", ["ReverseV2", "Transpose"],
     lambda x: tf.image.rot90(x, tf.placeholder_with_default(3, [])),
     lambda x: np.rot90(x, 3), [(2, 5, 1)], F32, {}),
    ("crop_to_bounding_box", ["Slice"], lambda x: tf.image.crop_to_bounding_box(x, 1, 2, 3, 2),
     lambda x: x[1:4, 2:4], [(5, 6, 3)], F32, {}),
    ("crop_to_bounding_box_batch", ["Slice"],
     lambda x: tf.image.crop_to_bounding_box(x, 0, 1, 2, 4), lambda x: x[:, 0:2, 1:5],
     [(2, 3, 5, 1)], I64, {}),
    ("pad_to_bounding_box", ["Pad"], lambda x: tf.image.pad_to_bounding_box(x, 1, 2, 5, 6),
     lambda x: np.pad(x, [[1, 1], [2, 1], [0, 0]]), [(3, 3, 2)], F32, {}),
    ("pad_to_bounding_box_batch", ["Pad"],
     lambda x: tf.image.pad_to_bounding_box(x, 0, 1, 3, 4),
     lambda x: np.pad(x, [[0, 0], [0, 1], [1, 0], [0, 0]]), [(2, 2, 3, 2)], I32, {}),
    ("crop_or_pad", ["Slice", "Pad"], lambda x: tf.image.resize_image_with_crop_or_pad(x, 3, 8),
     lambda x: _crop_or_pad(x, 3, 8), [(6, 5, 2)], F32, {}),
    ("crop_or_pad_odd", ["Slice", "Pad"],
     lambda x: tf.image.resize_image_with_crop_or_pad(x, 6, 2),
     lambda x: _crop_or_pad(x, 6, 2), [(3, 5, 1)], F64, {}),
    ("resize_image_with_pad_wide", ["ResizeBilinear", "Pad"],
     lambda x: tf.image.resize_image_with_pad(x, 6, 10), _resize_with_pad(6, 10), [(4, 5, 2)],
     F32, {}),
    ("resize_image_with_pad_tall", ["ResizeBilinear", "Pad"],
     lambda x: tf.image.resize_image_with_pad(x, 9, 4), _resize_with_pad(9, 4), [(3, 7, 1)],
     F32, {}),
    ("central_crop", ["Slice"], lambda x: tf.image.central_crop(x, 0.5),
     lambda x: x[2:6, 1:4], [(8, 5, 2)], F32, {}),
    ("central_crop_batch", ["Slice"], lambda x: tf.image.central_crop(x, 0.3),
     lambda x: x[:, 3:7, 1:4], [(2, 10, 5, 1)], F32, {}),
    ("per_image_standardization", ["Mean", "Sqrt", "Maximum"],
     tf.image.per_image_standardization, _standardize, [(4, 5, 3)], F32, {}),
    ("per_image_standardization_batch", ["Mean", "Sqrt", "Maximum"],
     tf.image.per_image_standardization, _standardize, [(2, 3, 3, 2)], F64, {}),
    ("per_image_standardization_int", ["Mean", "Sqrt", "Maximum"],
     tf.image.per_image_standardization, _standardize, [(3, 3, 1)], I32, {}),
    ("adjust_brightness", ["Add"], lambda x: tf.image.adjust_brightness(x, 0.25),
     lambda x: x + F32(0.25), [(3, 4, 2)], F32, {}),
    ("adjust_brightness_float64", ["Add", "Cast"], lambda x: tf.image.adjust_brightness(x, -1),
     lambda x: (x.astype(F32) - 1).astype(F64), [(2, 3, 4, 1)], F64, {}),
    ("adjust_brightness_int", ["Add", "Cast", "Mul"],
     lambda x: tf.image.adjust_brightness(tf.abs(x), 0.5), _brightness_int(0.5), [(3, 4, 1)],
     I32, {}),
    ("adjust_contrast", ["Mean", "Sub", "Mul"], lambda x: tf.image.adjust_contrast(x, 1.7),
     _contrast(1.7), [(3, 4, 3)], F32, {}),
    ("adjust_contrast_batch", ["Mean", "Sub", "Mul"], lambda x: tf.image.adjust_contrast(x, 0.3),
     _contrast(0.3), [(2, 3, 4, 2)], F32, {}),
    ("rgb_to_hsv", ["Max", "Min", "SelectV2", "Pack"], lambda x: tf.image.rgb_to_hsv(_unit(x)),
     lambda x: _per_pixel(colorsys.rgb_to_hsv)(_unit(x)), [(4, 5, 3)], F32, UNIT),
    ("rgb_to_hsv_batch", ["Max", "Min", "SelectV2", "Pack"],
     lambda x: tf.image.rgb_to_hsv(_unit(x)),
     lambda x: _per_pixel(colorsys.rgb_to_hsv)(_unit(x)), [(2, 3, 4, 3)], F64, UNIT),
    ("rgb_to_hsv_greys", ["Max", "Min", "SelectV2"],
     lambda x: tf.image.rgb_to_hsv(tf.tile(_unit(x), [1, 3]) * [1.0, 1.0, 1.0]),
     lambda x: _per_pixel(colorsys.rgb_to_hsv)(np.tile(_unit(x), [1, 3])), [(5, 1)], F64,
     UNIT),
    ("hsv_to_rgb", ["Abs", "Minimum", "Maximum", "Pack"], lambda x: tf.image.hsv_to_rgb(_unit(x)),
     lambda x: _per_pixel(colorsys.hsv_to_rgb)(_unit(x)), [(4, 5, 3)], F64, UNIT),
    ("adjust_hue", ["FloorMod"], lambda x: tf.image.adjust_hue(_unit(x), 0.3),
     lambda x: _hsv_adjusted(hue_delta=0.3)(_unit(x)), [(3, 4, 3)], F32, UNIT),
    ("adjust_hue_negative", ["FloorMod"], lambda x: tf.image.adjust_hue(_unit(x), -0.45),
     lambda x: _hsv_adjusted(hue_delta=-0.45)(_unit(x)), [(2, 3, 2, 3)], F32, UNIT),
    ("adjust_saturation", ["Max", "Min", "SelectV2"],
     lambda x: tf.image.adjust_saturation(_unit(x), 1.8),
     lambda x: _hsv_adjusted(saturation_factor=1.8)(_unit(x)), [(3, 4, 3)], F32, UNIT),
    ("adjust_saturation_down", ["Max", "Min", "SelectV2"],
     lambda x: tf.image.adjust_saturation(_unit(x), 0.4),
     lambda x: _hsv_adjusted(saturation_factor=0.4)(_unit(x)), [(3, 4, 3)], F32, UNIT),
    ("rgb_to_grayscale", ["Sum"], tf.image.rgb_to_grayscale,
     lambda x: (x @ np.array([0.2989, 0.5870, 0.1140], F32))[..., None], [(2, 4, 3)], F32, {}),
    ("grayscale_to_rgb", ["Tile"], tf.image.grayscale_to_rgb,
     lambda x: np.repeat(x, 3, -1), [(2, 4, 1)], F32, {}),
    ("convert_image_dtype_float", ["Cast"], lambda x: tf.image.convert_image_dtype(x, tf.float64),
     lambda x: x.astype(F64), [(2, 3, 3)], F32, {}),
    ("convert_image_dtype_int_to_float", ["Cast", "Mul"],
     lambda x: tf.image.convert_image_dtype(tf.abs(x), tf.float32),
     lambda x: (np.abs(x).astype(F32) * F32(1 / np.iinfo(I32).max)), [(2, 3, 3)], I32, {}),
    ("convert_image_dtype_int32_to_int64", ["Cast", "Mul"],
     lambda x: tf.image.convert_image_dtype(x, tf.int64),
     lambda x: x.astype(I64) * (2 ** 32), [(2, 3)], I32, {}),
    ("convert_image_dtype_int64_to_int32", ["FloorDiv", "Cast"],
     lambda x: tf.image.convert_image_dtype(x * (2 ** 40), tf.int32),
     lambda x: (x * (2 ** 40) // (2 ** 32)).astype(I32), [(2, 3)], I64, {}),
]

GRADS = [
    ("resize_nearest", ["ResizeNearestNeighbor"],
     lambda x: tf.image.resize_nearest_neighbor(x, [5, 3]), [(2, 3, 4, 2)], {}),
    ("resize_nearest_align", ["ResizeNearestNeighbor"],
     lambda x: tf.image.resize_nearest_neighbor(x, [2, 7], align_corners=True), [(1, 4, 3, 1)],
     {}),
]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)


FIXTURE_CASES = sorted({k.split("/")[0] for k in FIXTURES.files})
# The (size, align_corners, half_pixel_centers) of each case of make_fixtures.py.
FIXTURE_ARGS = {"up": ((5, 7), False, False), "down": ((4, 5), False, False),
                "up_align": ((5, 7), True, False), "down_align": ((4, 5), True, False),
                "mixed_half": ((3, 8), False, True), "one_pixel_align": ((1, 1), True, False)}


RESIZE = {"bilinear": tf.image.resize_bilinear, "nearest": tf.image.resize_nearest_neighbor,
          "bicubic": tf.image.resize_bicubic}


@pytest.mark.parametrize("method", sorted(RESIZE))
@pytest.mark.parametrize("case", FIXTURE_CASES)
def test_resize_and_its_gradient_match_tensorflow(case, method):
    size, align, half = FIXTURE_ARGS[case]
    fn = RESIZE[method]
    x = tf.constant(FIXTURES[f"{case}/x"])
    y = fn(x, size, align_corners=align, half_pixel_centers=half)
    grad = tf.gradients(tf.reduce_sum(y * FIXTURES[f"{case}/{method}/w"]), x)[0]
    with tf.Session() as sess:
        got_y, got_grad = sess.run([y, grad])
    np.testing.assert_allclose(got_y, FIXTURES[f"{case}/{method}/y"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_grad, FIXTURES[f"{case}/{method}/grad"], rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("resize", [tf.image.resize_bilinear, tf.image.resize_bicubic])
def test_resize_gradient_matches_finite_differences(resize, rng):
    # Resizing is linear in the image, so float32 central differences with a step of 1 are
    # exact up to rounding.
    x = rng.standard_normal((2, 3, 4, 2)).astype(F32)
    holder = tf.placeholder(tf.float32, x.shape)
    y = resize(holder, [5, 3])
    w = rng.standard_normal((2, 5, 3, 2)).astype(F32)
    loss = tf.reduce_sum(y * w)
    grad = tf.gradients(loss, holder)[0]
    with tf.Session() as sess:
        got = sess.run(grad, {holder: x})
        want = np.zeros_like(x)
        for i in np.ndindex(*x.shape):
            step = np.zeros_like(x)
            step[i] = 1
            want[i] = (sess.run(loss, {holder: x + step}) -
                       sess.run(loss, {holder: x - step})) / 2
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_resize_and_gradients_same_bits_for_any_thread_count(rng):
    x = tf.constant(rng.standard_normal((6, 17, 13, 5)).astype(F32))
    fetches = []
    for resize in RESIZE.values():
        y = resize(x, [31, 9])
        fetches += [y, tf.gradients(tf.reduce_sum(y * y), x)[0]]
    one, two = run_with_threads(fetches)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_resize_images_keeps_images_of_the_size_and_preserves_aspect_ratio(rng):
    x = tf.constant(rng.standard_normal((2, 4, 6, 1)).astype(F32))
    assert tf.image.resize_images(x, [4, 6]) is x
    fitted = tf.image.resize_images(x, [8, 9], preserve_aspect_ratio=True)
    assert fitted.shape.as_list() == [2, 6, 9, 1]
    size = tf.placeholder(tf.int32, [2])
    images = tf.placeholder(tf.float32, [None, None, None, 1])
    unknown = tf.image.resize_images(images, size, preserve_aspect_ratio=True)
    with tf.Session() as sess:
        got = sess.run(tf.shape(unknown), {images: np.zeros((1, 4, 6, 1), F32), size: [8, 9]})
    np.testing.assert_array_equal(got, [1, 6, 9, 1])


def test_resize_errors():
    with pytest.raises(ValueError, match="3 or 4 dimensions"):
        tf.image.resize_images(tf.zeros([2, 3]), [4, 4])
    with pytest.raises(ValueError, match="1-D Tensor of 2 elements"):
        tf.image.resize_bilinear(tf.zeros([1, 2, 2, 1]), [4, 4, 4])
    with pytest.raises(ValueError, match="must be positive"):
        tf.image.resize_bilinear(tf.zeros([1, 2, 2, 1]), [0, 4])
    with pytest.raises(NotImplementedError):
        tf.image.resize_images(tf.zeros([1, 2, 2, 1]), [3, 3], tf.image.ResizeMethod.AREA)
    size = tf.placeholder(tf.int32, [2])
    out = tf.image.resize_nearest_neighbor(tf.zeros([1, 2, 2, 1]), size)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="must be positive"):
            sess.run(out, {size: [3, -1]})


@pytest.mark.parametrize("flip, axis", [(tf.image.random_flip_left_right, 1),
                                        (tf.image.random_flip_up_down, 0)])
def test_random_flips_flip_each_image_or_not_and_follow_the_seed(flip, axis, rng):
    x = rng.standard_normal((64, 3, 4, 1)).astype(F32)
    tf.set_random_seed(7)
    flipped = [flip(tf.constant(x), seed=3), flip(tf.constant(x[0]), seed=3)]
    with tf.Session() as sess:
        batch, single = sess.run(flipped)
    with tf.Session() as sess:
        again = sess.run(flipped[0])
    np.testing.assert_array_equal(batch, again)
    same = [np.array_equal(b, i) for b, i in zip(batch, x)]
    mirrored = [np.array_equal(b, np.flip(i, axis)) for b, i in zip(batch, x)]
    assert all(s != m for s, m in zip(same, mirrored))
    assert 10 < sum(mirrored) < 54
    assert np.array_equal(single, x[0]) or np.array_equal(single, np.flip(x[0], axis))


def test_random_brightness_and_contrast_draw_within_their_range(rng):
    x = rng.random((8, 8, 3)).astype(F32)
    tf.set_random_seed(2)
    brighter = tf.image.random_brightness(tf.constant(x), 0.3, seed=4)
    contrast = tf.image.random_contrast(tf.constant(x), 0.2, 1.8, seed=4)
    deltas, factors = [], []
    with tf.Session() as sess:
        for _ in range(20):
            b, c = sess.run([brighter, contrast])
            delta = (b - x).mean()
            np.testing.assert_allclose(b, x + delta, atol=1e-5)
            mean = x.mean((0, 1))
            factor = ((c - mean) / (x - mean)).mean()
            np.testing.assert_allclose(c, (x - mean) * factor + mean, atol=1e-4)
            deltas.append(delta)
            factors.append(factor)
    assert -0.3 <= min(deltas) < max(deltas) <= 0.3
    assert 0.2 <= min(factors) < max(factors) <= 1.8
    with pytest.raises(ValueError, match="max_delta"):
        tf.image.random_brightness(x, -0.1)
    with pytest.raises(ValueError, match="upper must be > lower"):
        tf.image.random_contrast(x, 0.5, 0.5)


def test_random_hue_and_saturation_follow_the_seed_and_check_ranges(rng):
    x = tf.constant(rng.random((4, 4, 3)).astype(F32))
    tf.set_random_seed(3)
    outs = [tf.image.random_hue(x, 0.2, seed=1), tf.image.random_saturation(x, 0.5, 1.5, seed=1)]
    with tf.Session() as sess:
        first = sess.run(outs)
    with tf.Session() as sess:
        again = sess.run(outs)
        different = sess.run(outs)
    for a, b, c in zip(first, again, different):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match="<= 0.5"):
        tf.image.random_hue(x, 0.6)
    with pytest.raises(ValueError, match="non-negative"):
        tf.image.random_saturation(x, -1.0, 1.0)


def test_random_crop_takes_windows_at_random_offsets(rng):
    x = np.arange(6 * 7 * 2, dtype=F32).reshape(6, 7, 2)
    tf.set_random_seed(1)
    crop = tf.random_crop(tf.constant(x), [3, 4, 2], seed=5)
    offsets = set()
    with tf.Session() as sess:
        for _ in range(40):
            got = sess.run(crop)
            top, left = np.argwhere(x == got[0, 0, 0])[0][:2]
            np.testing.assert_array_equal(got, x[top:top + 3, left:left + 4])
            offsets.add((top, left))
    assert len(offsets) > 5
    with pytest.raises(ValueError, match="value.shape >= size"):
        tf.random_crop(tf.constant(x), [7, 4, 2])


def test_crop_and_pad_reject_bad_boxes():
    image = tf.zeros([4, 5, 1])
    with pytest.raises(ValueError, match="offset_height must be >= 0"):
        tf.image.crop_to_bounding_box(image, -1, 0, 2, 2)
    with pytest.raises(ValueError, match="width must be >= target \\+ offset"):
        tf.image.crop_to_bounding_box(image, 0, 3, 2, 3)
    with pytest.raises(ValueError, match="width must be <= target - offset"):
        tf.image.pad_to_bounding_box(image, 0, 2, 6, 6)
    with pytest.raises(ValueError, match="central_fraction"):
        tf.image.central_crop(image, 0.0)


def test_crop_or_pad_with_shapes_known_only_at_run_time(rng):
    x = rng.standard_normal((5, 4, 2)).astype(F32)
    holder = tf.placeholder(tf.float32, [None, None, 2])
    outs = [tf.image.resize_image_with_crop_or_pad(holder, 3, 7),
            tf.image.central_crop(holder, 0.5)]
    with tf.Session() as sess:
        padded, central = sess.run(outs, {holder: x})
    np.testing.assert_array_equal(padded, _crop_or_pad(x, 3, 7))
    np.testing.assert_array_equal(central, x[1:4, 1:3])
