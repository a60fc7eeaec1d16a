"""Loading a model file: read into memory (the default) against mapped (map_model_file=True).

    python benchmarks/bench_model_load.py [--megabytes 100] [--repeat 7]

Makes a model of one dense layer whose weights take about --megabytes MB (float32), writes it
to a temporary file (atomically, as an export should) and loads it in a fresh process per
sample, so that each starts with nothing of the model in memory. The file itself stays in the
page cache (it was just written): the figures are warm-cache ones, where reading costs a copy
and mapping costs page faults. Each sample gives:
  - load: seconds of tf.lite.Interpreter(model_path=...), checksums included;
  - first invoke: seconds of allocate_tensors() and the first invoke() (which reads every
    weight, and so faults in every mapped page);
  - RSS after load and after the first invoke, in MB, and its parts: anonymous memory
    (private to the process: the read copy) and file pages (the mapping: shared with every
    process mapping the file, and dropped by the kernel under pressure, to be read again).
Prints the median of each over --repeat samples per mechanism, the mechanisms in turns.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

_CHILD = r"""
import json, sys, time
import numpy as np
import tensorlib as tf

def rss():
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                fields[name] = int(value.split()[0]) / 1024
    return fields

path, map_file, width = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
before = rss()
start = time.perf_counter()
it = tf.lite.Interpreter(model_path=path, map_model_file=map_file, num_threads=1)
load = time.perf_counter() - start
loaded = rss()
start = time.perf_counter()
it.allocate_tensors()
it.set_tensor(0, np.ones((1, width), np.float32))
it.invoke()
first = time.perf_counter() - start
ran = rss()
print(json.dumps({"load": load, "first invoke": first,
                  **{f"{k} after load": loaded[k] - before[k] for k in before},
                  **{f"{k} after invoke": ran[k] - before[k] for k in before}}))
"""


def write_model(path, megabytes):
    """A dense layer x @ w with w square and `megabytes` MB big; returns its width."""
    import tensorlib as tf
    width = int((megabytes * 2**20 / 4) ** 0.5)
    weights = np.random.default_rng(0).standard_normal((width, width), dtype=np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, width], name="x")
        y = tf.matmul(x, tf.constant(weights), name="y")
        with tf.Session() as sess:
            model = tf.lite.TFLiteConverter.from_session(sess, [x], [y]).convert()
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(model)
    os.replace(temporary, path)
    return width, len(model)


def sample(path, map_file, width):
    out = subprocess.run([sys.executable, "-c", _CHILD, path, "1" if map_file else "0",
                          str(width)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.tlm")
        width, size = write_model(path, args.megabytes)
        print(f"model: {size / 2**20:.1f} MB ({width} x {width} float32 weights), "
              f"median of {args.repeat} fresh processes each, file in the page cache")
        samples = {"read (default)": [], "mapped": []}
        for _ in range(args.repeat):
            for name, map_file in (("read (default)", False), ("mapped", True)):
                samples[name].append(sample(path, map_file, width))
    keys = list(samples["mapped"][0])
    print(f"  {'':<26}" + "".join(f"{name:>18}" for name in samples))
    for key in keys:
        unit, scale = ("ms", 1e3) if key in ("load", "first invoke") else ("MB", 1.0)
        row = [statistics.median(s[key] for s in runs) * scale for runs in samples.values()]
        print(f"  {key + ' (' + unit + ')':<26}" + "".join(f"{v:>18.1f}" for v in row))


if __name__ == "__main__":
    main()
