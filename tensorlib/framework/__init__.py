"""Graph construction: graphs, operations, tensors, shapes, name scopes and constants."""
