"""Image ops (`tf.image`): resizing (ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic and
their gradients), and TF1's composites for flipping, cropping, padding, standardising and converting
images. Images are [height, width, channels] or batches [batch, height, width, channels]."""
import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import constant, convert_to_tensor
from tensorlib.ops import array_ops, control_flow_ops, math_ops, random_ops


class ResizeMethod:
    """The methods of resize_images."""
    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def _image_rank(image, name="image"):
    """The static rank of `image`, which must be 3 or 4."""
    rank = image.shape.ndims
    if rank is None:
        raise ValueError(f"'{name}' contains no shape.")
    if rank not in (3, 4):
        raise ValueError(f"'{name}' must have either 3 or 4 dimensions.")
    return rank


def _as_batch(image):
    """(`image` as a 4-D batch, a function turning a batch back into `image`'s rank)."""
    if _image_rank(image) == 4:
        return image, lambda batch: batch
    return (array_ops.expand_dims(image, 0),
            lambda batch: array_ops.squeeze(batch, axis=[0]))


def _size_input(size):
    """`size` as a 1-D int32 tensor of 2 elements (new_height, new_width)."""
    size = convert_to_tensor(size, dtype=_dtypes.int32, name="size")
    if not size.shape.is_compatible_with([2]):
        raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, new_width")
    return size


def _resize(op_type, images, size, align_corners, half_pixel_centers, name):
    with ops.name_scope(name, op_type) as scope:
        batch, restore = _as_batch(convert_to_tensor(images, name="images"))
        out = ops.apply_op(op_type, [batch, _size_input(size)],
                           {"align_corners": bool(align_corners),
                            "half_pixel_centers": bool(half_pixel_centers)}).outputs[0]
        return array_ops.identity(restore(out), name=scope)


def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """`images` resized to `size` = [new_height, new_width] by bilinear interpolation, as
    float32 (TF1's coordinates: see align_corners and half_pixel_centers in TF1's docs)."""
    return _resize("ResizeBilinear", images, size, align_corners, half_pixel_centers, name)


def resize_nearest_neighbor(images, size, align_corners=False, name=None,
                            half_pixel_centers=False):
    """`images` resized to `size` = [new_height, new_width], each output pixel a copy of the
    nearest input pixel (same dtype)."""
    return _resize("ResizeNearestNeighbor", images, size, align_corners, half_pixel_centers,
                   name)


