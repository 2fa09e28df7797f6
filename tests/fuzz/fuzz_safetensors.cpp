// libFuzzer target: the safetensors reader. Any input must give tensors or a
// std::runtime_error naming the file: never a crash, an out-of-bounds read or an
// allocation the file's size does not justify.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "/tmp/tensorpoly-fuzz-" + std::to_string(::getpid()) + ".safetensors";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    for (const auto& [name, tensor] : tensorpoly::model::read_safetensors(path)) {
      (void)name;
      (void)tensor.sum();  // every byte of every tensor is readable
    }
  } catch (const std::runtime_error&) {  // a refused file
  }
  ::unlink(path.c_str());
  return 0;
}
