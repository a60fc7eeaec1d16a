"""Op wrappers by family, each beside its gradient rule (math, array, nn, random, state)."""
