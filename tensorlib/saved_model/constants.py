"""File and directory names of a SavedModel directory (tensorlib's formats in TF's layout;
see docs/model_format.md, "SavedModel directories")."""
SAVED_MODEL_FILENAME = "saved_model.tlsm"
SAVED_MODEL_FILENAME_TEXT = "saved_model.tlsm.json"
VARIABLES_DIRECTORY = "variables"
VARIABLES_FILENAME = "variables"
ASSETS_DIRECTORY = "assets"
MAIN_OP_KEY = "saved_model_main_op"
LEGACY_INIT_OP_KEY = "legacy_init_op"
