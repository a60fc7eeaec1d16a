"""The Python side of the ClipByNormPerRow op library: loading it, and its gradient.

    import clip_by_norm_per_row
    ops = clip_by_norm_per_row.load("build/custom_op/libclip_by_norm_per_row.so")
    clipped, norms = ops.clip_by_norm_per_row(x, clip_norm=1.0)
    tf.gradients(tf.reduce_sum(clipped), x)   # uses the rule below
"""
import tensorlib as tf


def load(library_path):
    """Loads the op library (again: returns the same module); its gradient is registered."""
    return tf.load_op_library(library_path)


# A rule may be registered before the library is loaded. For a row x with norm n > c:
# clipped = c x / n, so d clipped = (c / n) (dx - x (x . dx) / n^2); otherwise clipped = x.
# And d n = x . dx / n.
@tf.RegisterGradient("ClipByNormPerRow")
def _clip_by_norm_per_row_grad(op, grad_clipped, grad_norms):
    x = op.inputs[0]
    clip_norm = op.get_attr("clip_norm")
    norms = tf.expand_dims(op.outputs[1], -1)
    is_clipped = norms > clip_norm
    ones = tf.ones_like(norms)
    clipped_norms = tf.where_v2(is_clipped, norms, ones)  # 1 where unused: no 0 / 0
    along_x = tf.reduce_sum(x * grad_clipped, axis=-1, keepdims=True)
    through_clipped = tf.where_v2(
        is_clipped,
        clip_norm / clipped_norms * (grad_clipped - x * along_x / tf.square(clipped_norms)),
        grad_clipped)
    nonzero_norms = tf.where_v2(norms > 0, norms, ones)
    through_norms = tf.expand_dims(grad_norms, -1) * x / nonzero_norms
    return through_clipped + through_norms
