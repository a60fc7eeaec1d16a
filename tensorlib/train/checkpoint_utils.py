"""Reading checkpoints without a Saver (TF1's tf.train.load_checkpoint, list_variables,
load_variable, init_from_checkpoint, NewCheckpointReader), for tensorlib's checkpoints and
TensorFlow's alike."""
import os

from tensorlib import errors
from tensorlib.framework import ops
from tensorlib.framework.constant_op import constant
from tensorlib.train import checkpoint_management, saver as saver_lib


class CheckpointReader:
    """The tensors of one checkpoint, by name (TF's CheckpointReader)."""

    def __init__(self, prefix):
        prefix = os.fspath(prefix)
        self._reader = saver_lib.open_checkpoint(prefix)
        if self._reader is None:
            raise errors.NotFoundError(
                None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any "
                            f"matching files for {prefix}")
        self._prefix = prefix

    def has_tensor(self, tensor_str):
        return tensor_str in self._reader.entries

    def get_tensor(self, tensor_str):
        """The value of tensor `tensor_str` as a NumPy array."""
        if tensor_str not in self._reader.entries:
            raise errors.NotFoundError(
                None, None, f"Key {tensor_str} not found in checkpoint {self._prefix}")
        return self._reader.read(tensor_str)

    def get_variable_to_shape_map(self):
        """{name: shape as a list of ints} of every tensor."""
        return {name: list(self._reader.shape(name)) for name in self._reader.entries}

    def get_variable_to_dtype_map(self):
        """{name: DType} of every tensor."""
        return {name: self._reader.dtype(name) for name in self._reader.entries}

    def debug_string(self):
        """One line per tensor, "name (dtype) [dims]", sorted by name, as bytes."""
        return "".join(
            f"{name} ({self._reader.dtype(name).name}) "
            f"[{','.join(map(str, self._reader.shape(name)))}]\n"
            for name in sorted(self._reader.entries)).encode("utf-8")


def NewCheckpointReader(filepattern):  # noqa: N802 (TF's name)
    """A CheckpointReader of the checkpoint with prefix `filepattern`."""
    return CheckpointReader(filepattern)


def _checkpoint_prefix(ckpt_dir_or_file):
    """The prefix of the latest checkpoint of a directory, or `ckpt_dir_or_file` itself."""
    ckpt_dir_or_file = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(ckpt_dir_or_file):
        prefix = checkpoint_management.latest_checkpoint(ckpt_dir_or_file)
        if prefix is None:
            raise ValueError("Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {ckpt_dir_or_file}")
        return prefix
    return ckpt_dir_or_file


def load_checkpoint(ckpt_dir_or_file):
    """A CheckpointReader of a checkpoint, or of the latest one of a directory."""
    return CheckpointReader(_checkpoint_prefix(ckpt_dir_or_file))


def load_variable(ckpt_dir_or_file, name):
    """The value of tensor `name` (a trailing ":0" is ignored) of a checkpoint."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def list_variables(ckpt_dir_or_file):
    """[(name, shape)] of every tensor of a checkpoint, sorted by name."""
    shapes = load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map()
    return sorted(shapes.items())


def init_from_checkpoint(ckpt_dir_or_file, assignment_map):
    """Makes variables' initializers load values from a checkpoint (TF1's semantics).

    `assignment_map` maps checkpoint names to the graph's variables:
      * 'scope/var': 'scope2/var' or a Variable -- one tensor into one variable;
      * 'scope/': 'scope2/' -- every variable under scope2/ from the tensor of the same name
        under scope/ ('/' names the top level on either side).
    The checkpoint's values are read now and become the variables' initial values, so running
    the initializers (tf.global_variables_initializer()) loads them.
    """
    reader = load_checkpoint(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    graph_vars = {v.op.name: v for v in ops.get_collection(ops.GraphKeys.GLOBAL_VARIABLES)}
    for ckpt_name, current in sorted(assignment_map.items(), key=lambda kv: kv[0]):
        var = current if not isinstance(current, str) else graph_vars.get(current)
        if var is not None:
            _check_in_checkpoint(ckpt_name, var, shapes, ckpt_dir_or_file)
            _initialize_from(var, reader.get_tensor(ckpt_name))
            continue
        if not ckpt_name.endswith("/") or not current.endswith("/"):
            raise ValueError(f"Assignment map with scope only name {current} should map to "
                             f"scope only {ckpt_name}. Should be 'scope/': 'other_scope/'.")
        scope = "" if current == "/" else current
        for var_name, var in sorted(graph_vars.items()):
            if not var_name.startswith(scope):
                continue
            tensor_name = var_name[len(scope):]
            if ckpt_name != "/":
                tensor_name = ckpt_name + tensor_name
            _check_in_checkpoint(tensor_name, var, shapes, ckpt_dir_or_file)
            _initialize_from(var, reader.get_tensor(tensor_name))


def _check_in_checkpoint(tensor_name, var, shapes, ckpt):
    if tensor_name not in shapes:
        raise ValueError(f"Tensor {tensor_name} (for variable {var.op.name}) is not found in "
                         f"{ckpt} checkpoint")
    if not var.shape.is_compatible_with(shapes[tensor_name]):
        raise ValueError(f"Shape of variable {var.op.name} ({var.shape}) doesn't match with "
                         f"shape of tensor {tensor_name} ({shapes[tensor_name]}) from "
                         "checkpoint reader.")


def _initialize_from(var, value):
    """Makes `var`'s initializer assign `value` (a constant) instead of its initial value."""
    graph = var.graph
    with graph.as_default(), ops.name_scope(var.op.name + "/init_from_checkpoint"):
        value = constant(value, dtype=var.dtype, name="value")
        var._initial_value = value
        var._initializer_op = graph._create_op("Assign", [var._variable, value],
                                               {"validate_shape": True}, name="Assign")
