// What the optimizer updates (ApplyAdam, SparseApplyMomentum, ...) of every device share:
// checking their inputs and preparing the variables they write in place. The kernels are
// src/ops/training_ops.cc (CPU) and cuda/ops/training.cu (GPU).
#pragma once

#include <string>
#include <vector>

#include "tensorlib/devices.h"
#include "tensorlib/graph.h"
#include "tensorlib/kernel.h"

namespace tl {

// A sparse update's grad must be [N] + var.shape[1:] for N = indices.shape[0], indices 1-D.
Status check_sparse_grad(const std::string& op, const Tensor& var, const Tensor& grad,
                         const Tensor& indices);

// The values of the first kRefs inputs (variables) of the running update in `refs`; an error
// naming the variable when one is uninitialized, or when two of them are one variable.
template <int kRefs>
Status read_variables(KernelContext& ctx, Tensor (&refs)[kRefs]) {
  const Node& node = ctx.graph_node();
  const std::vector<std::string>& names = node.op->inputs();
  for (int k = 0; k < kRefs; ++k) {
    const int32_t id = ctx.variable_of(k);
    for (int j = 0; j < k; ++j) {
      if (ctx.variable_of(j) == id) {
        return invalid_argument(names[j] + " and " + names[k] + " of " + node.op->name() +
                                " must be different variables");
      }
    }
    TL_RETURN_IF_ERROR(ctx.variable(id, &refs[k]));
    if (!refs[k].valid()) {
      // NOTE: attributed to the variable's node, so that the error names it and its line.
      return failed_precondition("Attempting to use uninitialized value (input '" + names[k] +
                                 "' of " + node.op->name() + ")")
          .with_node(id);
    }
  }
  return Status::OK();
}

// Makes each of `refs` (read_variables) the only holder of its buffer besides the session
// state, so that the update may write it in place: a value that a step of this run read
// earlier and still holds keeps what it read, the variable gets a copy.
template <int kRefs>
Status own_variables(KernelContext& ctx, Tensor (&refs)[kRefs]) {
  for (int k = 0; k < kRefs; ++k) {
    Tensor& t = refs[k];
    if (t.buffer()->owned() && t.buffer().use_count() == 2) continue;  // the state and `t`
    Tensor own;
    TL_RETURN_IF_ERROR(ctx.device().copy_within(t, &own));
    ctx.state().set_variable(ctx.variable_of(k), own);
    t = std::move(own);
  }
  return Status::OK();
}

// The values of the first kRefs inputs (variables) in `refs`, each the only holder of its
// buffer besides the session state so that it can be written in place, after checking them
// and the other inputs against var as TF's kernels do. Nothing is changed when a check fails.
// kIndices >= 0 marks a sparse update: input kGrad holds rows of var, input kIndices their rows.
// kStep >= 0 marks an int64 scalar input (AdagradDA's global step).
template <int kRefs, int kGrad, int kIndices = -1, int kStep = -1>
Status prepare_update(KernelContext& ctx, Tensor (&refs)[kRefs]) {
  TL_RETURN_IF_ERROR(read_variables(ctx, refs));
  const Node& node = ctx.graph_node();
  const std::vector<std::string>& names = node.op->inputs();
  const Tensor& var = refs[0];
  auto same_dtype = [&](const Tensor& t, const std::string& name) {
    if (t.dtype() == var.dtype()) return Status::OK();
    return invalid_argument(name + " has dtype " + dtype_name(t.dtype()) + " but var has " +
                            dtype_name(var.dtype()));
  };
  auto same_shape = [&](const Tensor& t, const std::string& name) {
    if (t.shape() == var.shape()) return Status::OK();
    return invalid_argument("var and " + name + " do not have the same shape" +
                            var.shape().to_string() + " " + t.shape().to_string());
  };
  for (int k = 1; k < kRefs; ++k) {
    TL_RETURN_IF_ERROR(same_dtype(refs[k], names[k]));
    TL_RETURN_IF_ERROR(same_shape(refs[k], names[k]));
  }
  for (int i = kRefs; i < ctx.num_inputs(); ++i) {
    const Tensor& t = ctx.input(i);
    if (i == kIndices) continue;
    if (i == kStep) {
      if (t.dtype() != DType::kInt64 || t.shape().rank() != 0) {
        return invalid_argument(names[i] + " must be an int64 scalar, got " +
                                dtype_name(t.dtype()) + " " + t.shape().to_string());
      }
      continue;
    }
    TL_RETURN_IF_ERROR(same_dtype(t, names[i]));
    if (i == kGrad && kIndices >= 0) {
      TL_RETURN_IF_ERROR(check_sparse_grad(node.op->name(), var, t, ctx.input(kIndices)));
    } else if (i == kGrad) {
      TL_RETURN_IF_ERROR(same_shape(t, names[i]));
    } else if (t.shape().rank() != 0) {
      return invalid_argument(names[i] + " is not a scalar: " + t.shape().to_string());
    }
  }
  return own_variables(ctx, refs);
}

}  // namespace tl
