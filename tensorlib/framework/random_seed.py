"""Graph- and op-level random seeds, with TF1's rules."""
import operator

from tensorlib.framework import ops

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2 ** 31 - 1


def _truncate_seed(seed):
    """TF1's reduction of any integer seed into the kernels' 32-bit range (seed % (2^31 - 1))."""
    try:
        return operator.index(seed) % _MAXINT32
    except TypeError:
        raise TypeError(f"A random seed must be an integer or None, got {seed!r}") from None


def set_random_seed(seed):
    """Sets the graph-level seed of the default graph: random ops made afterwards give the same
    sequence in every new session. Any integer is accepted; as in TF1, it is reduced modulo
    2^31 - 1."""
    if seed is not None:
        _truncate_seed(seed)  # a seed that is no integer fails here, not in every random op
    ops.get_default_graph().seed = seed


def get_seed(op_seed):
    """The (seed, seed2) pair for a random op, from the graph seed and the op's own seed.

    Neither set: (None, None), a different sequence every run. Graph seed only: the op seed is
    derived from the number of ops in the graph, so identical graphs give identical numbers.
    """
    graph = ops.get_default_graph()
    graph_seed = graph.seed
    if graph_seed is not None:
        if op_seed is None:
            op_seed = graph.version
        seeds = (_truncate_seed(graph_seed), _truncate_seed(op_seed))
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, _truncate_seed(op_seed))
    else:
        return None, None
    # (0, 0) asks the kernel for nondeterministic numbers: never produce it from real seeds.
    if seeds == (0, 0):
        seeds = (0, _MAXINT32)
    return seeds
