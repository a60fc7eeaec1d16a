"""Nested structures of tensors (TF's `nest`, for tuples, lists and namedtuples): the states of
recurrent cells are such structures (an LSTMStateTuple, a tuple of them for a MultiRNNCell)."""


def is_sequence(seq):
    """True for a tuple, list or namedtuple (what nests); False for anything else (a leaf)."""
    return isinstance(seq, (tuple, list))


def flatten(structure):
    """The leaves of `structure`, depth first; [structure] when it is a leaf."""
    if not is_sequence(structure):
        return [structure]
    return [leaf for item in structure for leaf in flatten(item)]


def _rebuild(like, items):
    if hasattr(like, "_fields"):  # namedtuple
        return type(like)(*items)
    return type(like)(items)


def pack_sequence_as(structure, flat_sequence):
    """`flat_sequence` shaped as `structure` (whose leaves it replaces in flatten's order)."""
    flat_sequence = list(flat_sequence)
    if len(flat_sequence) != len(flatten(structure)):
        raise ValueError(f"Structure had {len(flatten(structure))} elements, but "
                         f"flat_sequence had {len(flat_sequence)} elements.")
    leaves = iter(flat_sequence)

    def pack(s):
        return _rebuild(s, [pack(item) for item in s]) if is_sequence(s) else next(leaves)

    return pack(structure)


def map_structure(fn, *structures):
    """fn applied to the leaves of `structures` (alike in structure), in their structure."""
    flats = [flatten(s) for s in structures]
    if any(len(f) != len(flats[0]) for f in flats):
        raise ValueError("The structures do not have the same number of elements.")
    return pack_sequence_as(structures[0], [fn(*leaves) for leaves in zip(*flats)])
