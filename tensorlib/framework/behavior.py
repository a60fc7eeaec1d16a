"""TF1's behaviour switches. tensorlib has one behaviour, TF1's graph mode with reference
variables and `Dimension`-valued shapes (`TensorShape(...)[i]` is a Dimension, its `.value`
the int), so the switches that ask for that behaviour are no-ops, kept so that the first
lines of TF1 scripts (`tf.disable_v2_behavior()`, ...) run. Those that ask for TF2's eager
execution raise, since tensorlib cannot provide it."""


def _no_eager(function):
    raise NotImplementedError(
        f"tensorlib runs TensorFlow 1.x graph mode only: {function}() is not supported. Build "
        "a graph and run it in a tf.Session instead.")


def disable_v2_behavior():
    """No-op: tensorlib always behaves as TF1 (graph mode, v1 control flow and shapes)."""


def enable_v2_behavior():
    """Raises NotImplementedError: TF2 behaviour means eager execution, which tensorlib lacks."""
    _no_eager("enable_v2_behavior")


def disable_eager_execution():
    """No-op: tensorlib never executes eagerly."""


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    """Raises NotImplementedError: tensorlib builds graphs and runs them in a Session."""
    _no_eager("enable_eager_execution")


def executing_eagerly():
    """False: ops build graph nodes; nothing runs before Session.run."""
    return False


def enable_resource_variables():
    """No-op: a tensorlib Variable reads and assigns as TF1's variables do; there is no second
    kind of variable to switch to."""


def disable_resource_variables():
    """No-op (see enable_resource_variables)."""


def resource_variables_enabled():
    """False: variables behave as TF1's reference variables."""
    return False


def enable_v2_tensorshape():
    """No-op: TensorShape indexing keeps TF1's behaviour (a Dimension, whose `.value` is the int
    or None), which TF1 scripts written for either behaviour read through `.value` or int()."""


def disable_v2_tensorshape():
    """No-op: TensorShape indexing already returns a TF1 Dimension."""
