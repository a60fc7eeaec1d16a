"""`tf.contrib.framework`: arg_scope, the model-variable helpers and the global step."""
from tensorlib.contrib.framework.arg_scope import (  # noqa: F401
    add_arg_scope, arg_scope, arg_scoped_arguments, current_arg_scope, has_arg_scope,
)
from tensorlib.contrib.framework.variables import (  # noqa: F401
    assign_from_values, get_local_variables, get_model_variables, get_trainable_variables,
    get_unique_variable, get_variables, get_variables_by_name, get_variables_to_restore,
    model_variable, variable,
)
from tensorlib.util import nest  # noqa: F401
from tensorlib.train.training_util import (  # noqa: F401
    assert_global_step, create_global_step, get_global_step, get_or_create_global_step,
)
