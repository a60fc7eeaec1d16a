"""Math ops: arithmetic, matmul, reductions, comparison, logic, casts; and Tensor's operators."""
import builtins
import string

import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor


def _binary_inputs(x, y):
    """Converts a Python/NumPy operand to the dtype of the Tensor operand (as TF1 does)."""
    x_is_tensor = isinstance(x, ops.Tensor) or hasattr(x, "_as_graph_element")
    y_is_tensor = isinstance(y, ops.Tensor) or hasattr(y, "_as_graph_element")
    if x_is_tensor:
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype=None if y_is_tensor else x.dtype, name="y")
    elif y_is_tensor:
        y = convert_to_tensor(y)
        x = convert_to_tensor(x, dtype=y.dtype, name="x")
    else:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype, name="y")
    return x, y


def _binary(op_type, x, y, name):
    x, y = _binary_inputs(x, y)
    return ops.apply_op(op_type, [x, y], name=name).outputs[0]


def _unary(op_type, x, name):
    return ops.apply_op(op_type, [convert_to_tensor(x)], name=name).outputs[0]


def add(x, y, name=None):
    """x + y elementwise, with NumPy broadcasting."""
    return _binary("Add", x, y, name)


def subtract(x, y, name=None):
    """x - y elementwise, with NumPy broadcasting."""
    return _binary("Sub", x, y, name)


def multiply(x, y, name=None):
    """x * y elementwise, with NumPy broadcasting."""
    return _binary("Mul", x, y, name)


def truediv(x, y, name=None):
    """x / y elementwise; integer operands are first cast to float64 (TF1's rule)."""
    x, y = _binary_inputs(x, y)
    if x.dtype.is_integer:
        x = cast(x, _dtypes.float64)
        y = cast(y, _dtypes.float64)
    return ops.apply_op("RealDiv", [x, y], name=name or "truediv").outputs[0]


def divide(x, y, name=None):
    """x / y elementwise (Python 3 semantics: see truediv)."""
    return truediv(x, y, name=name)


def floordiv(x, y, name=None):
    """floor(x / y) elementwise (Python's //): integers round toward -inf, floats give
    floor(x / y). Integer division by zero is an InvalidArgumentError."""
    return _binary("FloorDiv", x, y, name or "floordiv")


floor_div = floordiv


def floormod(x, y, name=None):
    """x - floor(x / y) * y elementwise (Python's %): the result has y's sign."""
    return _binary("FloorMod", x, y, name)


mod = floormod


def pow(x, y, name=None):  # noqa: A001
    """x ** y elementwise; integer x to a negative integer power is an InvalidArgumentError."""
    return _binary("Pow", x, y, name)


def maximum(x, y, name=None):
    """max(x, y) elementwise, with broadcasting; NaN wins."""
    return _binary("Maximum", x, y, name)


def minimum(x, y, name=None):
    """min(x, y) elementwise, with broadcasting; NaN wins."""
    return _binary("Minimum", x, y, name)


def squared_difference(x, y, name=None):
    """(x - y) * (x - y) elementwise, with broadcasting."""
    return _binary("SquaredDifference", x, y, name)


def negative(x, name=None):
    """-x elementwise."""
    return _unary("Neg", x, name)


def abs(x, name=None):  # noqa: A001
    """|x| elementwise."""
    return _unary("Abs", x, name)


def square(x, name=None):
    """x * x elementwise."""
    return _unary("Square", x, name)


def sqrt(x, name=None):
    """Square root elementwise."""
    return _unary("Sqrt", x, name)


def rsqrt(x, name=None):
    """1 / sqrt(x) elementwise."""
    return _unary("Rsqrt", x, name)


def log1p(x, name=None):
    """log(1 + x) elementwise, accurate for small x."""
    return _unary("Log1p", x, name)


def sign(x, name=None):
    """-1, 0 or 1 elementwise by the sign of x (NaN stays NaN)."""
    return _unary("Sign", x, name)


def floor(x, name=None):
    """The largest integer not greater than x, elementwise."""
    return _unary("Floor", x, name)


def ceil(x, name=None):
    """The smallest integer not less than x, elementwise."""
    return _unary("Ceil", x, name)


def round(x, name=None):  # noqa: A001
    """x rounded to the nearest integer elementwise; halves round to even (banker's)."""
    return _unary("Round", x, name)


