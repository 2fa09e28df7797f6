// Helpers shared by the tensorpoly-run tests: run the binary, temporary store paths.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include "test_paths.h"

namespace tensorpoly::app::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout only
  std::string all;  // stdout and stderr
};

// Runs tensorpoly-run with `arguments` (already quoted); stderr goes to a file.
inline CliResult run_cli(const std::string& arguments, const std::string& environment = {}) {
  static int counter = 0;
  const std::string err_file =
      (std::filesystem::temp_directory_path() /
       ("tp-cli-err-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
          .string();
  const std::string command =
      environment + " '" + TENSORPOLY_RUN_EXE + "' " + arguments + " 2>'" + err_file + "'";
  CliResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_file);
  result.all = result.out + std::string(std::istreambuf_iterator<char>(err), {});
  std::filesystem::remove(err_file);
  return result;
}

inline std::string quote(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// A fresh path in a per-process temporary folder (the file does not exist).
inline std::filesystem::path temp_store(const std::string& name) {
  static int counter = 0;
  const auto dir =
      std::filesystem::temp_directory_path() / ("tensorpoly-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / (name + "-" + std::to_string(counter++) + ".sqlite");
  std::filesystem::remove(path);
  return path;
}

}  // namespace tensorpoly::app::testing
