"""Training steps, float32, plain SGD: an MLP and the LeNet-style CNN.

    python benchmarks/bench_training.py [mlp] [lenet]

MLP: 784-256-256-10 with ReLU, softmax cross-entropy, batch 128. LeNet: conv 5x5x32 SAME + ReLU
+ 2x2 max-pool, conv 5x5x64 SAME + ReLU + 2x2 max-pool, dense 1024 + ReLU, dense 10, batch 64.
One step = forward, gradients and the in-place update of every variable, on one fixed batch.
The same TF1 graph code builds the model with tensorlib and with TensorFlow 1
(tensorflow.compat.v1); PyTorch runs eagerly (torch.optim.SGD) and JAX a jitted step, from the
same initial weights. Each peer's loss after a few steps is checked against tensorlib's. The
rows are timed in turns (11 rounds, a rest of 0.3 s and an untimed step before each batch);
each row's figure is its median, with the median of its per-round ratios to tensorlib.
"""
import sys

import numpy as np

from _harness import interleaved_times, optional_import, report

LEARNING_RATE = 0.01
S1, K2 = [1, 1, 1, 1], [1, 2, 2, 1]


def init(rng, *shape):
    return (rng.standard_normal(shape) / np.sqrt(np.prod(shape[:-1]))).astype(np.float32)


# ---- the models, as TF1 graph code shared by tensorlib and TensorFlow ----

def mlp_weights(rng):
    return {"w1": init(rng, 784, 256), "b1": np.zeros(256, np.float32),
            "w2": init(rng, 256, 256), "b2": np.zeros(256, np.float32),
            "w3": init(rng, 256, 10), "b3": np.zeros(10, np.float32)}


def mlp_logits(tf, x, v):
    h = tf.nn.relu(tf.matmul(x, v["w1"]) + v["b1"])
    h = tf.nn.relu(tf.matmul(h, v["w2"]) + v["b2"])
    return tf.matmul(h, v["w3"]) + v["b3"]


def lenet_weights(rng):
    return {"c1": init(rng, 5, 5, 1, 32), "b1": np.zeros(32, np.float32),
            "c2": init(rng, 5, 5, 32, 64), "b2": np.zeros(64, np.float32),
            "f1": init(rng, 7 * 7 * 64, 1024), "g1": np.zeros(1024, np.float32),
            "f2": init(rng, 1024, 10), "g2": np.zeros(10, np.float32)}


def lenet_logits(tf, x, v):
    h = tf.nn.relu(tf.nn.conv2d(x, v["c1"], S1, "SAME") + v["b1"])
    h = tf.nn.max_pool(h, K2, K2, "SAME")
    h = tf.nn.relu(tf.nn.conv2d(h, v["c2"], S1, "SAME") + v["b2"])
    h = tf.nn.max_pool(h, K2, K2, "SAME")
    h = tf.reshape(h, [-1, 7 * 7 * 64])
    h = tf.nn.relu(tf.matmul(h, v["f1"]) + v["g1"])
    return tf.matmul(h, v["f2"]) + v["g2"]


