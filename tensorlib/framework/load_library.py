"""tf.load_op_library: ops written in C++ outside tensorlib, loaded from a shared library.

    zero_out_module = tf.load_op_library("./libzero_out.so")
    y = zero_out_module.zero_out(x)

The library declares its ops with TL_OP_LIBRARY (include/tensorlib/op_library.h). Each op gets
a Python function named after it in snake_case ("ClipByNormPerRow" -> clip_by_norm_per_row)
that takes the op's inputs, then its attributes (those without a default first), then `name`,
and returns the op's output Tensor (a tuple of them when it has several, the Operation when it
has none).

A library's ops are not differentiable until a gradient rule is registered for them, with the
same decorator as tensorlib's own ops, before or after loading:

    @tf.RegisterGradient("ClipByNormPerRow")
    def _clip_by_norm_per_row_grad(op, grad_clipped, grad_norms):
        ...
        return grad_x
"""
import inspect
import keyword
import os
import re
import threading
import types

from tensorlib import _core
from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor

_ATTR_TYPE_NAMES = ["int", "float", "bool", "string", "type", "list(int)", "shape", "tensor"]
_ATTR_TYPE = 4  # AttrType::kType: a dtype, given as a tf.DType, a NumPy dtype or its name

_modules = {}  # the op names of a library -> its module, so loading again returns the same
_lock = threading.Lock()


def load_op_library(library_filename):
    """Loads the op library at `library_filename` and registers its ops.

    Returns a module with one Python function per op of the library. Loading a library again
    returns the same module. Raises tf.errors.NotFoundError when there is no such file,
    tf.errors.AlreadyExistsError when one of its op names is already taken (nothing of the
    library is registered then) and tf.errors.InvalidArgumentError when the file is not a
    tensorlib op library or declares no ops.
    """
    path = os.fspath(library_filename)
    op_types = _core.load_op_library(path)
    with _lock:
        module = _modules.get(tuple(op_types))
        if module is None:
            module = _make_module(path, op_types)
            _modules[tuple(op_types)] = module
    return module


def _make_module(path, op_types):
    stem = os.path.basename(path).split(".")[0]
    module = types.ModuleType(stem, f"The ops of op library {path}.")
    module.__file__ = path
    module.__all__ = []
    for op_type in op_types:
        ops._library_op_loaded(op_type)
        fn = _make_wrapper(op_type, _core.op_def(op_type), module.__name__)
        setattr(module, fn.__name__, fn)
        module.__all__.append(fn.__name__)
    return module


def _snake_case(op_type):
    """TF's function name for an op type: "ZeroOut" -> "zero_out", "Conv2D" -> "conv2d",
    "LRNGrad" -> "lrn_grad": an underscore before each capital that follows a lower-case
    letter or starts a lower-case word."""
    out = []
    for i, c in enumerate(op_type):
        after_lower = i > 0 and op_type[i - 1].islower()
        starts_word = 0 < i < len(op_type) - 1 and op_type[i + 1].islower()
        if c.isupper() and op_type[i - 1:i] != "_" and (after_lower or starts_word):
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def _parameter_name(name, taken):
    """`name` made a Python identifier that is not a keyword and not in `taken`."""
    name = re.sub(r"\W", "_", name)
    if not name or name[0].isdigit():
        name = "_" + name
    while keyword.iskeyword(name) or name in taken:
        name += "_"
    taken.add(name)
    return name


def _make_wrapper(op_type, op_def, module_name):
    taken = {"name"}
    inputs = [(_parameter_name(i, taken), i) for i in op_def["inputs"]]
    attrs = [(_parameter_name(a[0], taken),) + a for a in op_def["attrs"]]
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter(p, positional) for p, _ in inputs]
    params += [inspect.Parameter(a[0], positional) for a in attrs if not a[3]]
    params += [inspect.Parameter(a[0], positional, default=_python_default(a[2], a[4]))
               for a in attrs if a[3]]
    params.append(inspect.Parameter("name", positional, default=None))
    signature = inspect.Signature(params)

    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = bound.arguments
        given = []  # (value, input name), a variadic input's list spread out
        for i, (param, input_name) in enumerate(inputs):
            many = op_def["variadic"] and i == len(inputs) - 1
            given += [(v, input_name) for v in (values[param] if many else [values[param]])]
        hint = next((v.dtype for v, _ in given if isinstance(v, ops.Tensor)), None)
        tensors = [convert_to_tensor(v, dtype_hint=hint, name=n) for v, n in given]
        attr_values = {}
        for param, attr, kind, _, _ in attrs:
            value = values[param]
            attr_values[attr] = (_dtypes.as_dtype(value).as_datatype_enum
                                 if kind == _ATTR_TYPE else value)
        op = ops.apply_op(op_type, tensors, attr_values, name=values["name"])
        if op_def["num_outputs_attr"] or len(op.outputs) > 1:
            return tuple(op.outputs)
        return op.outputs[0] if op.outputs else op

    wrapper.__signature__ = signature
    name = _snake_case(op_type)
    wrapper.__name__ = wrapper.__qualname__ = name + "_" if keyword.iskeyword(name) else name
    wrapper.__module__ = module_name
    wrapper.__doc__ = _docstring(op_type, op_def, inputs, attrs)
    return wrapper


def _python_default(kind, value):
    return _dtypes.as_dtype(value) if kind == _ATTR_TYPE else value


def _docstring(op_type, op_def, inputs, attrs):
    lines = [f"Adds a '{op_type}' op (from an op library) to the graph.", ""]
    if inputs:
        lines.append("Args:")
        for i, (param, _) in enumerate(inputs):
            many = op_def["variadic"] and i == len(inputs) - 1
            lines.append(f"  {param}: {'a list of Tensors' if many else 'a Tensor'}.")
    for param, _, kind, has_default, default in attrs:
        text = f"  {param}: {_ATTR_TYPE_NAMES[kind]} attribute"
        if has_default:
            text += f", default {_python_default(kind, default)!r}"
        lines.append(text + ".")
    lines.append("  name: a name for the operation (optional).")
    count = op_def["num_outputs"]
    returns = ("a tuple of Tensors" if op_def["num_outputs_attr"] or count > 1
               else "a Tensor" if count == 1 else "the Operation")
    lines += ["", f"Returns: {returns}."]
    return "\n".join(lines)
