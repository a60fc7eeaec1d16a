"""TensorInfo: how a signature names a tensor of the graph (TF1's
tf.saved_model.utils.build_tensor_info)."""
from tensorlib import dtypes
from tensorlib.framework import ops


class TensorInfo:
    """A tensor's name, dtype and shape as a signature stores them."""

    def __init__(self, name, dtype, shape):
        self.name, self.dtype, self.shape = name, dtypes.as_dtype(dtype), shape

    @property
    def tensor_shape(self):
        return self.shape

    def _to_json(self):
        return {"name": self.name, "dtype": self.dtype.as_datatype_enum,
                "shape": None if self.shape is None else list(self.shape)}

    @classmethod
    def _from_json(cls, d):
        return cls(d["name"], d["dtype"], None if d["shape"] is None else tuple(d["shape"]))

    def __repr__(self):
        return f"TensorInfo(name={self.name!r}, dtype={self.dtype.name}, shape={self.shape})"


def build_tensor_info(tensor):
    """The TensorInfo of `tensor` (a Tensor or a Variable)."""
    if hasattr(tensor, "_as_graph_element"):
        tensor = tensor._as_graph_element()
    if not isinstance(tensor, ops.Tensor):
        raise TypeError(f"build_tensor_info expects a Tensor, got {tensor!r}")
    shape = tensor.shape.as_tuple() if tensor.shape.ndims is not None else None
    return TensorInfo(tensor.name, tensor.dtype, shape)


def get_tensor_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The tensor of `graph` (default: the default graph) a TensorInfo names."""
    graph = graph or ops.get_default_graph()
    name = f"{import_scope}/{tensor_info.name}" if import_scope else tensor_info.name
    return graph.get_tensor_by_name(name)
