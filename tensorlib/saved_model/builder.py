"""SavedModelBuilder: writes a SavedModel directory (TF1's tf.saved_model.builder), in TF's
layout with tensorlib's formats:

    export_dir/saved_model.tlsm          the meta graphs (docs/model_format.md)
    export_dir/variables/variables.tlckpt  the variables (tensorlib's checkpoint format)

Everything is written into a new directory beside `export_dir` and renamed to `export_dir`
by save(), so a reader sees no SavedModel or a whole one.
"""
import os
import shutil
import uuid

from tensorlib.framework import meta_graph, ops
from tensorlib.saved_model import constants
from tensorlib.train import saver as saver_lib


class SavedModelBuilder:
    """Collects meta graphs and one set of variables, then writes them to `export_dir`."""

    def __init__(self, export_dir):
        self._export_dir = os.fspath(export_dir)
        _check_new_export_dir(self._export_dir)
        parent = os.path.dirname(os.path.abspath(self._export_dir))
        self._tmp_dir = os.path.join(
            parent, f".{os.path.basename(self._export_dir)}.{uuid.uuid4().hex}.tmp")
        self._meta_graphs = []
        self._has_variables = False

    def add_meta_graph_and_variables(self, sess, tags, signature_def_map=None,
                                     assets_collection=None, legacy_init_op=None,
                                     clear_devices=False, main_op=None,
                                     strip_default_attrs=False, saver=None):
        """Saves the variables' values in `sess` and the graph under `tags`."""
        if self._has_variables:
            raise AssertionError("Graph state including variables and assets has already "
                                 "been saved. Please invoke `add_meta_graph()` instead.")
        _check_assets(assets_collection)
        saver = saver or _default_saver(sess.graph)
        os.makedirs(os.path.join(self._tmp_dir, constants.VARIABLES_DIRECTORY))
        try:
            if saver is not None:
                saver.save(sess, os.path.join(self._tmp_dir, constants.VARIABLES_DIRECTORY,
                                              constants.VARIABLES_FILENAME),
                           write_meta_graph=False, write_state=False)
        except BaseException:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            raise
        self._has_variables = True
        self._add(sess.graph, tags, signature_def_map, legacy_init_op, main_op,
                  clear_devices, saver)

    def add_meta_graph(self, tags, signature_def_map=None, assets_collection=None,
                       legacy_init_op=None, clear_devices=False, main_op=None,
                       strip_default_attrs=False, saver=None):
        """Adds the default graph under `tags`, restoring the variables saved before."""
        if not self._has_variables:
            raise AssertionError("Graph state including variables and assets has not been "
                                 "saved yet. Please invoke `add_meta_graph_and_variables()` "
                                 "first.")
        _check_assets(assets_collection)
        graph = ops.get_default_graph()
        self._add(graph, tags, signature_def_map, legacy_init_op, main_op, clear_devices,
                  saver or _default_saver(graph))

    def _add(self, graph, tags, signature_def_map, legacy_init_op, main_op, clear_devices,
             saver):
        if main_op is not None and legacy_init_op is not None:
            raise ValueError("Both main_op and legacy_init_op are set: pass one.")
        tags = [tags] if isinstance(tags, str) else list(tags)
        if any(set(tags) == set(m.meta_info_def.tags) for m in self._meta_graphs):
            raise AssertionError(f"A meta graph with tags {tags} was already added.")
        init_op = main_op if main_op is not None else legacy_init_op
        extra = {"tags": tags,
                 "signature_def": {k: v._to_json() for k, v in (signature_def_map or {}).items()},
                 "init_op": None if init_op is None else init_op.name}
        self._meta_graphs.append(meta_graph.create_meta_graph_def(
            graph, clear_devices=clear_devices, saver_def=saver, extra=extra))

    def save(self, as_text=False):
        """Writes the SavedModel and returns the path of its meta graphs file."""
        if not self._meta_graphs:
            raise AssertionError("No meta graph was added: call "
                                 "add_meta_graph_and_variables() first.")
        parts = [m.SerializeToString() for m in self._meta_graphs]
        blob, index = bytearray(), []
        for part in parts:
            index.append([len(blob), len(part)])
            blob += part
        filename = constants.SAVED_MODEL_FILENAME_TEXT if as_text \
            else constants.SAVED_MODEL_FILENAME
        with open(os.path.join(self._tmp_dir, filename), "wb") as f:
            f.write(meta_graph.encode({"saved_model": index}, blob, as_text))
        try:
            _check_new_export_dir(self._export_dir)
            if os.path.isdir(self._export_dir):
                os.rmdir(self._export_dir)  # empty: the finished SavedModel takes its place
            os.rename(self._tmp_dir, self._export_dir)
        except BaseException:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            raise
        return os.path.join(self._export_dir, filename)


def _check_new_export_dir(export_dir):
    if os.path.exists(export_dir) and (not os.path.isdir(export_dir) or os.listdir(export_dir)):
        raise AssertionError("Export directory already exists, and isn't empty. Please choose "
                             "a different export directory, or delete all the contents of the "
                             f"specified directory: {export_dir}")


def _check_assets(assets_collection):
    if assets_collection:
        raise NotImplementedError("tensorlib's SavedModels hold no assets "
                                  f"(assets_collection={assets_collection!r})")


def _default_saver(graph):
    """A Saver of the graph's global variables, or None when it has none."""
    variables = graph.get_collection(ops.GraphKeys.GLOBAL_VARIABLES)
    if not variables:
        return None
    with graph.as_default():
        return saver_lib.Saver(variables)
