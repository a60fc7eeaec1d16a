"""Cases for the ops that have CUDA kernels (cuda/ops/): one or more rows per op, each with
its inputs, a graph builder, a NumPy reference and a tolerance. Importable without a GPU.

A GPU test runs each case with run_case(tf, case, "/gpu:0") and compares with "/cpu:0";
test_gpu_op_cases_cpu.py proves the table itself against its NumPy references on the CPU.
Input shapes are chosen to hit broadcasting, edge tiles and odd sizes (1, 7, 33, 129)."""
import collections

import numpy as np

# name: a test id; op: the op type the case exercises (it must appear in the built graph);
# build(tf, *inputs) -> a tensor or a list of tensors; inputs: NumPy arrays (fed through
# placeholders); reference(*inputs) -> the expected array or list of arrays; tol: rtol = atol.
Case = collections.namedtuple("Case", "name op build inputs reference tol")

_rng = np.random.default_rng(1234)


def _f32(*shape, positive=False):
    x = _rng.standard_normal(shape).astype(np.float32)
    return np.abs(x) + np.float32(0.1) if positive else x


def _f64(*shape):
    return _rng.standard_normal(shape)


def _i32(*shape, low=-50, high=50):
    return _rng.integers(low, high, size=shape).astype(np.int32)


def _bools(*shape):
    return _rng.random(shape) < 0.5


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _grad(fn):
    """build(tf, x, g): the gradient of fn(x) with incoming gradient g (builds the op's
    gradient kernel, e.g. ReluGrad for relu)."""
    return lambda tf, x, g: tf.gradients(fn(tf, x), x, grad_ys=g)[0]


_UNARY_F32 = [
    ("Neg", lambda tf, x: tf.negative(x), np.negative, {}),
    ("Abs", lambda tf, x: tf.abs(x), np.abs, {}),
    ("Square", lambda tf, x: tf.square(x), np.square, {}),
    ("Sign", lambda tf, x: tf.sign(x), np.sign, {}),
    ("Round", lambda tf, x: tf.round(x * 3), lambda x: np.round(x * 3), {}),
    ("Relu", lambda tf, x: tf.nn.relu(x), lambda x: np.maximum(x, 0), {}),
    ("Relu6", lambda tf, x: tf.nn.relu6(x * 4), lambda x: np.clip(x * 4, 0, 6), {}),
    ("Sqrt", lambda tf, x: tf.sqrt(x), np.sqrt, {"positive": True}),
    ("Rsqrt", lambda tf, x: tf.rsqrt(x), lambda x: 1 / np.sqrt(x), {"positive": True}),
    ("Exp", lambda tf, x: tf.exp(x), np.exp, {}),
    ("Log", lambda tf, x: tf.log(x), np.log, {"positive": True}),
    ("Log1p", lambda tf, x: tf.log1p(x), np.log1p, {"positive": True}),
    ("Floor", lambda tf, x: tf.floor(x * 3), lambda x: np.floor(x * 3), {}),
    ("Ceil", lambda tf, x: tf.ceil(x * 3), lambda x: np.ceil(x * 3), {}),
    ("Sin", lambda tf, x: tf.sin(x), np.sin, {}),
    ("Cos", lambda tf, x: tf.cos(x), np.cos, {}),
    ("Tanh", lambda tf, x: tf.tanh(x), np.tanh, {}),
    ("Sigmoid", lambda tf, x: tf.sigmoid(x), _sigmoid, {}),
    ("Elu", lambda tf, x: tf.nn.elu(x), lambda x: np.where(x < 0, np.expm1(x), x), {}),
    ("Softplus", lambda tf, x: tf.nn.softplus(x), lambda x: np.logaddexp(x, 0), {}),
]

