"""tensorlib.distribute: Horovod's TF1 API on MPI, checked with two processes started by the
MPI's mpiexec. Each launch costs an import of tensorlib per process, so one job checks many
things: its ranks write what they computed to files that the test compares with NumPy."""
import os
import pathlib
import pickle
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import tensorlib as tf
from tensorlib.distribute import run as launcher
from tensorlib.distribute import mpi_ops

ROOT = pathlib.Path(__file__).resolve().parent.parent
MPIEXEC = launcher.find_mpiexec()
TIMEOUT = 180


def _missing():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install \"tensorlib[mpi]\")"
    if MPIEXEC is None:
        return "no mpiexec found"
    if not os.path.exists(mpi_ops._library_path()):
        return "tensorlib was built without its MPI collective ops"
    return None


needs_mpi = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def environment():
    # The tensorlib under test, wherever it is (installed, or this checkout).
    path = [str(pathlib.Path(tf.__file__).parent.parent), os.environ.get("PYTHONPATH")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, path)))


def launch(command, cwd, env=None):
    """Runs `command` (a launcher) to its end, with `env` added to the environment; returns
    (exit status, stdout, stderr). A job still running after TIMEOUT seconds fails the test,
    killed with all its processes."""
    with subprocess.Popen(command, cwd=cwd, env=dict(environment(), **(env or {})),
                          stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True) as job:
        try:
            stdout, stderr = job.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(job.pid, signal.SIGKILL)  # mpiexec, its proxies and the ranks
            stdout, stderr = job.communicate()
            pytest.fail(f"the job still ran after {TIMEOUT} s:\n{stdout}{stderr}")
    return job.returncode, stdout, stderr


def run_job(tmp_path, code, processes=2, env=None):
    """Runs `code` (a script) on `processes` ranks; returns (exit status, stdout, stderr)."""
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(code))
    return launch([sys.executable, "-m", "tensorlib.distribute.run", "-np", str(processes),
                   str(script)], tmp_path, env)


# The two ways the collectives exchange headers and reduce: through the memory that the ranks
# of one node share (what a job on one machine uses), and through MPI's messages alone (what
# ranks on several machines use), forced here by TENSORLIB_MPI_SHARED_MEMORY=0.
TRANSPORTS = pytest.mark.parametrize("transport", [{}, {"TENSORLIB_MPI_SHARED_MEMORY": "0"}],
                                     ids=["shared-memory", "mpi-messages"])


def results(tmp_path, processes=2):
    out = []
    for rank in range(processes):
        with open(tmp_path / f"rank{rank}.pickle", "rb") as f:
            out.append(pickle.load(f))
    return out


# ---- collectives of every dtype, of empty and odd-sized tensors --------------------------------

DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
          "uint8", "uint16", "uint32", "uint64", "complex64", "complex128", "bool", "string"]
REDUCIBLE = [d for d in DTYPES if d not in ("bool", "string")]
SHAPES = {"empty": (0, 3), "odd": (7,), "matrix": (3, 5), "scalar": ()}


def value(dtype, shape, rank, rows=None):
    """Rank `rank`'s input: small integers (exact in every dtype), distinct per rank."""
    if rows is not None:
        shape = (rows,) + tuple(shape[1:])
    n = int(np.prod(shape))
    base = (np.arange(n) * 3 + rank * 5) % 11
    if dtype == "string":
        return np.array([b"r%d-%s" % (rank, b"x" * int(v)) for v in base],
                        dtype=object).reshape(shape)
    if dtype == "bool":
        return (base % 2 == 1).reshape(shape)
    if dtype == "bfloat16":
        return base.astype(np.float32).reshape(shape)  # fed as float32, cast in the graph
    if dtype.startswith("complex"):
        return (base + 1j * (base - rank)).astype(dtype).reshape(shape)
    return base.astype(dtype).reshape(shape)


