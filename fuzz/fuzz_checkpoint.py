"""Fuzzes the checkpoint readers (tensorlib's format and TensorFlow's tensor bundles) with
atheris, libFuzzer's engine for Python: every input they cannot read must end in a
tf.errors.OpError (DataLossError, NotFoundError, ...) or a ValueError, never another exception
or a crash, and nothing they read may exceed what the input holds.

    pip install atheris
    PYTHONPATH=. python fuzz/fuzz_checkpoint.py build/fuzz/checkpoint_corpus \\
        -max_total_time=1800 -max_len=65536

Each input is one checkpoint: its first byte picks the format. For tensorlib's, the rest is the
checkpoint file; for TensorFlow's, the next four bytes split the rest into the `.index` file and
the data shard. Seeds (written on the first run into the corpus folder) are real checkpoints of
both formats; a crashing input is written to ./crash-<hash>. The suite replays the seeds and
every input kept in tests/fixtures/fuzz/checkpoint/ through read_all (tests/test_fuzz_corpus.py):
copy a finding there under a name that says what it found.
"""
import os
import pathlib
import struct
import sys
import tempfile

import numpy as np

import tensorlib as tf
from tensorlib.train import saver as saver_lib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRATCH = tempfile.mkdtemp(prefix="fuzz-checkpoint-")
TENSORLIB, TENSORFLOW = 0, 1


def read_all(data):
    """Reads every tensor of the checkpoint `data` encodes; the readers' expected errors pass."""
    if not data:
        return
    prefix = os.path.join(SCRATCH, "model")
    for name in os.listdir(SCRATCH):
        os.unlink(os.path.join(SCRATCH, name))
    if data[0] % 2 == TENSORLIB:
        pathlib.Path(prefix + saver_lib.CHECKPOINT_SUFFIX).write_bytes(data[1:])
    else:
        split = struct.unpack("<I", data[1:5].ljust(4, b"\0"))[0] % max(len(data) - 4, 1)
        body = data[5:]
        pathlib.Path(prefix + ".index").write_bytes(body[:split])
        pathlib.Path(prefix + ".data-00000-of-00001").write_bytes(body[split:])
    try:
        reader = saver_lib.open_checkpoint(prefix)
        if reader is None:
            return
        for name in list(reader.entries):
            reader.dtype(name)
            reader.shape(name)
            value = np.asarray(reader.read(name))
            if value.nbytes > len(data) * 8 + 1024 and value.dtype != object:
                raise AssertionError(f"read {value.nbytes} bytes from a {len(data)}-byte input")
    except (tf.errors.OpError, ValueError):
        pass


def seeds(folder):
    """Writes real checkpoints of both formats into `folder` as fuzzer inputs."""
    folder.mkdir(parents=True, exist_ok=True)
    g = tf.Graph()
    with g.as_default():
        tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
        tf.Variable(np.int64(7), name="step")
        tf.Variable(np.linspace(0, 1, 5), name="d")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, os.path.join(tempfile.mkdtemp(), "model"))
    data = pathlib.Path(path + saver_lib.CHECKPOINT_SUFFIX).read_bytes()
    (folder / "tensorlib").write_bytes(bytes([TENSORLIB]) + data)
    fixtures = ROOT / "tests" / "fixtures" / "tf_checkpoints"
    for index in sorted(fixtures.glob("*/*.index")):
        shards = sorted(index.parent.glob(index.name[:-len(".index")] + ".data-*"))
        if len(shards) != 1:
            continue
        body = index.read_bytes()
        (folder / f"tf_{index.parent.name}").write_bytes(
            bytes([TENSORFLOW]) + struct.pack("<I", len(body)) + body + shards[0].read_bytes())


def main():
    import atheris
    atheris.instrument_all()  # coverage of tensorlib's readers (and everything else loaded)
    corpus = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") \
        else None
    if corpus is not None and not any(corpus.glob("*")):
        seeds(corpus)
    atheris.Setup(sys.argv, lambda data: read_all(bytes(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
