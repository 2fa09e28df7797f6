// The one way the app tests run a program: run_cli (tensorpoly-run) and run_command
// (any command line, e.g. the GUI smoke script), each returning the exit code and
// stdout and stderr apart; plus temporary store paths.
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
  int exit_code = -1;  // -1 when the program did not exit by itself (killed by a signal)
  std::string out;     // stdout
  std::string err;     // stderr
  std::string all;     // stdout, then stderr
};

// Runs `command_line` with /bin/sh (arguments already quoted), stdin from /dev/null
// unless the command line says otherwise. stderr goes through a temporary file, so
// that the two streams cannot block each other.
inline CliResult run_command(const std::string& command_line) {
  static int counter = 0;
  const std::string err_file =
      (std::filesystem::temp_directory_path() /
       ("tp-cli-err-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
          .string();
  const std::string command = "{ " + command_line + " ; } </dev/null 2>'" + err_file + "'";
  CliResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  // The shell reports a program killed by signal N as exit status 128 + N.
  result.exit_code = WIFEXITED(status) && WEXITSTATUS(status) <= 128 ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_file);
  result.err.assign(std::istreambuf_iterator<char>(err), {});
  result.all = result.out + result.err;
  std::filesystem::remove(err_file);
  return result;
}

// Runs tensorpoly-run with `arguments` (already quoted). `prefix` goes before the
// program: environment changes (`env -u VAR NAME=value`, or just `NAME=value`) or a
// wrapper such as `timeout -s INT 5`.
inline CliResult run_cli(const std::string& arguments, const std::string& prefix = {}) {
  return run_command(prefix + " '" + TENSORPOLY_RUN_EXE + "' " + arguments);
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
