# Shared build settings for TensorPoly Studio targets.
# SPDX-License-Identifier: GPL-3.0-or-later

# Warnings for our own code. Third-party headers (LibTorch, Qt, QCustomPlot)
# come in through imported targets and are therefore SYSTEM includes.
function(tensorpoly_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(TENSORPOLY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# A precompiled header for <torch/torch.h>, built once and reused by every
# torch-using target: it cuts roughly half of each torch translation unit's
# compile time on a 2-core machine.
function(tensorpoly_use_torch target)
  target_link_libraries(${target} PUBLIC torch)
  if(NOT TARGET tensorpoly_torch_pch)
    message(FATAL_ERROR "tensorpoly_torch_pch must be defined before ${target}")
  endif()
  target_precompile_headers(${target} REUSE_FROM tensorpoly_torch_pch)
endfunction()