def sin(x, name=None):
    """Sine elementwise."""
    return _unary("Sin", x, name)


def cos(x, name=None):
    """Cosine elementwise."""
    return _unary("Cos", x, name)


def tanh(x, name=None):
    """Hyperbolic tangent elementwise."""
    return _unary("Tanh", x, name)


def exp(x, name=None):
    """e ** x elementwise."""
    return _unary("Exp", x, name)


def log(x, name=None):
    """Natural logarithm elementwise."""
    return _unary("Log", x, name)


def sigmoid(x, name=None):
    """1 / (1 + exp(-x)) elementwise."""
    return _unary("Sigmoid", x, name)


def equal(x, y, name=None):
    """x == y elementwise (bool), with broadcasting."""
    return _binary("Equal", x, y, name)


def not_equal(x, y, name=None):
    """x != y elementwise (bool), with broadcasting."""
    return _binary("NotEqual", x, y, name)


def less(x, y, name=None):
    """x < y elementwise (bool), with broadcasting."""
    return _binary("Less", x, y, name)


def less_equal(x, y, name=None):
    """x <= y elementwise (bool), with broadcasting."""
    return _binary("LessEqual", x, y, name)


def greater(x, y, name=None):
    """x > y elementwise (bool), with broadcasting."""
    return _binary("Greater", x, y, name)


def greater_equal(x, y, name=None):
    """x >= y elementwise (bool), with broadcasting."""
    return _binary("GreaterEqual", x, y, name)


def logical_and(x, y, name=None):
    """x AND y elementwise on bool tensors, with broadcasting."""
    return _binary("LogicalAnd", x, y, name)


def logical_or(x, y, name=None):
    """x OR y elementwise on bool tensors, with broadcasting."""
    return _binary("LogicalOr", x, y, name)


def logical_not(x, name=None):
    """NOT x elementwise on a bool tensor."""
    return _unary("LogicalNot", x, name)


def logical_xor(x, y, name="LogicalXor"):
    """x XOR y elementwise on bool tensors: (x OR y) AND NOT (x AND y), as TF1 builds it."""
    with ops.name_scope(name) as scope:
        return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=scope)


