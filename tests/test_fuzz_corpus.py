"""Inputs the fuzzers found (fuzz/), kept as a corpus that every run of the suite replays.

Each file under fixtures/fuzz/model_loader/ is loaded the way fuzz/fuzz_model_loader.cc loads it
(as it is, then with both checksums recomputed, and that copy's op libraries read alone), in a
child process: a crash fails this test instead of ending the suite. Loading may fail, but only
with a tensorlib error. To keep a new finding, copy the fuzzer's crash file there under a name
that says what it found.
"""
import pathlib
import subprocess
import sys

CORPUS = pathlib.Path(__file__).parent / "fixtures" / "fuzz" / "model_loader"

REPLAY = r"""
import pathlib
import struct
import sys

import tensorlib as tf
from tensorlib import _core


def fixed_checksums(data):
    # As the fuzz target does: only where the header says where the checksums go.
    buf = bytearray(data)
    if len(buf) < 64:
        return bytes(buf)
    header_size = struct.unpack_from("<I", buf, 12)[0]
    if not 64 <= header_size <= len(buf):
        return bytes(buf)
    struct.pack_into("<I", buf, 32, _core.crc32c(bytes(buf[header_size:])))
    struct.pack_into("<I", buf, 36, 0)
    struct.pack_into("<I", buf, 36, _core.crc32c(bytes(buf[:header_size])))
    return bytes(buf)


for path in sys.argv[1:]:
    data = pathlib.Path(path).read_bytes()
    fixed = fixed_checksums(data)
    for load, value in ((_core.load_model, data), (_core.load_model, fixed),
                        (_core.model_op_libraries, fixed)):
        try:
            load(value)
        except tf.errors.OpError:
            pass
    print("replayed", pathlib.Path(path).name, flush=True)
"""


def test_every_fuzzer_finding_loads_or_fails_cleanly():
    inputs = sorted(str(p) for p in CORPUS.iterdir())
    assert inputs
    # NOTE: run outside the source tree, so that the child imports the installed package.
    out = subprocess.run([sys.executable, "-c", REPLAY, *inputs], capture_output=True,
                         text=True, timeout=300, cwd="/")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split("\n")[:-1] == [f"replayed {pathlib.Path(p).name}" for p in inputs]


CHECKPOINT_CORPUS = pathlib.Path(__file__).parent / "fixtures" / "fuzz" / "checkpoint"

REPLAY_CHECKPOINTS = r"""
import pathlib
import sys
import tempfile

sys.path.insert(0, sys.argv[1])
import fuzz_checkpoint

seeds = pathlib.Path(tempfile.mkdtemp())
fuzz_checkpoint.seeds(seeds)
inputs = sorted(seeds.iterdir()) + [pathlib.Path(p) for p in sys.argv[2:]]
for path in inputs:
    fuzz_checkpoint.read_all(path.read_bytes())
    print("replayed", path.name, flush=True)
"""


def test_checkpoint_readers_read_the_seeds_and_every_finding_cleanly():
    findings = sorted(str(p) for p in CHECKPOINT_CORPUS.glob("*"))
    fuzz = pathlib.Path(__file__).resolve().parent.parent / "fuzz"
    out = subprocess.run([sys.executable, "-c", REPLAY_CHECKPOINTS, str(fuzz), *findings],
                         capture_output=True, text=True, timeout=300, cwd="/")
    assert out.returncode == 0, out.stdout + out.stderr
    replayed = [line.split()[1] for line in out.stdout.split("\n") if line.startswith("replayed")]
    assert {"tensorlib", "tf_dense_conv"} <= set(replayed)
    assert len(replayed) >= 3 + len(findings)
