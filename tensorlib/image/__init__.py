"""`tf.image`: resizing, flipping, cropping, padding, adjusting and converting images."""
from tensorlib.ops.image_ops import (  # noqa: F401
    ResizeMethod, adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation,
    central_crop, convert_image_dtype, crop_to_bounding_box, flip_left_right, flip_up_down,
    grayscale_to_rgb, hsv_to_rgb, pad_to_bounding_box, per_image_standardization,
    random_brightness, random_contrast, random_crop, random_flip_left_right,
    random_flip_up_down, random_hue, random_saturation, resize_bicubic, resize_bilinear,
    resize_image_with_crop_or_pad, resize_image_with_pad, resize_images,
    resize_nearest_neighbor, rgb_to_grayscale, rgb_to_hsv, rot90, transpose_image,
)
