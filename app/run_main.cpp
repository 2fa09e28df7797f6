// tensorpoly-run — the headless runner (GPU boxes, clusters, scripts).
// Subcommands live in app/run/*.cpp and register themselves (run/command.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "run/command.h"
#include "run/options.h"
#include "tensorpoly/runtime.h"
#include "tensorpoly/sessions/store.h"

namespace {

void print_help() {
  using namespace tensorpoly::app;
  std::cout << "usage: tensorpoly-run COMMAND [options]\n"
               "       tensorpoly-run --version | --help | help COMMAND\n\ncommands:\n";
  for (const auto& [name, command] : commands()) {
    std::cout << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ')
              << command.summary << "\n";
  }
  std::cout
      << "\nexit codes:\n"
         "  0  success\n"
         "  1  the run failed (an error while running)\n"
         "  2  bad command line or configuration (the message names the field)\n"
         "  3  training diverged (NaN/Inf in loss or gradients)\n"
         "  4  stopped before the end (SIGINT/SIGTERM/SIGHUP or a stop request)\n"
         "  5  the SQLite store could not be opened, read or written, or has no run with the\n"
         "     given --run ID (a malformed ID is 2)\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tensorpoly::app;
  tensorpoly::select_blas_kernel(argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    print_help();
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::string name = args[0];
  if (name == "--version") name = "version";
  if (name == "help") {
    if (args.size() > 1 && commands().count(args[1])) {
      std::cout << commands()[args[1]].usage << "\n";
      return kExitOk;
    }
    print_help();
    return kExitOk;
  }
  auto found = commands().find(name);
  if (found == commands().end()) {
    std::cerr << "tensorpoly-run: unknown command '" << name << "' (see tensorpoly-run --help)\n";
    return kExitUsage;
  }
  args.erase(args.begin());
  if (has_flag(args, "help")) {
    std::cout << found->second.usage << "\n";
    return kExitOk;
  }
  try {
    // --threads is every command's: checked here, once, before the command runs.
    tensorpoly::configure_threads(static_cast<int>(integer_option(args, threads_option(), 0)));
    return found->second.run(args);
  } catch (const std::invalid_argument& error) {
    std::cerr << "tensorpoly-run " << name << ": " << error.what() << "\n";
    return kExitUsage;
  } catch (const tensorpoly::sessions::StoreError& error) {
    std::cerr << "tensorpoly-run " << name << ": " << error.what() << "\n";
    return kExitStoreError;
  } catch (const std::exception& error) {
    std::cerr << "tensorpoly-run " << name << ": " << error.what() << "\n";
    return kExitFailure;
  }
}
