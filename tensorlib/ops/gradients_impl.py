"""Symbolic differentiation: gradients() adds the ops computing d(sum ys)/d(xs) to the graph.

The driver walks the ops between xs and ys in reverse creation order (the graph is append-only,
so that is a topological order), sums the gradients reaching each tensor, and calls the rule
registered for each op type (framework/ops.py: RegisterGradient; the rules live beside the op
wrappers). Rules of broadcasting ops return gradients in the broadcast shape; the driver sums
them down to each input's shape, here and only here.

A gradient may be an IndexedSlices (the gradient of a gather along axis 0, as in TF1): the
gradients of one tensor that are all IndexedSlices add up by concatenation, a mix with dense
ones densifies; rules of ops other than Identity receive them densified.
"""
from tensorlib import dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.framework.indexed_slices import IndexedSlices
from tensorlib.ops import array_ops

# Imported for their gradient registrations.
from tensorlib.ops import (  # noqa: F401  isort: skip
    conv_ops, embedding_ops, math_ops, nn_ops, random_ops,
)


# Ops whose rules take None for outputs nothing differentiates (rather than zeros): a While
# keeps its iterations' history only when a gradient reads it.
_TAKES_NONE_GRADIENTS = ("While", "If")

# Ops whose rules pass an IndexedSlices gradient on as it is.
_PASSES_INDEXED_SLICES = ("Identity",)


def _as_tensor(x, name):
    if hasattr(x, "_as_graph_element"):
        x = x._as_graph_element()
    if not isinstance(x, ops.Tensor):
        raise TypeError(f"{name} must be Tensors or Variables, got {type(x).__name__}")
    return x


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _is_differentiable_dtype(dtype):
    return dtype.is_floating


def _sum_to_shape(grad, like):
    """`grad` (in the broadcast shape of an op) summed down to the shape of `like`: with axes
    found while building when `like`'s shape is known, else by a SumToShape op at run time."""
    gs, ls = grad.shape, like.shape
    if gs.is_fully_defined() and gs == ls:
        return grad
    if ls.is_fully_defined() and gs.ndims is not None:
        g, target = gs.as_list(), ls.as_list()
        lead = len(g) - len(target)
        if lead < 0:
            raise ValueError(f"Gradient of shape {gs} cannot be summed to shape {ls}")
        kept = [lead + i for i, d in enumerate(target) if d == 1 and g[lead + i] != 1]
        if lead == 0:
            return math_ops.reduce_sum(grad, kept, keepdims=True) if kept else grad
        out = math_ops.reduce_sum(grad, list(range(lead)) + kept)
        return array_ops.reshape(out, target) if kept else out
    out = ops.apply_op("SumToShape", [grad, array_ops.shape(like)]).outputs[0]
    out.set_shape(ls)
    return out


def _aggregate(grads):
    """The sum of the gradients of one tensor (None when there are none): IndexedSlices
    concatenated when all are (TF1's _AggregateIndexedSlicesGradients), else dense AddN."""
    grads = [g for g in grads if g is not None]
    if not grads:
        return None
    if len(grads) == 1:
        return grads[0]
    if all(isinstance(g, IndexedSlices) for g in grads):
        indices = [g.indices for g in grads]
        if len({i.dtype for i in indices}) > 1:  # int32 and int64 indices: all as int64
            indices = [math_ops.cast(i, dtypes.int64) for i in indices]
        return IndexedSlices(array_ops.concat([g.values for g in grads], 0),
                             array_ops.concat(indices, 0), grads[0].dense_shape)
    return math_ops.add_n([convert_to_tensor(g) for g in grads])


def densify(grads):
    """`grads` with each IndexedSlices converted to a dense Tensor (for callers that need
    Tensors, such as the gradient functions of cond and loop bodies)."""
    return [convert_to_tensor(g) if isinstance(g, IndexedSlices) else g for g in grads]


