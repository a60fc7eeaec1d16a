"""Every registered op has a shape function (enforced in C++), a CPU kernel, a Python wrapper
and a test line against NumPy."""
from tensorlib import _core

from test_ops import OPS

# Ops that are not tested through the NumPy table, and the test that covers each instead.
COVERED_ELSEWHERE = {
    "Placeholder": "test_session.py", "Const": "test_graph.py",
    "VariableV2": "test_variables.py", "Assign": "test_variables.py",
    "NoOp": "test_variables.py", "Fill": "test_ops.py::test_fill_zeros_ones",
    "RandomStandardNormal": "test_ops.py::test_random_normal_statistics_and_seed",
}


def test_every_op_has_a_cpu_kernel():
    missing = [op for op in _core.registered_ops() if not _core.has_kernel(op, 0)]
    assert not missing


def test_every_op_has_a_test():
    tested = {t for case in OPS for t in case[1]} | set(COVERED_ELSEWHERE)
    untested = sorted(set(_core.registered_ops()) - tested)
    assert not untested, f"ops without a test line: {untested}"


def test_every_op_has_a_python_wrapper():
    import tensorlib as tf
    import tensorlib.ops  # noqa: F401
    wrapped = set()
    graph = tf.Graph()
    with graph.as_default():
        # Build one use of every public op wrapper and collect the op types they create.
        x = tf.placeholder(tf.float32, [2, 2])
        v = tf.Variable(tf.random_normal([2, 2]))
        tf.group(tf.global_variables_initializer(), tf.no_op())
        for fn in (tf.add, tf.subtract, tf.multiply, tf.divide, tf.equal, tf.matmul):
            fn(x, x)
        tf.matmul(tf.reshape(x, [1, 2, 2]), x)
        for fn in (tf.negative, tf.exp, tf.log, tf.sigmoid, tf.nn.relu, tf.reduce_sum,
                   tf.reduce_mean, tf.argmax, tf.identity):
            fn(v)
        tf.cast(x, tf.int32)
        tf.ones([2])
    wrapped = {op.type for op in graph.get_operations()}
    assert set(_core.registered_ops()) <= wrapped
