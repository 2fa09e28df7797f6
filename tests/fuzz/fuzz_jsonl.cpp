// libFuzzer target: the JSONL task-suite reader. The input is the training file (and,
// after a NUL byte, the validation file). Any input must load or throw DataError
// (bad lines) or std::invalid_argument (a bad suite): never crash or hang.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

#include "data/jsonl_suite.h"

namespace {

std::string scratch_file(const char* name) {
  return "/tmp/tensorpoly-fuzz-" + std::to_string(::getpid()) + "-" + name;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  tensorpoly::JsonlSuiteConfig config;
  config.train_path = scratch_file("train.jsonl");
  write(config.train_path, input.substr(0, nul));
  config.validation_ratio = 0.25;
  if (nul != std::string::npos) {
    config.validation_path = scratch_file("validation.jsonl");
    write(config.validation_path, input.substr(nul + 1));
  }
  try {
    const tensorpoly::data::JsonlSuite suite(config);
    for (const auto& task : suite.tasks()) {
      if (suite.n_train_examples(task.index) > 0) (void)suite.train_example(task.index, 7);
      (void)suite.validation_examples(task.index);
    }
  } catch (const std::runtime_error&) {     // DataError: bad lines
  } catch (const std::invalid_argument&) {  // a configuration the data cannot satisfy
  }
  ::unlink(config.train_path.c_str());
  if (!config.validation_path.empty()) ::unlink(config.validation_path.c_str());
  return 0;
}
