"""tf.lite: a trained graph converted into one model file for deployment.

    model = tf.lite.TFLiteConverter.from_session(sess, [x], [y]).convert()

The file format is documented in docs/model_format.md.
"""
from tensorlib.lite.converter import TFLiteConverter  # noqa: F401
