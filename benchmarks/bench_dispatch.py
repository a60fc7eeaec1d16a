"""Dispatch overhead: 20 elementwise ops on a float32 tensor of shape (1,), per run.

    python benchmarks/bench_dispatch.py

What it measures is everything but arithmetic: Python entry, feed, plan execution, the result
array. Peers (when installed) do the same 20 ops: NumPy eagerly, PyTorch eagerly, JAX under jit,
TensorFlow 1 graph mode with Session.run.
"""
import numpy as np

from _harness import median_time, optional_import, report

CHAIN = 20
NUMBER = 20000


def chain_numpy(x):
    for i in range(CHAIN // 4):
        x = np.exp(-(x * 0.5 + 1.0))
    return x


def session_chain(tf):
    """The chain as a TF1 graph: the same code builds it with tensorlib and with TensorFlow."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [1])
        y = x
        for _ in range(CHAIN // 4):
            y = tf.exp(-(y * 0.5 + 1.0))
        return tf.Session(graph=g), x, y


def bench_tensorlib(data):
    import tensorlib as tf
    sess, x, y = session_chain(tf)
    np.testing.assert_allclose(sess.run(y, {x: data}), chain_numpy(data), rtol=1e-6)
    feed = {x: data}
    return median_time(lambda: sess.run(y, feed), NUMBER)


def bench_tf1(data):
    tf = optional_import("tensorflow")
    if tf is None:
        return None
    tf = tf.compat.v1
    tf.disable_eager_execution()
    sess, x, y = session_chain(tf)
    feed = {x: data}
    return median_time(lambda: sess.run(y, feed), NUMBER // 20)


def bench_torch(data):
    torch = optional_import("torch")
    if torch is None:
        return None
    torch.set_num_threads(1)
    t = torch.from_numpy(data)

    def run():
        y = t
        for _ in range(CHAIN // 4):
            y = torch.exp(-(y * 0.5 + 1.0))
        return y.numpy()

    return median_time(run, NUMBER // 4)


def bench_jax(data):
    jax = optional_import("jax")
    if jax is None:
        return None
    import jax.numpy as jnp

    @jax.jit
    def f(x):
        for _ in range(CHAIN // 4):
            x = jnp.exp(-(x * 0.5 + 1.0))
        return x

    return median_time(lambda: np.asarray(f(data)), NUMBER // 4)


def main():
    data = np.ones(1, np.float32)
    rows = [("tensorlib Session.run", bench_tensorlib(data))]
    rows.append(("NumPy (eager)", median_time(lambda: chain_numpy(data), NUMBER)))
    for name, fn in [("PyTorch (eager)", bench_torch), ("JAX (jit)", bench_jax),
                     ("TensorFlow 1 Session.run", bench_tf1)]:
        seconds = fn(data)
        if seconds is not None:
            rows.append((name, seconds))
    report(f"dispatch: {CHAIN} elementwise ops on float32[1], per call", rows,
           reference="tensorlib Session.run")


if __name__ == "__main__":
    main()