def add_n(inputs, name=None):
    """The elementwise sum of a list of tensors of one dtype and shape."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                         "and shape")
    inputs = [convert_to_tensor(t) for t in inputs]
    return ops.apply_op("AddN", inputs, name=name).outputs[0]


def where(condition, x=None, y=None, name=None):
    """With x and y: elements of x where `condition` is true, else of y (TF1's Select: a 1-D
    condition may pick whole rows of x and y by their first dim). With neither: the int64
    coordinates [num_true, rank] of the true elements of `condition`."""
    condition = convert_to_tensor(condition, name="condition")
    if x is None and y is None:
        return ops.apply_op("Where", [condition], name=name).outputs[0]
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x, y = _binary_inputs(x, y)
    rank_c, rank_x = condition.shape.ndims, x.shape.ndims
    if rank_c == 1 and rank_x is not None and rank_x > 1:
        from tensorlib.ops import array_ops
        condition = array_ops.reshape(condition, [-1] + [1] * (rank_x - 1))
    return ops.apply_op("SelectV2", [condition, x, y], name=name or "Select").outputs[0]


def where_v2(condition, x=None, y=None, name=None):
    """As `where`, with condition, x and y broadcast against each other (NumPy's where)."""
    condition = convert_to_tensor(condition, name="condition")
    if x is None and y is None:
        return ops.apply_op("Where", [condition], name=name).outputs[0]
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x, y = _binary_inputs(x, y)
    return ops.apply_op("SelectV2", [condition, x, y], name=name).outputs[0]


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """t with values below clip_value_min raised to it and values above clip_value_max lowered
    to it: maximum(minimum(t, max), min), as TF1 composes it."""
    with ops.name_scope(name, "clip_by_value") as scope:
        t = convert_to_tensor(t, name="t")
        t_min = minimum(t, clip_value_max)
        result = maximum(t_min, clip_value_min, name=scope)
        if not t.shape.is_compatible_with(result.shape):
            raise ValueError(f"Clip bounds of shapes {t_min.shape} broadcast t of shape "
                             f"{t.shape} to {result.shape}")
        return result


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sums of x along `axis`; `exclusive` leaves out each element itself, `reverse`
    sums from the end."""
    x = convert_to_tensor(x, name="x")
    axis = convert_to_tensor(axis, name="axis")
    return ops.apply_op("Cumsum", [x, axis], {"exclusive": bool(exclusive),
                                              "reverse": bool(reverse)},
                        name=name).outputs[0]


def cast(x, dtype, name=None):
    """x converted to `dtype` (float -> int truncates toward zero; x -> bool is x != 0)."""
    x = convert_to_tensor(x)
    dtype = _dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return ops.apply_op("Cast", [x], {"DstT": dtype.as_datatype_enum}, name=name).outputs[0]


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, name=None):
    """Matrix product of `a` and `b`; rank > 2 operands are batches (broadcast batch dims)."""
    a, b = _binary_inputs(a, b)
    transpose_a = transpose_a or adjoint_a
    transpose_b = transpose_b or adjoint_b
    ranks = (a.shape.ndims, b.shape.ndims)
    if ranks == (2, 2):
        return ops.apply_op("MatMul", [a, b], {"transpose_a": transpose_a,
                                               "transpose_b": transpose_b},
                            name=name).outputs[0]
    return ops.apply_op("BatchMatMulV2", [a, b], {"adj_x": transpose_a, "adj_y": transpose_b},
                        name=name or "MatMul").outputs[0]


def _as_matrices(x, batch, split, what):
    """x as a batch of matrices [x's first `batch` dims..., rows, cols], where rows joins the
    `split` dims after the batch dims and cols the rest. Reshaped only when needed; the
    reshape needs all but one of its dims known (that one becomes -1)."""
    from tensorlib.ops import array_ops
    dims = x.shape.as_list()
    if len(dims) == batch + 2 and split == 1:
        return x
    rows, cols = dims[batch:batch + split], dims[batch + split:]

    def size(group):
        return None if None in group else int(np.prod(group, dtype=np.int64))

    shape = dims[:batch] + [size(rows), size(cols)]
    if shape.count(None) > 1:
        raise ValueError(f"{what} needs all but one dim of {x.name} known, got {x.shape}")
    return array_ops.reshape(x, [-1 if d is None else d for d in shape])


def tensordot(a, b, axes, name=None):
    """Sums the products of a and b over the axes `axes` (an int N: the last N of a with the
    first N of b; or a pair of axis lists) and keeps the other axes, a's first.

    The contraction runs as one matmul of a and b seen as matrices; the contracted axes must
    therefore be leading or trailing in each operand, in the same order in both (the forms
    that need no transpose of the data); others raise a ValueError."""
    from tensorlib.ops import array_ops
    with ops.name_scope(name, "Tensordot") as scope:
        a, b = _binary_inputs(a, b)
        ra, rb = a.shape.ndims, b.shape.ndims
        if ra is None or rb is None:
            raise ValueError("tensordot needs the ranks of a and b to be known")
        if isinstance(axes, (int, np.integer)):
            if axes < 0 or axes > builtins.min(ra, rb):
                raise ValueError(f"'axes' must be at most the rank of a and b, got {axes}")
            axes_a, axes_b = list(range(ra - axes, ra)), list(range(axes))
        else:
            if len(axes) != 2:
                raise ValueError("'axes' must be an int or a pair of axis lists")
            axes_a, axes_b = ([axes[0]] if np.isscalar(axes[0]) else list(axes[0]),
                              [axes[1]] if np.isscalar(axes[1]) else list(axes[1]))
            if len(axes_a) != len(axes_b):
                raise ValueError(f"Different number of contraction axes 'a' and 'b', "
                                 f"{len(axes_a)} != {len(axes_b)}.")
            axes_a = [int(i) % ra if ra else int(i) for i in axes_a]
            axes_b = [int(i) % rb if rb else int(i) for i in axes_b]
            pairs = sorted(zip(axes_a, axes_b))
            axes_a, axes_b = [p[0] for p in pairs], [p[1] for p in pairs]
        k = len(axes_a)
        dims_a, dims_b = a.shape.as_list(), b.shape.as_list()
        for i, j in zip(axes_a, axes_b):
            if dims_a[i] is not None and dims_b[j] is not None and dims_a[i] != dims_b[j]:
                raise ValueError(f"Dimension {i} of a ({dims_a[i]}) and dimension {j} of b "
                                 f"({dims_b[j]}) must be equal to contract them")

        def placement(axs, rank):
            if axs == list(range(rank - k, rank)):
                return "trailing"
            if axs == list(range(k)):
                return "leading"
            raise ValueError(f"tensordot contracts axes {axs} of a rank-{rank} operand: only "
                             "leading or trailing runs of axes, in order, are supported")

        place_a, place_b = placement(axes_a, ra), placement(axes_b, rb)
        free_a = dims_a[:ra - k] if place_a == "trailing" else dims_a[k:]
        free_b = dims_b[k:] if place_b == "leading" else dims_b[:rb - k]
        ma = _as_matrices(a, 0, ra - k if place_a == "trailing" else k, "tensordot")
        mb = _as_matrices(b, 0, k if place_b == "leading" else rb - k, "tensordot")
        product = matmul(ma, mb, transpose_a=place_a == "leading",
                         transpose_b=place_b == "trailing")
        out_dims = free_a + free_b
        if len(out_dims) == 2 and ra - k == 1 and rb - k == 1:
            return array_ops.identity(product, name=scope)
        if out_dims.count(None) > 1:
            raise ValueError("tensordot needs all but one of the output dims known, got "
                             f"{out_dims}")
        return array_ops.reshape(product, [-1 if d is None else d for d in out_dims],
                                 name=scope)


def _einsum_parse(equation, num_inputs):
    equation = equation.replace(" ", "")
    if "..." in equation:
        raise ValueError(f"einsum: ellipses are not supported: {equation!r}")
    if "->" in equation:
        lhs, out = equation.split("->")
    else:
        lhs = equation
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = lhs.split(",")
    if len(terms) != num_inputs:
        raise ValueError(f"einsum: equation {equation!r} names {len(terms)} operands, "
                         f"got {num_inputs}")
    for term in terms + [out]:
        if not all(c in string.ascii_letters for c in term):
            raise ValueError(f"einsum: invalid subscripts in {equation!r}")
        if len(set(term)) != len(term):
            raise ValueError(f"einsum: repeated subscripts in one term (traces, diagonals) "
                             f"are not supported: {equation!r}")
    for c in out:
        if not any(c in t for t in terms):
            raise ValueError(f"einsum: output subscript {c!r} is in no input: {equation!r}")
    return terms, out


def _einsum_sum_out(x, term, keep):
    """x (subscripts `term`) summed over the subscripts not in `keep`."""
    axes = [i for i, c in enumerate(term) if c not in keep]
    if not axes:
        return x, term
    return reduce_sum(x, axis=axes), "".join(c for c in term if c in keep)


def _einsum_unsupported(equation, why):
    return ValueError(f"einsum: {equation!r} is not supported: {why} (transposes are not "
                      "available yet)")


def einsum(equation, *inputs, **kwargs):
    """Sums of products of the inputs' elements as the subscripts of `equation` describe
    ('ij,jk->ik'). Supported: one or two operands, with each operand's and the output's
    subscripts ordered so that no axis has to move: matmul and batch matmul (any operand
    transposed in the matrix dims), contractions of leading or trailing axes, outer and
    elementwise products, sums over axes. Others raise a ValueError."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments for einsum: {', '.join(kwargs)}")
    if not inputs or len(inputs) > 2:
        raise ValueError(f"einsum: 1 or 2 operands are supported, got {len(inputs)}")
    terms, out = _einsum_parse(equation, len(inputs))
    from tensorlib.ops import array_ops
    with ops.name_scope(name, "einsum") as scope:
        if len(inputs) == 1:
            x = convert_to_tensor(inputs[0])
            x, term = _einsum_sum_out(x, terms[0], out)
            if term != out:
                raise _einsum_unsupported(equation, "the output reorders the input's axes")
            return array_ops.identity(x, name=scope)
        a, b = _binary_inputs(*inputs)
        ta, tb = terms
        for t, x in ((ta, a), (tb, b)):
            if x.shape.ndims is not None and x.shape.ndims != len(t):
                raise ValueError(f"einsum: subscripts {t!r} do not match the rank of "
                                 f"{x.name} ({x.shape})")
        a, ta = _einsum_sum_out(a, ta, out + tb)
        b, tb = _einsum_sum_out(b, tb, out + ta)
        batch = "".join(c for c in out if c in ta and c in tb)
        contracted = "".join(c for c in ta if c in tb and c not in out)
        free_a = "".join(c for c in ta if c not in tb)
        free_b = "".join(c for c in tb if c not in ta)
        if not contracted:
            # An elementwise/outer product: align both operands to the output by broadcasting.
            if ta != "".join(c for c in out if c in ta) or \
                    tb != "".join(c for c in out if c in tb):
                raise _einsum_unsupported(equation, "the output reorders an input's axes")
            a = _einsum_expand(a, ta, out)
            b = _einsum_expand(b, tb, out)
            return multiply(a, b, name=scope)
        nb = len(batch)
        if ta[:nb] != batch or tb[:nb] != batch:
            raise _einsum_unsupported(equation, "batch subscripts must lead every term")
        ra, rb = ta[nb:], tb[nb:]
        if ra not in (free_a + contracted, contracted + free_a):
            raise _einsum_unsupported(equation, f"{ta!r} mixes free and contracted axes")
        if rb not in (contracted + free_b, free_b + contracted):
            raise _einsum_unsupported(equation, f"{tb!r} mixes free and contracted axes")
        if out[nb:] not in (free_a + free_b, free_b + free_a) or out[:nb] != batch:
            raise _einsum_unsupported(equation, f"the output {out!r} reorders the free axes")
        swap = bool(free_a and free_b) and out[nb:] == free_b + free_a
        trans_a = ra.startswith(contracted) and free_a != ""
        trans_b = rb.endswith(contracted) and free_b != ""
        ma = _as_matrices(a, nb, len(contracted) if trans_a else len(free_a), "einsum")
        mb = _as_matrices(b, nb, len(free_b) if trans_b else len(contracted), "einsum")
        if swap:
            product = matmul(mb, ma, transpose_a=not trans_b, transpose_b=not trans_a)
        else:
            product = matmul(ma, mb, transpose_a=trans_a, transpose_b=trans_b)
        dims = {}
        for t, x in ((ta, a), (tb, b)):
            for c, d in zip(t, x.shape.as_list()):
                if d is not None:
                    dims[c] = d
        out_dims = [dims.get(c) for c in out]
        if len(free_a) == 1 and len(free_b) == 1:  # the product is laid out as the output
            return array_ops.identity(product, name=scope)
        if out_dims.count(None) > 1:
            raise ValueError(f"einsum: {equation!r} needs the sizes of all but one output "
                             f"axis known, got {out_dims}")
        return array_ops.reshape(product, [-1 if d is None else d for d in out_dims],
                                 name=scope)


def _einsum_expand(x, term, out):
    """x with size-1 axes inserted so that its subscripts line up with `out`'s."""
    if out.endswith(term):
        return x
    from tensorlib.ops import array_ops
    dims = dict(zip(term, x.shape.as_list()))
    shape = [dims[c] if c in term else 1 for c in out]
    if shape.count(None) > 1:
        raise ValueError(f"einsum needs all but one dim of {x.name} known, got {x.shape}")
    return array_ops.reshape(x, [-1 if d is None else d for d in shape])


def _reduction_axes(x, axis, reduction_indices):
    if axis is not None and reduction_indices is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_indices'.")
    axis = reduction_indices if axis is None else axis
    if axis is None:
        rank = x.shape.ndims
        if rank is None:
            raise ValueError(f"Reducing all axes of {x.name} needs its rank to be known; "
                             "give `axis` explicitly")
        return convert_to_tensor(np.arange(rank, dtype=np.int32), name="Const")
    if isinstance(axis, (list, tuple)) and not axis:
        axis = np.zeros([0], np.int32)  # no axes: an int32 list (not float32, as [] would be)
    return convert_to_tensor(axis, name="reduction_indices")


def _keepdims(keepdims, keep_dims):
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'.")
    return bool(keepdims if keepdims is not None else keep_dims)


def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Sum over `axis` (all axes when None); `keepdims` keeps reduced axes with size 1."""
    x = convert_to_tensor(input_tensor)
    axes = _reduction_axes(x, axis, reduction_indices)
    return ops.apply_op("Sum", [x, axes], {"keep_dims": _keepdims(keepdims, keep_dims)},
                        name=name).outputs[0]


def reduce_mean(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                keep_dims=None):
    """Mean over `axis` (all axes when None); integer means truncate, as in TF1."""
    x = convert_to_tensor(input_tensor)
    axes = _reduction_axes(x, axis, reduction_indices)
    return ops.apply_op("Mean", [x, axes], {"keep_dims": _keepdims(keepdims, keep_dims)},
                        name=name).outputs[0]


def _reduce(op_type, input_tensor, axis, keepdims, name, reduction_indices, keep_dims):
    x = convert_to_tensor(input_tensor)
    axes = _reduction_axes(x, axis, reduction_indices)
    return ops.apply_op(op_type, [x, axes], {"keep_dims": _keepdims(keepdims, keep_dims)},
                        name=name).outputs[0]


def reduce_max(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Maximum over `axis` (all axes when None); over no elements, -inf (the lowest integer)."""
    return _reduce("Max", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_min(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Minimum over `axis` (all axes when None); over no elements, inf (the highest integer)."""
    return _reduce("Min", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_prod(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                keep_dims=None):
    """Product over `axis` (all axes when None); over no elements, 1."""
    return _reduce("Prod", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_any(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Logical OR of a bool tensor over `axis` (all axes when None)."""
    return _reduce("Any", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_all(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Logical AND of a bool tensor over `axis` (all axes when None)."""
    return _reduce("All", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None,
                     reduction_indices=None, keep_dims=None):
    """log(sum(exp(x))) over `axis`, computed as TF1 does: the (finite) maximum is taken out
    first, so large inputs do not overflow."""
    keepdims = _keepdims(keepdims, keep_dims)
    with ops.name_scope(name, "ReduceLogSumExp") as scope:
        x = convert_to_tensor(input_tensor)
        axes = _reduction_axes(x, axis, reduction_indices)
        raw_max = ops.apply_op("Max", [x, axes], {"keep_dims": True}).outputs[0]
        finite = equal(raw_max - raw_max, 0)  # false for inf and NaN
        my_max = where_v2(finite, raw_max, np.zeros((), x.dtype.as_numpy_dtype))
        summed = ops.apply_op("Sum", [exp(x - my_max), axes], {"keep_dims": True}).outputs[0]
        result = add(log(summed), my_max, name=None if not keepdims else scope)
        if keepdims:
            return result
        # Summing over the (size-1) reduced axes drops them.
        return ops.apply_op("Sum", [result, axes], {"keep_dims": False},
                            name=scope).outputs[0]


def _arg_reduce(op_type, input, axis, name, dimension, output_type):  # noqa: A002
    if axis is not None and dimension is not None:
        raise ValueError("Cannot specify both 'axis' and 'dimension'.")
    axis = dimension if axis is None else axis
    x = convert_to_tensor(input)
    axis = convert_to_tensor(0 if axis is None else axis, name="dimension")
    return ops.apply_op(op_type, [x, axis],
                        {"output_type": _dtypes.as_dtype(output_type).as_datatype_enum},
                        name=name).outputs[0]


def argmax(input, axis=None, name=None, dimension=None, output_type=_dtypes.int64):  # noqa: A002
    """Index of the largest value along `axis` (default 0); ties give the first index."""
    return _arg_reduce("ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=_dtypes.int64):  # noqa: A002
    """Index of the smallest value along `axis` (default 0); ties give the first index."""
    return _arg_reduce("ArgMin", input, axis, name, dimension, output_type)


arg_max = argmax
arg_min = argmin


def _override_operators():
    """Python operators on Tensors, named as TF1 names them (x + y makes 'add')."""
    override = ops.Tensor._override_operator

    def binary(operator, fn, op_name):
        override(f"__{operator}__", lambda self, other: fn(self, other, name=op_name))
        override(f"__r{operator}__", lambda self, other: fn(other, self, name=op_name))

    binary("add", add, "add")
    binary("sub", subtract, "sub")
    binary("mul", multiply, "mul")
    binary("truediv", truediv, "truediv")
    binary("matmul", matmul, "matmul")
    binary("floordiv", floordiv, "floordiv")
    binary("mod", floormod, "mod")
    binary("pow", pow, "pow")
    binary("and", logical_and, "and")
    binary("or", logical_or, "or")
    binary("xor", logical_xor, "xor")
    # Comparisons take their op's default name.
    override("__lt__", lambda self, other: less(self, other))
    override("__le__", lambda self, other: less_equal(self, other))
    override("__gt__", lambda self, other: greater(self, other))
    override("__ge__", lambda self, other: greater_equal(self, other))
    override("__neg__", lambda self: negative(self, name="neg"))
    override("__abs__", lambda self: abs(self, name="Abs"))
    override("__invert__", lambda self: logical_not(self, name="LogicalNot"))


_override_operators()
