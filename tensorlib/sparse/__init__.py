"""tf.sparse: SparseTensor and its dense form."""
from tensorlib.framework.sparse_tensor import SparseTensor, SparseTensorValue  # noqa: F401
from tensorlib.ops.parsing_ops import sparse_tensor_to_dense as to_dense  # noqa: F401
