"""Pooling of the LeNet-like CNN (NHWC float32, 2x2 windows, stride 2): MaxPool, its gradient
MaxPoolGrad, AvgPool and its gradient AvgPoolGrad, per Session.run with fed inputs, beside the
memory-bound limit.

    python benchmarks/bench_pooling.py

The limit is the bytes each op must read and write (inputs once, output once) over the stream
triad bandwidth that benchmarks/peak.py measures in this process; the inputs of these shapes
(6.4 and 3.2 MB) may sit in the last-level cache between runs, so the bound at L2 read bandwidth
is shown too. The peers are PyTorch, if installed (the same NHWC data as an NCHW tensor in
channels-last layout, its pooling ops called directly; the gradient through
max_pool2d_with_indices and its backward, avg_pool2d's backward), and NumPy: a reshape to [n, h/2, 2, w/2, 2, c]
reduced over the two window axes (for the gradient, the mask of the first maximum times the
upsampled gradient).
"""
import os

import numpy as np

from _harness import interleaved_times, report
from peak import limits

SHAPES = [(64, 28, 28, 32), (64, 14, 14, 64)]


def _windows(x):
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c)


def np_max_pool(x):
    return _windows(x).max(axis=(2, 4))


def np_avg_pool(x):
    return _windows(x).mean(axis=(2, 4), dtype=np.float32)


def np_max_pool_grad(x, g):
    """The gradient routed to each window's first maximum (row-major), as TF does."""
    n, h, w, c = x.shape
    flat = _windows(x).transpose(0, 1, 3, 5, 2, 4).reshape(n, h // 2, w // 2, c, 4)
    first = flat.argmax(-1)
    routed = (np.arange(4) == first[..., None]) * g[..., None]
    routed = routed.reshape(n, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3)
    return routed.reshape(x.shape).astype(np.float32)


def np_avg_pool_grad(x_shape, g):
    """Each window's gradient shared by its four pixels."""
    return np.repeat(np.repeat(g * np.float32(0.25), 2, axis=1), 2, axis=2).reshape(x_shape)


def torch_cases(torch, x, g):
    """{name: call} of PyTorch's pooling on x and g (NHWC arrays, seen as channels-last NCHW)."""
    xt, gt = (torch.from_numpy(a).permute(0, 3, 1, 2) for a in (x, g))
    pool = torch.ops.aten

    def max_pool_grad():
        out, index = pool.max_pool2d_with_indices(xt, [2, 2], [2, 2])
        return pool.max_pool2d_with_indices_backward(gt, xt, [2, 2], [2, 2], [0, 0], [1, 1],
                                                     False, index)

    def no_grad(fn):
        def call():
            with torch.inference_mode():
                return fn()
        return call
    return {"MaxPool": no_grad(lambda: torch.nn.functional.max_pool2d(xt, 2, 2)),
            "AvgPool": no_grad(lambda: torch.nn.functional.avg_pool2d(xt, 2, 2)),
            "MaxPoolGrad (+ its MaxPool)": no_grad(max_pool_grad),
            "AvgPoolGrad": no_grad(lambda: pool.avg_pool2d_backward(
                gt, xt, [2, 2], [2, 2], [0, 0], False, True, None))}


def as_nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous().numpy()


def main():
    import tensorlib as tf
    from tensorlib.ops import conv_ops

    try:
        import torch
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        torch = None
        print("PyTorch is not installed: left out")
    os.system("uptime")
    lim = limits()
    bandwidth = lim.triad() * 1e9 if lim else None
    cache_bandwidth = lim.l2_read() * 1e9 if lim else None
    if bandwidth:
        print(f"stream triad bandwidth: {bandwidth / 1e9:.1f} GB/s, "
              f"L2 read bandwidth: {cache_bandwidth / 1e9:.1f} GB/s")
    rng = np.random.default_rng(0)
    k = [1, 2, 2, 1]
    for shape in SHAPES:
        x = rng.standard_normal(shape).astype(np.float32)
        out_shape = (shape[0], shape[1] // 2, shape[2] // 2, shape[3])
        g = rng.standard_normal(out_shape).astype(np.float32)
        graph = tf.Graph()
        with graph.as_default():
            hx = tf.placeholder(tf.float32, shape)
            hg = tf.placeholder(tf.float32, out_shape)
            y_max = tf.nn.max_pool(hx, k, k, "VALID")
            y_avg = tf.nn.avg_pool(hx, k, k, "VALID")
            d_max = conv_ops.max_pool_grad(hx, y_max, hg, k, k, "VALID")
            d_avg = conv_ops.avg_pool_grad(shape, hg, k, k, "VALID")
        sess = tf.Session(graph=graph)
        feed = {hx: x, hg: g}
        y_max_np = np_max_pool(x)
        np.testing.assert_array_equal(sess.run(y_max, feed), y_max_np)
        np.testing.assert_allclose(sess.run(y_avg, feed), np_avg_pool(x), rtol=1e-6)
        np.testing.assert_array_equal(sess.run(d_max, feed), np_max_pool_grad(x, g))
        np.testing.assert_array_equal(sess.run(d_avg, {hg: g}), np_avg_pool_grad(shape, g))
        in_bytes, out_bytes = x.nbytes, g.nbytes
        # name: (tensorlib fn, NumPy fn, bytes read + written)
        cases = {
            "MaxPool": (lambda: sess.run(y_max, {hx: x}), lambda: np_max_pool(x),
                        in_bytes + out_bytes),
            "AvgPool": (lambda: sess.run(y_avg, {hx: x}), lambda: np_avg_pool(x),
                        in_bytes + out_bytes),
            # The fetched orig_output is computed by a MaxPool in the same run: counted.
            "MaxPoolGrad (+ its MaxPool)": (
                lambda: sess.run(d_max, feed), lambda: np_max_pool_grad(x, g),
                3 * in_bytes + 2 * out_bytes),
            "AvgPoolGrad": (lambda: sess.run(d_avg, {hg: g}), lambda: np_avg_pool_grad(shape, g),
                            in_bytes + out_bytes),
        }
        peers = torch_cases(torch, x, g) if torch is not None else {}
        if peers:  # the same values as NumPy's
            np.testing.assert_array_equal(as_nhwc(peers["MaxPool"]()), y_max_np)
            np.testing.assert_allclose(as_nhwc(peers["AvgPool"]()), np_avg_pool(x), rtol=1e-6)
            np.testing.assert_array_equal(as_nhwc(peers["MaxPoolGrad (+ its MaxPool)"]()),
                                          np_max_pool_grad(x, g))
            np.testing.assert_array_equal(as_nhwc(peers["AvgPoolGrad"]()),
                                          np_avg_pool_grad(shape, g))
        for name, (ours, peer, nbytes) in cases.items():
            fns = {"tensorlib": ours}
            if name in peers:
                fns["PyTorch"] = peers[name]
            fns["numpy"] = peer
            medians, _ = interleaved_times(fns, number=10)
            rows = list(medians.items())
            if bandwidth:
                rows.append(("memory-bound limit", nbytes / bandwidth))
                rows.append(("L2-bound limit", nbytes / cache_bandwidth))
            report(f"{name} {list(shape)}", rows)


if __name__ == "__main__":
    main()
