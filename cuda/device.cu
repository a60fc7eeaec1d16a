// Device discovery and the allocate/copy/free round trip of the CUDA backend.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cuda/cuda_backend.h"
#include "cuda/ops/ops.h"

namespace tl {
namespace cuda {
namespace {

Status cuda_error(cudaError_t err, const char* what) {
  return internal_error(std::string(what) + " failed: " + cudaGetErrorName(err) + ": " +
                        cudaGetErrorString(err));
}

// y = 2 * x + 1 over 32-bit words: proves a kernel ran, not only that bytes moved.
__global__ void scale_and_shift(const uint32_t* x, uint32_t* y, size_t n) {
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < n;
       i += size_t{gridDim.x} * blockDim.x) {
    y[i] = 2u * x[i] + 1u;
  }
}

}  // namespace

std::vector<GpuInfo> list_gpus() {
  std::vector<GpuInfo> gpus;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" / "no device" error
    return gpus;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    gpus.push_back(GpuInfo{i, prop.name, prop.totalGlobalMem, prop.major, prop.minor,
                           prop.multiProcessorCount});
  }
  return gpus;
}

Status round_trip(int index, size_t bytes) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || index < 0 || index >= count) {
    cudaGetLastError();
    return invalid_argument("no GPU with index " + std::to_string(index));
  }
  cudaError_t err = cudaSetDevice(index);
  if (err != cudaSuccess) return cuda_error(err, "cudaSetDevice");

  const size_t n = (bytes + sizeof(uint32_t) - 1) / sizeof(uint32_t);
  std::vector<uint32_t> host(n), back(n);
  for (size_t i = 0; i < n; ++i) host[i] = static_cast<uint32_t>(i * 2654435761u);

  uint32_t* x = nullptr;
  uint32_t* y = nullptr;
  if ((err = cudaMalloc(&x, n * sizeof(uint32_t))) != cudaSuccess) {
    return cuda_error(err, "cudaMalloc");
  }
  if ((err = cudaMalloc(&y, n * sizeof(uint32_t))) != cudaSuccess) {
    cudaFree(x);
    return cuda_error(err, "cudaMalloc");
  }
  Status status;
  if ((err = cudaMemcpy(x, host.data(), n * sizeof(uint32_t), cudaMemcpyHostToDevice)) !=
      cudaSuccess) {
    status = cuda_error(err, "cudaMemcpy host to device");
  } else {
    scale_and_shift<<<256, 256>>>(x, y, n);
    if ((err = cudaGetLastError()) != cudaSuccess) {
      status = cuda_error(err, "kernel launch");
    } else if ((err = cudaMemcpy(back.data(), y, n * sizeof(uint32_t),
                                 cudaMemcpyDeviceToHost)) != cudaSuccess) {
      status = cuda_error(err, "cudaMemcpy device to host");
    } else {
      for (size_t i = 0; i < n; ++i) {
        if (back[i] != 2u * host[i] + 1u) {
          status = internal_error("GPU round trip returned wrong data at word " +
                                  std::to_string(i));
          break;
        }
      }
    }
  }
  cudaFree(x);
  cudaFree(y);
  return status;
}

void register_kernels(KernelRegistry& r) {
  register_devices();
  register_any_device_kernels(r);
  register_elementwise_kernels(r);
  register_reduction_kernels(r);
  register_matmul_kernels(r);
  register_nn_kernels(r);
  register_array_kernels(r);
  register_training_kernels(r);
}

}  // namespace cuda
}  // namespace tl
