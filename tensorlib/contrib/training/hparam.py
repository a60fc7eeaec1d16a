"""`tf.contrib.training.HParams`: named hyperparameters with fixed types, overridden from a
"name=value,..." string (a command-line flag), a dict or JSON.

    hparams = HParams(learning_rate=0.1, num_hidden_units=100, layers=[64, 32])
    hparams.parse("learning_rate=0.3,layers=[128, 64]")
    hparams.learning_rate        # 0.3
"""
import json
import numbers
import re

# name=value pairs: a value is a [bracketed, list] or runs to the next comma.
_PAIR = re.compile(r"\s*(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>\[[^\]]*\]|[^,]*)\s*(,|$)")


def _cast(name, param_type, value):
    """`value` as `param_type`, refusing the conversions that lose meaning (float -> int,
    number <-> str, anything -> bool but a bool).

    Raises:
      ValueError: if value cannot be given that type.
    """
    if value is None or param_type is type(None):
        return value
    if param_type is bool:
        if not isinstance(value, bool):
            raise ValueError(f"Could not cast hparam '{name}' of type bool from {value!r}")
        return value
    if param_type is str:
        if not isinstance(value, str):
            raise ValueError(f"Could not cast hparam '{name}' of type str from {value!r}")
        return value
    if isinstance(value, (str, bool)) or not isinstance(value, numbers.Number):
        raise ValueError(f"Could not cast hparam '{name}' of type {param_type.__name__} from "
                         f"{value!r}")
    if issubclass(param_type, numbers.Integral) and not isinstance(value, numbers.Integral):
        raise ValueError(f"Could not cast hparam '{name}' of type {param_type.__name__} from "
                         f"the non-integer {value!r}")
    return param_type(value)


def _parse_scalar(name, param_type, text):
    """The value of `text` (from a parse string) for an hparam of `param_type`."""
    text = text.strip()
    if param_type is bool:
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise ValueError(f"Could not parse hparam '{name}' of type bool from {text!r}")
    if param_type is str:
        return text
    try:
        return param_type(text)
    except ValueError:
        raise ValueError(f"Could not parse hparam '{name}' of type {param_type.__name__} from "
                         f"{text!r}") from None


class HParams:
    """Hyperparameters as attributes. Each keeps the type of its first value (a list's
    elements keep their first element's type); setting or parsing checks it."""

    def __init__(self, hparam_def=None, model_structure=None, **kwargs):
        if hparam_def is not None:
            raise ValueError("HParams from a protocol buffer (hparam_def) are not supported; "
                             "pass the hyperparameters as keyword arguments.")
        self._hparam_types = {}
        self._model_structure = model_structure
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name, value):
        """Adds the hyperparameter `name` with `value` (its type fixes the hparam's).

        Raises:
          ValueError: if the name is taken (by an hparam or a method) or the list is empty.
        """
        if getattr(self, name, None) is not None:
            raise ValueError(f"Hyperparameter name is reserved: {name}")
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError(f"Multi-valued hyperparameters cannot be empty: {name}")
            self._hparam_types[name] = (type(value[0]), True)
        else:
            self._hparam_types[name] = (type(value), False)
        setattr(self, name, value)

    def set_hparam(self, name, value):
        """Sets the existing hyperparameter `name`, checking `value`'s type.

        Raises:
          KeyError: for an unknown name. ValueError: for a value of another type.
        """
        param_type, is_list = self._hparam_types[name]
        if isinstance(value, list):
            if not is_list:
                raise ValueError(f"Must not pass a list for single-valued parameter: {name}")
            setattr(self, name, [_cast(name, param_type, v) for v in value])
        else:
            if is_list:
                raise ValueError(f"Must pass a list for multi-valued parameter: {name}.")
            setattr(self, name, _cast(name, param_type, value))

    def del_hparam(self, name):
        """Removes the hyperparameter `name`, if there."""
        if name in self._hparam_types:
            delattr(self, name)
            del self._hparam_types[name]

    def parse(self, values):
        """Overrides hyperparameters from "name=value,name=[v1,v2],..."; returns self.

        Raises:
          ValueError: for an unknown name, a malformed string or a value of the wrong type.
        """
        parsed, position = {}, 0
        values = values.strip()
        while position < len(values):
            match = _PAIR.match(values, position)
            if not match or match.end() == position:
                raise ValueError(f"Malformed hyperparameter value at {values[position:]!r}")
            name, text = match.group("name"), match.group("value")
            if name not in self._hparam_types:
                raise ValueError(f"Unknown hyperparameter type for {name}")
            param_type, is_list = self._hparam_types[name]
            if is_list:
                items = text.strip().strip("[]").split(",")
                parsed[name] = [_parse_scalar(name, param_type, t) for t in items if t.strip()]
            else:
                parsed[name] = _parse_scalar(name, param_type, text)
            position = match.end()
        return self.override_from_dict(parsed)

    def override_from_dict(self, values_dict):
        """Sets each hyperparameter of `values_dict`; returns self."""
        for name, value in values_dict.items():
            self.set_hparam(name, value)
        return self

    def set_model_structure(self, model_structure):
        self._model_structure = model_structure

    def get_model_structure(self):
        return self._model_structure

    def to_json(self, indent=None, separators=None, sort_keys=False):
        """The hyperparameters as a JSON object."""
        return json.dumps(self.values(), indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def parse_json(self, values_json):
        """Overrides hyperparameters from a JSON object; returns self."""
        return self.override_from_dict(json.loads(values_json))

    def values(self):
        """{name: value} of every hyperparameter."""
        return {name: getattr(self, name) for name in self._hparam_types}

    def get(self, key, default=None):
        """The value of `key`, or `default` (which must have the hparam's type) if absent.

        Raises:
          ValueError: if default's type does not match the hyperparameter's.
        """
        if key not in self._hparam_types:
            return default
        if default is not None:
            param_type, is_list = self._hparam_types[key]
            if is_list != isinstance(default, (list, tuple)):
                raise ValueError(f"Hparam '{key}' and default {default!r} disagree on being "
                                 "a list.")
            for item in (default if is_list else [default]):
                _cast(key, param_type, item)
        return getattr(self, key)

    def __contains__(self, key):
        return key in self._hparam_types

    def __str__(self):
        return str(sorted(self.values().items()))

    def __repr__(self):
        return f"{type(self).__name__}({self})"
