"""Reading checkpoints without a graph: tf.train.load_variable and tf.train.list_variables."""
import os

from tensorlib.train import saver as saver_lib


def _checkpoint_file(ckpt_dir_or_file):
    """The checkpoint file of a prefix, or of the latest checkpoint of a directory."""
    ckpt_dir_or_file = os.fspath(ckpt_dir_or_file)
    prefix = ckpt_dir_or_file
    if os.path.isdir(ckpt_dir_or_file):
        prefix = saver_lib.latest_checkpoint(ckpt_dir_or_file)
        if prefix is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {ckpt_dir_or_file}")
    path = prefix + saver_lib.CHECKPOINT_SUFFIX
    if not os.path.isfile(path):
        raise ValueError(f"The passed save_path is not a valid checkpoint: {prefix}")
    return path


def list_variables(ckpt_dir_or_file):
    """[(name, shape)] of the tensors in a checkpoint (a prefix or a directory's latest),
    sorted by name."""
    path = _checkpoint_file(ckpt_dir_or_file)
    with open(path, "rb") as f:
        entries = saver_lib.read_checkpoint_table(f, path)
    return [(name, list(entries[name].shape)) for name in sorted(entries)]


def load_variable(ckpt_dir_or_file, name):
    """The NumPy value of variable `name` (":0" may end it) in a checkpoint."""
    if name.endswith(":0"):
        name = name[:-2]
    path = _checkpoint_file(ckpt_dir_or_file)
    with open(path, "rb") as f:
        entries = saver_lib.read_checkpoint_table(f, path)
        if name not in entries:
            raise ValueError(f"Variable {name} not found in checkpoint {path}; it holds "
                             f"{sorted(entries)}")
        return saver_lib.read_tensor(f, path, name, entries[name])