COLLECTIVES_JOB = f"""
    import pickle
    import sys
    import threading
    import time
    import numpy as np
    import tensorlib as tf
    import tensorlib.distribute as hvd
    from tensorlib.distribute import mpi_ops
    sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r})
    from test_distribute import DTYPES, REDUCIBLE, SHAPES, value

    hvd.init()
    rank, size = hvd.rank(), hvd.size()

    def const(dtype, shape, rows=None):
        v = value(dtype, shape, rank, rows)
        if dtype == "bfloat16":
            return tf.cast(tf.constant(v), tf.bfloat16)
        return tf.constant(v, dtype=tf.as_dtype(dtype))

    def fetchable(t):  # bfloat16 comes back as float32
        return tf.cast(t, tf.float32) if t.dtype == tf.bfloat16 else t

    fetches = {{}}
    for dtype in DTYPES:
        for case, shape in SHAPES.items():
            if dtype in REDUCIBLE:
                fetches["sum", dtype, case] = hvd.allreduce(const(dtype, shape), op=hvd.Sum)
                fetches["mean", dtype, case] = hvd.allreduce(const(dtype, shape))
            if shape:  # allgather needs a dimension 0; ranks give 1 + rank rows
                fetches["gather", dtype, case] = hvd.allgather(const(dtype, shape, 1 + rank))
            fetches["broadcast", dtype, case] = hvd.broadcast(const(dtype, shape), 1)
    # Several tensors of one dtype, fused into one buffer; another dtype beside them.
    def count_allreduces():
        return sum(op.type in ("MpiAllreduce", "MpiAllreduceStart")
                   for op in tf.get_default_graph().get_operations())

    before = count_allreduces()
    fetches["grouped"] = hvd.grouped_allreduce(
        [const("float32", s) for s in SHAPES.values()] + [const("int64", (2,))], op=hvd.Sum,
        postscale_factor=2.0)
    grouped_ops = count_allreduces() - before
    # IndexedSlices are gathered: their values divided by size() for the mean.
    slices = tf.IndexedSlices(const("float32", (2, 3)), tf.constant([rank, 2]),
                              dense_shape=tf.constant([4, 3]))
    reduced = hvd.allreduce(slices)
    fetches["slices"] = (reduced.values, reduced.indices)
    fetches["fp16"] = hvd.allreduce(const("float64", (3, 5)),
                                    compression=hvd.Compression.fp16)
    fetches = {{k: [fetchable(t) for t in v] if isinstance(v, list) else
               tuple(fetchable(t) for t in v) if isinstance(v, tuple) else fetchable(v)
               for k, v in fetches.items()}}

    # Gradients, Horovod's rules: loss = sum(w * collective(x)) on every rank.
    x = tf.constant(value("float64", (2, 3), rank, 1 + rank))
    w_gather = tf.constant(np.arange(9.0).reshape(3, 3))
    w = tf.constant(np.arange(6.0).reshape(2, 3) + rank)
    x_fixed = tf.constant(value("float64", (2, 3), rank))
    losses = {{"gather": tf.reduce_sum(w_gather * hvd.allgather(x)),
              "sum": tf.reduce_sum(w * hvd.allreduce(x_fixed, op=hvd.Sum)),
              "mean": tf.reduce_sum(w * hvd.allreduce(x_fixed)),
              "broadcast": tf.reduce_sum(w * hvd.broadcast(x_fixed, 0))}}
    grads = {{k: tf.gradients(loss, [x if k == "gather" else x_fixed])[0]
             for k, loss in losses.items()}}

    # Ranks that disagree on a shape all fail alike, and the job goes on: in a synchronous
    # allreduce, and in an overlapped one (grouped_allreduce), where Wait reports it.
    mismatched = hvd.allreduce(tf.zeros([2 + rank]))
    mismatched_overlapped = hvd.grouped_allreduce([tf.zeros([2 + rank]), tf.ones([2])])
    after = hvd.allreduce(tf.ones([3]), op=hvd.Sum)
    # A reduction started and never waited for (only its handle fetched) still completes, and
    # the process still exits.
    orphan = mpi_ops.overlapped_allreduce([tf.ones([1000])], True)[0].op.inputs[0]
    late = hvd.grouped_allreduce([tf.fill([5], float(rank + 1))], op=hvd.Sum)[0]

    with tf.Session() as sess:
        out = {{"values": sess.run(fetches), "grads": sess.run(grads)}}
        try:
            sess.run(mismatched)
        except tf.errors.InvalidArgumentError as e:
            out["mismatch"] = str(e)
        try:
            sess.run(mismatched_overlapped)
        except tf.errors.InvalidArgumentError as e:
            out["mismatch_overlapped"] = str(e)
        # The GIL is released while a rank waits in a collective: rank 0's other thread
        # goes on running while rank 1 is late.
        stamps = []
        done = threading.Event()

        def tick():
            while not done.is_set():
                stamps.append(time.monotonic())
                time.sleep(0.001)

        ticker = threading.Thread(target=tick)
        ticker.start()
        if rank == 1:
            time.sleep(1.0)
        start = time.monotonic()
        out["after"] = sess.run(after)
        end = time.monotonic()
        done.set()
        ticker.join()
        out["waited"] = end - start
        out["ticks_while_waiting"] = sum(start + 0.1 < t < end - 0.1 for t in stamps)
        # A run waiting for a late rank's reduction gives up at its deadline; the reduction
        # goes on and completes when the late rank comes.
        if rank == 0:
            try:
                sess.run(late, options=tf.RunOptions(timeout_in_ms=200))
            except tf.errors.DeadlineExceededError:
                out["late"] = "timed out"
        else:
            time.sleep(1.0)
            out["late"] = sess.run(late)
        out["after_late"] = sess.run(after)
        sess.run(orphan)
    out["grouped_ops"] = grouped_ops
    out["basics"] = (rank, size, hvd.local_rank(), hvd.local_size(), hvd.cross_rank(),
                     hvd.cross_size(), hvd.is_initialized())
    hvd.shutdown()
    try:
        hvd.rank()
    except ValueError as e:
        out["after_shutdown"] = str(e)
    with open(f"rank{{rank}}.pickle", "wb") as f:
        pickle.dump(out, f)
"""


