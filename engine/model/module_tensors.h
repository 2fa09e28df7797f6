// Every parameter and buffer of a module by its full name: what checkpoints write and
// what a checkpoint folder's weights are matched against.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/nn/module.h>

#include <map>
#include <string>

namespace tensorpoly::model {

inline std::map<std::string, torch::Tensor> model_tensors(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    tensors[item.key()] = item.value();
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    tensors[item.key()] = item.value();
  }
  return tensors;
}

}  // namespace tensorpoly::model
