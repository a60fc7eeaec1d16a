"""Data-parallel communication on MPI: allreduce bandwidth, and training steps on 2 ranks.

    python -m tensorlib.distribute.run -np 2 benchmarks/bench_allreduce.py [bandwidth] [training]

bandwidth: float32 allreduce (sum) of 4 KB to 256 MB between the ranks, by a tensorlib graph
(hvd.allreduce of a fed array, the result fetched; and the same result used in the graph, not
fetched) against mpi4py's own comm.Allreduce on NumPy buffers, in the same run, timed in
turns. The bus bandwidth is 2 (N - 1) / N * bytes / seconds, as ring allreduce moves it.

training: one step (forward, gradients, SGD update) of the MLP (784-256-256-10, batch 128) and
the LeNet (bench_training.py's models, batch 64): 2 ranks x 1 thread, each rank on half the
batch with DistributedOptimizer, its reductions overlapping the backward pass and, timed in
turns with it, reduced after it (TENSORLIB_ALLREDUCE_OVERLAP=0); against 1 process x 2 threads
on the whole batch (rank 0 alone while rank 1 sleeps). The load average is printed with them.
"""
import os
import sys
import time

import numpy as np

import tensorlib as tf
import tensorlib.distribute as hvd
from _harness import interleaved_times, median_time, report
from bench_training import (LEARNING_RATE, lenet_logits, lenet_weights, mlp_logits,
                            mlp_weights)

SIZES = [4 << 10, 64 << 10, 1 << 20, 16 << 20, 256 << 20]


def calls_for(nbytes):
    return max(2, min(200, (64 << 20) // nbytes))


def interleaved_medians(functions, number, rounds=9):
    """The median seconds per call of each function, timed in turns (a batch of `number`
    calls of each, `rounds` times) so that a change in the machine's load hits them alike."""
    for fn in functions:
        fn()
    samples = [[median_time(fn, number, repeat=1, warmup=0) for fn in functions]
               for _ in range(rounds)]
    return [float(np.median(column)) for column in zip(*samples)]


def bandwidth(comm):
    from mpi4py import MPI
    size = comm.Get_size()
    rows = []
    for nbytes in SIZES:
        data = np.full(nbytes // 4, comm.Get_rank() + 1, np.float32)
        received = np.empty_like(data)
        graph = tf.Graph()
        with graph.as_default():
            x = tf.placeholder(tf.float32, data.shape)
            reduced = hvd.allreduce(x, op=hvd.Sum)
            used = reduced[:1]  # the reduction consumed in the graph: no result handed out
        sess = tf.Session(graph=graph)
        comm.Barrier()
        fetched, in_graph, peer = interleaved_medians(
            [lambda: sess.run(reduced, {x: data}), lambda: sess.run(used, {x: data}),
             lambda: comm.Allreduce(data, received, op=MPI.SUM)], calls_for(nbytes))
        assert np.array_equal(sess.run(reduced, {x: data}), received)
        sess.close()
        rows.append((nbytes, fetched, in_graph, peer))
    if comm.Get_rank() == 0:
        print(f"\nallreduce, float32 sum, {size} ranks: median seconds per call and bus "
              "bandwidth (2(N-1)/N x bytes / s)")
        print(f"  {'bytes':>10} {'tensorlib fetched':>22} {'tensorlib in graph':>22} "
              f"{'mpi4py Allreduce':>22} {'speed vs mpi4py':>18}")
        factor = 2 * (size - 1) / size
        for nbytes, fetched, in_graph, peer in rows:
            cells = [f"{t * 1e6:9.1f} us {factor * nbytes / t / 1e9:6.2f} GB/s"
                     for t in (fetched, in_graph, peer)]
            print(f"  {nbytes:>10} {cells[0]:>22} {cells[1]:>22} {cells[2]:>22} "
                  f"{peer / in_graph:>17.2f}x")


def training_step(logits_fn, weights, images, labels, threads, distributed, overlap=True):
    os.environ["TENSORLIB_ALLREDUCE_OVERLAP"] = "1" if overlap else "0"  # read as it builds
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, images.shape)
        y = tf.placeholder(tf.int32, labels.shape)
        v = {k: tf.Variable(w, name=k) for k, w in weights.items()}
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits_fn(tf, x, v)))
        optimizer = tf.train.GradientDescentOptimizer(LEARNING_RATE)
        if distributed:
            optimizer = hvd.DistributedOptimizer(optimizer)
        train = optimizer.minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph, config=tf.ConfigProto(intra_op_parallelism_threads=threads,
                                                         inter_op_parallelism_threads=1))
    sess.run(init)
    return sess, lambda: sess.run(train, {x: images, y: labels})


def training(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    rng = np.random.default_rng(0)
    models = {"mlp": (mlp_logits, mlp_weights(rng), (128, 784), 20),
              "lenet": (lenet_logits, lenet_weights(rng), (64, 28, 28, 1), 3)}
    for name, (logits_fn, weights, shape, number) in models.items():
        images = rng.standard_normal(shape).astype(np.float32)
        labels = rng.integers(0, 10, shape[0]).astype(np.int32)
        share = slice(rank * shape[0] // size, (rank + 1) * shape[0] // size)
        steps = {}
        for label, overlap in [("overlapped", True), ("after the backward pass", False)]:
            steps[label] = training_step(logits_fn, weights, images[share], labels[share], 1,
                                         True, overlap)
        comm.Barrier()
        # Both ranks call the steps in the same order: their collectives match.
        distributed, ratios = interleaved_times({k: v[1] for k, v in steps.items()}, number,
                                                repeat=9)
        for sess, _ in steps.values():
            sess.close()
        if rank == 0:
            sess, step = training_step(logits_fn, weights, images, labels, size, False)
            alone = median_time(step, number, repeat=7)
            sess.close()
            report(f"{name} training step, batch {shape[0]} (load average "
                   f"{os.getloadavg()[0]:.1f})", [
                       (f"{size} ranks x 1 thread, {k}", t) for k, t in distributed.items()] + [
                       (f"1 process x {size} threads", alone)], unit="ms",
                   reference=f"1 process x {size} threads")
            print(f"  reductions after the backward pass / overlapped, median of the rounds' "
                  f"ratios: {ratios['after the backward pass']:.3f}")
        # Rank 1 sleeps (an MPI barrier would spin on a core) while rank 0 runs alone.
        request = comm.Ibarrier()
        while not request.Test():
            time.sleep(0.01)


def main():
    hvd.init()
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    chosen = sys.argv[1:] or ["bandwidth", "training"]
    if "bandwidth" in chosen:
        bandwidth(comm)
    if "training" in chosen:
        training(comm)


if __name__ == "__main__":
    main()
