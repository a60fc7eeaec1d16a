"""tf.logging over the "tensorlib" logger (TF1's WARN threshold and LEVEL:tensorlib: prefix),
tf.flags parsing TF1's command-line spellings, and tf.app.run calling main with the
remaining arguments and exiting with its result."""
import logging
import subprocess
import sys
import textwrap

import pytest

import tensorlib as tf
from tensorlib.platform import flags as flags_module
from tensorlib.platform import tf_logging


@pytest.fixture
def verbosity(monkeypatch):
    """Restores the logger's threshold after a test changes it; runs the test as a program
    that has not configured Python's logging (so tensorlib prints its records itself)."""
    monkeypatch.setattr(tf_logging, "_program_configured_logging", lambda: False)
    before = tf.logging.get_verbosity()
    yield
    tf.logging.set_verbosity(before)


def test_records_reach_the_programs_own_logging_once(caplog):
    with caplog.at_level(logging.INFO, logger="tensorlib"):
        tf.logging.info("configured %d", 1)
    assert [r.getMessage() for r in caplog.records] == ["configured 1"]


# ---- tf.logging ------------------------------------------------------------------------------

def test_logging_levels_are_pythons():
    assert (tf.logging.DEBUG, tf.logging.INFO, tf.logging.WARN, tf.logging.ERROR,
            tf.logging.FATAL) == (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR,
                                  logging.CRITICAL)


