"""Graph- and op-level random seeds, with TF1's rules."""
from tensorlib.framework import ops

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2 ** 31 - 1


def set_random_seed(seed):
    """Sets the graph-level seed of the default graph: random ops made afterwards give the same
    sequence in every new session."""
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
        seeds = (graph_seed, op_seed)
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, op_seed)
    else:
        return None, None
    # (0, 0) asks the kernel for nondeterministic numbers: never produce it from real seeds.
    if seeds == (0, 0):
        seeds = (0, _MAXINT32)
    return seeds
