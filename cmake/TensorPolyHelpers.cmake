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

# The precompiled <torch/torch.h> (tensorpoly_torch_pch, engine/CMakeLists.txt),
# built once and reused by every torch-using target: it cuts roughly half of each
# torch translation unit's compile time on a 2-core machine.
function(tensorpoly_reuse_torch_pch target)
  if(NOT TARGET tensorpoly_torch_pch)
    message(FATAL_ERROR "tensorpoly_torch_pch must be defined before ${target}")
  endif()
  target_precompile_headers(${target} REUSE_FROM tensorpoly_torch_pch)
endfunction()

# An engine library that uses torch. Torch is linked PRIVATE: the library's users
# link LibTorch but get none of its include paths, so only engine code can include
# <torch/torch.h> (DESIGN.md's layering, enforced by the compiler).
function(tensorpoly_use_torch target)
  target_link_libraries(${target} PRIVATE torch)
  tensorpoly_reuse_torch_pch(${target})
endfunction()

# A test or benchmark of engine internals: the internal headers ("adapters/lora.h",
# "train/trainer.h"), torch and every engine library, with the shared torch header.
function(tensorpoly_use_engine_internals target)
  target_link_libraries(${target} PRIVATE tensorpoly_engine_internals)
  tensorpoly_reuse_torch_pch(${target})
endfunction()
