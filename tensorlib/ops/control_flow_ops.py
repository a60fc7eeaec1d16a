"""Grouping and ordering ops: no_op, group."""
from tensorlib.framework import ops


def no_op(name=None):
    """An op that does nothing (useful as a target with control dependencies)."""
    return ops.get_default_graph()._create_op("NoOp", [], name=name)


ops.NotDifferentiable("NoOp")


def group(*inputs, name=None):
    """An op that runs all of `inputs` (ops or tensors) and outputs nothing."""
    deps = []
    for i in inputs:
        for item in (i if isinstance(i, (list, tuple)) else [i]):
            if hasattr(item, "_as_graph_element"):
                item = item._as_graph_element()
            deps.append(item.op if isinstance(item, ops.Tensor) else item)
    graph = deps[0].graph if deps else ops.get_default_graph()
    return graph._create_op("NoOp", [], name=name or "group_deps", control_inputs=deps)
