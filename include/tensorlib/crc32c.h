// CRC-32C (Castagnoli), the checksum of TFRecord files such as TensorBoard's event files.
//
//   uint32_t crc = tl::crc32c_extend(0, data, size);
//   crc = tl::crc32c_extend(crc, more, more_size);  // the CRC of data followed by more
#pragma once

#include <cstddef>
#include <cstdint>

namespace tl {

// The CRC-32C of `n` bytes at `data` appended to bytes whose CRC-32C is `crc` (0 to start).
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n);

}  // namespace tl