def resize_bicubic(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """`images` resized to `size` = [new_height, new_width] by bicubic interpolation (TF1's
    cubic kernel), as float32."""
    return _resize("ResizeBicubic", images, size, align_corners, half_pixel_centers, name)


def _resize_attrs(op):
    return {"align_corners": op.get_attr("align_corners"),
            "half_pixel_centers": op.get_attr("half_pixel_centers")}


def _interpolation_grad(grad_op):
    """The gradient rule of a resize whose gradient op takes (grads, original_image)."""
    def rule(op, grad):
        images = op.inputs[0]
        if images.dtype not in (_dtypes.float32, _dtypes.float64):
            return None, None  # TF1: integer images get no gradient
        return ops.apply_op(grad_op, [grad, images], _resize_attrs(op)).outputs[0], None
    return rule


ops.RegisterGradient("ResizeBilinear")(_interpolation_grad("ResizeBilinearGrad"))
ops.RegisterGradient("ResizeBicubic")(_interpolation_grad("ResizeBicubicGrad"))


@ops.RegisterGradient("ResizeNearestNeighbor")
def _resize_nearest_neighbor_grad(op, grad):
    images = op.inputs[0]
    size = array_ops.shape(images)[1:3]
    return ops.apply_op("ResizeNearestNeighborGrad", [grad, size],
                        _resize_attrs(op)).outputs[0], None


ops.NotDifferentiable("ResizeBilinearGrad")
ops.NotDifferentiable("ResizeNearestNeighborGrad")
ops.NotDifferentiable("ResizeBicubicGrad")


def _static_hw(image):
    """(height, width) of a 3-D or 4-D image as ints where known, else None each."""
    dims = image.shape.as_list()[-3:-1]
    return dims[0], dims[1]


def resize_images(images, size, method=ResizeMethod.BILINEAR, align_corners=False,
                  preserve_aspect_ratio=False):
    """`images` resized to `size` = [new_height, new_width] by `method` (BILINEAR,
    NEAREST_NEIGHBOR or BICUBIC). With preserve_aspect_ratio the images are scaled by one
    factor to fit within `size`. As in TF1: bilinear and bicubic give float32; images that
    already have the size (known statically) come back unchanged."""
    with ops.name_scope(None, "resize_images"):
        images = convert_to_tensor(images, name="images")
        batch, restore = _as_batch(images)
        size = _size_input(size)
        new_size = array_ops._constant_value(size)
        height, width = _static_hw(batch)
        if preserve_aspect_ratio:
            size = _fit_size(batch, size)
            new_size = array_ops._constant_value(size)
        if new_size is not None and (height, width) == tuple(int(d) for d in new_size):
            return images
        if method == ResizeMethod.BILINEAR:
            out = resize_bilinear(batch, size, align_corners=align_corners)
        elif method == ResizeMethod.NEAREST_NEIGHBOR:
            out = resize_nearest_neighbor(batch, size, align_corners=align_corners)
        elif method == ResizeMethod.BICUBIC:
            out = resize_bicubic(batch, size, align_corners=align_corners)
        elif method == ResizeMethod.AREA:
            raise NotImplementedError("tensorlib resizes images by BILINEAR, NEAREST_NEIGHBOR "
                                      "or BICUBIC only")
        else:
            raise ValueError(f"Resize method is not implemented: {method}")
        return restore(out)


def _fit_size(batch, size):
    """The largest [height, width] within `size` with `batch`'s aspect ratio (TF1's rounding):
    a constant when everything is known statically."""
    height, width = _static_hw(batch)
    target = array_ops._constant_value(size)
    if None not in (height, width) and target is not None:
        scale = min(float(target[0]) / height, float(target[1]) / width)
        return constant(np.array([int(round(height * scale)), int(round(width * scale))],
                                 np.int32), name="size")
    current = math_ops.cast(array_ops.shape(batch)[1:3], _dtypes.float32)
    scale = math_ops.reduce_min(math_ops.cast(size, _dtypes.float32) / current)
    return math_ops.cast(math_ops.round(current * scale), _dtypes.int32)


# ---- flips, transposes, rotations --------------------------------------------------------

def _flip(image, axis_3d, name):
    with ops.name_scope(None, name) as scope:
        image = convert_to_tensor(image, name="image")
        axis = axis_3d + _image_rank(image) - 3
        return array_ops.reverse(image, [axis], name=scope)


def flip_left_right(image):
    """`image` mirrored along its width."""
    return _flip(image, 1, "flip_left_right")


def flip_up_down(image):
    """`image` mirrored along its height."""
    return _flip(image, 0, "flip_up_down")


def _random_flip(image, axis_3d, seed, name):
    """`image` (each image of a batch on its own draw) mirrored along the axis with
    probability 1/2."""
    with ops.name_scope(None, name) as scope:
        image = convert_to_tensor(image, name="image")
        rank = _image_rank(image)
        draws = [array_ops.shape(image)[0]] if rank == 4 else []
        flip = math_ops.less(random_ops.random_uniform(draws, 0, 1.0, seed=seed), 0.5)
        if rank == 4:
            flip = array_ops.reshape(flip, [-1, 1, 1, 1])
        mirrored = array_ops.reverse(image, [axis_3d + rank - 3])
        return math_ops.where_v2(flip, mirrored, image, name=scope)


def random_flip_left_right(image, seed=None):
    """`image` mirrored along its width with probability 1/2 (per image of a batch)."""
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """`image` mirrored along its height with probability 1/2 (per image of a batch)."""
    return _random_flip(image, 0, seed, "random_flip_up_down")


def transpose_image(image):
    """`image` with height and width swapped."""
    with ops.name_scope(None, "transpose_image") as scope:
        image = convert_to_tensor(image, name="image")
        perm = [1, 0, 2] if _image_rank(image) == 3 else [0, 2, 1, 3]
        return array_ops.transpose(image, perm, name=scope)


def rot90(image, k=1, name=None):
    """`image` rotated counter-clockwise by k * 90 degrees (k an int or an int32 scalar)."""
    with ops.name_scope(name, "rot90") as scope:
        image = convert_to_tensor(image, name="image")
        _image_rank(image)
        turns = [lambda: image,
                 lambda: flip_up_down(transpose_image(image)),
                 lambda: flip_left_right(flip_up_down(image)),
                 lambda: transpose_image(flip_up_down(image))]
        if not array_ops._is_tensor(k):
            return array_ops.identity(turns[int(k) % 4](), name=scope)
        k = math_ops.floormod(convert_to_tensor(k, dtype=_dtypes.int32), 4)
        return control_flow_ops.case(
            [(math_ops.equal(k, i), turns[i]) for i in range(1, 4)], default=turns[0],
            exclusive=True, name=scope)


# ---- crops and pads ----------------------------------------------------------------------

def _check_box(values, message):
    """Raises ValueError(message) when `values` are all static ints and some is negative."""
    if all(isinstance(v, (int, np.integer)) for v in values) and min(values) < 0:
        raise ValueError(message)


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The [target_height, target_width] window of `image` whose top-left corner is at
    (offset_height, offset_width)."""
    with ops.name_scope(None, "crop_to_bounding_box") as scope:
        image = convert_to_tensor(image, name="image")
        batch, restore = _as_batch(image)
        _check_box([offset_height], "offset_height must be >= 0.")
        _check_box([offset_width], "offset_width must be >= 0.")
        _check_box([target_height - 1], "target_height must be > 0.")
        _check_box([target_width - 1], "target_width must be > 0.")
        height, width = _static_hw(batch)
        for offset, target, dim, what in ((offset_height, target_height, height, "height"),
                                          (offset_width, target_width, width, "width")):
            if (dim is not None and not array_ops._contains_tensor([offset, target]) and
                    offset + target > dim):
                raise ValueError(f"{what} must be >= target + offset.")
        cropped = array_ops.slice(batch, array_ops.stack([0, offset_height, offset_width, 0]),
                                  array_ops.stack([-1, target_height, target_width, -1]))
        return array_ops.identity(restore(cropped), name=scope)


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """`image` placed at (offset_height, offset_width) in zeros of [target_height,
    target_width]."""
    with ops.name_scope(None, "pad_to_bounding_box") as scope:
        image = convert_to_tensor(image, name="image")
        batch, restore = _as_batch(image)
        _check_box([offset_height], "offset_height must be >= 0")
        _check_box([offset_width], "offset_width must be >= 0")
        height, width = _static_hw(batch)
        if height is None or width is None:
            hw = array_ops.shape(batch)[1:3]
            height, width = hw[0], hw[1]
        after_h = target_height - offset_height - height
        after_w = target_width - offset_width - width
        _check_box([after_h], "height must be <= target - offset")
        _check_box([after_w], "width must be <= target - offset")
        paddings = [[0, 0], [offset_height, after_h], [offset_width, after_w], [0, 0]]
        if array_ops._contains_tensor(paddings):
            paddings = array_ops.reshape(array_ops.stack(sum(paddings, [])), [4, 2])
        return array_ops.identity(restore(array_ops.pad(batch, paddings)), name=scope)


def _max(a, b):
    return math_ops.maximum(a, b) if array_ops._contains_tensor([a, b]) else max(a, b)


def _min(a, b):
    return math_ops.minimum(a, b) if array_ops._contains_tensor([a, b]) else min(a, b)


def resize_image_with_crop_or_pad(image, target_height, target_width):
    """`image` centrally cropped and/or zero-padded to [target_height, target_width]."""
    with ops.name_scope(None, "resize_image_with_crop_or_pad"):
        image = convert_to_tensor(image, name="image")
        batch, restore = _as_batch(image)
        _check_box([target_height - 1], "target_height must be > 0.")
        _check_box([target_width - 1], "target_width must be > 0.")
        height, width = _static_hw(batch)
        if height is None or width is None:
            hw = array_ops.shape(batch)[1:3]
            height, width = hw[0], hw[1]
        diff_h, diff_w = target_height - height, target_width - width
        cropped = crop_to_bounding_box(batch, _max(-diff_h // 2, 0), _max(-diff_w // 2, 0),
                                       _min(target_height, height), _min(target_width, width))
        padded = pad_to_bounding_box(cropped, _max(diff_h // 2, 0), _max(diff_w // 2, 0),
                                     target_height, target_width)
        return restore(padded)


def resize_image_with_pad(image, target_height, target_width,
                          method=ResizeMethod.BILINEAR, align_corners=False):
    """`image` resized by `method`, keeping its aspect ratio, to fit [target_height,
    target_width], then zero-padded evenly to that size (TF1's rounding: floors)."""
    with ops.name_scope(None, "resize_image_with_pad"):
        image = convert_to_tensor(image, name="image")
        batch, restore = _as_batch(image)
        _check_box([target_height - 1], "target_height must be > 0.")
        _check_box([target_width - 1], "target_width must be > 0.")
        hw = math_ops.cast(array_ops.shape(batch)[1:3], _dtypes.float32)
        target = math_ops.cast(array_ops.stack([target_height, target_width]), _dtypes.float32)
        fitted = hw / math_ops.reduce_max(hw / target)
        size = math_ops.cast(math_ops.floor(fitted), _dtypes.int32)
        pads = math_ops.maximum(
            math_ops.cast(math_ops.floor((target - fitted) / 2), _dtypes.int32), 0)
        resized = resize_images(batch, size, method, align_corners)
        padded = pad_to_bounding_box(resized, pads[0], pads[1], target_height, target_width)
        if not array_ops._contains_tensor([target_height, target_width]):
            padded.set_shape([None, target_height, target_width, None])
        return restore(padded)


def central_crop(image, central_fraction):
    """The central `central_fraction` (in (0, 1]) of `image`'s height and width."""
    if central_fraction <= 0.0 or central_fraction > 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    with ops.name_scope(None, "central_crop") as scope:
        image = convert_to_tensor(image, name="image")
        if central_fraction == 1.0:
            return image
        batch, restore = _as_batch(image)
        height, width = _static_hw(batch)
        if height is not None and width is not None:
            top = int((height - height * central_fraction) / 2)
            left = int((width - width * central_fraction) / 2)
            sizes = [height - 2 * top, width - 2 * left]
            starts = [top, left]
        else:
            hw = math_ops.cast(array_ops.shape(batch)[1:3], _dtypes.float64)
            starts = math_ops.cast((hw - hw * central_fraction) / 2, _dtypes.int32)
            sizes = math_ops.cast(hw, _dtypes.int32) - 2 * starts
            starts, sizes = array_ops.unstack(starts, 2), array_ops.unstack(sizes, 2)
        cropped = array_ops.slice(batch, array_ops.stack([0, starts[0], starts[1], 0]),
                                  array_ops.stack([-1, sizes[0], sizes[1], -1]))
        return array_ops.identity(restore(cropped), name=scope)


def random_crop(value, size, seed=None, name=None):
    """A window of shape `size` of `value` at a uniformly random offset (any rank)."""
    with ops.name_scope(name, "random_crop") as scope:
        value = convert_to_tensor(value, name="value")
        size = convert_to_tensor(size, dtype=_dtypes.int32, name="size")
        shape = array_ops.shape(value)
        static_size = array_ops._constant_value(size)
        if static_size is not None and value.shape.ndims is not None:
            dims = value.shape.as_list()
            if len(dims) != len(static_size) or any(
                    d is not None and s > d for d, s in zip(dims, static_size)):
                raise ValueError(f"Need value.shape >= size, got {dims} and "
                                 f"{static_size.tolist()}")
        limit = shape - size + 1
        offset = random_ops.random_uniform(array_ops.shape(shape), dtype=_dtypes.int32,
                                           maxval=np.iinfo(np.int32).max, seed=seed)
        return array_ops.slice(value, math_ops.floormod(offset, limit), size, name=scope)


# ---- values ------------------------------------------------------------------------------

def per_image_standardization(image):
    """Each image scaled to mean 0 and variance 1: (x - mean) / max(stddev, 1/sqrt(N)) over
    its N = height * width * channels values, as float32."""
    with ops.name_scope(None, "per_image_standardization") as scope:
        image = math_ops.cast(convert_to_tensor(image, name="image"), _dtypes.float32)
        _image_rank(image)
        axes = [-1, -2, -3]
        pixels = math_ops.reduce_prod(array_ops.shape(image)[-3:])
        mean = math_ops.reduce_mean(image, axes, keepdims=True)
        centred = image - mean
        stddev = math_ops.sqrt(math_ops.reduce_mean(math_ops.square(centred), axes,
                                                    keepdims=True))
        floor = math_ops.rsqrt(math_ops.cast(pixels, _dtypes.float32))
        return math_ops.truediv(centred, math_ops.maximum(stddev, floor), name=scope)


def _dtype_max(dtype):
    return np.iinfo(dtype.as_numpy_dtype).max


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """`image` in another dtype, its values rescaled: floats span [0, 1), integers [0, MAX]
    of their dtype. With saturate, casting to integers clips first."""
    dtype = _dtypes.as_dtype(dtype)
    with ops.name_scope(name, "convert_image") as scope:
        image = convert_to_tensor(image, name="image")
        if image.dtype == dtype:
            return array_ops.identity(image, name=scope)
        if image.dtype.is_integer and dtype.is_integer:
            scale_in, scale_out = _dtype_max(image.dtype), _dtype_max(dtype)
            if scale_in > scale_out:
                scaled = math_ops.floordiv(image, (scale_in + 1) // (scale_out + 1))
                return math_ops.cast(scaled, dtype, name=scope)
            return math_ops.multiply(math_ops.cast(image, dtype),
                                     (scale_out + 1) // (scale_in + 1), name=scope)
        if image.dtype.is_floating and dtype.is_floating:
            return math_ops.cast(image, dtype, name=scope)
        if image.dtype.is_integer:
            return math_ops.multiply(math_ops.cast(image, dtype),
                                     1.0 / _dtype_max(image.dtype), name=scope)
        scaled = math_ops.multiply(image, _dtype_max(dtype) + 0.5)
        if saturate:
            scaled = math_ops.clip_by_value(scaled, 0.0, float(_dtype_max(dtype)))
        return math_ops.cast(scaled, dtype, name=scope)


def _in_float(image, adjust):
    """adjust(image as float32, or float16 as is) converted back to image's dtype (clipped for
    integers), as TF1's adjust_* do."""
    image = convert_to_tensor(image, name="image")
    keep = image.dtype in (_dtypes.float16, _dtypes.float32)
    floats = image if keep else convert_image_dtype(image, _dtypes.float32)
    return convert_image_dtype(adjust(floats), image.dtype, saturate=True)


def adjust_brightness(image, delta):
    """`image` + `delta` (in the float scale of convert_image_dtype)."""
    with ops.name_scope(None, "adjust_brightness"):
        return _in_float(image, lambda x: x + math_ops.cast(delta, x.dtype))


def random_brightness(image, max_delta, seed=None):
    """adjust_brightness by a delta drawn uniformly from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_ops.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def adjust_contrast(images, contrast_factor):
    """Each channel of each image moved away from its mean over the image's pixels by
    `contrast_factor`: (x - mean) * contrast_factor + mean."""
    with ops.name_scope(None, "adjust_contrast"):
        def adjust(x):
            _image_rank(x, "images")
            mean = math_ops.reduce_mean(x, [-3, -2], keepdims=True)
            return (x - mean) * math_ops.cast(contrast_factor, x.dtype) + mean
        return _in_float(images, adjust)


def random_contrast(image, lower, upper, seed=None):
    """adjust_contrast by a factor drawn uniformly from [lower, upper)."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    factor = random_ops.random_uniform([], lower, upper, seed=seed)
    return adjust_contrast(image, factor)


def rgb_to_hsv(images, name=None):
    """RGB `images` (floats in [0, 1], last dim 3) as hue, saturation and value, each in
    [0, 1] (TF's formulas: hue 0 for greys; the red, then green branch wins ties)."""
    with ops.name_scope(name, "rgb_to_hsv") as scope:
        images = convert_to_tensor(images, name="images")
        r, g, b = array_ops.unstack(images, 3, axis=-1)
        value = math_ops.reduce_max(images, -1)
        spread = value - math_ops.reduce_min(images, -1)
        grey = math_ops.equal(spread, 0)
        norm = (1.0 / 6.0) / math_ops.where_v2(grey, array_ops.ones_like(spread), spread)
        hue = math_ops.where_v2(
            math_ops.equal(r, value), norm * (g - b),
            math_ops.where_v2(math_ops.equal(g, value), norm * (b - r) + 2.0 / 6.0,
                              norm * (r - g) + 4.0 / 6.0))
        hue = math_ops.where_v2(grey, array_ops.zeros_like(hue), hue)
        hue = math_ops.where_v2(math_ops.less(hue, 0), hue + 1, hue)
        positive = math_ops.greater(value, 0)
        saturation = math_ops.where_v2(
            positive, spread / math_ops.where_v2(positive, value, array_ops.ones_like(value)),
            array_ops.zeros_like(value))
        return array_ops.stack([hue, saturation, value], axis=-1, name=scope)


def hsv_to_rgb(images, name=None):
    """HSV `images` (last dim 3, each in [0, 1]) as RGB, the inverse of rgb_to_hsv."""
    with ops.name_scope(name, "hsv_to_rgb") as scope:
        images = convert_to_tensor(images, name="images")
        hue, saturation, value = array_ops.unstack(images, 3, axis=-1)
        sixths = hue * 6.0
        ramps = [math_ops.abs(sixths - 3.0) - 1.0, 2.0 - math_ops.abs(sixths - 2.0),
                 2.0 - math_ops.abs(sixths - 4.0)]
        channels = [(1.0 - saturation + saturation * math_ops.clip_by_value(x, 0.0, 1.0)) *
                    value for x in ramps]
        return array_ops.stack(channels, axis=-1, name=scope)


def _in_hsv(image, adjust):
    """adjust(hue, saturation, value) applied to RGB `image` in float32, as TF1's
    adjust_hue and adjust_saturation."""
    def in_hsv(floats):
        hue, saturation, value = array_ops.unstack(rgb_to_hsv(floats), 3, axis=-1)
        return hsv_to_rgb(array_ops.stack(adjust(hue, saturation, value), axis=-1))
    return _in_float(image, in_hsv)


def adjust_saturation(image, saturation_factor, name=None):
    """RGB `image` with its saturation scaled by `saturation_factor` (clipped to [0, 1])."""
    with ops.name_scope(name, "adjust_saturation"):
        return _in_hsv(image, lambda h, s, v: (h, math_ops.clip_by_value(
            s * math_ops.cast(saturation_factor, s.dtype), 0.0, 1.0), v))


def adjust_hue(image, delta, name=None):
    """RGB `image` with `delta` (in [-1, 1]) added to its hue, which wraps around."""
    with ops.name_scope(name, "adjust_hue"):
        def turn(h, s, v):
            h = math_ops.floormod(h + math_ops.cast(delta, h.dtype), 1.0)
            return h, s, v
        return _in_hsv(image, turn)


def random_saturation(image, lower, upper, seed=None):
    """adjust_saturation by a factor drawn uniformly from [lower, upper)."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    factor = random_ops.random_uniform([], lower, upper, seed=seed)
    return adjust_saturation(image, factor)


def random_hue(image, max_delta, seed=None):
    """adjust_hue by a delta drawn uniformly from [-max_delta, max_delta); max_delta in
    [0, 0.5]."""
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_ops.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_hue(image, delta)


def rgb_to_grayscale(images, name=None):
    """The luma of RGB `images` (last dim 3) as one channel, TF1's weights, same dtype."""
    with ops.name_scope(name, "rgb_to_grayscale") as scope:
        images = convert_to_tensor(images, name="images")
        floats = convert_image_dtype(images, _dtypes.float32)
        weights = constant(np.array([0.2989, 0.5870, 0.1140], np.float32))
        gray = math_ops.reduce_sum(floats * weights, -1, keepdims=True)
        return convert_image_dtype(gray, images.dtype, name=scope)


def grayscale_to_rgb(images, name=None):
    """One-channel `images` repeated into three channels."""
    with ops.name_scope(name, "grayscale_to_rgb") as scope:
        images = convert_to_tensor(images, name="images")
        rank = images.shape.ndims
        multiples = [1] * (rank - 1) + [3] if rank is not None else array_ops.concat(
            [array_ops.ones([array_ops.rank(images) - 1], _dtypes.int32), [3]], 0)
        return array_ops.tile(images, multiples, name=scope)

