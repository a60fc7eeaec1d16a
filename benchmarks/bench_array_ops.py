"""Data-movement ops on float32 [1024, 1024] (4 MB): transpose, concat, gather, strided slice,
reverse, tile, pad and split, per call.

    python benchmarks/bench_array_ops.py [threads]

tensorlib runs each op alone in a graph fed by a placeholder (the feed is read in place) and
fetches the result. Peers produce the same contiguous result: NumPy and PyTorch eagerly,
TensorFlow 1 through Session.run, when installed. Results are checked against NumPy first.
"""
import sys

import numpy as np

from _harness import median_time, optional_import, report

N = 1024
NUMBER = 50
IDS = np.random.default_rng(0).integers(0, N, 4096)


def numpy_cases():
    return {
        "transpose": lambda x: np.ascontiguousarray(x.T),
        "concat axis 1": lambda x: np.concatenate([x, x], 1),
        "gather 4096 rows": lambda x: x[IDS],
        "x[:, ::2]": lambda x: np.ascontiguousarray(x[:, ::2]),
        "reverse axis 1": lambda x: np.ascontiguousarray(x[:, ::-1]),
        "tile [2, 1]": lambda x: np.tile(x, (2, 1)),
        "pad 8 (REFLECT)": lambda x: np.pad(x, 8, mode="reflect"),
        "split 4 on axis 1": lambda x: [np.ascontiguousarray(p) for p in np.split(x, 4, 1)],
    }


def graph_cases(tf):
    """The same ops as TF1 graph code (tensorlib and TensorFlow share it)."""
    return {
        "transpose": lambda x: tf.transpose(x),
        "concat axis 1": lambda x: tf.concat([x, x], 1),
        "gather 4096 rows": lambda x: tf.gather(x, IDS),
        "x[:, ::2]": lambda x: x[:, ::2],
        "reverse axis 1": lambda x: tf.reverse(x, [1]),
        "tile [2, 1]": lambda x: tf.tile(x, [2, 1]),
        "pad 8 (REFLECT)": lambda x: tf.pad(x, [[8, 8], [8, 8]], "REFLECT"),
        "split 4 on axis 1": lambda x: tf.split(x, 4, 1),
    }


def torch_cases(torch):
    ids = torch.from_numpy(IDS)
    return {
        "transpose": lambda x: x.t().contiguous(),
        "concat axis 1": lambda x: torch.cat([x, x], 1),
        "gather 4096 rows": lambda x: x[ids],
        "x[:, ::2]": lambda x: x[:, ::2].contiguous(),
        "reverse axis 1": lambda x: torch.flip(x, [1]),
        "tile [2, 1]": lambda x: x.repeat(2, 1),
        "pad 8 (REFLECT)": lambda x: torch.nn.functional.pad(x[None], (8, 8, 8, 8),
                                                             mode="reflect")[0],
        "split 4 on axis 1": lambda x: [p.contiguous() for p in torch.split(x, N // 4, 1)],
    }


def session_timer(tf, build, data, threads, want):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [N, N])
        y = build(x)
        config = tf.ConfigProto(intra_op_parallelism_threads=threads,
                                inter_op_parallelism_threads=1)
        sess = tf.Session(graph=g, config=config)
    got = sess.run(y, {x: data})
    for a, b in zip(got if isinstance(got, list) else [got],
                    want if isinstance(want, list) else [want]):
        np.testing.assert_array_equal(a, b)
    feed = {x: data}
    return median_time(lambda: sess.run(y, feed), NUMBER)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    data = np.random.default_rng(1).standard_normal((N, N)).astype(np.float32)
    import tensorlib
    torch = optional_import("torch")
    tf1 = optional_import("tensorflow")
    if torch is not None:
        torch.set_num_threads(threads)
        tdata = torch.from_numpy(data)
    if tf1 is not None:
        tf1 = tf1.compat.v1
        tf1.disable_eager_execution()
    ours, theirs = graph_cases(tensorlib), numpy_cases()
    for name, ref in theirs.items():
        want = ref(data)
        rows = [("tensorlib Session.run", session_timer(tensorlib, ours[name], data, threads,
                                                         want))]
        rows.append(("NumPy (eager)", median_time(lambda: ref(data), NUMBER)))
        if torch is not None:
            fn = torch_cases(torch)[name]
            rows.append(("PyTorch (eager)", median_time(lambda: fn(tdata), NUMBER)))
        if tf1 is not None:
            rows.append(("TensorFlow 1 Session.run",
                         session_timer(tf1, graph_cases(tf1)[name], data, threads, want)))
        report(f"{name}: float32[{N}, {N}], {threads} thread(s)", rows,
               reference="tensorlib Session.run")


if __name__ == "__main__":
    main()
