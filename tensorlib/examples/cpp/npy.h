// NumPy .npy files (format version 1.0 and 2.0, C order, little-endian numbers) as tensors:
// enough to hand arrays between a Python script and a C++ program.
#pragma once

#include <string>

#include "tensorlib/status.h"
#include "tensorlib/tensor.h"

// Reads the array in the .npy file at `path` into a new tensor: float32, float64, int32, int64
// or bool, C order.
tl::Status read_npy(const std::string& path, tl::Tensor* out);

// Writes `t` (a numeric or bool tensor) as a .npy file at `path`.
tl::Status write_npy(const std::string& path, const tl::Tensor& t);
