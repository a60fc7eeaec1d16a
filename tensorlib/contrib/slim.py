"""`tf.contrib.slim` (`import tensorlib.contrib.slim as slim`): contrib.layers and
contrib.framework under one name, with `slim.losses` being tf.losses."""
from tensorlib import losses  # noqa: F401
from tensorlib.contrib.framework import *  # noqa: F401,F403
from tensorlib.contrib.layers import *  # noqa: F401,F403
from tensorlib.contrib.layers import utils  # noqa: F401
from tensorlib.contrib import framework, layers  # noqa: F401