def as_numpy(dtype, v):
    """Rank values as the fetches return them (bfloat16 as float32; strings as bytes)."""
    return np.asarray(v, dtype=np.float32 if dtype == "bfloat16" else None)


def check_equal(dtype, got, expected):
    expected = as_numpy(dtype, expected)
    got = np.asarray(got)  # a scalar string comes back as bytes
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if dtype == "string":
        assert got.tolist() == expected.tolist()
    else:
        np.testing.assert_array_equal(got, expected.astype(got.dtype))


@needs_mpi
@TRANSPORTS
def test_collectives_of_every_dtype_shape_and_their_gradients(tmp_path, transport):
    status, stdout, stderr = run_job(tmp_path, COLLECTIVES_JOB, env=transport)
    assert status == 0, stdout + stderr
    ranks = results(tmp_path)
    for rank, out in enumerate(ranks):
        assert out["basics"] == (rank, 2, rank, 2, 0, 1, True)
        assert "use hvd.init()" in out["after_shutdown"]
        got = out["values"]
        for dtype in DTYPES:
            for case, shape in SHAPES.items():
                inputs = [value(dtype, shape, r) for r in range(2)]
                if dtype in REDUCIBLE:
                    total = inputs[0] + inputs[1]
                    check_equal(dtype, got["sum", dtype, case], total)
                    if np.issubdtype(total.dtype, np.integer):
                        mean = total // 2  # TF1's integer division: floor
                    else:
                        mean = total / 2
                    check_equal(dtype, got["mean", dtype, case], mean)
                if shape:
                    gathered = np.concatenate([value(dtype, shape, r, 1 + r) for r in range(2)])
                    check_equal(dtype, got["gather", dtype, case], gathered)
                check_equal(dtype, got["broadcast", dtype, case], inputs[1])
        assert out["grouped_ops"] == 2
        grouped = [(value("float32", shape, 0) + value("float32", shape, 1)) * 2
                   for shape in SHAPES.values()]
        grouped.append((value("int64", (2,), 0) + value("int64", (2,), 1)) * 2)
        for g, expected in zip(got["grouped"], grouped):
            np.testing.assert_array_equal(g, expected)
        values, indices = got["slices"]
        np.testing.assert_array_equal(
            values, np.concatenate([value("float32", (2, 3), r) for r in range(2)]) / 2)
        np.testing.assert_array_equal(indices, [0, 2, 1, 2])
        np.testing.assert_allclose(
            got["fp16"], (value("float64", (3, 5), 0) + value("float64", (3, 5), 1)) / 2)
        assert got["fp16"].dtype == np.float64

        grads = out["grads"]
        w_gather = np.arange(9.0).reshape(3, 3)
        rows = slice(0, 1) if rank == 0 else slice(1, 3)
        np.testing.assert_array_equal(grads["gather"], 2 * w_gather[rows])
        w_sum = sum(np.arange(6.0).reshape(2, 3) + r for r in range(2))
        np.testing.assert_array_equal(grads["sum"], w_sum)
        np.testing.assert_array_equal(grads["mean"], w_sum / 2)
        np.testing.assert_array_equal(grads["broadcast"], w_sum if rank == 0 else 0 * w_sum)

        assert "ranks 0 and 1 passed tensors of different dtypes or shapes" in out["mismatch"]
        assert f"float32 tensors of shapes [{2 + rank}]" in out["mismatch"]
        assert "ranks 0 and 1 passed tensors of different dtypes or shapes" in \
            out["mismatch_overlapped"]
        assert f"float32 tensors of shapes [{2 + rank}] [2]" in out["mismatch_overlapped"]
        assert "MpiAllreduceWait" in out["mismatch_overlapped"]
        np.testing.assert_array_equal(out["after"], [2, 2, 2])
        if rank == 0:
            assert out["late"] == "timed out"
        else:
            np.testing.assert_array_equal(out["late"], [3] * 5)
        np.testing.assert_array_equal(out["after_late"], [2, 2, 2])
    assert ranks[0]["waited"] > 0.5
    assert ranks[0]["ticks_while_waiting"] > 10


