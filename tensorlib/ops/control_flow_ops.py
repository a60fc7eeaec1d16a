"""Control flow: cond, case and while_loop on the functional If and While ops; no_op, group.

Each branch of a cond and the condition and body of a loop become graph functions
(framework/func_graph.py) that If and While run through nested plans of the executor, so only
the branch taken runs and a loop costs one node in the graph. Tensors from outside that a
branch or body uses are captured: they become extra inputs of the If or While node.

Gradients: the gradient of If is an If over the branches' gradients; the gradient of While is
a While that runs the iterations backwards. The forward loop keeps, for the backward one, the
loop variables' values at the start of each iteration (the While's history outputs, computed
only when something reads them) and what its random ops drew; the backward body recomputes
one iteration of the forward body from them and differentiates it.
"""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import func_graph as _func_graph
from tensorlib.framework import ops, tensor_shape
from tensorlib.framework.constant_op import constant, convert_to_tensor
from tensorlib.util import nest


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


# ---- values that flow through branches and loops -----------------------------------------
# A TensorArray flows as one dense tensor (its `_loop_tensor()`) and is rebuilt around the
# tensor that comes out (`_with_loop_tensor(t)`).

def _is_flow(x):
    return hasattr(x, "_loop_tensor")


def _as_flat_tensors(flat, what):
    """Leaves of a branch's or body's result as tensors of the default graph."""
    out = []
    for x in flat:
        if x is None:
            raise ValueError(f"{what} returned None; it must return tensors")
        if _is_flow(x):
            out.append(x._loop_tensor())
        elif isinstance(x, ops.Operation):
            with ops.control_dependencies([x]):
                out.append(constant(True, name="op_done"))
        else:
            out.append(convert_to_tensor(x))
    graph = ops.get_default_graph()
    return [graph.capture(t) if t.graph is not graph else t for t in out]


def _pack(structure, flat_like, tensors):
    """`tensors` arranged as `structure`, TensorArrays and ops rebuilt from `flat_like`."""
    out = []
    for like, t in zip(flat_like, tensors):
        if _is_flow(like):
            out.append(like._with_loop_tensor(t))
        elif isinstance(like, ops.Operation):
            out.append(t.op)
        else:
            out.append(t)
    return nest.pack_sequence_as(structure, out)


def _unify_captures(fgs, num_explicit):
    """Gives every function of `fgs` the same arguments: its first `num_explicit` ones, then
    one per tensor any of them captured. Returns those outer tensors."""
    captured = []
    for fg in fgs:
        captured.extend(t for t in fg.captured if not any(t is c for c in captured))
    for fg in fgs:
        explicit = fg.inputs[:num_explicit]
        fg.inputs = explicit + [fg.capture(t) for t in captured]
    return captured


# ---- cond and case -------------------------------------------------------------------------