_BINARY = [
    ("Add", lambda tf, a, b: tf.add(a, b), np.add),
    ("Sub", lambda tf, a, b: tf.subtract(a, b), np.subtract),
    ("Mul", lambda tf, a, b: tf.multiply(a, b), np.multiply),
    ("Maximum", lambda tf, a, b: tf.maximum(a, b), np.maximum),
    ("Minimum", lambda tf, a, b: tf.minimum(a, b), np.minimum),
    ("SquaredDifference", lambda tf, a, b: tf.squared_difference(a, b),
     lambda a, b: np.square(a - b)),
    ("Less", lambda tf, a, b: tf.less(a, b), np.less),
    ("LessEqual", lambda tf, a, b: tf.less_equal(a, b), np.less_equal),
    ("Greater", lambda tf, a, b: tf.greater(a, b), np.greater),
    ("GreaterEqual", lambda tf, a, b: tf.greater_equal(a, b), np.greater_equal),
    ("Equal", lambda tf, a, b: tf.equal(a, b), np.equal),
    ("NotEqual", lambda tf, a, b: tf.not_equal(a, b), np.not_equal),
]

# Operand shapes: same shape, scalar on either side, and general broadcasts.
_BROADCASTS = [((7, 33), (7, 33)), ((), (129,)), ((7, 1, 33), ()), ((7, 1, 33), (5, 1)),
               ((1, 5, 1), (4, 1, 6))]


def _matmul_cases():
    cases = []
    for m, n, k in [(1, 1, 1), (7, 33, 129), (129, 7, 33), (130, 129, 17), (256, 128, 64)]:
        for ta in (False, True):
            for tb in (False, True):
                a = _f32(*((k, m) if ta else (m, k)))
                b = _f32(*((n, k) if tb else (k, n)))
                cases.append(Case(
                    f"MatMul-{m}x{n}x{k}-ta{int(ta)}-tb{int(tb)}", "MatMul",
                    lambda tf, a, b, ta=ta, tb=tb: tf.matmul(a, b, transpose_a=ta, transpose_b=tb),
                    [a, b],
                    lambda a, b, ta=ta, tb=tb: (a.T if ta else a) @ (b.T if tb else b),
                    1e-4))
    cases.append(Case("MatMul-float64", "MatMul", lambda tf, a, b: tf.matmul(a, b),
                      [_f64(33, 7), _f64(7, 17)], lambda a, b: a @ b, 1e-12))
    cases.append(Case("MatMul-int32", "MatMul", lambda tf, a, b: tf.matmul(a, b),
                      [_i32(9, 5, low=-5, high=5), _i32(5, 3, low=-5, high=5)],
                      lambda a, b: a @ b, 0))
    for xs, ys, adj_x, adj_y in [((3, 7, 33), (3, 33, 5), False, False),
                                 ((2, 1, 17, 9), (4, 17, 6), True, False),
                                 ((5, 9, 8), (8, 12), False, False),
                                 ((2, 3, 33, 129), (2, 3, 7, 129), False, True)]:
        cases.append(Case(
            f"BatchMatMulV2-{xs}-{ys}-{int(adj_x)}{int(adj_y)}", "BatchMatMulV2",
            lambda tf, x, y, ax=adj_x, ay=adj_y: tf.matmul(x, y, adjoint_a=ax, adjoint_b=ay),
            [_f32(*xs), _f32(*ys)],
            lambda x, y, ax=adj_x, ay=adj_y: np.matmul(np.swapaxes(x, -1, -2) if ax else x,
                                                       np.swapaxes(y, -1, -2) if ay else y),
            1e-4))
    return cases


