"""Summary ops: each makes a string scalar holding a serialized Summary protocol buffer,
computed when the graph runs and handed to FileWriter.add_summary."""
import contextlib
import re

from tensorlib import dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")

ops.NotDifferentiable("ScalarSummary")
ops.NotDifferentiable("HistogramSummary")
ops.NotDifferentiable("MergeSummary")
ops.NotDifferentiable("ImageSummary")
ops.NotDifferentiable("AudioSummaryV2")
ops.NotDifferentiable("TextSummary")


def _clean_tag(name):
    """`name` with characters TensorBoard cannot show replaced by '_', leading '/' dropped."""
    if name is None:
        return None
    return _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")


@contextlib.contextmanager
def _summary_scope(name, family, default_name):
    """Yields (tag, scope): the op's name scope (made unique, under `family` when given) and
    its tag, the scope's name, prefixed with `family` again so TensorBoard groups by it."""
    name, family = _clean_tag(name), _clean_tag(family)
    base = name if family is None else f"{family}/{name}"
    with ops.name_scope(base, default_name) as scope:
        tag = scope.rstrip("/")
        yield (tag if family is None else f"{family}/{tag}"), scope


def _collect(value, collections, default_collections):
    for key in default_collections if collections is None else collections:
        ops.add_to_collection(key, value)


def scalar(name, tensor, collections=None, family=None):
    """A summary of a real-valued scalar (Summary.Value.simple_value), tagged with its name
    scope; added to `collections` (default [GraphKeys.SUMMARIES])."""
    with _summary_scope(name, family, "ScalarSummary") as (tag, scope):
        tags = convert_to_tensor(tag, dtype=dtypes.string, name="tags")
        values = convert_to_tensor(tensor, name="values")
        val = ops.apply_op("ScalarSummary", [tags, values], name=scope).outputs[0]
    _collect(val, collections, [ops.GraphKeys.SUMMARIES])
    return val


def histogram(name, values, collections=None, family=None):
    """A histogram summary of `values` (any shape) with TF's default buckets; NaN or Inf
    values fail the run with InvalidArgumentError."""
    with _summary_scope(name, family, "HistogramSummary") as (tag, scope):
        tag = convert_to_tensor(tag, dtype=dtypes.string, name="tag")
        values = convert_to_tensor(values, name="values")
        val = ops.apply_op("HistogramSummary", [tag, values], name=scope).outputs[0]
    _collect(val, collections, [ops.GraphKeys.SUMMARIES])
    return val


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """A summary of up to `max_outputs` images of `tensor` ([batch, height, width, channels],
    1, 3 or 4 channels) as PNG files, tagged `<name>/image/<i>` (`<name>/image` for one).
    Float images are scaled to [0, 255] as TF1 does: non-negative values so the largest is
    255; otherwise 0 goes to 128 and values scale so the smallest is 0 or the largest 255."""
    with _summary_scope(name, family, "ImageSummary") as (tag, scope):
        tag = convert_to_tensor(tag, dtype=dtypes.string, name="tag")
        tensor = convert_to_tensor(tensor, name="tensor")
        val = ops.apply_op("ImageSummary", [tag, tensor], {"max_images": int(max_outputs)},
                           name=scope).outputs[0]
    _collect(val, collections, [ops.GraphKeys.SUMMARIES])
    return val


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    """A summary of up to `max_outputs` sounds of `tensor` ([batch, frames, channels] or
    [batch, frames], float values in [-1, 1]) as 16-bit WAV files at `sample_rate` Hz."""
    with _summary_scope(name, family, "AudioSummary") as (tag, scope):
        tag = convert_to_tensor(tag, dtype=dtypes.string, name="tag")
        tensor = convert_to_tensor(tensor, name="tensor")
        rate = convert_to_tensor(sample_rate, dtype=dtypes.float32, name="sample_rate")
        val = ops.apply_op("AudioSummaryV2", [tag, tensor, rate],
                           {"max_outputs": int(max_outputs)}, name=scope).outputs[0]
    _collect(val, collections, [ops.GraphKeys.SUMMARIES])
    return val


def text(name, tensor, collections=None):
    """A summary of a string tensor for TensorBoard's text dashboard (Markdown)."""
    with _summary_scope(name, None, "TextSummary") as (tag, scope):
        tag = convert_to_tensor(tag, dtype=dtypes.string, name="tag")
        tensor = convert_to_tensor(tensor, dtype=dtypes.string, name="tensor")
        val = ops.apply_op("TextSummary", [tag, tensor], name=scope).outputs[0]
    _collect(val, collections, [ops.GraphKeys.SUMMARIES])
    return val


def merge(inputs, collections=None, name=None):
    """One summary holding the values of every summary in `inputs` (a repeated tag fails
    the run with InvalidArgumentError)."""
    with ops.name_scope(name, "Merge"):
        tensors = [convert_to_tensor(i) for i in inputs]
        val = ops.apply_op("MergeSummary", tensors, name=name).outputs[0]
    _collect(val, collections, [])
    return val


def merge_all(key=ops.GraphKeys.SUMMARIES, scope=None, name=None):
    """merge() of every summary in collection `key` (under `scope`), or None when empty."""
    summaries = ops.get_collection(key, scope=scope)
    if not summaries:
        return None
    return merge(summaries, name=name)
