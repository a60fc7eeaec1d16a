"""Backward passes on float32: forward plus tf.gradients of the activations, bias_add, the
softmax cross-entropy, conv2d, max_pool, gather and strided slicing, per Session.run with fed
inputs.

    python benchmarks/bench_gradients.py

The peer (it must be installed) computes the same forward and backward: PyTorch eagerly, autograd
with its default thread count. Every case is checked against the peer's result first.
"""
import numpy as np

from _harness import median_time, optional_import, report

ELEMENTS = 1 << 20
IDS = np.random.default_rng(1).integers(0, 50000, 8192)
LABELS = np.random.default_rng(2).dirichlet(np.ones(1000), 256).astype(np.float32)


# name: (input shapes, tensorlib fn(tf, *xs) -> y, PyTorch fn(torch, *xs) -> y); the gradient
# of sum(y * w) with respect to every input is computed, w random of y's shape.
CASES = {
    "relu [2**20]": ([(ELEMENTS,)], lambda tf, x: tf.nn.relu(x),
                     lambda torch, x: torch.relu(x)),
    "elu [2**20]": ([(ELEMENTS,)], lambda tf, x: tf.nn.elu(x),
                    lambda torch, x: torch.nn.functional.elu(x)),
    "softplus [2**20]": ([(ELEMENTS,)], lambda tf, x: tf.nn.softplus(x),
                         lambda torch, x: torch.nn.functional.softplus(x)),
    "leaky_relu [2**20]": ([(ELEMENTS,)], lambda tf, x: tf.nn.leaky_relu(x, 0.1),
                           lambda torch, x: torch.nn.functional.leaky_relu(x, 0.1)),
    "bias_add [4096, 256]": ([(4096, 256), (256,)], lambda tf, x, b: tf.nn.bias_add(x, b),
                             lambda torch, x, b: x + b),
    "softmax_cross_entropy [256, 1000]": (
        [(256, 1000)],
        lambda tf, x: tf.nn.softmax_cross_entropy_with_logits_v2(labels=LABELS, logits=x),
        lambda torch, x: torch.nn.functional.cross_entropy(x, torch.from_numpy(LABELS),
                                                           reduction="none")),
    "conv2d [16, 28, 28, 16] * [3, 3, 16, 32]": (
        [(16, 28, 28, 16), (3, 3, 16, 32)],
        lambda tf, x, w: tf.nn.conv2d(x, w, 1, "SAME"),
        lambda torch, x, w: torch.nn.functional.conv2d(
            x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), padding=1).permute(0, 2, 3, 1)),
    "max_pool 2x2 [32, 28, 28, 32]": (
        [(32, 28, 28, 32)], lambda tf, x: tf.nn.max_pool(x, 2, 2, "VALID"),
        lambda torch, x: torch.nn.functional.max_pool2d(x.permute(0, 3, 1, 2), 2)
        .permute(0, 2, 3, 1)),
    "gather 8192 rows of [50000, 64]": (
        [(50000, 64)], lambda tf, p: tf.gather(p, IDS),
        lambda torch, p: p[torch.from_numpy(IDS)]),
    "strided slice x[:, ::-2] [1024, 1024]": (
        [(1024, 1024)], lambda tf, x: x[:, ::-2],
        lambda torch, x: torch.flip(x, [1])[:, ::2]),
}


def bench_tensorlib(fn, arrays, w, want):
    import tensorlib as tf
    g = tf.Graph()
    with g.as_default():
        holders = [tf.placeholder(tf.float32, a.shape) for a in arrays]
        grads = tf.gradients(fn(tf, *holders), holders, grad_ys=[tf.constant(w)])
    sess = tf.Session(graph=g)
    feed = dict(zip(holders, arrays))
    for got, ref in zip(sess.run(grads, feed), want):
        np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-3)
    return median_time(lambda: sess.run(grads, feed), 10)


def torch_grads(torch, fn, arrays, w):
    xs = [torch.from_numpy(a).requires_grad_() for a in arrays]
    y = fn(torch, *xs)
    y.backward(torch.from_numpy(w))
    return [x.grad.numpy() for x in xs]


def main():
    torch = optional_import("torch")
    if torch is None:
        print("PyTorch is not installed: there is nothing to check the gradients against")
        return
    rng = np.random.default_rng(0)
    for name, (shapes, tl_fn, torch_fn) in CASES.items():
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        y = torch_fn(torch, *[torch.from_numpy(a) for a in arrays])
        w = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        want = torch_grads(torch, torch_fn, arrays, w)
        rows = [("tensorlib Session.run", bench_tensorlib(tl_fn, arrays, w, want)),
                ("PyTorch autograd (eager)",
                 median_time(lambda: torch_grads(torch, torch_fn, arrays, w), 10))]
        report(f"{name}, float32, forward + backward per call", rows, unit="ms",
               reference="tensorlib Session.run")


if __name__ == "__main__":
    main()
