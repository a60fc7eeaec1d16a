"""`tf.contrib`: the names TF1 scripts import from `tensorflow.contrib`, aliases of tensorlib's
own."""
from tensorlib.contrib import framework, layers, rnn, slim, training  # noqa: F401
