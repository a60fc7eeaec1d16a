"""tf.saved_model: a graph with its variables and signatures written to a directory and
loaded back, in TF's layout with tensorlib's formats (docs/model_format.md)."""
from tensorlib.saved_model import (  # noqa: F401
    builder, constants, loader, signature_constants, signature_def_utils, tag_constants,
    utils,
)
from tensorlib.saved_model.builder import SavedModelBuilder as Builder  # noqa: F401
from tensorlib.saved_model.loader import load, maybe_saved_model_directory  # noqa: F401
from tensorlib.saved_model.signature_def_utils import (  # noqa: F401
    build_signature_def, is_valid_signature, predict_signature_def,
)
from tensorlib.saved_model.simple_save import simple_save  # noqa: F401
from tensorlib.saved_model.utils import build_tensor_info  # noqa: F401
