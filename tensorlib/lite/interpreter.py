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

    # Or by name, resizing as needed (TFLite's signature runner):
    probs = interpreter.get_signature_runner()(x=images)["probs"]
"""
import numpy as np

from tensorlib import _core


class Interpreter(_core.Interpreter):
    """Interpreter(model_path=None, model_content=None, experimental_delegates=None,
    num_threads=None, map_model_file=False): a model file (`model_path`) or its bytes
    (`model_content`, as TFLiteConverter.convert returns them, copied once), run on
    `num_threads` threads (None or -1: all of the machine's).

    A model file is read into memory: the Interpreter runs the model as it was when loaded,
    whatever happens to the file later (rewritten, truncated by a new export to the same path,
    deleted). `map_model_file=True` maps it instead, which spares the copy of the weights (the
    kernel may drop their pages and share them between processes) at the price of a promise:
    the file must not change in place while the Interpreter lives. Truncating it then kills
    the process (SIGBUS) and rewriting it changes the weights under the running model; write
    new models to a temporary file and rename it over the old one, which leaves the mapped
    file intact. benchmarks/bench_model_load.py measures both.

    Tensor indices, as in the details dicts: the inputs are 0 .. n-1 and the outputs follow.
    `shape` is an input's shape now (open dims of `shape_signature`, -1 there, start at 1);
    outputs' shapes are inferred by allocate_tensors and are the actual ones after invoke.
    resize_tensor_input may change any dim, as TFLite's (strict=True: only the -1 ones).

    Like TFLite's, an Interpreter serves one thread at a time; use one per thread (they share
    nothing but the process's thread pool). A call made while another thread is inside invoke
    or allocate_tensors raises RuntimeError instead of racing with it, and so does calling
    __init__ again on an Interpreter (make a new one instead). Failures of allocate_tensors
    and invoke raise the tensorlib error (tf.errors.InvalidArgumentError, ...), which is also
    a RuntimeError as TFLite's are; bad arguments raise ValueError.
    """

    def get_signature_list(self):
        """The model's one signature, "serving_default": its input and output names."""
        return {_SIGNATURE: {"inputs": [d["name"] for d in self.get_input_details()],
                             "outputs": [d["name"] for d in self.get_output_details()]}}

    def get_signature_runner(self, signature_key=None):
        """A function of the inputs by name returning {output name: array}, resizing and
        allocating as the inputs' shapes require (TFLite's SignatureRunner)."""
        if signature_key not in (None, _SIGNATURE):
            raise ValueError(f"Invalid signature_key provided: '{signature_key}'; the model "
                             f"has one signature, '{_SIGNATURE}'")
        return _SignatureRunner(self)


_SIGNATURE = "serving_default"


class _SignatureRunner:
    def __init__(self, interpreter):
        self._interpreter = interpreter
        self._inputs = {d["name"]: d["index"] for d in interpreter.get_input_details()}

    def get_input_details(self):
        return {d["name"]: d for d in self._interpreter.get_input_details()}

    def get_output_details(self):
        return {d["name"]: d for d in self._interpreter.get_output_details()}

    def __call__(self, **inputs):
        it = self._interpreter
        if set(inputs) != set(self._inputs):
            raise ValueError(f"expected the inputs {sorted(self._inputs)}, got "
                             f"{sorted(inputs)}")
        details = it.get_input_details()
        values = {name: np.asarray(v) for name, v in inputs.items()}
        if any(list(d["shape"]) != list(values[d["name"]].shape) for d in details):
            for d in details:
                it.resize_tensor_input(d["index"], values[d["name"]].shape)
            it.allocate_tensors()
        for name, value in values.items():
            it.set_tensor(self._inputs[name], value)
        it.invoke()
        return {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
