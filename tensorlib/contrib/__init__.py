"""`tf.contrib`: the names TF1 scripts import from `tensorflow.contrib`, aliases of tensorlib's
own."""
from tensorlib.contrib import rnn  # noqa: F401