def _reduction_cases():
    cases = []
    ops = [("Sum", "reduce_sum", np.sum), ("Mean", "reduce_mean", np.mean),
           ("Max", "reduce_max", np.max), ("Min", "reduce_min", np.min),
           ("Prod", "reduce_prod", np.prod)]
    for op, fn_name, ref in ops:
        for shape, axis, keep in [((7, 33), 1, False), ((7, 33), 0, True), ((4, 5, 6), (0, 2), False),
                                  ((129,), None, False), ((2, 3, 4, 5), (1, 3), True),
                                  ((3, 1, 5), (-1,), False)]:
            x = _f32(*shape) if op != "Prod" else np.float32(0.5) + _f32(*shape, positive=True)
            cases.append(Case(
                f"{op}-{shape}-{axis}-{int(keep)}", op,
                lambda tf, x, f=fn_name, a=axis, k=keep: getattr(tf, f)(x, axis=a, keepdims=k),
                [x], lambda x, r=ref, a=axis, k=keep: r(x, axis=a, keepdims=k).astype(x.dtype),
                1e-4))
        cases.append(Case(f"{op}-int32", op,
                          lambda tf, x, f=fn_name: getattr(tf, f)(x, axis=1),
                          [_i32(6, 7, low=-3, high=4)],
                          lambda x, r=ref: r(x, axis=1).astype(np.int32), 0))
    return cases


def _nn_cases():
    logits = _f32(33, 10) * 3
    labels = _softmax(_f32(33, 10))
    sparse = _rng.integers(0, 10, size=33).astype(np.int32)

    def xent_ref(x, y):
        return [-(y * _log_softmax(x)).sum(-1), _softmax(x) - y]

    def sparse_ref(x, y):
        onehot = np.eye(x.shape[-1], dtype=x.dtype)[y]
        return [-(onehot * _log_softmax(x)).sum(-1), _softmax(x) - onehot]

    def xent_build(tf, x, y):
        loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x)
        return [loss, tf.gradients(loss, x)[0]]

    def sparse_build(tf, x, y):
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x)
        return [loss, tf.gradients(loss, x)[0]]

    return [
        Case("Softmax", "Softmax", lambda tf, x: tf.nn.softmax(x), [_f32(7, 129) * 5], _softmax, 1e-5),
        Case("Softmax-1class", "Softmax", lambda tf, x: tf.nn.softmax(x), [_f32(5, 1)], _softmax, 1e-6),
        Case("LogSoftmax", "LogSoftmax", lambda tf, x: tf.nn.log_softmax(x), [_f32(3, 4, 33) * 5],
             _log_softmax, 1e-5),
        Case("SoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits", xent_build,
             [logits, labels], xent_ref, 1e-5),
        Case("SparseSoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits",
             sparse_build, [logits, sparse], sparse_ref, 1e-5),
        Case("BiasAdd", "BiasAdd", lambda tf, x, b: tf.nn.bias_add(x, b), [_f32(7, 33), _f32(33)],
             lambda x, b: x + b, 1e-6),
        Case("BiasAdd-4d", "BiasAdd", lambda tf, x, b: tf.nn.bias_add(x, b),
             [_f32(2, 3, 5, 7), _f32(7)], lambda x, b: x + b, 1e-6),
        Case("BiasAddGrad", "BiasAddGrad",
             lambda tf, x, b, g: tf.gradients(tf.nn.bias_add(x, b), b, grad_ys=g)[0],
             [_f32(129, 7), _f32(7), _f32(129, 7)], lambda x, b, g: g.sum(0), 1e-4),
    ]


