"""Loops in the graph: the cost of one iteration of a while_loop whose body is a scalar add,
against TensorFlow 1's tf.while_loop, JAX's lax.fori_loop (jit) and a PyTorch eager loop.

    python benchmarks/bench_control_flow.py [--iterations N]

Each row runs N iterations per call (default 10 000) and reports microseconds per iteration:
the call's time divided by N, so the per-call overhead is spread over the iterations.
"""
import argparse

import tensorlib as tf
from _harness import median_time, optional_import, report


def tensorlib_loop(n):
    graph = tf.Graph()
    with graph.as_default():
        limit = tf.placeholder(tf.int32, [])
        loop = tf.while_loop(lambda i, a: i < limit, lambda i, a: (i + 1, a + 1.0),
                             [0, tf.constant(0.0)])
        sess = tf.Session(graph=graph)
    run = sess.make_callable(loop, [limit])
    assert run(n)[1] == n
    return lambda: run(n)


def tf1_loop(n):
    tf1 = optional_import("tensorflow.compat.v1")
    if tf1 is None:
        return None
    tf1.disable_eager_execution()
    graph = tf1.Graph()
    with graph.as_default():
        limit = tf1.placeholder(tf1.int32, [])
        loop = tf1.while_loop(lambda i, a: i < limit, lambda i, a: (i + 1, a + 1.0),
                              [0, tf1.constant(0.0)])
        sess = tf1.Session(graph=graph)
    run = sess.make_callable(loop, [limit])
    assert run(n)[1] == n
    return lambda: run(n)


def jax_loop(n):
    jax = optional_import("jax")
    if jax is None:
        return None
    import jax.numpy as jnp

    @jax.jit
    def loop(limit):
        return jax.lax.fori_loop(0, limit, lambda i, a: a + 1.0, jnp.float32(0.0))

    assert float(loop(n)) == n
    return lambda: loop(n).block_until_ready()


def torch_loop(n):
    torch = optional_import("torch")
    if torch is None:
        return None
    one = torch.tensor(1.0)

    def loop():
        a = torch.tensor(0.0)
        for _ in range(n):
            a = a + one
        return a

    assert float(loop()) == n
    return loop


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=10000)
    args = parser.parse_args()
    n = args.iterations
    rows = []
    for name, make, repeat in [("tensorlib", tensorlib_loop, 15),
                               ("TF1 tf.while_loop", tf1_loop, 5),
                               ("JAX lax.fori_loop (jit)", jax_loop, 15),
                               ("PyTorch eager loop", torch_loop, 5)]:
        fn = make(n)
        if fn is not None:
            rows.append((name, median_time(fn, 1, repeat=repeat, warmup=2) / n))
    report(f"while_loop, scalar add body, {n} iterations: time per iteration", rows, unit="ns")


if __name__ == "__main__":
    main()
