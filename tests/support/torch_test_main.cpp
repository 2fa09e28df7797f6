// main() of the LibTorch test suites: GoogleTest's, after the BLAS kernel check
// that tensorpoly-run and tensorpoly-studio also make (runtime.h), so that the
// suites run with the same BLAS kernels as the programs they test.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "tensorpoly/runtime.h"

int main(int argc, char** argv) {
  tensorpoly::select_blas_kernel(argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
