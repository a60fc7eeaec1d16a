"""`tf.Print` and `tf.print`: values printed while the graph runs.

Both write through Python's current `sys.stderr` (or `sys.stdout`), so the text appears in
notebooks, which TF1's C++ logging does not reach.
"""
import sys

from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):  # noqa: N802
    """TF1's `tf.Print`: `input_` unchanged, printing `message` and the first `summarize`
    (default 3) entries of each tensor of `data` every time it runs (the first `first_n` times
    only, when given)."""
    inputs = [convert_to_tensor(input_)] + [convert_to_tensor(d) for d in data]
    attrs = {"message": message or "", "first_n": -1 if first_n is None else int(first_n),
             "summarize": 3 if summarize is None else int(summarize)}
    return ops.apply_op("Print", inputs, attrs, name=name).outputs[0]


@ops.RegisterGradient("Print")
def _print_grad(op, grad):
    return [grad] + [None] * (len(op.inputs) - 1)


def _stream_name(stream):
    """The PrintV2 attribute for `output_stream`."""
    if stream is None or stream is sys.stderr or stream is sys.__stderr__:
        return "stderr"
    if stream is sys.stdout or stream is sys.__stdout__:
        return "stdout"
    if isinstance(stream, str) and stream.startswith("file://"):
        return stream
    if callable(stream) and getattr(stream, "__name__", "") == "info":
        return "log(info)"  # tf.logging.info
    raise ValueError(f"output_stream must be sys.stderr, sys.stdout, tf.logging.info or a "
                     f"'file://<path>' string, got {stream!r}")


def _template(inputs, sep, placeholder, tensors):
    """The text of `inputs` with `placeholder` where each tensor goes (appended to
    `tensors`); nested lists, tuples and dicts print like Python's."""
    def text(value):
        if isinstance(value, ops.Tensor):
            tensors.append(value)
            return placeholder
        if isinstance(value, (list, tuple)):
            inner = ", ".join(text(v) for v in value)
            return f"[{inner}]" if isinstance(value, list) else f"({inner})"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {text(v)}" for k, v in value.items()) + "}"
        return str(value)
    return sep.join(text(v) for v in inputs)


def print_v2(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """`tf.print`: an op that prints `inputs` (tensors, and Python values around them, like
    Python's print) when it runs, to `output_stream` (default: sys.stderr). Tensors print like NumPy arrays, eliding all but the first
    and last `summarize` entries of each dim (all when `summarize` is -1 or None). Run the
    returned op, or make other ops depend on it (`tf.control_dependencies`)."""
    literal = _template([v for v in inputs if not isinstance(v, ops.Tensor)], sep, "", [])
    placeholder = "{}" if "{}" not in literal else "\x00"
    tensors = []
    template = _template(inputs, sep, placeholder, tensors)
    attrs = {"template": template, "placeholder": placeholder,
             "summarize": -1 if summarize is None else int(summarize),
             "output_stream": _stream_name(output_stream), "end": end}
    return ops.apply_op("PrintV2", tensors, attrs, name=name)


ops.NotDifferentiable("PrintV2")
