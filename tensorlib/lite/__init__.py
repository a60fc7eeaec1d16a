"""tf.lite: a trained graph converted into one model file for deployment, and its runtime.

    model = tf.lite.TFLiteConverter.from_session(sess, [x], [y]).convert()
    interpreter = tf.lite.Interpreter(model_content=model)

The file format is documented in docs/model_format.md; the C++ runtime is tl::Interpreter
(include/tensorlib/interpreter.h).
"""
from tensorlib.lite.converter import TFLiteConverter  # noqa: F401
from tensorlib.lite.interpreter import Interpreter  # noqa: F401
