"""One Adam update of a 1M and a 16M float32 variable.

    python benchmarks/bench_optimizers.py

tensorlib runs AdamOptimizer.apply_gradients's train op (the fused ApplyAdam kernel, plus the
two scalar beta-power updates) with the gradient fed from NumPy, with 1 and 2 intra-op
threads; NumPy runs TF1's formulas as a vectorised expression updating m, v and var in place;
PyTorch (when installed) runs torch.optim.Adam's step with its defaults (foreach and fused
off on CPU), with 1 and 2 threads. Each implementation's result after a few steps is checked
against NumPy's (PyTorch's loosely: it adds epsilon after the bias correction).

GB/s counts the bytes one update must move: var, m, v and grad read, var, m and v written
(7 x 4 bytes per element); the copy row (np.copyto, read + write) shows what this machine's
memory delivers to one thread.
"""
import numpy as np

from _harness import median_time, optional_import, report

SIZES = [1 << 20, 16 << 20]
LR, BETA1, BETA2, EPSILON = 1e-3, 0.9, 0.999, 1e-8
REPEAT = 9


def tensorlib_time(x0, grad, threads, steps):
    """(seconds per update, var after `steps` updates)."""
    import tensorlib as tf
    g = tf.Graph()
    with g.as_default():
        var = tf.Variable(x0)
        gp = tf.placeholder(tf.float32, x0.shape)
        train = tf.train.AdamOptimizer(LR, BETA1, BETA2, EPSILON).apply_gradients([(gp, var)])
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g, config=tf.ConfigProto(intra_op_parallelism_threads=threads))
    sess.run(init)
    feed = {gp: grad}
    for _ in range(steps):
        sess.run(train, feed)
    result = sess.run(var)
    seconds = median_time(lambda: sess.run(train, feed), 1, repeat=REPEAT)
    sess.close()
    return seconds, result


class NumpyAdam:
    """TF1's Adam update as a vectorised NumPy expression (in place on var, m and v)."""

    def __init__(self, x0):
        self.var = x0.copy()
        self.m = np.zeros_like(x0)
        self.v = np.zeros_like(x0)
        self.t = 0

    def step(self, g):
        self.t += 1
        lr_t = LR * np.sqrt(1 - BETA2 ** self.t) / (1 - BETA1 ** self.t)
        self.m += (g - self.m) * (1 - BETA1)
        self.v += (g * g - self.v) * (1 - BETA2)
        self.var -= lr_t * self.m / (np.sqrt(self.v) + EPSILON)


def numpy_time(x0, grad, steps):
    adam = NumpyAdam(x0)
    for _ in range(steps):
        adam.step(grad)
    result = adam.var.copy()
    return median_time(lambda: adam.step(grad), 1, repeat=REPEAT), result


def torch_time(torch, x0, grad, threads, steps):
    torch.set_num_threads(threads)
    p = torch.nn.Parameter(torch.from_numpy(x0.copy()))
    p.grad = torch.from_numpy(grad)
    opt = torch.optim.Adam([p], lr=LR, betas=(BETA1, BETA2), eps=EPSILON)
    for _ in range(steps):
        opt.step()
    result = p.detach().numpy().copy()
    return median_time(opt.step, 1, repeat=REPEAT), result


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SIZES[-1], dtype=np.float32)
    dst = np.empty_like(x)
    copy = median_time(lambda: np.copyto(dst, x), 1, repeat=REPEAT)
    print(f"\nmemory: np.copyto of 64 MB moves {2 * x.nbytes / copy / 1e9:.1f} GB/s "
          "(read + write, one thread)")
    torch = optional_import("torch")
    for n in SIZES:
        x0 = rng.standard_normal(n, dtype=np.float32)
        grad = rng.standard_normal(n, dtype=np.float32)
        steps = 3
        rows = []
        for threads in (1, 2):
            name = f"tensorlib {threads} thread{'s' if threads > 1 else ''}"
            rows.append((name, tensorlib_time(x0, grad, threads, steps)))
        rows.append(("NumPy", numpy_time(x0, grad, steps)))
        if torch is not None:
            for threads in (1, 2):
                name = f"PyTorch Adam {threads} thread{'s' if threads > 1 else ''}"
                rows.append((name, torch_time(torch, x0, grad, threads, steps)))
        reference = dict(rows)["NumPy"][1]
        for name, (_, result) in rows:
            # PyTorch adds epsilon after the bias correction: elements with tiny gradients
            # differ from TF1's formula.
            atol = 1e-2 if name.startswith("PyTorch") else 1e-6
            np.testing.assert_allclose(result, reference, rtol=1e-4, atol=atol, err_msg=name)
        timings = [(name, seconds) for name, (seconds, _) in rows]
        report(f"Adam update of {n >> 20}M float32 ({7 * 4 * n / 1e6:.0f} MB moved)", timings,
               unit="ms", reference="tensorlib 1 thread")
        for name, seconds in timings:
            print(f"    {name:<32} {7 * 4 * n / seconds / 1e9:>8.1f} GB/s")


if __name__ == "__main__":
    main()
