"""Loops in the graph, against the peers installed here.

    python benchmarks/bench_control_flow.py [loop] [lstm] [--iterations N] [--threads T]

loop: one iteration of a while_loop whose body is a scalar add, against TensorFlow 1's
      tf.while_loop, JAX's lax.fori_loop (jit) and a PyTorch eager loop: each call runs N
      iterations (default 10 000); the table gives the call's time divided by N.
lstm: a training step (forward, loss, backward, SGD update) of an LSTM run by
      tf.nn.dynamic_rnn (batch 64, 100 steps, 128 inputs, 256 units, float32) against TF1's
      dynamic_rnn of a BasicLSTMCell and PyTorch's nn.LSTM (oneDNN).
"""
import argparse
import os

import numpy as np

import tensorlib as tf
from _harness import median_time, optional_import, report

# TF 2.16+ has tf.nn.rnn_cell only with the legacy Keras (pip install tf-keras).
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


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


BATCH, STEPS, INPUTS, UNITS = 64, 100, 128, 256


def _lstm_data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((BATCH, STEPS, INPUTS)).astype(np.float32),
            rng.standard_normal((BATCH, UNITS)).astype(np.float32))


def _lstm_graph(tfmod, threads):
    """A dynamic_rnn training step in TF1's API of `tfmod` (tensorlib or tf.compat.v1)."""
    graph = tfmod.Graph()
    with graph.as_default():
        xs = tfmod.placeholder(tfmod.float32, [BATCH, STEPS, INPUTS])
        target = tfmod.placeholder(tfmod.float32, [BATCH, UNITS])
        cell = tfmod.nn.rnn_cell.BasicLSTMCell(UNITS)
        outputs, state = tfmod.nn.dynamic_rnn(cell, xs, dtype=tfmod.float32)
        loss = tfmod.reduce_mean(tfmod.square(state.h - target))
        train = tfmod.train.GradientDescentOptimizer(0.01).minimize(loss)
        config = tfmod.ConfigProto(intra_op_parallelism_threads=threads,
                                   inter_op_parallelism_threads=1)
        sess = tfmod.Session(graph=graph, config=config)
        sess.run(tfmod.global_variables_initializer())
    x_value, t_value = _lstm_data()
    run = sess.make_callable(train, [xs, target])
    return lambda: run(x_value, t_value)


def tensorlib_lstm(threads):
    return _lstm_graph(tf, threads)


def tf1_lstm(threads):
    tf1 = optional_import("tensorflow.compat.v1")
    if tf1 is None:
        return None
    tf1.disable_eager_execution()
    try:
        return _lstm_graph(tf1, threads)
    except Exception as e:  # noqa: BLE001 (TF without tf-keras has no tf.nn.rnn_cell)
        print(f"  (TF1 LSTM skipped: {type(e).__name__}: {e}; pip install tf-keras)")
        return None


def torch_lstm(threads):
    torch = optional_import("torch")
    if torch is None:
        return None
    torch.set_num_threads(threads)
    lstm = torch.nn.LSTM(INPUTS, UNITS, batch_first=True)
    opt = torch.optim.SGD(lstm.parameters(), lr=0.01)
    x_value, t_value = _lstm_data()
    xs, target = torch.from_numpy(x_value), torch.from_numpy(t_value)

    def step():
        opt.zero_grad()
        _, (h, _) = lstm(xs)
        loss = ((h[0] - target) ** 2).mean()
        loss.backward()
        opt.step()
    return step


def bench_lstm(threads):
    rows = []
    for name, make in [("tensorlib", tensorlib_lstm), ("TF1 dynamic_rnn", tf1_lstm),
                       ("PyTorch nn.LSTM", torch_lstm)]:
        fn = make(threads)
        if fn is not None:
            rows.append((name, median_time(fn, 1, repeat=11, warmup=2)))
    report(f"LSTM training step (dynamic_rnn, batch {BATCH}, {STEPS} steps, {INPUTS} inputs, "
           f"{UNITS} units), {threads} threads", rows, unit="ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("which", nargs="*", default=["loop", "lstm"])
    parser.add_argument("--iterations", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if "loop" in args.which:
        bench_loop(args.iterations)
    if "lstm" in args.which:
        bench_lstm(args.threads)


def bench_loop(n):
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
