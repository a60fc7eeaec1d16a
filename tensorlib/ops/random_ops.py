"""Random ops: seeded, counter-based, identical for any thread count."""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops, random_seed
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.ops import math_ops
from tensorlib.ops.array_ops import _shape_tensor


def _seed_attrs(seed):
    seed1, seed2 = random_seed.get_seed(seed)
    return {"seed": seed1 or 0, "seed2": seed2 or 0}


def _float_dtype(dtype, fn):
    dtype = _dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError(f"{fn} needs a floating-point dtype, got {dtype.name}")
    return dtype


def _normal(op_type, default_name, shape, mean, stddev, dtype, seed, name):
    """mean + stddev * (samples of op_type, a standard normal distribution)."""
    dtype = _float_dtype(dtype, default_name)
    with ops.name_scope(name, default_name) as scope:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        attrs = dict(_seed_attrs(seed), dtype=dtype.as_datatype_enum)
        rnd = ops.apply_op(op_type, [shape], attrs).outputs[0]
        return math_ops.add(math_ops.multiply(rnd, stddev, name="mul"), mean, name=scope)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    """Samples of a normal distribution N(mean, stddev**2), drawn anew at every run."""
    return _normal("RandomStandardNormal", "random_normal", shape, mean, stddev, dtype, seed,
                   name)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    """Samples of N(mean, stddev**2) restricted to within two standard deviations of the mean:
    values further out are drawn again."""
    return _normal("TruncatedNormal", "truncated_normal", shape, mean, stddev, dtype, seed,
                   name)


def random_uniform(shape, minval=0, maxval=None, dtype=_dtypes.float32, seed=None, name=None):
    """Samples uniform in [minval, maxval) (maxval defaults to 1 for floats; integer dtypes
    need it)."""
    dtype = _dtypes.as_dtype(dtype)
    if dtype not in (_dtypes.float16, _dtypes.float32, _dtypes.float64, _dtypes.int32,
                     _dtypes.int64):
        raise ValueError(f"Invalid dtype {dtype.name}")
    if maxval is None:
        if dtype.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
        maxval = 1
    with ops.name_scope(name, "random_uniform") as scope:
        shape = _shape_tensor(shape)
        minval = convert_to_tensor(minval, dtype=dtype, name="min")
        maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
        if dtype.is_integer:
            return ops.apply_op("RandomUniformInt", [shape, minval, maxval], _seed_attrs(seed),
                                name=scope).outputs[0]
        attrs = dict(_seed_attrs(seed), dtype=dtype.as_datatype_enum)
        rnd = ops.apply_op("RandomUniform", [shape], attrs).outputs[0]
        span = math_ops.subtract(maxval, minval, name="sub")
        return math_ops.add(math_ops.multiply(rnd, span, name="mul"), minval, name=scope)


def random_shuffle(value, seed=None, name=None):
    """`value` with its slices along dimension 0 in a random order."""
    return ops.apply_op("RandomShuffle", [convert_to_tensor(value, name="value")],
                        _seed_attrs(seed), name=name).outputs[0]


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    """`num_samples` class indices per row of `logits` [batch, num_classes] (unnormalized
    log-probabilities), as a [batch, num_samples] tensor of `output_dtype` (default int64)."""
    with ops.name_scope(name, "multinomial") as scope:
        logits = convert_to_tensor(logits, name="logits")
        num_samples = convert_to_tensor(num_samples, name="num_samples")
        output_dtype = _dtypes.as_dtype(output_dtype or _dtypes.int64)
        attrs = dict(_seed_attrs(seed), output_dtype=output_dtype.as_datatype_enum)
        return ops.apply_op("Multinomial", [logits, num_samples], attrs, name=scope).outputs[0]


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """TF 1.13+'s name for multinomial: `num_samples` class indices per row of `logits`, as a
    [batch, num_samples] tensor of `dtype` (default int64)."""
    return multinomial(logits, num_samples, seed=seed, name=name or "categorical",
                       output_dtype=dtype)


ops.NotDifferentiable("RandomStandardNormal")
ops.NotDifferentiable("RandomUniform")
ops.NotDifferentiable("TruncatedNormal")
ops.NotDifferentiable("RandomUniformInt")
ops.NotDifferentiable("RandomShuffle")
ops.NotDifferentiable("Multinomial")
