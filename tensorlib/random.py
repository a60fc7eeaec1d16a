"""`tf.random`: TF 1.13+'s home of the random ops, aliases of tensorlib.ops.random_ops and the
graph seed. Add a name here when its implementation lands.

TF 1.15's tf.random has, and tensorlib lacks so far: gamma, poisson, stateless_*,
uniform_candidate_sampler and the other candidate samplers, experimental.*.
"""
from tensorlib.framework.random_seed import get_seed, set_random_seed  # noqa: F401
from tensorlib.ops.random_ops import (  # noqa: F401
    categorical, multinomial, random_normal as normal, random_shuffle as shuffle,
    random_uniform as uniform, truncated_normal,
)
