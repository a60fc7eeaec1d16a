"""Every registered op has a shape function (enforced in C++), a CPU kernel, and a test line
against NumPy (which calls its Python wrapper). An op counts as tested where a test really
builds it: the op types of each table case's graph, and of the graphs each test named in
COVERED_ELSEWHERE builds (recorded by running those tests), not the labels written beside them."""
import importlib
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

import op_recorder
import tensorlib as tf
from tensorlib import _core

# The OPS tables of every op family's test module (tests/test_*_ops.py).
OPS = [case for path in sorted(pathlib.Path(__file__).parent.glob("test_*_ops.py"))
       for case in importlib.import_module(path.stem).OPS]

# Ops that are not tested through the NumPy table, and the test that covers each instead.
COVERED_ELSEWHERE = {
    "Placeholder": "test_session.py::test_fetch_structures",
    "Const": "test_graph.py::test_tensor_names_shapes_and_dtypes",
    "VariableV2": "test_variables.py::test_initializers_and_values",
    "Assign": "test_variables.py::test_assign_shape_is_validated",
    "VariableRef": "test_control_flow_ops.py::test_branches_and_loop_bodies_update_variables",
    "NoOp": "test_variables.py::test_load_and_variables_initializer",
    "Fill": "test_math_ops.py::test_fill_zeros_ones",
    "RandomStandardNormal": "test_random_ops.py::test_random_normal_statistics_and_seed",
    "RandomUniform": "test_random_ops.py::test_random_uniform_statistics_and_range",
    "RandomUniformInt": "test_random_ops.py::test_random_uniform_int_covers_its_range",
    "TruncatedNormal": "test_random_ops.py::test_truncated_normal_statistics_and_range",
    "RandomShuffle": "test_random_ops.py::test_random_shuffle_permutes_rows",
    "Multinomial": "test_random_ops.py::test_multinomial_follows_the_softmax_of_the_logits",
    "StopGradient": "test_gradients.py::test_stop_gradient_blocks_both_forms",
    "SumToShape": "test_gradients.py::test_broadcast_reduction_with_unknown_shapes",
    "AssignAdd": "test_variables.py::test_assign_add_and_sub_accumulate_like_numpy",
    "AssignSub": "test_variables.py::test_assign_add_and_sub_accumulate_like_numpy",
    "IsVariableInitialized": "test_variables.py::test_is_variable_initialized",
    "ApplyAdagrad": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ApplyAdam": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ApplyCenteredRMSProp": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ApplyGradientDescent": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ApplyMomentum": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ApplyRMSProp": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ScalarSummary": "test_summary.py::test_scalar_summary_value_types",
    "HistogramSummary": "test_summary.py::test_histogram_matches_tf_buckets",
    "MergeSummary": "test_summary.py::test_merge_concatenates_values_and_rejects_repeated_tags",
    "PyFunc": "test_py_func.py::test_py_func_computes_with_numpy_and_feeds_the_graph",
    "ImageSummary": "test_summary_media.py::test_image_summary_pixels_and_tags_match_tensorflow",
    "AudioSummaryV2": "test_summary_media.py::test_audio_summary_writes_16_bit_wav",
    "TextSummary": "test_summary_media.py::test_text_summary_holds_the_strings_for_the_text_plugin",
    "Print": "test_debugging.py::test_print_passes_its_input_and_prints_a_summary",
    "PrintV2": "test_debugging.py::test_tf_print_formats_like_numpy_with_python_values",
    "Assert": "test_debugging.py::test_assert_fails_the_run_with_its_data",
    "CheckNumerics": "test_debugging.py::test_check_numerics_names_what_it_found",
    # TF's cubic kernel is a table of 1024 steps: checked against TensorFlow's values.
    "ResizeBicubic": "test_image_ops.py::test_resize_and_its_gradient_match_tensorflow",
    "ResizeBicubicGrad": "test_image_ops.py::test_resize_and_its_gradient_match_tensorflow",
    # Candidate samplers of the sampled losses.
    "UniformCandidateSampler":
        "test_sampled_losses.py::test_sampler_without_unique_follows_its_distribution",
    "LogUniformCandidateSampler":
        "test_sampled_losses.py::test_sampler_without_unique_follows_its_distribution",
    "FixedUnigramCandidateSampler":
        "test_sampled_losses.py::test_sampler_without_unique_follows_its_distribution",
    "ComputeAccidentalHits": "test_sampled_losses.py::test_accidental_hits_match_numpy",
    # Sparse updates: scatter ops on variables and the optimizers' SparseApply* ops.
    "ScatterUpdate": "test_state_ops.py::test_scatter_matches_numpy",
    "ScatterAdd": "test_state_ops.py::test_scatter_matches_numpy",
    "ScatterSub": "test_state_ops.py::test_scatter_matches_numpy",
    "ScatterMul": "test_state_ops.py::test_scatter_matches_numpy",
    "ScatterDiv": "test_state_ops.py::test_scatter_matches_numpy",
    "ScatterMax": "test_state_ops.py::test_scatter_matches_numpy",
    "ScatterMin": "test_state_ops.py::test_scatter_matches_numpy",
    "ScatterNdUpdate": "test_state_ops.py::test_scatter_nd_matches_numpy",
    "ScatterNdAdd": "test_state_ops.py::test_scatter_nd_matches_numpy",
    "ScatterNdSub": "test_state_ops.py::test_scatter_nd_matches_numpy",
    "ApplyAdadelta": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ApplyFtrl": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ApplyFtrlV2": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ApplyProximalGradientDescent": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "ApplyProximalAdagrad": "test_optimizers.py::test_optimizer_matches_numpy_reference",
    "SparseApplyMomentum": "test_optimizers.py::test_sparse_update_matches_numpy_reference",
    "SparseApplyAdagrad": "test_optimizers.py::test_sparse_update_matches_numpy_reference",
    "SparseApplyRMSProp": "test_optimizers.py::test_sparse_update_matches_numpy_reference",
    "SparseApplyCenteredRMSProp": "test_optimizers.py::test_sparse_update_matches_numpy_reference",
    "SparseApplyAdadelta": "test_optimizers.py::test_sparse_update_matches_numpy_reference",
    "SparseApplyFtrl": "test_optimizers.py::test_sparse_update_matches_numpy_reference",
    "SparseApplyFtrlV2": "test_optimizers.py::test_sparse_update_matches_numpy_reference",
    "SparseApplyProximalGradientDescent":
        "test_optimizers.py::test_sparse_update_matches_numpy_reference",
    "SparseApplyProximalAdagrad": "test_optimizers.py::test_sparse_update_matches_numpy_reference",
    "ApplyAdagradDA": "test_optimizers.py::test_optimizer_matches_tensorflow",
    "SparseApplyAdagradDA": "test_optimizers.py::test_optimizer_matches_tensorflow",
    # tf.data
    "MakeIterator": "test_data.py::test_initializable_iterator_with_fed_placeholder_restarts",
    "IteratorGetNext": "test_data.py::test_iterator_from_structure_switches_datasets",
    # Input pipelines: queues, readers, decoders, Example parsing.
    "FIFOQueueV2": "test_queues.py::test_fifo_queue_order_size_and_close",
    "QueueEnqueueV2": "test_queues.py::test_fifo_queue_order_size_and_close",
    "QueueEnqueueManyV2": "test_queues.py::test_fifo_queue_order_size_and_close",
    "QueueDequeueV2": "test_queues.py::test_fifo_queue_order_size_and_close",
    "QueueDequeueManyV2": "test_queues.py::test_fifo_queue_order_size_and_close",
    "QueueDequeueUpToV2": "test_queues.py::test_fifo_queue_order_size_and_close",
    "QueueCloseV2": "test_queues.py::test_fifo_queue_order_size_and_close",
    "QueueSizeV2": "test_queues.py::test_fifo_queue_order_size_and_close",
    "QueueIsClosedV2": "test_queues.py::test_fifo_queue_order_size_and_close",
    "RandomShuffleQueueV2":
        "test_queues.py::test_random_shuffle_queue_is_seeded_and_keeps_min_after_dequeue",
    "PaddingFIFOQueueV2": "test_queues.py::test_padding_fifo_queue_pads_each_batch_to_its_largest",
    "CountUpTo": "test_queues.py::test_count_up_to",
    "TextLineReaderV2": "test_queues.py::test_csv_pipeline_end_to_end",
    "ReaderReadV2": "test_queues.py::test_csv_pipeline_end_to_end",
    "ReaderReadUpToV2":
        "test_queues.py::test_read_up_to_and_whole_file_and_fixed_length_readers",
    "WholeFileReaderV2":
        "test_queues.py::test_read_up_to_and_whole_file_and_fixed_length_readers",
    "FixedLengthRecordReaderV2":
        "test_queues.py::test_read_up_to_and_whole_file_and_fixed_length_readers",
    "TFRecordReaderV2":
        "test_tfrecord.py::test_reader_op_reads_tensorflow_files_with_offsets_as_keys",
    "ReadFile": "test_queues.py::test_read_file_write_file_and_missing_file",
    "WriteFile": "test_queues.py::test_read_file_write_file_and_missing_file",
    "DecodeCSV": "test_example_proto.py::test_decode_csv_matches_tensorflow",
    "DecodeRaw": "test_queues.py::test_decode_raw_and_string_to_number",
    "StringToNumber": "test_queues.py::test_decode_raw_and_string_to_number",
    "ParseExample": "test_example_proto.py::test_parse_example_matches_tensorflow",
    "SparseToDense": "test_example_proto.py::test_parse_example_matches_tensorflow",
}


