"""contrib.layers.utils: the named-outputs collections slim's networks build their end points
from."""
from tensorlib.contrib.layers.layers import (  # noqa: F401
    collect_named_outputs, convert_collection_to_dict,
)