def test_default_verbosity_is_warn_in_a_fresh_process():
    code = ("import tensorlib as tf\n"
            "print(tf.logging.get_verbosity())\n"
            "tf.logging.info('hidden')\n"
            "tf.logging.warning('shown %d', 1)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(logging.WARN)
    assert out.stderr == "WARNING:tensorlib:shown 1\n"


def test_records_print_with_the_tf1_prefix_at_the_set_verbosity(capsys, verbosity):
    tf.logging.set_verbosity(tf.logging.INFO)
    assert tf.logging.get_verbosity() == tf.logging.INFO
    tf.logging.debug("not shown")
    tf.logging.info("step %d loss %.1f", 3, 0.5)
    tf.logging.warn("careful")
    tf.logging.error("bad")
    tf.logging.log(tf.logging.ERROR, "via %s", "log")
    assert capsys.readouterr().err.splitlines() == [
        "INFO:tensorlib:step 3 loss 0.5", "WARNING:tensorlib:careful", "ERROR:tensorlib:bad",
        "ERROR:tensorlib:via log"]


def test_modules_logging_through_the_named_logger_share_its_setup(capsys, verbosity):
    tf.logging.set_verbosity(tf.logging.INFO)
    logging.getLogger("tensorlib").info("from a module")
    assert capsys.readouterr().err == "INFO:tensorlib:from a module\n"


def test_log_every_n_and_first_n_count_per_call_site(capsys, verbosity):
    tf.logging.set_verbosity(tf.logging.INFO)
    for i in range(7):
        tf.logging.log_every_n(tf.logging.INFO, "every %d", 3, i)
    for i in range(5):
        tf.logging.log_first_n(tf.logging.INFO, "first %d", 2, i)
    assert capsys.readouterr().err.splitlines() == [
        "INFO:tensorlib:every 0", "INFO:tensorlib:every 3", "INFO:tensorlib:every 6",
        "INFO:tensorlib:first 0", "INFO:tensorlib:first 1"]


# ---- tf.flags --------------------------------------------------------------------------------

@pytest.fixture
def flag_values():
    """A FlagValues of its own with one flag of each kind."""
    values = flags_module.FlagValues()
    tf.flags.DEFINE_string("data_dir", "/tmp/data", "Where the data is.", flag_values=values)
    tf.flags.DEFINE_integer("batch_size", 32, "Examples per step.", lower_bound=1,
                            flag_values=values)
    tf.flags.DEFINE_float("learning_rate", 0.01, "Step size.", flag_values=values)
    tf.flags.DEFINE_boolean("fake_data", False, "Use fake data.", flag_values=values)
    tf.flags.DEFINE_bool("shuffle", True, "Shuffle the data.", flag_values=values)
    tf.flags.DEFINE_list("layers", ["64", "32"], "Hidden units.", flag_values=values)
    tf.flags.DEFINE_enum("mode", "train", ["train", "eval"], "What to do.",
                         flag_values=values)
    return values


def test_flags_hold_their_defaults_once_parsed(flag_values):
    assert flag_values(["prog"]) == ["prog"]
    assert flag_values.flag_values_dict() == {
        "data_dir": "/tmp/data", "batch_size": 32, "learning_rate": 0.01, "fake_data": False,
        "shuffle": True, "layers": ["64", "32"], "mode": "train"}


def test_flags_parse_every_tf1_spelling_and_leave_the_rest(flag_values):
    rest = flag_values(["prog", "--data_dir=/d", "--batch_size", "8", "input.txt",
                        "--learning_rate=1e-3", "--fake_data", "--noshuffle", "--layers=a,b,c",
                        "--mode", "eval", "--unknown=1"])
    assert rest == ["prog", "input.txt", "--unknown=1"]
    assert flag_values.data_dir == "/d" and flag_values.batch_size == 8
    assert flag_values.learning_rate == pytest.approx(1e-3)
    assert flag_values.fake_data is True and flag_values.shuffle is False
    assert flag_values.layers == ["a", "b", "c"] and flag_values.mode == "eval"
    assert flag_values["batch_size"].present and flag_values["data_dir"].default == "/tmp/data"


def test_boolean_flags_take_explicit_values(flag_values):
    flag_values(["prog", "--fake_data=true", "--shuffle=0"])
    assert flag_values.fake_data is True and flag_values.shuffle is False


@pytest.mark.parametrize("argv, message", [
    (["--batch_size=0"], "at least 1"),
    (["--batch_size=two"], "batch_size"),
    (["--mode=test"], "one of"),
    (["--fake_data=maybe"], "not a boolean"),
])
def test_bad_flag_values_raise(flag_values, argv, message):
    with pytest.raises(flags_module.IllegalFlagValueError, match=message):
        flag_values(["prog"] + argv)


def test_unknown_flags_are_errors_when_asked(flag_values):
    with pytest.raises(flags_module.Error, match="--nope"):
        flag_values(["prog", "--nope=1"], known_only=False)


def test_flags_are_set_as_attributes_and_checked(flag_values):
    flag_values.mark_as_parsed()
    flag_values.batch_size = "16"
    assert flag_values.batch_size == 16
    with pytest.raises(AttributeError, match="never defined"):
        flag_values.missing  # noqa: B018
    with pytest.raises(AttributeError, match="define it"):
        flag_values.missing = 1
    with pytest.raises(flags_module.DuplicateFlagError, match="batch_size"):
        tf.flags.DEFINE_integer("batch_size", 1, "again", flag_values=flag_values)


def test_help_lists_the_flags(flag_values, capsys):
    text = flag_values.get_help()
    assert "--batch_size" in text and "Examples per step. (default: 32)" in text
    with pytest.raises(SystemExit) as exit_info:
        flag_values(["prog", "--help"])
    assert exit_info.value.code == 0
    assert "Hidden units." in capsys.readouterr().out


def test_unparsed_flags_are_read_from_sys_argv(flag_values, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["prog", "--batch_size=5"])
    assert not flag_values.is_parsed()
    assert flag_values.batch_size == 5 and flag_values.is_parsed()
    flag_values.unparse_flags()
    assert flag_values["batch_size"].value == 32 and not flag_values.is_parsed()


def test_app_flags_is_tf_flags():
    assert tf.app.flags is tf.flags
    assert tf.app.flags.FLAGS is tf.flags.FLAGS


SCRIPT = textwrap.dedent("""\
    import sys
    import tensorlib as tf

    flags = tf.app.flags
    flags.DEFINE_integer("steps", 2, "Training steps.")
    flags.DEFINE_boolean("verbose", False, "Print more.")
    FLAGS = flags.FLAGS


    def main(argv):
        print(FLAGS.steps, FLAGS.verbose, argv[1:])
        return 3


    if __name__ == "__main__":
        tf.app.run()
""")


def test_app_run_parses_flags_calls_main_and_exits_with_its_result(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(script), "--steps", "7", "--verbose", "extra",
                          "--other=x"], capture_output=True, text=True)
    assert out.returncode == 3, out.stderr
    assert out.stdout.strip() == "7 True ['extra', '--other=x']"


def test_app_run_with_main_and_argv():
    seen = []
    with pytest.raises(SystemExit) as exit_info:
        tf.app.run(main=lambda argv: seen.append(argv), argv=["prog", "positional"])
    assert exit_info.value.code is None
    assert seen == [["prog", "positional"]]
