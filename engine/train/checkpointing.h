// Training checkpoints: a plain LibTorch archive holding the trainable tensors by name
// (adapters and routers, and the base weights when they train), the optimizer state, the
// step and the seed. Batches and routing noise are pure functions of (seed, step), so
// these are all a resumed run needs to continue exactly as an unbroken one. The frozen
// base is not copied: `base_checkpoint` names the cached base the run started from.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tensorpoly::train {

struct CheckpointInfo {
  int64_t step = 0;  // completed optimiser steps
  uint64_t seed = 0;
  std::string config_json;      // the run's configuration
  std::string base_checkpoint;  // the base model's checkpoint ("" = random base)
};

// Writes atomically (model/checkpoint_file.h: fsynced, renamed), creating the folder.
void save_training_checkpoint(const std::string& path, const torch::nn::Module& model,
                              const std::vector<std::string>& trainable_names,
                              torch::optim::Optimizer* optimizer, const CheckpointInfo& info);

// Reads the metadata, after checking every tensor and the checksum of the whole file.
CheckpointInfo read_checkpoint_info(const std::string& path);

// Copies the checkpoint's tensors into `model` (every tensor must exist in the model with
// the same shape) and, when given, restores the optimizer. Throws std::runtime_error
// naming the file.
CheckpointInfo load_training_checkpoint(const std::string& path, torch::nn::Module& model,
                                        torch::optim::Optimizer* optimizer);

// "<dir>/step-000120.pt"
std::string checkpoint_path(const std::string& directory, int64_t step);
// "<dir>/few-shot-step-000120.pt": the weights after few-shot adaptation to the held-out
// tasks that followed training step `step`. It has no optimizer state (it is not a point
// to resume training from) and latest_checkpoint() does not list it.
std::string few_shot_checkpoint_path(const std::string& directory, int64_t step);
// The training checkpoint with the highest step in `directory`, "" when none.
std::string latest_checkpoint(const std::string& directory);

// mkdir -p; throws std::runtime_error naming the folder.
void make_directories(const std::string& path);

}  // namespace tensorpoly::train