def _ops_between(graph, ys, xs, stop_ops):
    """Ops on some path from a tensor of xs to a tensor of ys (not through stop_ops)."""
    backward = set()
    stack = [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op._id in backward:
            continue
        backward.add(op._id)
        if op in stop_ops:
            continue
        stack.extend(t.op for t in op.inputs)
    consumers = {}
    for op in graph._ops:
        if op._id in backward:
            for t in op.inputs:
                consumers.setdefault(t.op._id, []).append(op)
    between = set()
    stack = [c for x in xs for c in consumers.get(x.op._id, ())
             if any(t is x for t in c.inputs)]
    while stack:
        op = stack.pop()
        if op._id in between:
            continue
        between.add(op._id)
        for t in op.outputs:
            stack.extend(c for c in consumers.get(op._id, ()) if any(i is t for i in c.inputs))
    return between


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None):
    """Constructs symbolic derivatives of the sum of `ys` with respect to each of `xs`.

    Args:
      ys: a Tensor or list of Tensors to differentiate.
      xs: a Tensor or Variable, or a list of them, to differentiate with respect to.
      grad_ys: optional list of Tensors of the shapes of `ys`: the gradients flowing into
        `ys` (ones when None).
      name: name scope of the gradient ops.
      colocate_gradients_with_ops, gate_gradients, aggregation_method: accepted for
        compatibility; gradients are always computed on the CPU and summed with AddN.
      stop_gradients: optional Tensor or list of Tensors not to differentiate through.

    Returns:
      A list with one Tensor per element of `xs`: sum over ys of dy/dx, or None where no path
      of differentiable ops leads from x to ys. The gradient of an x used only by gathers
      along axis 0 (tf.gather, tf.nn.embedding_lookup) is an IndexedSlices.

    Raises:
      LookupError: if an op between xs and ys has no gradient rule.
      ValueError: if `grad_ys` does not match `ys`.
    """
    ys = [_as_tensor(y, "ys") for y in _as_list(ys)]
    xs = [_as_tensor(x, "xs") for x in _as_list(xs)]
    grad_ys = [None] * len(ys) if grad_ys is None else _as_list(grad_ys)
    if len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    stop_ops = {_as_tensor(t, "stop_gradients").op for t in _as_list(stop_gradients or [])}
    graph = ys[0].graph if ys else ops.get_default_graph()
    with graph.as_default(), ops.name_scope(name):
        grads = {}
        for y, gy in zip(ys, grad_ys):
            if gy is None:
                gy = array_ops.ones_like(y, name=f"grad_ys_{len(grads)}")
            else:
                gy = convert_to_tensor(gy, dtype=y.dtype)
                if not gy.shape.is_compatible_with(y.shape):
                    raise ValueError(f"grad_ys shape {gy.shape} is incompatible with "
                                     f"ys shape {y.shape} for {y.name}")
            grads.setdefault(y, []).append(gy)
        between = _ops_between(graph, ys, xs, stop_ops)
        wanted = set(xs)
        for op in reversed([op for op in graph._ops if op._id in between]):
            _backprop_op(op, grads, between, stop_ops, wanted)
        return [_aggregate(grads.get(x, ())) for x in xs]


def _backprop_op(op, grads, between, stop_ops, wanted):
    """Adds the gradient ops of `op`: from its outputs' gradients to its inputs'."""
    out_grads = [_aggregate(grads.get(t, ())) for t in op.outputs]
    if op in stop_ops or all(g is None for g in out_grads):
        return
    if op.type not in _PASSES_INDEXED_SLICES:
        out_grads = [convert_to_tensor(g) if isinstance(g, IndexedSlices) else g
                     for g in out_grads]
    rule, reduces_broadcast = ops.get_gradient_function(op)
    if rule is None:
        return
    if len(out_grads) > 1 and op.type not in _TAKES_NONE_GRADIENTS:
        out_grads = [array_ops.zeros_like(t) if g is None and _is_differentiable_dtype(t.dtype)
                     else g for t, g in zip(op.outputs, out_grads)]
    with ops.name_scope(op.name + "_grad"):
        in_grads = rule(op, *out_grads)
        in_grads = list(in_grads) if isinstance(in_grads, (list, tuple)) else [in_grads]
        if len(in_grads) != len(op.inputs):
            raise ValueError(f"The gradient rule of {op.type} returned {len(in_grads)} "
                             f"gradients for {len(op.inputs)} inputs")
        for t, g in zip(op.inputs, in_grads):
            if g is None or not _is_differentiable_dtype(t.dtype):
                continue
            if t.op._id not in between and t not in wanted:
                continue
            if isinstance(g, IndexedSlices):
                grads.setdefault(t, []).append(g)
                continue
            g = convert_to_tensor(g)
            if reduces_broadcast:
                g = _sum_to_shape(g, t)
            grads.setdefault(t, []).append(g)


def hessians(ys, xs, name="hessians", colocate_gradients_with_ops=False,
             gate_gradients=False, aggregation_method=None):
    """The Hessian of the sum of `ys` with respect to each x of `xs`: a Tensor of shape
    x.shape + x.shape per x (x's shape must be fully defined)."""
    xs = [_as_tensor(x, "xs") for x in _as_list(xs)]
    result = []
    with ops.name_scope(name):
        for i, (x, g) in enumerate(zip(xs, gradients(ys, xs))):
            if not x.shape.is_fully_defined():
                raise ValueError(f"hessians needs a fully defined shape for {x.name}, "
                                 f"got {x.shape}")
            shape = x.shape.as_list()
            n = x.shape.num_elements()
            if g is None:
                result.append(None)
                continue
            flat = array_ops.reshape(g, [n])
            rows = []
            for j in range(n):
                row = gradients(flat[j], x, name=f"hessian_{i}_{j}")[0]
                rows.append(array_ops.zeros_like(x) if row is None else row)
            result.append(array_ops.reshape(array_ops.stack(rows), shape + shape))
    return result
