// tensorpoly-run version: versions of the stack and what the runtime really uses.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <sqlite3.h>

#include <iostream>

#include "run/command.h"
#include "tensorpoly/runtime.h"

namespace tensorpoly::app {
namespace {

int print_version(const std::vector<std::string>&) {
  const RuntimeInfo info = runtime_info();
  std::cout << "tensorpoly-run " << info.app_version << "\n"
            << "LibTorch " << info.torch_version << "\n"
#ifdef TENSORPOLY_QT_VERSION
            << "Qt " << TENSORPOLY_QT_VERSION << "\n"
#else
            << "Qt not built (TENSORPOLY_GUI=OFF)\n"
#endif
            << "SQLite " << sqlite3_libversion() << "\n"
            << "CUDA " << (info.cuda_available ? "available" : "not available");
  if (info.cuda_available) std::cout << " (" << info.cuda_device_count << " device(s))";
  std::cout << "\n"
            << "BLAS " << (info.blas_library.empty() ? "none loaded" : info.blas_library);
  if (!info.blas_config.empty()) std::cout << " [" << info.blas_config << "]";
  std::cout << "\n";
  if (!info.blas_core.empty()) {
    std::cout << "BLAS kernel " << info.blas_core;
    if (!info.blas_core_note.empty()) std::cout << " (" << info.blas_core_note << ")";
    std::cout << "\n";
  }
  std::cout << "Intra-op threads " << info.intra_op_threads << "\n";
  return kExitOk;
}

const Registration registration("version",
                                {"print versions of LibTorch, Qt, SQLite, CUDA, BLAS",
                                 "tensorpoly-run version  (also --version)", print_version});

}  // namespace
}  // namespace tensorpoly::app
