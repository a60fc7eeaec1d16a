"""`tf.flags` / `tf.app.flags`: TF1's command-line flags, parsed with argparse.

    flags = tf.app.flags
    flags.DEFINE_integer("batch_size", 32, "Examples per step.")
    flags.DEFINE_boolean("fake_data", False, "Use fake data.")
    FLAGS = flags.FLAGS
    ...
    tf.app.run()   # parses sys.argv, then calls main(argv)

A flag is given as `--name=value` or `--name value`; a boolean also as `--name` or
`--noname`. Arguments that are not defined flags stay in the argv passed to main. Reading a
flag before anything parsed the command line parses sys.argv first, as TF1 did.
"""
import argparse
import sys


class Error(Exception):
    """Base class of the flag errors."""


class DuplicateFlagError(Error):
    """A flag of that name is defined already."""


class IllegalFlagValueError(Error, ValueError):
    """A flag's value (default or from the command line) is not valid for it."""


class _Flag:
    """One flag: its name, parser, default, help text and current value."""

    def __init__(self, name, default, help_text, parse, type_name):
        self.name = name
        self.help = help_text
        self.parse = parse
        self.type_name = type_name
        self.default = None if default is None else self._checked(default)
        self.value = self.default
        self.present = False

    def _checked(self, value):
        try:
            return self.parse(value)
        except (TypeError, ValueError) as e:
            raise IllegalFlagValueError(f"flag --{self.name}={value!r}: {e}") from None

    def set(self, value):
        self.value = None if value is None else self._checked(value)


def _parse_bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "t", "1", "yes", "y"):
        return True
    if text in ("false", "f", "0", "no", "n"):
        return False
    raise ValueError("not a boolean (true/false, 1/0, yes/no)")


def _parse_list(value):
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return list(value)


def _bounded(parse, lower_bound, upper_bound):
    """`parse`, then checks lower_bound <= value <= upper_bound (a None bound is open)."""
    def parse_bounded(value):
        value = parse(value)
        if lower_bound is not None and value < lower_bound:
            raise ValueError(f"must be at least {lower_bound}")
        if upper_bound is not None and value > upper_bound:
            raise ValueError(f"must be at most {upper_bound}")
        return value
    return parse_bounded


def _int(value):
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("not an integer")
    return int(value)


