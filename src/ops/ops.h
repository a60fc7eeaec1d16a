// Registration of the built-in op families and of their CPU kernels, two functions per family
// (one file each). OpRegistry::global() calls every register_*_ops once and
// KernelRegistry::global() every register_*_kernels, in registry.cc.
#pragma once

#include "tensorlib/kernel.h"
#include "tensorlib/op_registry.h"

namespace tl {

void register_framework_ops(OpRegistry& r);  // framework_ops.cc: Placeholder, Const, variables
void register_math_ops(OpRegistry& r);       // math_ops.cc: elementwise, cast, compare
void register_matmul_ops(OpRegistry& r);     // matmul_ops.cc: MatMul, BatchMatMulV2
void register_reduction_ops(OpRegistry& r);  // reduction_ops.cc: Sum, Max, ..., ArgMax
void register_array_ops(OpRegistry& r);      // array_ops.cc: Reshape, Shape, Range, Where
void register_transpose_ops(OpRegistry& r);  // transpose_ops.cc: Transpose, ReverseV2, Tile
void register_slice_ops(OpRegistry& r);      // slice_ops.cc: Slice, StridedSlice, Pad
void register_concat_ops(OpRegistry& r);     // concat_ops.cc: ConcatV2, Pack, Unpack, Split
void register_gather_ops(OpRegistry& r);     // gather_ops.cc: GatherV2, OneHot
void register_random_ops(OpRegistry& r);     // random_ops.cc: RandomStandardNormal, RandomUniform
void register_nn_ops(OpRegistry& r);         // nn_ops.cc: activations, softmax, losses, BiasAdd
void register_conv_ops(OpRegistry& r);       // conv_ops.cc: Conv2D and its gradients
void register_pooling_ops(OpRegistry& r);    // pooling_ops.cc: MaxPool, AvgPool, gradients
void register_training_ops(OpRegistry& r);   // training_ops.cc: ApplyAdam and the other updates
void register_summary_ops(OpRegistry& r);    // summary_ops.cc: Scalar-, Histogram-, MergeSummary
void register_rnn_ops(OpRegistry& r);        // rnn_ops.cc: LSTMBlockCell, GRUBlockCell, gradients
void register_control_flow_ops(OpRegistry& r);  // control_flow_ops.cc: If, While, TensorArrays
void register_script_ops(OpRegistry& r);     // script_ops.cc: PyFunc
void register_debugging_ops(OpRegistry& r);  // debugging_ops.cc: Print, Assert, CheckNumerics
void register_selection_ops(OpRegistry& r);  // selection_ops.cc: TopKV2, InTopKV2, Unique
void register_image_ops(OpRegistry& r);      // image_ops.cc: ResizeBilinear, ResizeNearestNeighbor
// state_ops.cc: ScatterUpdate/Add/Sub/Mul/Div/Max/Min, ScatterNdUpdate/Add/Sub on variables
void register_state_ops(OpRegistry& r);
void register_data_ops(OpRegistry& r);  // data_ops.cc: MakeIterator, IteratorGetNext (tf.data)
// Input pipelines: queue_ops.cc (queues), io_ops.cc (readers, files, CSV, raw bytes),
// parsing_ops.cc (tf.train.Example).
void register_queue_ops(OpRegistry& r);
void register_io_ops(OpRegistry& r);
void register_parsing_ops(OpRegistry& r);

void register_framework_kernels(KernelRegistry& r);
void register_math_kernels(KernelRegistry& r);
void register_matmul_kernels(KernelRegistry& r);
void register_reduction_kernels(KernelRegistry& r);
void register_array_kernels(KernelRegistry& r);
void register_transpose_kernels(KernelRegistry& r);
void register_slice_kernels(KernelRegistry& r);
void register_concat_kernels(KernelRegistry& r);
void register_gather_kernels(KernelRegistry& r);
void register_random_kernels(KernelRegistry& r);
void register_nn_kernels(KernelRegistry& r);
void register_conv_kernels(KernelRegistry& r);
void register_pooling_kernels(KernelRegistry& r);
void register_training_kernels(KernelRegistry& r);
void register_summary_kernels(KernelRegistry& r);
void register_rnn_kernels(KernelRegistry& r);
void register_control_flow_kernels(KernelRegistry& r);
void register_script_kernels(KernelRegistry& r);
void register_debugging_kernels(KernelRegistry& r);
void register_selection_kernels(KernelRegistry& r);
void register_image_kernels(KernelRegistry& r);
void register_state_kernels(KernelRegistry& r);
void register_data_kernels(KernelRegistry& r);
void register_queue_kernels(KernelRegistry& r);
void register_io_kernels(KernelRegistry& r);
void register_parsing_kernels(KernelRegistry& r);

}  // namespace tl
