"""Random ops: seeded, counter-based, identical for any thread count."""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops, random_seed
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import math_ops
from tensorlib.ops.array_ops import _shape_tensor


def random_normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    """Samples of a normal distribution N(mean, stddev**2), drawn anew at every run."""
    dtype = _dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError(f"random_normal needs a floating-point dtype, got {dtype.name}")
    with ops.name_scope(name, "random_normal") as scope:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        seed1, seed2 = random_seed.get_seed(seed)
        rnd = ops.apply_op("RandomStandardNormal", [shape],
                           {"dtype": dtype.as_datatype_enum, "seed": seed1 or 0,
                            "seed2": seed2 or 0}).outputs[0]
        return math_ops.add(math_ops.multiply(rnd, stddev, name="mul"), mean, name=scope)
