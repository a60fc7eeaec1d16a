"""Recurrent cells on float32: one LSTM step and one GRU step, forward and backward (the new
state and the gradients of x, the state and the weights), per Session.run with fed inputs;
and a 16-step static_rnn training step of a BasicLSTMCell.

    python benchmarks/bench_rnn.py

Each fused op (LSTMBlockCell, GRUBlockCell and their gradient ops) runs side by side with the
same step built from small ops (matmul, bias_add, split, sigmoid, tanh, ...) in the same
process, and NumPy computing the same forward and backward eagerly.
"""
import numpy as np

from _harness import median_time, report

BATCH, INPUT, UNITS = 64, 128, 256
STEPS = 16


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_numpy(x, c, h, w, b, gc, gh):
    """The new (c, h) and the gradients of x, c, h, w, b for output gradients gc, gh."""
    xh = np.concatenate([x, h], 1)
    i, j, f, o = np.split(xh @ w + b, 4, axis=1)
    i, j, f, o = _sigmoid(i), np.tanh(j), _sigmoid(f + 1.0), _sigmoid(o)
    new_c = c * f + i * j
    co = np.tanh(new_c)
    new_h = co * o
    dcs = gc + gh * o * (1 - co * co)
    d = np.concatenate([dcs * j * i * (1 - i), dcs * i * (1 - j * j), dcs * c * f * (1 - f),
                        gh * co * o * (1 - o)], 1)
    dxh = d @ w.T
    return new_c, new_h, dxh[:, :INPUT], dcs * f, dxh[:, INPUT:], xh.T @ d, d.sum(0)


def gru_numpy(x, h, w_ru, w_c, b_ru, b_c, gh):
    """The new h and the gradients of x, h, w_ru, w_c, b_ru, b_c for its gradient gh."""
    r, u = np.split(_sigmoid(np.concatenate([x, h], 1) @ w_ru + b_ru), 2, axis=1)
    xrh = np.concatenate([x, r * h], 1)
    c = np.tanh(xrh @ w_c + b_c)
    new_h = u * h + (1 - u) * c
    dc = gh * (1 - u) * (1 - c * c)
    dxrh = dc @ w_c.T
    d_ru = np.concatenate([dxrh[:, INPUT:] * h * r * (1 - r), gh * (h - c) * u * (1 - u)], 1)
    dxh = d_ru @ w_ru.T
    return (new_h, dxrh[:, :INPUT] + dxh[:, :INPUT], dxrh[:, INPUT:] * r + gh * u + dxh[:, INPUT:],
            np.concatenate([x, h], 1).T @ d_ru, xrh.T @ dc, d_ru.sum(0), dc.sum(0))


def lstm_small_ops(tf, x, c, h, w, b):
    i, j, f, o = tf.split(tf.nn.bias_add(tf.matmul(tf.concat([x, h], 1), w), b), 4, axis=1)
    new_c = c * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j)
    return new_c, tf.tanh(new_c) * tf.sigmoid(o)


def lstm_fused(tf, x, c, h, w, b):
    from tensorlib.ops import rnn_ops
    step = rnn_ops.lstm_block_cell(x, c, h, w, b)
    return step[1], step[6]


def gru_small_ops(tf, x, h, w_ru, w_c, b_ru, b_c):
    r, u = tf.split(tf.sigmoid(tf.nn.bias_add(tf.matmul(tf.concat([x, h], 1), w_ru), b_ru)),
                    2, axis=1)
    c = tf.tanh(tf.nn.bias_add(tf.matmul(tf.concat([x, r * h], 1), w_c), b_c))
    return (u * h + (1 - u) * c,)


def gru_fused(tf, x, h, w_ru, w_c, b_ru, b_c):
    from tensorlib.ops import rnn_ops
    return (rnn_ops.gru_block_cell(x, h, w_ru, w_c, b_ru, b_c)[3],)


