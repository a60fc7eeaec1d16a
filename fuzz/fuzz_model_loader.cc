// libFuzzer target for the model loader (tl::load_model): it must return an error status for
// every input it cannot load, and never crash, leak or hit undefined behaviour.
//
// Each input is loaded twice: as given (the header checks and checksums), and with both
// checksums recomputed, so that mutations reach the sections behind them; the second copy's op
// libraries are also read alone (tl::read_model_op_libraries). Built and run by
// fuzz/run_fuzzer.sh; never part of the normal build.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tensorlib/crc32c.h"
#include "tensorlib/model.h"

namespace {

// Header fields (docs/model_format.md).
constexpr size_t kHeaderBytes = 64;
constexpr size_t kHeaderSizeAt = 12;
constexpr size_t kBodyCrcAt = 32;
constexpr size_t kHeaderCrcAt = 36;

// Rewrites the checksums of `bytes` where its header says where they go.
void fix_checksums(std::vector<uint8_t>& bytes) {
  if (bytes.size() < kHeaderBytes) return;
  uint32_t header_size;
  std::memcpy(&header_size, bytes.data() + kHeaderSizeAt, 4);
  if (header_size < kHeaderBytes || header_size > bytes.size()) return;
  const uint32_t body =
      tl::crc32c_extend(0, bytes.data() + header_size, bytes.size() - header_size);
  std::memcpy(bytes.data() + kBodyCrcAt, &body, 4);
  std::memset(bytes.data() + kHeaderCrcAt, 0, 4);
  const uint32_t header = tl::crc32c_extend(0, bytes.data(), header_size);
  std::memcpy(bytes.data() + kHeaderCrcAt, &header, 4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tl::Model model;
  (void)tl::load_model(data, size, &model);
  std::vector<uint8_t> fixed(data, data + size);
  fix_checksums(fixed);
  tl::Model fixed_model;
  (void)tl::load_model(fixed.data(), fixed.size(), &fixed_model);
  std::vector<tl::ModelOpLibrary> libraries;
  (void)tl::read_model_op_libraries(fixed.data(), fixed.size(), &libraries);
  return 0;
}