def _tensorlib_ops():
    """tensorlib's own ops, without those of op libraries that other tests load."""
    return [op for op in _core.registered_ops() if not _core.op_library_of(op)]


def test_every_op_has_a_cpu_kernel():
    missing = [op for op in _tensorlib_ops() if not _core.has_kernel(op, 0)]
    assert not missing


def built_by_case(case):
    """The op types a table case builds, in its graph and the functions it calls, as
    check_op builds it: from constants and from placeholders of unknown dims."""
    _, _, fn, _, shapes, dtype, _ = case
    types = set()
    with op_recorder.recording(types):
        for fed in (False, True):
            with tf.Graph().as_default():
                if fed:
                    fn(*[tf.placeholder(tf.as_dtype(dtype), [None] * len(s)) for s in shapes])
                else:
                    fn(*[tf.constant(np.zeros(shape, dtype)) for shape in shapes])
    return types


def built_by_tests(tests, tmp_path):
    """{test: op types its graphs hold} for `tests` ("file.py::name"), run with op_recorder."""
    record = tmp_path / "ops.json"
    here = pathlib.Path(__file__).parent
    env = dict(os.environ, TENSORLIB_OP_RECORD=str(record))
    env["PYTHONPATH"] = os.pathsep.join([str(here), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "op_recorder", *sorted(set(tests))],
                         cwd=here, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    built = {}
    for node_id, types in json.loads(record.read_text()).items():
        path, _, name = node_id.partition("::")
        test = f"{pathlib.Path(path).name}::{name.split('[')[0]}"  # with every parameter
        built.setdefault(test, set()).update(types)
    return built


def test_every_table_case_builds_the_ops_it_names():
    built = [built_by_case(case) for case in OPS]
    wrong = [(case[0], sorted(set(case[1]) - types)) for case, types in zip(OPS, built)
             if not set(case[1]) <= types]
    assert not wrong, f"cases that do not build the ops they name: {wrong}"


def test_every_op_has_a_test(tmp_path):
    tested = set().union(*(built_by_case(case) for case in OPS))
    elsewhere = {op: test for op, test in COVERED_ELSEWHERE.items() if op not in tested}
    built = built_by_tests(elsewhere.values(), tmp_path)
    not_built = sorted(op for op, test in elsewhere.items() if op not in built.get(test, ()))
    assert not not_built, f"ops that the test named for them does not build: {not_built}"
    untested = sorted(set(_tensorlib_ops()) - tested - set(elsewhere))
    assert not untested, f"ops without a test line: {untested}"