def bench_step(build, arrays, out_grads, want):
    """Seconds per Session.run of the step's outputs and all its input gradients."""
    import tensorlib as tf
    g = tf.Graph()
    with g.as_default():
        holders = [tf.placeholder(tf.float32, a.shape) for a in arrays]
        outs = build(tf, *holders)
        loss = tf.add_n([tf.reduce_sum(o * tf.constant(gy)) for o, gy in zip(outs, out_grads)])
        fetches = list(outs) + tf.gradients(loss, holders)
    sess = tf.Session(graph=g)
    feed = dict(zip(holders, arrays))
    for got, ref in zip(sess.run(fetches, feed), want):
        np.testing.assert_allclose(got, ref, rtol=2e-3, atol=2e-4)
    return median_time(lambda: sess.run(fetches, feed), 20)


def bench_training(small_ops):
    """Seconds per training step (forward, backward, SGD) of a 16-step BasicLSTMCell RNN."""
    import tensorlib as tf
    g = tf.Graph()
    with g.as_default():
        xs = [tf.placeholder(tf.float32, [BATCH, INPUT]) for _ in range(STEPS)]
        # An activation other than tf.tanh itself makes the cell build its step from small ops.
        cell = tf.nn.rnn_cell.BasicLSTMCell(UNITS, activation=(lambda t: tf.tanh(t))
                                            if small_ops else None)
        outputs, _ = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
        loss = tf.reduce_mean(tf.square(outputs[-1]))
        train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    rng = np.random.default_rng(0)
    feed = {x: rng.standard_normal((BATCH, INPUT)).astype(np.float32) for x in xs}
    return median_time(lambda: sess.run(train, feed), 5, repeat=7)


def main():
    rng = np.random.default_rng(0)

    def rand(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    lstm_in = [rand(BATCH, INPUT), rand(BATCH, UNITS), rand(BATCH, UNITS),
               rand(INPUT + UNITS, 4 * UNITS, scale=0.05), rand(4 * UNITS, scale=0.1)]
    lstm_grads = [rand(BATCH, UNITS), rand(BATCH, UNITS)]
    want = lstm_numpy(*lstm_in, *lstm_grads)
    rows = [
        ("tensorlib LSTMBlockCell (fused)", bench_step(lstm_fused, lstm_in, lstm_grads, want)),
        ("tensorlib small ops", bench_step(lstm_small_ops, lstm_in, lstm_grads, want)),
        ("NumPy", median_time(lambda: lstm_numpy(*lstm_in, *lstm_grads), 20)),
    ]
    report(f"LSTM step forward + backward, batch {BATCH}, {INPUT} inputs, {UNITS} units", rows,
           reference="tensorlib LSTMBlockCell (fused)")

    gru_in = [rand(BATCH, INPUT), rand(BATCH, UNITS), rand(INPUT + UNITS, 2 * UNITS, scale=0.05),
              rand(INPUT + UNITS, UNITS, scale=0.05), rand(2 * UNITS, scale=0.1),
              rand(UNITS, scale=0.1)]
    gru_grads = [rand(BATCH, UNITS)]
    want = gru_numpy(*gru_in, *gru_grads)
    rows = [
        ("tensorlib GRUBlockCell (fused)", bench_step(gru_fused, gru_in, gru_grads, want)),
        ("tensorlib small ops", bench_step(gru_small_ops, gru_in, gru_grads, want)),
        ("NumPy", median_time(lambda: gru_numpy(*gru_in, *gru_grads), 20)),
    ]
    report(f"GRU step forward + backward, batch {BATCH}, {INPUT} inputs, {UNITS} units", rows,
           reference="tensorlib GRUBlockCell (fused)")

    rows = [("tensorlib BasicLSTMCell (fused)", bench_training(False)),
            ("tensorlib BasicLSTMCell (small ops)", bench_training(True))]
    report(f"static_rnn training step, {STEPS} steps of a BasicLSTMCell ({INPUT} -> {UNITS}), "
           f"batch {BATCH}", rows, unit="ms", reference="tensorlib BasicLSTMCell (fused)")


if __name__ == "__main__":
    main()