# Float32 reductions from 4 bytes to 4 MB on three ranks: the small ones fit the shared
# window (each rank sums every rank's data, in rank order), the largest do not (MPI reduces
# them, the headers still shared); and float16 sums, which MPI has no op for.
SIZES_JOB = """
    import pickle
    import numpy as np
    import tensorlib as tf
    import tensorlib.distribute as hvd

    hvd.init()
    rank = hvd.rank()
    counts = [1, 1000, 300_000, 1_000_000]
    sums = [hvd.allreduce(tf.constant(np.random.default_rng(rank).standard_normal(n)
                                      .astype(np.float32)), op=hvd.Sum) for n in counts]
    half = tf.constant(np.random.default_rng(rank).standard_normal(999).astype(np.float16))
    with tf.Session() as sess:
        out = sess.run({"sums": sums, "half": hvd.allreduce(half, op=hvd.Sum),
                        "mean": hvd.allreduce(half)})
    with open(f"rank{rank}.pickle", "wb") as f:
        pickle.dump(out, f)
"""


@needs_mpi
@TRANSPORTS
def test_allreduce_of_small_and_large_tensors_on_three_ranks(tmp_path, transport):
    status, stdout, stderr = run_job(tmp_path, SIZES_JOB, processes=3, env=transport)
    assert status == 0, stdout + stderr
    ranks = results(tmp_path, processes=3)

    def summed(n, dtype):  # in rank order, rounding to dtype after each addition
        inputs = [np.random.default_rng(r).standard_normal(n).astype(dtype) for r in range(3)]
        return (inputs[0] + inputs[1]) + inputs[2]

    for out in ranks:
        for n, got in zip([1, 1000, 300_000, 1_000_000], out["sums"]):
            expected = summed(n, np.float32)
            if transport or n == 1_000_000:  # MPI's order of summation is its own
                np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
            else:
                np.testing.assert_array_equal(got, expected)
        if transport:
            np.testing.assert_allclose(out["half"], summed(999, np.float16), rtol=2e-3,
                                       atol=2e-3)
        else:
            np.testing.assert_array_equal(out["half"], summed(999, np.float16))
        np.testing.assert_allclose(out["mean"], summed(999, np.float16) / 3, rtol=2e-3,
                                   atol=2e-3)
    for out in ranks[1:] if not transport else []:  # every rank holds the same bits
        for a, b in zip(out["sums"], ranks[0]["sums"]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(out["half"], ranks[0]["half"])


# ---- data-parallel training equals one process training on the whole batch ---------------------

TRAINING = """
    import numpy as np
    import tensorlib as tf

    FEATURES, VOCABULARY, BATCH, STEPS = 6, 10, 16, 5

    def batches():
        rng = np.random.RandomState(1)
        for _ in range(STEPS):
            yield (rng.standard_normal((BATCH, FEATURES)).astype(np.float32),
                   rng.randint(0, VOCABULARY, BATCH).astype(np.int32),
                   rng.randint(0, 3, BATCH).astype(np.int32))

    def mlp(seed):
        # An MLP over features and an embedded word: its embedding's gradient is IndexedSlices.
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, FEATURES])
        words = tf.placeholder(tf.int32, [None])
        y = tf.placeholder(tf.int32, [None])
        embedding = tf.get_variable("embedding", [VOCABULARY, 4])
        inputs = tf.concat([x, tf.nn.embedding_lookup(embedding, words)], 1)
        hidden = tf.layers.dense(inputs, 16, activation=tf.nn.tanh, name="hidden")
        logits = tf.layers.dense(hidden, 3, name="logits")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits))
        return x, words, y, logits, loss
"""

TRAINING_JOB = """
    import os
    import pickle
    import tensorlib.distribute as hvd
    from training import *

    # Small fusion buffers: the gradients go in several fused groups.
    os.environ["HOROVOD_FUSION_THRESHOLD"] = "300"
    hvd.init()
    rank = hvd.rank()
    half = slice(rank * BATCH // 2, (rank + 1) * BATCH // 2)

    def train_on_half_batches(sess, train, x, words, y):
        for features, ids, labels in batches():
            sess.run(train, {x: features[half], words: ids[half], y: labels[half]})

    x, words, y, logits, loss = mlp(seed=100 + rank)  # different initial values per rank
    optimizer = hvd.DistributedOptimizer(tf.train.MomentumOptimizer(0.1, 0.9))
    grads_and_vars = optimizer.compute_gradients(loss)
    train = optimizer.apply_gradients(grads_and_vars)
    variables = tf.global_variables()
    out = {"allreduce_ops": sum(op.type == "MpiAllreduceStart"
                                for op in tf.get_default_graph().get_operations()),
           "gradients": len(grads_and_vars), "slots": optimizer.get_slot_names()}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out["initial"] = sess.run(variables)
        sess.run(hvd.broadcast_global_variables(0))
        out["broadcast"] = sess.run(variables)
        train_on_half_batches(sess, train, x, words, y)
        out["trained"] = sess.run(variables)
        callable_, _ = sess._prepare(train, dict.fromkeys([x, words, y]))
        out["steps"] = [names[0] for names in sess._c.step_nodes(callable_.handle)]
        try:
            tf.lite.TFLiteConverter.from_session(sess, [x, words, y], [grads_and_vars[-1][0]])
        except ValueError as e:
            out["export_refused"] = str(e)
        out["model_bytes"] = len(tf.lite.TFLiteConverter.from_session(
            sess, [x, words], [logits]).convert())

    # The same training with the reductions after the backward pass, from the same values.
    os.environ["TENSORLIB_ALLREDUCE_OVERLAP"] = "0"
    with tf.Graph().as_default():
        x, words, y, _, loss = mlp(seed=100 + rank)
        train = hvd.DistributedOptimizer(tf.train.MomentumOptimizer(0.1, 0.9)).minimize(loss)
        out["synchronous_ops"] = sum(op.type == "MpiAllreduce"
                                     for op in tf.get_default_graph().get_operations())
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for var, value in zip(tf.global_variables(), out["broadcast"]):
                var.load(value, sess)
            train_on_half_batches(sess, train, x, words, y)
            out["trained_synchronously"] = sess.run(tf.global_variables())

    # The hook broadcasts rank 0's values once the monitored session has initialised them.
    with tf.Graph().as_default():
        tf.set_random_seed(rank)
        v = tf.Variable(tf.random_normal([3]))
        hook = hvd.BroadcastGlobalVariablesHook(0)
        with tf.train.MonitoredTrainingSession(hooks=[hook]) as session:
            out["hooked"] = session.run(v)
    with open(f"rank{rank}.pickle", "wb") as f:
        pickle.dump(out, f)
"""


@needs_mpi
def test_two_ranks_on_half_batches_train_as_one_process_on_the_whole_batch(tmp_path):
    (tmp_path / "training.py").write_text(textwrap.dedent(TRAINING))
    status, stdout, stderr = run_job(tmp_path, TRAINING_JOB)
    assert status == 0, stdout + stderr
    ranks = results(tmp_path)
    first, second = ranks
    # Rank 1 started elsewhere; the broadcast gave it rank 0's values.
    assert any(not np.array_equal(a, b) for a, b in zip(first["initial"], second["initial"]))
    for a, b, c in zip(first["initial"], first["broadcast"], second["broadcast"]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    for a, b in zip(first["hooked"], second["hooked"]):
        np.testing.assert_array_equal(a, b)
    # Fusion: fewer fused allreduces than dense gradients (the embedding's is gathered).
    assert 1 < first["allreduce_ops"] < first["gradients"] - 1
    assert 1 < first["synchronous_ops"] < first["gradients"] - 1
    # Overlap: each reduction starts as soon as its gradients are computed, the first while
    # the backward pass still computes others; they are waited for after it.
    steps = first["steps"]
    starts = [i for i, name in enumerate(steps) if "MpiAllreduceStart" in name]
    waits = [i for i, name in enumerate(steps) if "MpiAllreduceWait" in name]
    backward = [i for i, name in enumerate(steps) if name.startswith("gradients/")]
    assert len(starts) == len(waits) == first["allreduce_ops"]
    assert starts[0] < backward[-1] < waits[0]
    # The same results as reductions after the backward pass.
    for a, b in zip(first["trained"] + second["trained"],
                    first["trained_synchronously"] + second["trained_synchronously"]):
        np.testing.assert_array_equal(a, b)
    assert first["slots"] == ["momentum"]
    assert "(MpiAllreduceStart) communicates with the other processes of an MPI job" in \
        first["export_refused"]
    assert first["model_bytes"] > 0

    # The reference: one process, rank 0's initial values, the whole batch at each step.
    sys.path.insert(0, str(tmp_path))
    try:
        import training
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("training", None)
    x, words, y, _, loss = training.mlp(seed=0)
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    variables = tf.global_variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for var, initial in zip(variables, first["broadcast"]):
            var.load(initial, sess)
        for features, ids, labels in training.batches():
            sess.run(train, {x: features, words: ids, y: labels})
        expected = sess.run(variables)
    for name, e, a, b in zip([v.name for v in variables], expected, first["trained"],
                             second["trained"]):
        np.testing.assert_array_equal(a, b)  # the ranks stay identical
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6, err_msg=name)


def test_fusion_groups_gradients_in_order_by_dtype_up_to_the_threshold():
    import tensorlib.distribute as hvd
    tensors = [tf.placeholder(dtype, shape) for dtype, shape in [
        (tf.float32, [10]), (tf.float32, [10]), (tf.float64, [5]), (tf.float32, [30]),
        (tf.float32, [None]), (tf.float32, [2])]]
    # 40-byte float32 tensors pair up under 80 bytes; the 120-byte one and the one of unknown
    # size go alone; float64 never joins float32.
    assert hvd._fused_groups(tensors, 80) == [[0, 1], [2], [3], [4], [5]]
    assert hvd._fused_groups(tensors, 1000) == [[0, 1, 3, 5], [2], [4]]
    assert hvd._fused_groups(tensors, 0) == [[0], [1], [2], [3], [4], [5]]


# ---- failures end the whole job ---------------------------------------------------------------

FAILING_JOB = """
    import os
    import tensorlib as tf
    import tensorlib.distribute as hvd

    hvd.init()
    with open(f"pid{hvd.rank()}", "w") as f:
        f.write(str(os.getpid()))
    total = hvd.allreduce(tf.ones([4]))
    with tf.Session() as sess:
        sess.run(total)
        if hvd.rank() == 1:
            raise RuntimeError("rank 1 gave up on purpose")
        sess.run(total)  # rank 0 waits here for a rank that is gone
"""


def process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@needs_mpi
def test_a_rank_that_raises_ends_the_job_with_its_error_shown(tmp_path):
    status, _, stderr = run_job(tmp_path, FAILING_JOB)  # fails the test if it hangs
    assert status != 0
    assert "RuntimeError: rank 1 gave up on purpose" in stderr
    pids = [int((tmp_path / f"pid{rank}").read_text()) for rank in range(2)]
    deadline = time.monotonic() + 10
    while any(map(process_exists, pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(process_exists, pids))


def test_collectives_need_init():
    # In a process that did not call init(), building a collective names the missing call.
    if mpi_ops.is_initialized():
        pytest.skip("this process runs a job")
    with pytest.raises(ValueError, match="use hvd.init()"):
        mpi_ops.allgather(tf.constant([1.0]))


def test_init_without_mpi4py_says_what_to_install():
    # A process where mpi4py cannot be imported (None in sys.modules makes imports fail).
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import tensorlib.distribute as hvd\n"
            "try:\n    hvd.init()\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/",
                         env=environment(), timeout=TIMEOUT)
    assert out.returncode == 0, out.stderr
    assert 'pip install "tensorlib[mpi]"' in out.stdout


# ---- the launcher -----------------------------------------------------------------------------

@pytest.mark.parametrize("open_mpi, expected", [
    (False, ["mpiexec", "-n", "4", "-hosts", "a:2,b:2", "-f", "hosts.txt"]),
    (True, ["mpiexec", "-n", "4", "--host", "a:2,b:2", "--hostfile", "hosts.txt"]),
])
def test_launcher_translates_horovodrun_options_for_the_mpi(open_mpi, expected):
    command = launcher.mpiexec_command("mpiexec", 4, "a:2,b:2", "hosts.txt",
                                       ["train.py", "--epochs", "2"], open_mpi)
    assert command == expected + [sys.executable, "train.py", "--epochs", "2"]
    command = launcher.mpiexec_command("mpiexec", 2, None, None, ["python3", "t.py"], open_mpi)
    assert command == ["mpiexec", "-n", "2", "python3", "t.py"]


# ---- the example -------------------------------------------------------------------------------

@needs_mpi
def test_mnist_example_trains_and_only_rank_0_writes(tmp_path):
    example = ROOT / "examples" / "distributed" / "train_mnist_hvd.py"
    if not example.exists():
        pytest.skip("the examples are not in this installation")
    shutil.copy(example, tmp_path / "train_mnist_hvd.py")
    script = tmp_path / "train_mnist_hvd.py"
    command = [sys.executable, "-m", "tensorlib.distribute.run", "-np", "2", str(script),
               "--fake-data", "--steps", "6", "--model-dir", str(tmp_path / "model")]
    status, stdout, stderr = launch(command, tmp_path)
    assert status == 0, stdout + stderr
    written = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert "checkpoint" in written and any(n.startswith("events.") for n in written), written
    # Rank 1 wrote nothing anywhere: only the script and rank 0's model directory are here.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "train_mnist_hvd.py"]
    assert "rank 0 of 2" in stdout and "rank 1 of 2" in stdout
