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

// Refuses to resume from `path` (whose metadata is `info`) a run whose training would not
// continue the one that wrote it: a different seed, base model (`base_checkpoint`, the
// file the run's base weights come from) or training-relevant configuration field. Fields
// that only say where or how often things are written or evaluated (name, device,
// threads, checkpoint and cache folders, evaluation, routing and checkpoint intervals,
// few-shot adaptation, which runs after training) may differ. Throws std::runtime_error
// starting "train.resume_from:" and naming each differing field with both values.
void check_resume_compatible(const std::string& path, const CheckpointInfo& info, uint64_t seed,
                             const std::string& config_json, const std::string& base_checkpoint);

// Copies the checkpoint's tensors into `model` (every tensor must exist in the model with
// the same shape) and, when given, restores the optimizer. Throws std::runtime_error
// naming the file.
CheckpointInfo load_training_checkpoint(const std::string& path, torch::nn::Module& model,
                                        torch::optim::Optimizer* optimizer);

// "<dir>/step-000120.pt"
std::string checkpoint_path(const std::string& directory, int64_t step);
// "<dir>/few-shot-step-000120-task-18.pt": the weights after few-shot adaptation to held-out
// task `task` (its index in the suite), which followed training step `step`. It has no
// optimizer state (it is not a point to resume training from) and latest_checkpoint()
// does not list it.
std::string few_shot_checkpoint_path(const std::string& directory, int64_t step, int task);
// The training checkpoint with the highest step in `directory`, "" when none.
std::string latest_checkpoint(const std::string& directory);

// mkdir -p; throws std::runtime_error naming the folder.
void make_directories(const std::string& path);

}  // namespace tensorpoly::train
