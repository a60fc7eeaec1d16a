"""tf.lite.Interpreter: runs a model file with TFLite's Python API, on the C++ runtime.

    interpreter = tf.lite.Interpreter(model_path="model.tlm", num_threads=2)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    interpreter.set_tensor(inp["index"], x)        # dtype and shape must match inp's
    interpreter.invoke()                           # the GIL is released while it runs
    y = interpreter.get_tensor(out["index"])

    # Batches: resize the open batch dim, no new conversion.
    interpreter.resize_tensor_input(inp["index"], [64, 784])
    interpreter.allocate_tensors()

Each call goes straight to the C++ tl::Interpreter (include/tensorlib/interpreter.h), the class
C++ programs use, so Python adds little to a call: see benchmarks/bench_inference.py.
"""
from tensorlib import _core


class Interpreter(_core.Interpreter):
    """Interpreter(model_path=None, model_content=None, experimental_delegates=None,
    num_threads=None): a model file (`model_path`, mapped into memory, not read) or its bytes
    (`model_content`, as TFLiteConverter.convert returns them, copied once), run on
    `num_threads` threads (None or -1: all of the machine's).

    Tensor indices, as in the details dicts: the inputs are 0 .. n-1 and the outputs follow.
    `shape` is an input's shape now (open dims of `shape_signature`, -1 there, start at 1);
    outputs' shapes are inferred by allocate_tensors and are the actual ones after invoke.

    Like TFLite's, an Interpreter serves one thread at a time; use one per thread (they share
    nothing but the process's thread pool). Failures of allocate_tensors and invoke raise the
    tensorlib error (tf.errors.InvalidArgumentError, ...), which is also a RuntimeError as
    TFLite's are; bad arguments raise ValueError.
    """
