from tensorlib.train.saver import Saver, latest_checkpoint  # noqa: F401