def _cases():
    cases = []
    for op, build, ref, opts in _UNARY_F32:
        x = _f32(7, 33, **opts)
        cases.append(Case(op, op, build, [x], lambda x, r=ref: r(x).astype(x.dtype), 1e-5))
    cases.append(Case("Neg-int32", "Neg", lambda tf, x: tf.negative(x), [_i32(129)], np.negative, 0))
    cases.append(Case("Abs-float64", "Abs", lambda tf, x: tf.abs(x), [_f64(33)], np.abs, 0))
    cases.append(Case("LogicalNot", "LogicalNot", lambda tf, x: tf.logical_not(x), [_bools(33)],
                      np.logical_not, 0))
    for op, build, ref in _BINARY:
        for sa, sb in _BROADCASTS:
            cases.append(Case(f"{op}-{sa}-{sb}", op, build, [_f32(*sa), _f32(*sb)], ref, 1e-6))
        cases.append(Case(f"{op}-int32", op, build, [_i32(7, 33, low=-3, high=3), _i32(33, low=-3, high=3)],
                          ref, 0))
    cases.append(Case("RealDiv", "RealDiv", lambda tf, a, b: tf.divide(a, b),
                      [_f32(7, 1, 33), _f32(5, 1, positive=True)], np.divide, 1e-6))
    cases.append(Case("Pow", "Pow", lambda tf, a, b: tf.pow(a, b),
                      [_f32(7, 33, positive=True), _f32(33)], np.power, 1e-5))
    for op, fn, ref in [("LogicalAnd", "logical_and", np.logical_and),
                        ("LogicalOr", "logical_or", np.logical_or)]:
        cases.append(Case(op, op, lambda tf, a, b, f=fn: getattr(tf, f)(a, b),
                          [_bools(7, 33), _bools(33)], ref, 0))
    for op, fn, deriv in [
            ("ReluGrad", lambda tf, x: tf.nn.relu(x), lambda x: (x > 0).astype(np.float32)),
            ("Relu6Grad", lambda tf, x: tf.nn.relu6(x * 4),
             lambda x: 4 * ((x * 4 > 0) & (x * 4 < 6)).astype(np.float32)),
            ("EluGrad", lambda tf, x: tf.nn.elu(x), lambda x: np.where(x < 0, np.exp(x), 1)),
            ("SoftplusGrad", lambda tf, x: tf.nn.softplus(x), _sigmoid)]:
        cases.append(Case(op, op, _grad(fn), [_f32(7, 33), _f32(7, 33)],
                          lambda x, g, d=deriv: (g * d(x)).astype(np.float32), 1e-5))
    cases.append(Case("AddN", "AddN", lambda tf, a, b, c: tf.add_n([a, b, c]),
                      [_f32(7, 33), _f32(7, 33), _f32(7, 33)], lambda a, b, c: a + b + c, 1e-6))
    for src, dst, dtype in [(np.float32, "int32", np.int32), (np.int32, "float32", np.float32),
                            (np.float32, "float64", np.float64), (np.float32, "bool", np.bool_),
                            (np.bool_, "float32", np.float32), (np.int32, "int64", np.int64)]:
        x = (_f32(33) * 10).astype(src) if src != np.bool_ else _bools(33)
        cases.append(Case(f"Cast-{np.dtype(src).name}-{dst}", "Cast",
                          lambda tf, x, d=dst: tf.cast(x, getattr(tf, d)), [x],
                          lambda x, t=dtype: x.astype(t), 0))
    cases.append(Case("Fill", "Fill", lambda tf, v: tf.fill([7, 33], v), [np.float32(2.5)],
                      lambda v: np.full((7, 33), v, np.float32), 0))
    cases.append(Case("Identity", "Identity", lambda tf, x: tf.identity(x), [_f32(7, 33)],
                      lambda x: x, 0))
    return cases + _reduction_cases() + _matmul_cases() + _nn_cases()


CASES = _cases()


def run_case(tf, case, device):
    """Builds `case` in a new graph under tf.device(device), feeds its inputs through
    placeholders and returns [the results, as NumPy arrays] and the graph."""
    graph = tf.Graph()
    with graph.as_default():
        with tf.device(device):
            holders = [tf.placeholder(tf.as_dtype(np.asarray(x).dtype), shape=np.shape(x))
                       for x in case.inputs]
            out = case.build(tf, *holders)
        with tf.Session(graph=graph) as sess:
            got = sess.run(out if isinstance(out, list) else [out],
                           dict(zip(holders, case.inputs)))
    return [np.asarray(g) for g in got], graph


def expected(case):
    """The case's NumPy reference, as a list of arrays."""
    want = case.reference(*case.inputs)
    return [np.asarray(w) for w in (want if isinstance(want, list) else [want])]