def graph_step(tf, logits_fn, weights, images, labels):
    """(session, run one step, loss tensor, feed) for a TF1-style graph library `tf`."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, images.shape)
        y = tf.placeholder(tf.int32, labels.shape)
        v = {k: tf.Variable(w, name=k) for k, w in weights.items()}
        logits = logits_fn(tf, x, v)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = tf.train.GradientDescentOptimizer(LEARNING_RATE).minimize(loss)
        init_op = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init_op)
    feed = {x: images, y: labels}
    return sess, lambda: sess.run(train, feed), loss, feed


def losses_after(step, loss_fn, steps=3):
    for _ in range(steps):
        step()
    return loss_fn()


# Each peer: (a training step to time, the loss after a few steps of a fresh copy), or
# (None, None) when it is not installed.

def bench_tensorlib(model, weights, images, labels):
    import tensorlib as tf
    sess, step, loss, feed = graph_step(tf, model["logits"], weights, images, labels)
    sess2, step2, loss2, feed2 = graph_step(tf, model["logits"], weights, images, labels)
    return step, losses_after(step2, lambda: sess2.run(loss2, feed2))


def bench_tf1(model, weights, images, labels):
    tf = optional_import("tensorflow")
    if tf is None:
        return None, None
    tf = tf.compat.v1
    tf.disable_eager_execution()
    sess, step, loss, feed = graph_step(tf, model["logits"], weights, images, labels)
    sess2, step2, loss2, feed2 = graph_step(tf, model["logits"], weights, images, labels)
    return step, losses_after(step2, lambda: sess2.run(loss2, feed2))


def torch_model(torch, name, params):
    import torch.nn.functional as F

    if name == "mlp":
        def forward(x):
            h = F.relu(x @ params["w1"] + params["b1"])
            h = F.relu(h @ params["w2"] + params["b2"])
            return h @ params["w3"] + params["b3"]
        return forward

    def forward(x):  # NCHW convolutions, flattened in NHWC order like the TF1 model
        h = F.max_pool2d(F.relu(F.conv2d(x, params["c1"], params["b1"], padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, params["c2"], params["b2"], padding=2)), 2)
        h = h.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        h = F.relu(h @ params["f1"] + params["g1"])
        return h @ params["f2"] + params["g2"]
    return forward


def bench_torch(model, weights, images, labels):
    torch = optional_import("torch")
    if torch is None:
        return None, None
    import torch.nn.functional as F

    def make():
        params = {}
        for k, w in weights.items():
            t = torch.from_numpy(w.copy())
            if w.ndim == 4:  # HWIO -> OIHW
                t = t.permute(3, 2, 0, 1).contiguous()
            params[k] = t.requires_grad_()
        return params

    x = torch.from_numpy(images)
    if images.ndim == 4:
        x = x.permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(labels.astype(np.int64))

    def stepper():
        params = make()
        forward = torch_model(torch, model["name"], params)
        opt = torch.optim.SGD(params.values(), lr=LEARNING_RATE)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(forward(x), y)
            loss.backward()
            opt.step()
            return loss

        return step, lambda: float(F.cross_entropy(forward(x), y))

    step, _ = stepper()
    step2, loss2 = stepper()
    return step, losses_after(step2, loss2)


def bench_jax(model, weights, images, labels):
    jax = optional_import("jax")
    if jax is None or model["name"] != "mlp":
        return None, None
    import jax.numpy as jnp

    def loss_fn(p, x, y):
        h = jax.nn.relu(x @ p["w1"] + p["b1"])
        h = jax.nn.relu(h @ p["w2"] + p["b2"])
        logits = h @ p["w3"] + p["b3"]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    @jax.jit
    def step(p, x, y):
        grads = jax.grad(loss_fn)(p, x, y)
        return jax.tree_util.tree_map(lambda a, g: a - LEARNING_RATE * g, p, grads)

    x, y = jnp.asarray(images), jnp.asarray(labels)
    state = {"p": {k: jnp.asarray(w) for k, w in weights.items()}}

    def run():
        state["p"] = step(state["p"], x, y)
        jax.block_until_ready(state["p"])

    p = {k: jnp.asarray(w) for k, w in weights.items()}
    for _ in range(3):
        p = step(p, x, y)
    return run, float(loss_fn(p, x, y))


MODELS = {
    "mlp": {"name": "mlp", "logits": mlp_logits, "weights": mlp_weights,
            "images": (128, 784), "number": 50},
    "lenet": {"name": "lenet", "logits": lenet_logits, "weights": lenet_weights,
              "images": (64, 28, 28, 1), "number": 5},
}


def main(names):
    for name in names:
        model = MODELS[name]
        rng = np.random.default_rng(0)
        weights = model["weights"](rng)
        images = rng.random(model["images"], dtype=np.float32)
        labels = rng.integers(0, 10, model["images"][0]).astype(np.int32)
        steps = {}
        want = None
        for peer, fn in [("tensorlib Session.run", bench_tensorlib),
                         ("PyTorch eager", bench_torch),
                         ("JAX jit", bench_jax),
                         ("TensorFlow 1 Session.run", bench_tf1)]:
            step, loss = fn(model, weights, images, labels)
            if step is None:
                continue
            if want is None:
                want = loss
            else:
                np.testing.assert_allclose(loss, want, rtol=1e-3)
            steps[peer] = step
        # In turns, a rest before each batch for the previous library's idle threads to stop
        # spinning: a change in the machine's load falls on every row alike.
        seconds, ratios = interleaved_times(steps, model["number"], repeat=11, warmup=2,
                                            pause=0.3)
        report(f"{name} training step (SGD), float32, batch {model['images'][0]}",
               list(seconds.items()), unit="ms", reference="tensorlib Session.run")
        print("  median of the rounds' ratios to tensorlib: " +
              ", ".join(f"{peer} {ratio:.2f}" for peer, ratio in ratios.items()
                        if peer != "tensorlib Session.run"))


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
