"""`tf.linalg`: TF 1.13+'s home of the linear-algebra functions, aliases of tensorlib.ops.
Add a name here when its implementation lands.

TF 1.15's tf.linalg has, and tensorlib lacks so far: band_part, cholesky and cholesky_solve,
det/logdet/slogdet, diag/diag_part/set_diag, eigh/eigvalsh, inv, lstsq, lu, matrix_transpose,
the matrix 2-norm, qr, solve, svd, trace, triangular_solve, the
LinearOperator classes.
"""
from tensorlib.ops.array_ops import eye, transpose  # noqa: F401
from tensorlib.ops.math_ops import einsum, matmul, norm, tensordot  # noqa: F401
from tensorlib.ops.nn_ops import l2_normalize  # noqa: F401
