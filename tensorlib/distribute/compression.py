"""Gradient compression for allreduce (Horovod's hvd.Compression): what a tensor becomes for the
transfer, and how it comes back."""
import tensorlib as tf


class NoneCompressor:
    """Sends tensors as they are."""

    @staticmethod
    def compress(tensor):
        return tensor, None

    @staticmethod
    def decompress(tensor, context):
        return tensor


class FP16Compressor:
    """Sends floating-point tensors as float16, halving the bytes moved; others as they are."""

    @staticmethod
    def compress(tensor):
        if tensor.dtype.is_floating and tensor.dtype != tf.float16:
            return tf.cast(tensor, tf.float16), tensor.dtype
        return tensor, None

    @staticmethod
    def decompress(tensor, context):
        return tensor if context is None else tf.cast(tensor, context)


class Compression:
    """The compressions allreduce and DistributedOptimizer accept."""
    none = NoneCompressor
    fp16 = FP16Compressor
