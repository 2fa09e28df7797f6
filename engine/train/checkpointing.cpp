// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/checkpointing.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "model/checkpoint.h"
#include "model/checkpoint_file.h"
#include "tensorpoly/config_diff.h"

namespace tensorpoly::train {
namespace {

const char* const kStepKey = "tensorpoly.step";
const char* const kSeedKey = "tensorpoly.seed";
const char* const kConfigKey = "tensorpoly.config";
const char* const kBaseKey = "tensorpoly.base_checkpoint";
const char* const kOptimizerKey = "tensorpoly.optimizer";

bool is_metadata(const std::string& key) { return key.rfind("tensorpoly.", 0) == 0; }

// Configuration fields that do not change what training computes: where and how often
// things are written, evaluated or shown, and the few-shot adaptation after training.
// base.checkpoint and base.cache_dir only locate the base; the base file itself is
// compared separately.
const std::vector<std::string>& ignored_for_resume() {
  static const std::vector<std::string> fields = {"name",
                                                  "device",
                                                  "threads",
                                                  "train.eval_every",
                                                  "train.eval_examples",
                                                  "train.eval_batch_size",
                                                  "train.routing_every",
                                                  "train.checkpoint_every",
                                                  "train.checkpoint_dir",
                                                  "train.resume_from",
                                                  "base.checkpoint",
                                                  "base.cache_dir",
                                                  "few_shot"};
  return fields;
}

CheckpointInfo read_info(torch::serialize::InputArchive& archive) {
  CheckpointInfo info;
  c10::IValue value;
  archive.read(kStepKey, value);
  info.step = value.toInt();
  archive.read(kSeedKey, value);
  info.seed = static_cast<uint64_t>(value.toInt());
  archive.read(kConfigKey, value);
  info.config_json = value.toStringRef();
  archive.read(kBaseKey, value);
  info.base_checkpoint = value.toStringRef();
  return info;
}

// The metadata covered by the checkpoint's checksum, with the tensors.
std::string metadata_text(const CheckpointInfo& info) {
  return std::to_string(info.step) + "\n" + std::to_string(info.seed) + "\n" + info.config_json +
         "\n" + info.base_checkpoint;
}

// The loaded AdamW moments must match their parameters and lie inside their storage:
// the optimizer adopts them as they are, and a short one would be read out of bounds.
void check_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& path) {
  auto& states = optimizer.state();
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& parameter : group.params()) {
      const auto found = states.find(c10::guts::to_string(parameter.unsafeGetTensorImpl()));
      if (found == states.end()) continue;
      const auto* adam = dynamic_cast<const torch::optim::AdamWParamState*>(found->second.get());
      if (adam == nullptr) continue;
      for (const torch::Tensor& moment :
           {adam->exp_avg(), adam->exp_avg_sq(), adam->max_exp_avg_sq()}) {
        if (!moment.defined()) continue;
        std::string problem = model::storage_problem(moment);
        if (problem.empty() && moment.sizes() != parameter.sizes()) {
          problem = "has the wrong shape for its parameter";
        }
        if (!problem.empty()) {
          throw std::runtime_error("cannot load '" + path + "': an optimizer state tensor " +
                                   problem);
        }
      }
    }
  }
}

}  // namespace

void make_directories(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!partial.empty() && ::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
        throw std::runtime_error("cannot create folder '" + partial + "': " + std::strerror(errno));
      }
    }
    if (i < path.size()) partial.push_back(path[i]);
  }
}

void save_training_checkpoint(const std::string& path, const torch::nn::Module& model,
                              const std::vector<std::string>& trainable_names,
                              torch::optim::Optimizer* optimizer, const CheckpointInfo& info) {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) make_directories(path.substr(0, slash));
  const auto parameters = model.named_parameters(/*recurse=*/true);
  torch::serialize::OutputArchive archive;
  std::map<std::string, torch::Tensor> written;
  for (const std::string& name : trainable_names) {
    const torch::Tensor* tensor = parameters.find(name);
    TORCH_CHECK(tensor != nullptr, "save_training_checkpoint: no parameter '", name, "'");
    written[name] = tensor->detach().cpu();
    archive.write(name, written[name]);
  }
  archive.write(model::kChecksumKey,
                c10::IValue(model::tensors_checksum(written, metadata_text(info))));
  archive.write(kStepKey, c10::IValue(info.step));
  archive.write(kSeedKey, c10::IValue(static_cast<int64_t>(info.seed)));
  archive.write(kConfigKey, c10::IValue(info.config_json));
  archive.write(kBaseKey, c10::IValue(info.base_checkpoint));
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write(kOptimizerKey, optimizer_archive);
  }
  model::write_file_atomically(path, model::serialize_archive(archive, path));
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, torch::Device(torch::kCPU));
    CheckpointInfo info = read_info(archive);
    // The whole file is checked here, before a run is recorded: its tensors against
    // their storage and the checksum written with them.
    std::map<std::string, torch::Tensor> tensors;
    for (const std::string& key : archive.keys()) {
      torch::Tensor tensor;
      if (!is_metadata(key) && archive.try_read(key, tensor)) tensors[key] = tensor;
    }
    model::check_tensors(archive, tensors, metadata_text(info), path);
    return info;
  } catch (const c10::Error& error) {
    throw std::runtime_error("cannot read checkpoint '" + path +
                             "': " + error.what_without_backtrace());
  }
}

