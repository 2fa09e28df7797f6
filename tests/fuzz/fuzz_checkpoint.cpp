// libFuzzer target: the .pt readers. The input is a file given as a cached base model
// (model::read_checkpoint_tensors: the archive, every tensor against its storage, the
// checksum) and as a training checkpoint (train::read_checkpoint_info: the same and
// the metadata). Any input must be read or give a std::runtime_error naming the file:
// never a crash or a read outside a tensor's storage.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

#include "model/checkpoint_file.h"
#include "train/checkpointing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "/tmp/tensorpoly-fuzz-" + std::to_string(::getpid()) + ".pt";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    (void)tensorpoly::model::read_checkpoint_tensors(path);
  } catch (const std::runtime_error&) {  // a refused file
  }
  try {
    (void)tensorpoly::train::read_checkpoint_info(path);
  } catch (const std::runtime_error&) {
  }
  ::unlink(path.c_str());
  return 0;
}