class FlagValues:
    """The defined flags, read and set as attributes (`FLAGS.batch_size`)."""

    def __init__(self):
        object.__setattr__(self, "_flags", {})
        object.__setattr__(self, "_parsed", False)

    def _define(self, flag):
        if flag.name in self._flags:
            raise DuplicateFlagError(f"The flag {flag.name!r} is defined twice.")
        self._flags[flag.name] = flag

    def __getattr__(self, name):
        if name == "__flags":  # TF1 < 1.5 scripts print FLAGS.__flags
            return self.flag_values_dict()
        flags = self.__dict__["_flags"]
        if name not in flags:
            raise AttributeError(f"Unknown flag {name!r}: it was never defined.")
        if not self._parsed:
            self(sys.argv)
        return flags[name].value

    def __setattr__(self, name, value):
        if name not in self._flags:
            raise AttributeError(f"Unknown flag {name!r}: define it before setting it.")
        self._flags[name].set(value)

    def __getitem__(self, name):
        """The flag object (`.value`, `.default`, `.help`, `.present`) named `name`."""
        return self._flags[name]

    def __contains__(self, name):
        return name in self._flags

    def __iter__(self):
        return iter(self._flags)

    def __call__(self, argv, known_only=True):
        """Parses the flags in argv[1:] and returns [argv[0]] + the arguments that are not
        defined flags. With known_only=False an undefined `--flag` is an error instead.

        Raises:
          IllegalFlagValueError: for a value its flag cannot take.
          SystemExit: after printing the help text, for --help.
        """
        argv = list(argv)
        parser = self._parser(argv[0] if argv else None)
        namespace, rest = parser.parse_known_args(self._normalized(argv[1:]))
        if not known_only:
            unknown = [arg for arg in rest if arg.startswith("-") and arg != "--"]
            if unknown:
                raise Error(f"Unknown command-line flags: {', '.join(unknown)}")
        for name, value in vars(namespace).items():
            if value is not argparse.SUPPRESS:
                flag = self._flags[name]
                flag.set(value)
                flag.present = True
        object.__setattr__(self, "_parsed", True)
        return argv[:1] + rest

    def _normalized(self, args):
        """args with each boolean flag spelt `--name` or `--noname`, the only forms the
        argparse parser is given for them (`--name=false` becomes `--noname`)."""
        out = []
        for arg in args:
            name, has_value, value = arg.lstrip("-").partition("=")
            flag = self._flags.get(name)
            if arg.startswith("-") and has_value and flag is not None and \
                    flag.parse is _parse_bool:
                try:
                    arg = "--" + name if _parse_bool(value) else "--no" + name
                except ValueError:
                    raise IllegalFlagValueError(f"flag {arg}: not a boolean") from None
            out.append(arg)
        return out

    def _parser(self, prog):
        parser = argparse.ArgumentParser(prog=prog, allow_abbrev=False,
                                         argument_default=argparse.SUPPRESS)
        for flag in self._flags.values():
            help_text = f"{flag.help} (default: {flag.default!r})".replace("%", "%%")
            if flag.parse is _parse_bool:
                parser.add_argument("--" + flag.name, dest=flag.name, action="store_true",
                                    help=help_text)
                parser.add_argument("--no" + flag.name, dest=flag.name, action="store_false",
                                    help=argparse.SUPPRESS)
            else:
                parser.add_argument("--" + flag.name, dest=flag.name, help=help_text,
                                    metavar=flag.type_name)
        return parser

    def get_help(self):
        """The --help text listing every flag."""
        return self._parser(None).format_help()

    def is_parsed(self):
        return self._parsed

    def mark_as_parsed(self):
        """Reading flags from now on returns their values without parsing sys.argv."""
        object.__setattr__(self, "_parsed", True)

    def unparse_flags(self):
        """Every flag back to its default; the next read parses sys.argv again."""
        for flag in self._flags.values():
            flag.value = flag.default
            flag.present = False
        object.__setattr__(self, "_parsed", False)

    def flag_values_dict(self):
        """{name: value} of every flag."""
        return {name: flag.value for name, flag in self._flags.items()}


FLAGS = FlagValues()


def _define(name, default, help, parse, type_name, flag_values):  # noqa: A002 (TF1's name)
    flag_values._define(_Flag(name, default, help, parse, type_name))


def DEFINE_string(name, default, help, flag_values=FLAGS):  # noqa: A002,N802
    """Defines a string flag `--name`."""
    _define(name, default, help, str, "STRING", flag_values)


def DEFINE_integer(name, default, help, lower_bound=None, upper_bound=None,  # noqa: N802
                   flag_values=FLAGS):  # noqa: A002
    """Defines an integer flag `--name`, optionally bounded."""
    _define(name, default, help, _bounded(_int, lower_bound, upper_bound), "INT",
            flag_values)


def DEFINE_float(name, default, help, lower_bound=None, upper_bound=None,  # noqa: N802
                 flag_values=FLAGS):  # noqa: A002
    """Defines a float flag `--name`, optionally bounded."""
    _define(name, default, help, _bounded(float, lower_bound, upper_bound), "FLOAT",
            flag_values)


def DEFINE_boolean(name, default, help, flag_values=FLAGS):  # noqa: A002,N802
    """Defines a boolean flag: `--name`, `--noname` or `--name=true|false`."""
    _define(name, default, help, _parse_bool, "BOOL", flag_values)


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name, default, help, flag_values=FLAGS):  # noqa: A002,N802
    """Defines a flag holding a list of strings, given comma-separated (`--name=a,b,c`)."""
    _define(name, default, help, _parse_list, "LIST", flag_values)


def DEFINE_enum(name, default, enum_values, help, flag_values=FLAGS):  # noqa: A002,N802
    """Defines a string flag whose value must be one of `enum_values`."""
    choices = list(enum_values)
    if not choices:
        raise ValueError(f"enum flag {name!r} needs at least one value")

    def parse_enum(value):
        if value not in choices:
            raise ValueError(f"must be one of {choices}")
        return value
    _define(name, default, help, parse_enum, "|".join(choices), flag_values)
