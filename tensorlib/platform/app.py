"""`tf.app`: `tf.app.run()` parses the command-line flags and runs the program's main, and
`tf.app.flags` is `tf.flags`."""
import sys as _sys

from tensorlib.platform import flags  # noqa: F401


def run(main=None, argv=None):
    """Parses the flags in `argv` (default sys.argv), calls `main(remaining_argv)` (default
    the `main` of the __main__ module) and exits with what it returns (0 for None).

    The arguments that are not defined flags are left in the argv main receives.
    """
    if main is None:
        main = _sys.modules["__main__"].main
    remaining = flags.FLAGS(_sys.argv if argv is None else argv, known_only=True)
    _sys.exit(main(remaining))
