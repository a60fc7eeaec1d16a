"""Nested structures of values (lists, tuples, namedtuples, dicts) as TF1's `nest` sees them.

Sequences are flattened in order, dicts by sorted key; everything else is a leaf.
"""


def is_sequence(x):
    return isinstance(x, (list, tuple, dict))


def _items(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def flatten(structure):
    """The leaves of `structure`, in order."""
    if not is_sequence(structure):
        return [structure]
    out = []
    for item in _items(structure):
        out.extend(flatten(item))
    return out


def _rebuild(like, items):
    if isinstance(like, dict):
        return type(like)((k, v) for k, v in zip(sorted(like), items))
    if hasattr(like, "_fields"):  # namedtuple
        return type(like)(*items)
    return type(like)(items)


def pack_sequence_as(structure, flat):
    """`flat`'s values arranged as `structure`'s leaves."""
    flat = list(flat)
    if not is_sequence(structure):
        if len(flat) != 1:
            raise ValueError(f"Structure is a scalar but len(flat_sequence) == {len(flat)} > 1")
        return flat[0]
    position = [0]

    def build(s):
        if not is_sequence(s):
            position[0] += 1
            return flat[position[0] - 1]
        return _rebuild(s, [build(item) for item in _items(s)])

    n = len(flatten(structure))
    if n != len(flat):
        raise ValueError(f"Could not pack sequence. Structure had {n} elements, but "
                         f"flat_sequence had {len(flat)} elements.")
    return build(structure)


def assert_same_structure(a, b, check_types=True):
    """Raises ValueError (TypeError for different sequence types) unless `a` and `b` nest
    alike."""
    if is_sequence(a) != is_sequence(b):
        raise ValueError("The two structures don't have the same nested structure.\n\n"
                         f"First structure: {a}\n\nSecond structure: {b}")
    if not is_sequence(a):
        return
    if check_types and type(a) is not type(b):
        raise TypeError("The two structures don't have the same sequence type. First "
                        f"structure has type {type(a)}, while second structure has type "
                        f"{type(b)}.")
    if isinstance(a, dict) and sorted(a) != sorted(b):
        raise ValueError("The two dictionaries don't have the same set of keys. First "
                         f"structure has keys {sorted(a)}, while second structure has keys "
                         f"{sorted(b)}.")
    if len(a) != len(b):
        raise ValueError("The two structures don't have the same number of elements.\n\n"
                         f"First structure: {a}\n\nSecond structure: {b}")
    for x, y in zip(_items(a), _items(b)):
        assert_same_structure(x, y, check_types)


def map_structure(fn, *structures):
    """`fn` applied to corresponding leaves, arranged as the first structure."""
    for s in structures[1:]:
        assert_same_structure(structures[0], s)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [fn(*xs) for xs in zip(*flats)])
