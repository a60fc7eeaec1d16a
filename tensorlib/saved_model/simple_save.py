"""simple_save: a serving SavedModel in one call (TF1's tf.saved_model.simple_save)."""
from tensorlib.saved_model import builder, signature_constants, signature_def_utils, \
    tag_constants


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None):
    """Writes the graph of `session` with its variables' values to `export_dir`, tagged
    SERVING, with one predict signature (DEFAULT_SERVING_SIGNATURE_DEF_KEY) of the
    {name: Tensor} `inputs` and `outputs`."""
    signature = signature_def_utils.predict_signature_def(inputs, outputs)
    b = builder.SavedModelBuilder(export_dir)
    b.add_meta_graph_and_variables(
        session, [tag_constants.SERVING],
        signature_def_map={signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY: signature},
        legacy_init_op=legacy_init_op)
    return b.save()
