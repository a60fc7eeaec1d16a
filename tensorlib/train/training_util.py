"""The global step: a scalar int64 variable counting training steps, kept in the graph's
GLOBAL_STEP collection (tf.train.get_or_create_global_step and friends)."""
from tensorlib import dtypes
from tensorlib.framework import ops
from tensorlib.ops import variables


def global_step(sess, global_step_tensor):
    """The value of `global_step_tensor` in `sess`, as a Python int."""
    return int(sess.run(global_step_tensor))


def assert_global_step(global_step_tensor):
    """Raises TypeError unless `global_step_tensor` is a scalar integer Variable or Tensor."""
    if not (isinstance(global_step_tensor, (variables.Variable, ops.Tensor))):
        raise TypeError(f"Existing \"global_step\" must be a Variable or Tensor: "
                        f"{global_step_tensor}.")
    if not global_step_tensor.dtype.base_dtype.is_integer:
        raise TypeError(f"Existing \"global_step\" does not have integer type: "
                        f"{global_step_tensor.dtype}")
    if global_step_tensor.shape.ndims != 0 and global_step_tensor.shape.is_fully_defined():
        raise TypeError(f"Existing \"global_step\" is not scalar: "
                        f"{global_step_tensor.shape}")


def get_global_step(graph=None):
    """The global step variable of `graph` (the default graph), or None when it has none."""
    graph = graph or ops.get_default_graph()
    found = graph.get_collection(ops.GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        return None  # ambiguous, as in TF1
    if found:
        step = found[0]
    else:
        try:
            step = graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    assert_global_step(step)
    return step


def create_global_step(graph=None):
    """Creates the global step variable of `graph` (the default graph): a non-trainable int64
    scalar named 'global_step', starting at 0.

    Raises:
      ValueError: if the graph already has one.
    """
    graph = graph or ops.get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None), graph.control_dependencies(None):
        return variables.Variable(
            0, dtype=dtypes.int64, trainable=False, name=ops.GraphKeys.GLOBAL_STEP,
            collections=[ops.GraphKeys.GLOBAL_VARIABLES, ops.GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    """The global step variable of `graph` (the default graph), created when missing."""
    graph = graph or ops.get_default_graph()
    step = get_global_step(graph)
    if step is None:
        step = create_global_step(graph)
    return step
