"""Neural-network kernels on float32: softmax, log_softmax, the fused cross-entropies, elu,
softplus, bias_add, l2_loss, per Session.run with a fed input.

    python benchmarks/bench_nn.py

Peers (when installed) compute the same thing on the same arrays: NumPy eagerly (the numerically
stable formulas), PyTorch eagerly with its default thread count.
"""
import numpy as np

from _harness import median_time, optional_import, report

BATCH, CLASSES = 256, 1000
ELEMENTS = 1 << 20


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _log_softmax(x):
    s = x - x.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


# name: (input shapes, tensorlib fn, NumPy fn, PyTorch fn(torch, *tensors))
CASES = {
    "softmax [256, 1000]": (
        [(BATCH, CLASSES)], lambda tf, x: tf.nn.softmax(x), _softmax,
        lambda torch, x: torch.softmax(x, -1)),
    "log_softmax [256, 1000]": (
        [(BATCH, CLASSES)], lambda tf, x: tf.nn.log_softmax(x), _log_softmax,
        lambda torch, x: torch.log_softmax(x, -1)),
    "softmax_cross_entropy [256, 1000]": (
        [(BATCH, CLASSES), (BATCH, CLASSES)],
        lambda tf, x, p: tf.nn.softmax_cross_entropy_with_logits_v2(labels=p, logits=x),
        lambda x, p: -(p * _log_softmax(x)).sum(-1),
        lambda torch, x, p: torch.nn.functional.cross_entropy(x, p, reduction="none")),
    "sparse_softmax_cross_entropy [256, 1000]": (
        [(BATCH, CLASSES), (BATCH,)],
        lambda tf, x, k: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=k, logits=x),
        lambda x, k: -_log_softmax(x)[np.arange(len(k)), k],
        lambda torch, x, k: torch.nn.functional.cross_entropy(x, k, reduction="none")),
    "elu [2**20]": (
        [(ELEMENTS,)], lambda tf, x: tf.nn.elu(x), lambda x: np.where(x < 0, np.expm1(x), x),
        lambda torch, x: torch.nn.functional.elu(x)),
    "softplus [2**20]": (
        [(ELEMENTS,)], lambda tf, x: tf.nn.softplus(x), lambda x: np.logaddexp(0, x),
        lambda torch, x: torch.nn.functional.softplus(x)),
    "bias_add [4096, 256]": (
        [(4096, 256), (256,)], lambda tf, x, b: tf.nn.bias_add(x, b), np.add,
        lambda torch, x, b: x + b),
    "l2_loss [2**20]": (
        [(ELEMENTS,)], lambda tf, x: tf.nn.l2_loss(x), lambda x: np.dot(x, x) / 2,
        lambda torch, x: torch.dot(x, x) / 2),
}


def make_inputs(name, shapes, rng):
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    if "sparse" in name:
        arrays[1] = rng.integers(0, CLASSES, size=shapes[1]).astype(np.int64)
    elif "cross_entropy" in name:
        arrays[1] = _softmax(arrays[1])
    return arrays


def bench_tensorlib(fn, arrays, want):
    import tensorlib as tf
    g = tf.Graph()
    with g.as_default():
        holders = [tf.placeholder(tf.as_dtype(a.dtype), a.shape) for a in arrays]
        y = fn(tf, *holders)
    sess = tf.Session(graph=g)
    feed = dict(zip(holders, arrays))
    np.testing.assert_allclose(sess.run(y, feed), want, rtol=1e-4, atol=1e-5)
    return median_time(lambda: sess.run(y, feed), 20)


def bench_torch(fn, arrays, want):
    torch = optional_import("torch")
    if torch is None:
        return None
    tensors = [torch.from_numpy(a) for a in arrays]
    np.testing.assert_allclose(fn(torch, *tensors).numpy(), want, rtol=1e-4, atol=1e-5)
    return median_time(lambda: fn(torch, *tensors).numpy(), 20)


def main():
    rng = np.random.default_rng(0)
    for name, (shapes, tl_fn, np_fn, torch_fn) in CASES.items():
        arrays = make_inputs(name, shapes, rng)
        want = np_fn(*arrays)
        rows = [("tensorlib Session.run", bench_tensorlib(tl_fn, arrays, want)),
                ("NumPy (eager)", median_time(lambda: np_fn(*arrays), 20))]
        seconds = bench_torch(torch_fn, arrays, want)
        if seconds is not None:
            rows.append(("PyTorch (eager)", seconds))
        report(f"{name}, float32, per call", rows, reference="tensorlib Session.run")


if __name__ == "__main__":
    main()