void check_resume_compatible(const std::string& path, const CheckpointInfo& info, uint64_t seed,
                             const std::string& config_json, const std::string& base_checkpoint) {
  const std::string refused = "train.resume_from: checkpoint '" + path + "' ";
  if (info.seed != seed) {
    throw std::runtime_error(refused + "was written with seed " + std::to_string(info.seed) +
                             ", this run has seed " + std::to_string(seed));
  }
  if (info.base_checkpoint != base_checkpoint) {
    const auto describe = [](const std::string& base) {
      return base.empty() ? std::string("random weights") : "'" + base + "'";
    };
    throw std::runtime_error(refused + "was trained on the base model " +
                             describe(info.base_checkpoint) + ", this run's base model is " +
                             describe(base_checkpoint));
  }
  std::vector<ConfigDifference> differences;
  try {
    differences = diff_configs_except(info.config_json, config_json, ignored_for_resume());
  } catch (const std::invalid_argument& error) {
    throw std::runtime_error(refused + "holds no readable configuration: " + error.what());
  }
  if (!differences.empty()) {
    throw std::runtime_error(refused +
                             "was written by a run whose training differs from this one: " +
                             describe_differences(differences, "there", "here"));
  }
}

CheckpointInfo load_training_checkpoint(const std::string& path, torch::nn::Module& model,
                                        torch::optim::Optimizer* optimizer) {
  torch::serialize::InputArchive archive;
  CheckpointInfo info;
  std::map<std::string, torch::Tensor> tensors;
  try {
    archive.load_from(path, torch::Device(torch::kCPU));
    info = read_info(archive);
    for (const std::string& key : archive.keys()) {
      if (is_metadata(key)) continue;
      torch::Tensor tensor;
      if (archive.try_read(key, tensor)) tensors[key] = tensor;
    }
    model::check_tensors(archive, tensors, metadata_text(info), path);
    if (optimizer) {
      torch::serialize::InputArchive optimizer_archive;
      if (!archive.try_read(kOptimizerKey, optimizer_archive)) {
        throw std::runtime_error("checkpoint '" + path + "' has no optimizer state");
      }
      optimizer->load(optimizer_archive);
      check_optimizer_state(*optimizer, path);
    }
  } catch (const c10::Error& error) {
    throw std::runtime_error("cannot read checkpoint '" + path +
                             "': " + error.what_without_backtrace());
  }
  model::LoadOptions options;
  options.allow_missing = true;  // the frozen base comes from the base checkpoint
  model::load_named_tensors(model, tensors, path, options);
  return info;
}

std::string checkpoint_path(const std::string& directory, int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%06lld.pt", static_cast<long long>(step));
  return directory + "/" + name;
}

std::string few_shot_checkpoint_path(const std::string& directory, int64_t step, int task) {
  char name[64];
  std::snprintf(name, sizeof name, "few-shot-step-%06lld-task-%d.pt", static_cast<long long>(step),
                task);
  return directory + "/" + name;
}

std::string latest_checkpoint(const std::string& directory) {
  std::string best;
  long long best_step = -1;
  if (DIR* dir = opendir(directory.c_str())) {
    while (const dirent* entry = readdir(dir)) {
      long long step = 0;
      char tail[8] = {0};
      if (std::sscanf(entry->d_name, "step-%lld.%3s", &step, tail) == 2 &&
          std::strcmp(tail, "pt") == 0 && step > best_step) {
        best_step = step;
        best = directory + "/" + entry->d_name;
      }
    }
    closedir(dir);
  }
  return best;
}

}  // namespace tensorpoly::train
