"""The Python side of the ClipByNormPerRow op library: loading it, its gradient, and a model
that uses it, trained and exported for the C++ runtime.

    import clip_by_norm_per_row
    ops = clip_by_norm_per_row.load("build/custom_op/libclip_by_norm_per_row.so")
    clipped, norms = ops.clip_by_norm_per_row(x, clip_norm=1.0)
    tf.gradients(tf.reduce_sum(clipped), x)   # uses the rule below

As a program, it trains a small classifier whose hidden features go through the op and writes
its model file, an input batch and the outputs Session.run gives for it (both raw float32):

    python clip_by_norm_per_row.py build/custom_op/libclip_by_norm_per_row.so OUT_DIR
    # OUT_DIR/model.tlm, OUT_DIR/input.f32, OUT_DIR/expected.f32
"""
import argparse
import os

import numpy as np

import tensorlib as tf

FEATURES, HIDDEN, CLASSES, BATCH = 4, 8, 3, 5


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


def export(library_path, out_dir, steps=20, seed=0):
    """Trains the classifier for `steps` steps on random data, then writes its model, an input
    batch and the outputs (logits, then the hidden rows' norms) that Session.run gives for it,
    with one thread. Returns the paths written: (model, input, expected)."""
    ops = load(library_path)
    rng = np.random.default_rng(seed)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, FEATURES], name="x")
        labels = tf.placeholder(tf.int32, [None], name="labels")
        hidden = tf.layers.dense(x, HIDDEN, activation=tf.nn.relu, name="hidden")
        clipped, norms = ops.clip_by_norm_per_row(hidden, clip_norm=1.0, name="clip")
        logits = tf.layers.dense(clipped, CLASSES, name="logits")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        config = tf.ConfigProto(intra_op_parallelism_threads=1)
        with tf.Session(config=config) as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(steps):
                data = rng.standard_normal((32, FEATURES)).astype(np.float32)
                sess.run(train, {x: data, labels: (data[:, :2] > 0).sum(1).astype(np.int32)})
            model = tf.lite.TFLiteConverter.from_session(sess, [x], [logits, norms]).convert()
            batch = rng.standard_normal((BATCH, FEATURES)).astype(np.float32) * 3
            expected = sess.run([logits, norms], {x: batch})
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, name) for name in ("model.tlm", "input.f32", "expected.f32")]
    with open(paths[0] + ".tmp", "wb") as f:  # renamed over the old model: never half-written
        f.write(model)
    os.replace(paths[0] + ".tmp", paths[0])
    batch.tofile(paths[1])
    np.concatenate([e.ravel() for e in expected]).astype(np.float32).tofile(paths[2])
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("library", help="the built op library, libclip_by_norm_per_row.so")
    parser.add_argument("out_dir", help="where model.tlm, input.f32 and expected.f32 go")
    args = parser.parse_args()
    for path in export(args.library, args.out_dir):
        print(path)
