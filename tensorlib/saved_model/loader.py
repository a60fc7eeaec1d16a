"""Loading a SavedModel that SavedModelBuilder wrote (TF1's tf.saved_model.loader)."""
import os

from tensorlib.framework import meta_graph
from tensorlib.saved_model import constants


def maybe_saved_model_directory(export_dir):
    """True when `export_dir` holds a SavedModel's meta graphs file."""
    return any(os.path.isfile(os.path.join(os.fspath(export_dir), name))
               for name in (constants.SAVED_MODEL_FILENAME,
                            constants.SAVED_MODEL_FILENAME_TEXT))


def _read_meta_graphs(export_dir):
    for name in (constants.SAVED_MODEL_FILENAME, constants.SAVED_MODEL_FILENAME_TEXT):
        path = os.path.join(export_dir, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                document, blob = meta_graph.decode(f.read(), path)
            return [meta_graph.MetaGraphDef(*meta_graph.decode(blob[o:o + n], path))
                    for o, n in document["saved_model"]]
    raise OSError(f"SavedModel file does not exist at: {export_dir}/"
                  f"{{{constants.SAVED_MODEL_FILENAME}|{constants.SAVED_MODEL_FILENAME_TEXT}}}")


def load(sess, tags, export_dir, import_scope=None, **saver_kwargs):
    """Imports the meta graph saved under `tags` into `sess.graph`, restores its variables
    in `sess`, runs its init op; returns the MetaGraphDef (signature_def, collection_def)."""
    export_dir = os.fspath(export_dir)
    tags = [tags] if isinstance(tags, str) else list(tags)
    metas = _read_meta_graphs(export_dir)
    found = [m for m in metas if set(m.meta_info_def.tags) == set(tags)]
    if not found:
        raise RuntimeError(f"MetaGraphDef associated with tags {tags} could not be found in "
                           f"SavedModel. Available tags: "
                           f"{[m.meta_info_def.tags for m in metas]}")
    meta = found[0]
    saver = meta_graph.saver_for(*meta_graph.import_scoped_meta_graph(
        meta, graph=sess.graph, import_scope=import_scope))
    if saver is not None:
        saver.restore(sess, os.path.join(export_dir, constants.VARIABLES_DIRECTORY,
                                         constants.VARIABLES_FILENAME))
    init_op = meta._document.get("init_op")
    if init_op is not None:
        scoped = f"{import_scope}/{init_op}" if import_scope else init_op
        sess.run(sess.graph.get_operation_by_name(scoped))
    return meta
