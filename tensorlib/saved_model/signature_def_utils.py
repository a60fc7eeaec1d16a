"""SignatureDefs: the named inputs and outputs of a SavedModel's meta graph (TF1's
tf.saved_model.signature_def_utils)."""
from tensorlib.saved_model import signature_constants, utils


class SignatureDef:
    """{key: TensorInfo} inputs and outputs, and the method name."""

    def __init__(self, inputs=None, outputs=None, method_name=""):
        self.inputs = dict(inputs or {})
        self.outputs = dict(outputs or {})
        self.method_name = method_name or ""

    def _to_json(self):
        return {"inputs": {k: v._to_json() for k, v in self.inputs.items()},
                "outputs": {k: v._to_json() for k, v in self.outputs.items()},
                "method_name": self.method_name}

    @classmethod
    def _from_json(cls, d):
        return cls({k: utils.TensorInfo._from_json(v) for k, v in d["inputs"].items()},
                   {k: utils.TensorInfo._from_json(v) for k, v in d["outputs"].items()},
                   d["method_name"])

    def __repr__(self):
        return (f"SignatureDef(inputs={self.inputs}, outputs={self.outputs}, "
                f"method_name={self.method_name!r})")


def build_signature_def(inputs=None, outputs=None, method_name=None):
    """A SignatureDef of {key: TensorInfo} inputs and outputs."""
    for what, infos in (("inputs", inputs), ("outputs", outputs)):
        for key, info in (infos or {}).items():
            if not isinstance(info, utils.TensorInfo):
                raise TypeError(f"{what}[{key!r}] must be a TensorInfo (from "
                                f"tf.saved_model.utils.build_tensor_info), got {info!r}")
    return SignatureDef(inputs, outputs, method_name)


def predict_signature_def(inputs, outputs):
    """A predict SignatureDef of {key: Tensor} inputs and outputs."""
    if not inputs:
        raise ValueError("Prediction inputs cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction outputs cannot be None or empty.")
    return build_signature_def(
        {k: utils.build_tensor_info(t) for k, t in inputs.items()},
        {k: utils.build_tensor_info(t) for k, t in outputs.items()},
        signature_constants.PREDICT_METHOD_NAME)


def is_valid_signature(signature_def):
    """True when the signature has inputs and outputs and a method name."""
    return bool(signature_def.inputs and signature_def.outputs and signature_def.method_name)