def _make_if(graph, pred, explicit, branches, name):
    """An If node over `branches` (two FuncGraphs with outputs set), taking `explicit` and
    their captures. What the branches' random ops draw comes out too, after their outputs (a
    branch gives zeros for the other's), so that the gradient uses the same numbers."""
    kept = [[t for op in fg.get_operations() if op.type in _KEPT_OP_TYPES for t in op.outputs]
            for fg in branches]
    num_outputs = len(branches[0].outputs)
    for k, fg in enumerate(branches):
        with fg.as_default():
            filler = [[constant(0, t.dtype, name="other_branch") for t in other]
                      for other in kept]
        filler[k] = kept[k]
        fg.outputs = fg.outputs + filler[0] + filler[1]
    captured = _unify_captures(branches, len(explicit))
    for fg in branches:
        fg.add_to_library()
    op = graph._create_op("If", [pred] + list(explicit) + captured,
                          {"then_branch": branches[0].name, "else_branch": branches[1].name,
                           "num_outputs": len(branches[0].outputs)}, name=name)
    op._functions = {"then_branch": branches[0], "else_branch": branches[1]}
    op._cond = {"num_outputs": num_outputs, "kept": kept}
    return op


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """Returns `true_fn()` if `pred` is true, else `false_fn()`; only that branch runs.

    Args:
      pred: a scalar bool tensor.
      true_fn, false_fn: callables returning the same nested structure of tensors (or
        TensorArrays, or ops) with the same dtypes. fn1/fn2 are TF1's older names.
      strict: when False, a branch result that is a one-element list or tuple comes back as
        its element.
      name: name scope of the op.

    Raises:
      TypeError: if `pred` is a Python bool or a branch is not callable.
      ValueError: if the branches return different structures or dtypes.
    """
    if fn1 is not None:
        if true_fn is not None:
            raise TypeError("cond(): true_fn and fn1 may not be set simultaneously.")
        true_fn = fn1
    if fn2 is not None:
        if false_fn is not None:
            raise TypeError("cond(): false_fn and fn2 may not be set simultaneously.")
        false_fn = fn2
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    if isinstance(pred, bool):
        raise TypeError("pred must not be a Python bool")
    graph = ops.get_default_graph()
    with ops.name_scope(name, "cond") as scope:
        pred = convert_to_tensor(pred, name="pred")
        if pred.dtype != _dtypes.bool or pred.shape.ndims not in (None, 0):
            raise ValueError(f"pred must be a scalar bool tensor, got {pred.dtype.name} of "
                             f"shape {pred.shape}")
        results, branches = [], []
        for fn, kind in ((true_fn, "true"), (false_fn, "false")):
            fg = _func_graph.FuncGraph(
                _func_graph.unique_function_name(graph, scope + kind), graph)
            with fg.as_default():
                result = fn()
                if result is None:
                    raise ValueError(f"{kind}_fn must have a return value.")
                fg.outputs = _as_flat_tensors(nest.flatten(result), f"{kind}_fn")
            results.append(result)
            branches.append(fg)
        try:
            nest.assert_same_structure(results[0], results[1])
        except TypeError as e:
            raise TypeError(f"Incompatible return types of true_fn and false_fn: {e}") from None
        except ValueError as e:
            raise ValueError(f"Incompatible return values of true_fn and false_fn: {e}") \
                from None
        for t, f in zip(branches[0].outputs, branches[1].outputs):
            if t.dtype != f.dtype:
                raise ValueError("Outputs of true_fn and false_fn must have the same type: "
                                 f"{t.dtype.name}, {f.dtype.name}")
        op = _make_if(graph, pred, [], branches, scope)
        out = _pack(results[0], nest.flatten(results[0]),
                    op.outputs[:op._cond["num_outputs"]])
    if not strict and isinstance(out, (list, tuple)) and len(out) == 1:
        return out[0]
    return out


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The result of the first callable whose predicate is true (`default()` when none is; the
    last pair's callable when `default` is None), as nested conds: only that callable runs.

    `pred_fn_pairs` is a list of (scalar bool tensor, callable) pairs, or a dict of them.
    `exclusive` is accepted; predicates are checked in order.
    """
    if isinstance(pred_fn_pairs, dict):
        pairs = list(pred_fn_pairs.items())
    else:
        pairs = list(pred_fn_pairs)
    if not pairs and default is None:
        raise ValueError("pred_fn_pairs must not be empty when there is no default")
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in pred_fn_pairs must be a 2-tuple, got {pair!r}")
        if not callable(pair[1]):
            raise TypeError("fn for pred %s must be callable." % getattr(pair[0], "name", pair[0]))
    if default is None:
        pairs, default = pairs[:-1], pairs[-1][1]
    with ops.name_scope(name, "case"):
        fn = default
        for pred, branch in reversed(pairs):
            fn = (lambda p, b, rest: lambda: cond(p, b, rest, strict=strict))(pred, branch, fn)
        return fn()


@ops.RegisterGradient("If")
def _if_grad(op, *grads):
    functions = getattr(op, "_functions", None)
    if functions is None:
        raise LookupError(f"No gradient for '{op.name}' (If): its branch functions were not "
                          "built in this Python process")
    num_outputs, kept = op._cond["num_outputs"], op._cond["kept"]
    args = list(op.inputs[1:])
    diff = [i for i, a in enumerate(args) if a.dtype.is_floating]
    outs = [i for i in range(num_outputs) if op.outputs[i].dtype.is_floating]
    if not diff or not outs:
        return [None] * len(op.inputs)
    from tensorlib.ops import array_ops, gradients_impl  # noqa: avoids an import cycle
    grad_ys = [grads[i] if grads[i] is not None else array_ops.zeros_like(op.outputs[i])
               for i in outs]
    # What the branches' random ops drew, as the forward If gave it out.
    drawn = list(op.outputs[num_outputs:])
    graph = ops.get_default_graph()
    branches = []
    for k, key in enumerate(("then_branch", "else_branch")):
        fg = functions[key]
        g = _func_graph.FuncGraph(_func_graph.unique_function_name(graph, fg.name + "_grad"),
                                  graph)
        with g.as_default():
            a = [g.add_argument(x.dtype, x.shape, "arg") for x in fg.inputs]
            gy = [g.add_argument(op.outputs[i].dtype, op.outputs[i].shape, "grad") for i in outs]
            d = [g.add_argument(t.dtype, t.shape, "drawn") for t in drawn]
            mine = d[:len(kept[0])] if k == 0 else d[len(kept[0]):]
            replace = dict(zip(fg.inputs, a))
            replace.update(zip(kept[k], mine))
            mapping = _func_graph.inline(fg, replace, keep=[fg.outputs[i] for i in outs])
            ys = [mapping[fg.outputs[i]] for i in outs]
            dx = gradients_impl.densify(
                gradients_impl.gradients(ys, [a[i] for i in diff], grad_ys=gy))
            g.outputs = [array_ops.zeros_like(a[i]) if d is None else d
                         for i, d in zip(diff, dx)]
        branches.append(g)
    grad_op = _make_if(graph, op.inputs[0], args + grad_ys + drawn, branches, "If_grad")
    result = [None] * len(op.inputs)
    for k, i in enumerate(diff):
        result[1 + i] = grad_op.outputs[k]
    return result


# ---- while_loop ------------------------------------------------------------------------------

# Op types whose outputs a loop keeps, per iteration, for its gradient instead of computing
# them again in the backward pass: random ops (the backward pass must see the same numbers)
# and ops registered with keep_in_loops (costly ones whose outputs their gradients read).
# A loop keeps them only when a gradient of the loop is asked for.
_KEPT_OP_TYPES = {"RandomStandardNormal", "RandomUniform", "RandomUniformInt", "TruncatedNormal",
                  "RandomShuffle", "Multinomial"}


def keep_in_loops(op_type):
    """Makes loops keep the outputs of ops of `op_type` for their gradients (a fused RNN
    cell's gates) rather than have the backward pass compute them again."""
    _KEPT_OP_TYPES.add(op_type)


def _shape_invariant_ok(invariant, shape):
    """Whether `shape` is an instance of `invariant` (TF1's 'less than or equal')."""
    if invariant.ndims is None:
        return True
    if shape.ndims != invariant.ndims:
        return False
    return all(i is None or i == s for i, s in zip(invariant.as_list(), shape.as_list()))


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, name=None, maximum_iterations=None,
               return_same_structure=False):
    """Repeats `body` while `cond` is true, as TF1's `tf.while_loop`.

    Args:
      cond: callable taking the loop variables, returning a scalar bool tensor.
      body: callable taking the loop variables, returning new values of the same structure,
        dtypes and shapes (shapes may vary where `shape_invariants` leaves dims open).
      loop_vars: a (nested) tuple, namedtuple or list of tensors and TensorArrays.
      shape_invariants: the loop variables' shapes across iterations (default: their initial
        shapes).
      parallel_iterations, swap_memory: accepted; iterations run one after another.
      back_prop: False stops gradients at the loop.
      name: name scope of the op.
      maximum_iterations: stop after this many iterations even if `cond` is still true.
      return_same_structure: when False, a single loop variable comes back on its own.

    Returns:
      The loop variables after the last iteration.

    Raises:
      TypeError: if cond or body is not callable, or a variable's dtype changes.
      ValueError: if the body returns another structure or a variable changes shape outside
        its invariant.
    """
    if not callable(cond):
        raise TypeError("cond must be callable.")
    if not callable(body):
        raise TypeError("body must be callable.")
    if parallel_iterations < 1:
        raise TypeError("parallel_iterations must be a positive integer.")
    if loop_vars is None or (nest.is_sequence(loop_vars) and not nest.flatten(loop_vars)):
        raise ValueError("No loop variables provided")
    single = not isinstance(loop_vars, (list, tuple))
    if single:
        loop_vars = (loop_vars,)
    graph = ops.get_default_graph()
    with ops.name_scope(name, "while") as scope:
        flat = nest.flatten(loop_vars)
        tensors = [v._loop_tensor() if _is_flow(v) else convert_to_tensor(v) for v in flat]
        if shape_invariants is None:
            invariants = [v._loop_invariant() if _is_flow(v) else t.shape
                          for v, t in zip(flat, tensors)]
        else:
            if single:
                shape_invariants = (shape_invariants,)
            nest.assert_same_structure(loop_vars, shape_invariants, check_types=False)
            invariants = []
            for v, t, s in zip(flat, tensors, nest.flatten(shape_invariants)):
                s = v._loop_invariant() if _is_flow(v) else tensor_shape.as_shape(s)
                if not _shape_invariant_ok(s, t.shape):
                    raise ValueError(
                        f"The shape invariant specified for {t.name} is not compatible with the "
                        f"initial shape of the loop variable. It enters the loop with shape "
                        f"{t.shape}, but the specified shape invariant is {s}.")
                invariants.append(s)
        counter = constant(0, _dtypes.int32, name="loop_counter")
        limit = (None if maximum_iterations is None else
                 convert_to_tensor(maximum_iterations, _dtypes.int32, name="maximum_iterations"))

        def make(kind):
            fg = _func_graph.FuncGraph(_func_graph.unique_function_name(graph, scope + kind),
                                       graph)
            args = [fg.add_argument(_dtypes.int32, [], "counter")]
            args += [fg.add_argument(t.dtype, s, "loop_var") for t, s in zip(tensors, invariants)]
            return fg, args, _pack(loop_vars, flat, args[1:])

        def test(counter, values, like):
            """The loop's condition on `values` (flat, arranged as `like`'s leaves)."""
            c = convert_to_tensor(cond(*_pack(loop_vars, like, values)))
            if c.dtype != _dtypes.bool or c.shape.ndims not in (None, 0):
                raise ValueError(f"cond must return a scalar bool tensor, got {c.dtype.name} "
                                 f"of shape {c.shape}")
            if limit is not None:
                from tensorlib.ops import math_ops  # noqa: avoids an import cycle
                c = math_ops.logical_and(counter < limit, c)
            return c

        cond_fg, cargs, packed = make("cond")
        with cond_fg.as_default():
            cond_fg.outputs = [test(cargs[0], cargs[1:], flat)]

        body_fg, bargs, packed = make("body")
        with body_fg.as_default():
            result = body(*packed)
            if single or (len(loop_vars) == 1 and not isinstance(result, (list, tuple))):
                result = (result,)
            nest.assert_same_structure(list(loop_vars), list(result), check_types=False)
            result_flat = nest.flatten(result)
            outs = _as_flat_tensors(result_flat, "body")
            for t, o, s in zip(tensors, outs, invariants):
                if o.dtype != t.dtype:
                    raise TypeError(f"Input tensor '{t.name}' enters the loop with type "
                                    f"{t.dtype.name}, but has type {o.dtype.name} after one "
                                    "iteration.")
                if not _shape_invariant_ok(s, o.shape):
                    raise ValueError(
                        f"Input tensor '{t.name}' enters the loop with shape {s}, but has shape "
                        f"{o.shape} after one iteration. To allow the shape to vary across "
                        "iterations, use the `shape_invariants` argument of tf.while_loop to "
                        "specify a less-specific shape.")
            kept = [t for op in body_fg.get_operations() if op.type in _KEPT_OP_TYPES
                    for t in op.outputs]
            # The body tests the condition on what it made: one call per iteration.
            counter_next = bargs[0] + 1
            body_fg.outputs = ([counter_next] + outs + kept +
                               [test(counter_next, outs, result_flat)])
        n = len(tensors) + 1
        captured = _unify_captures([cond_fg, body_fg], n)
        cond_fg.add_to_library()
        body_fg.add_to_library()
        op = graph._create_op("While", [counter] + tensors + captured,
                              {"cond": cond_fg.name, "body": body_fg.name, "num_loop_vars": n,
                               "num_kept": len(kept), "num_outputs": 2 * n + len(kept)},
                              name=scope)
        op._functions = {"cond": cond_fg, "body": body_fg}
        op._while = {"kept": kept, "back_prop": back_prop, "num_loop_vars": n}
        out = _pack(loop_vars, result_flat, op.outputs[1:n])
    if single or (not return_same_structure and len(out) == 1):
        return out[0]
    return out


@ops.RegisterGradient("While")
def _while_grad(op, *grads):
    from tensorlib.ops import array_ops, gradients_impl, math_ops  # noqa: import cycle
    info = getattr(op, "_while", None)
    if info is None:
        raise LookupError(f"No gradient for '{op.name}' (While): its functions were not built "
                          "in this Python process")
    if not info["back_prop"]:
        return [None] * len(op.inputs)
    body_fg = op._functions["body"]
    n = info["num_loop_vars"]
    kept = info["kept"]
    inputs = list(op.inputs)
    loop_in, captured = inputs[:n], inputs[n:]
    history = op.outputs[n:2 * n]
    kept_history = op.outputs[2 * n:]
    diff_vars = [i for i in range(1, n) if loop_in[i].dtype.is_floating]
    diff_caps = [c for c, t in enumerate(captured) if t.dtype.is_floating]
    if not diff_vars and not diff_caps:
        return [None] * len(inputs)
    graph = ops.get_default_graph()

    # One iteration of the forward body, differentiated, in a scratch function: its
    # arguments are the iteration's loop variables, captures, kept values and the gradients
    # of its results.
    scratch = _func_graph.FuncGraph(_func_graph.unique_function_name(graph, "scratch"), graph)
    with scratch.as_default():
        vars_t = [scratch.add_argument(x.dtype, x.shape, "var") for x in body_fg.inputs[:n]]
        caps_t = [scratch.add_argument(x.dtype, x.shape, "cap") for x in body_fg.inputs[n:]]
        gy = [scratch.add_argument(body_fg.outputs[i].dtype, body_fg.outputs[i].shape, "grad")
              for i in diff_vars]
        ys = [body_fg.outputs[i] for i in diff_vars]
        mapping = _func_graph.inline(body_fg, dict(zip(body_fg.inputs, vars_t + caps_t)),
                                     keep=ys)
        xs = [vars_t[i] for i in diff_vars] + [caps_t[c] for c in diff_caps]
        dxs = gradients_impl.densify(
            gradients_impl.gradients([mapping[y] for y in ys], xs, grad_ys=gy)) \
            if ys else [None] * len(xs)
    d_vars, d_caps = dxs[:len(diff_vars)], dxs[len(diff_vars):]
    # The scratch's copies of the kept values: the backward body reads them from the forward
    # loop's history instead of computing them (their ops are then not copied at all).
    kept_t = [mapping.get(k) for k in kept]
    kept_set = {t for t in kept_t if t is not None}

    # What the scratch's gradients read, walking back from them and stopping at kept values.
    reached, seen_ops = set(), set()
    stack = [d for d in dxs if d is not None]
    while stack:
        t = stack.pop()
        if t in reached:
            continue
        reached.add(t)
        if t in kept_set or t.op._id in seen_ops:
            continue
        seen_ops.add(t.op._id)
        stack.extend(t.op.inputs)
        stack.extend(out for c in t.op.control_inputs for out in c.outputs[:1])

    def used(ph):
        return ph in reached

    # Backward loop variables: the step t, one gradient per differentiable variable, one
    # accumulated gradient per differentiable capture.
    steps = op.outputs[0]
    g_init = [grads[i] if grads[i] is not None else array_ops.zeros_like(op.outputs[i])
              for i in diff_vars]
    acc_init = [array_ops.zeros_like(captured[c]) for c in diff_caps]

    def back_cond(t, *_):
        return t >= 0

    def back_body(t, *state):
        g = list(state[:len(diff_vars)])
        acc = list(state[len(diff_vars):])
        feed = {}
        for i, ph in enumerate(vars_t):
            if used(ph):
                feed[ph] = _read(history[i], t, view=True)
        for c, ph in enumerate(caps_t):
            if used(ph):
                feed[ph] = captured[c]
        # Every kept output of an op whose outputs are read, so that the op is not copied.
        read_ops = {k.op._id for k in kept_set if used(k)}
        for j, k in enumerate(kept_t):
            if k is not None and k.op._id in read_ops:
                feed[k] = _read(kept_history[j], t, view=True)
        for k, i in enumerate(diff_vars):
            feed[gy[k]] = g[k]
        m = _func_graph.inline(scratch, feed, keep=[d for d in dxs if d is not None])
        new_g = [array_ops.zeros_like(g[k]) if d is None else m[d] for k, d in enumerate(d_vars)]
        for k, i in enumerate(diff_vars):
            if grads[n + i] is not None:  # the history itself was differentiated (v_t's row)
                new_g[k] = new_g[k] + _read(grads[n + i], t)
        new_acc = [acc[k] if d is None else _accumulate(acc[k], m[d])
                   for k, d in enumerate(d_caps)]
        for k, i in enumerate(diff_vars):  # a gradient has its variable's shape
            new_g[k].set_shape(vars_t[i].shape)
        for k, c in enumerate(diff_caps):
            new_acc[k].set_shape(captured[c].shape)
        return [t - 1] + new_g + new_acc

    with ops.name_scope(op.name + "_grad"):
        invariants = ([tensor_shape.TensorShape([])] +
                      [vars_t[i].shape.most_specific_compatible_shape(g.shape)
                       for i, g in zip(diff_vars, g_init)] +
                      [captured[c].shape for c in diff_caps])
        out = while_loop(back_cond, back_body, [steps - 1] + g_init + acc_init,
                         shape_invariants=invariants, name="backward",
                         return_same_structure=True)
    result = [None] * len(inputs)
    for k, i in enumerate(diff_vars):
        result[i] = out[1 + k]
    for k, c in enumerate(diff_caps):
        result[n + c] = out[1 + len(diff_vars) + k]
    return result


def _read(array, index, view=False):
    """Row `index` of `array`; with `view`, the row in place (for arrays nothing writes)."""
    attrs = {"T": array.dtype.as_datatype_enum}
    if view:
        attrs["view"] = True
    return ops.apply_op("TensorArrayRead", [array, index], attrs).outputs[0]


def _accumulate(acc, grad):
    """acc + grad; a gradient that is one row of zeros-like (a TensorArray read's) is added
    to that row in place instead of as a whole tensor."""
    op = grad.op
    if op.type == "TensorArrayWrite" and op.inputs[0].op.type in ("Fill", "Const") and \
            grad.shape.is_compatible_with(acc.shape):
        return ops.apply_op("TensorArrayAddRow", [acc, op.inputs[1], op.inputs[2]],
                            {"T": acc.dtype.as_datatype_enum}).outputs[0]
    return acc + grad
