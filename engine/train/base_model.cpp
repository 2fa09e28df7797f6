// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/base_model.h"

#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "data/pretrain_data.h"
#include "data/random.h"
#include "model/checkpoint.h"
#include "model/checkpoint_file.h"
#include "model/hf_checkpoint.h"
#include "train/checkpointing.h"
#include "train/losses.h"

namespace tensorpoly::train {
namespace {

// Bump when pre-training changes in a way the configuration does not show.
constexpr int kBaseRecipeVersion = 1;
constexpr int64_t kCopyWarmupSteps = 100;

bool file_exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// Stage 1 of the curriculum: copy only, lower case, short strings.
PretrainDataConfig copy_stage_data(const PretrainDataConfig& mix) {
  PretrainDataConfig copy = mix;
  copy.upper_case_fraction = 0.0;
  copy.infill = false;
  copy.max_length = std::min(mix.max_length, std::max(mix.min_length, 8));
  return copy;
}

std::string base_cache_directory(const ExperimentConfig& config) {
  return config.base.cache_dir.empty() ? cache_directory() + "/base" : config.base.cache_dir;
}

}  // namespace

std::string base_cache_key(const ExperimentConfig& config, const std::string& alphabet,
                           const data::Tokenizer& tokenizer) {
  const ModelPreset& preset = model_preset(config.model);
  const nlohmann::json description = {
      {"recipe", kBaseRecipeVersion},
      {"preset",
       {preset.name, preset.vocab, preset.d_model, preset.d_ff, preset.n_encoder_layers,
        preset.n_decoder_layers, preset.n_heads, preset.d_kv, preset.relative_attention_num_buckets,
        preset.relative_attention_max_distance, preset.layer_norm_epsilon}},
      {"tokenizer", {tokenizer.name(), tokenizer.vocab_size(), tokenizer.n_sentinels()}},
      {"alphabet", alphabet},
      {"pretrain_steps", config.base.pretrain_steps},
      {"copy_steps", config.base.copy_steps},
      {"learning_rate", config.base.learning_rate},
      {"batch_size", config.base.batch_size},
      {"data", to_json(config.base.data)}};
  return hex(data::hash_string(description.dump()));
}

std::string base_cache_path(const ExperimentConfig& config, const std::string& alphabet,
                            const data::Tokenizer& tokenizer) {
  return base_cache_directory(config) + "/base-" + config.model + "-" +
         base_cache_key(config, alphabet, tokenizer) + ".pt";
}

model::T5Model make_random_model(const ExperimentConfig& config) {
  torch::manual_seed(data::mix_keys({config.base.data.seed, data::hash_string("base-init")}));
  return model::T5Model(model_shape(config));
}

void load_base_weights(model::T5ModelImpl& model, const BaseModelSource& source) {
  if (source.checkpoint.empty()) return;  // the caller built it with make_random_model
  const std::string& path = source.checkpoint;
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    model::load_hf_weights(model, path);  // a Hugging Face model folder (model.checkpoint)
    return;
  }
  const std::string suffix = ".safetensors";
  if (path.size() > suffix.size() &&
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
    model::load_safetensors(model, path);
  } else {
    model::load_checkpoint(model, path);
  }
}

double copy_exact_match(model::T5ModelImpl& model, const data::Tokenizer& tokenizer,
                        const std::string& alphabet, const PretrainDataConfig& data_config,
                        int64_t n, const torch::Device& device) {
  PretrainDataConfig copy = data_config;
  copy.infill = false;
  copy.seed = data_config.seed ^ 0xC0FFEEULL;  // strings not used for training
  const data::PretrainData data(tokenizer, alphabet, copy, n);
  const data::Batch batch = data.batch(0).to(device);
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  model.set_task_ids(batch.task_ids);
  model::GreedyOptions greedy;
  greedy.max_new_tokens = batch.labels.size(1) + 2;
  const auto output = model.greedy_generate(batch.input_ids, batch.attention_mask, greedy);
  model.train(was_training);
  const auto texts = data::decode_rows(
      tokenizer,
      output.sequences.index({torch::indexing::Slice(), torch::indexing::Slice(1)}).cpu());
  int64_t exact = 0;
  for (int64_t row = 0; row < n; ++row) {
    if (texts[static_cast<size_t>(row)] == data.random_text(0, row)) ++exact;
  }
  return static_cast<double>(exact) / static_cast<double>(n);
}

BaseModelSource prepare_base_model(const ExperimentConfig& config, const std::string& alphabet,
                                   const data::Tokenizer& tokenizer, const torch::Device& device,
                                   EventSink* sink, RunControl* control) {
  BaseModelSource source;
  if (!config.model_checkpoint.empty()) {
    // A Hugging Face model folder is its own base: no pre-training, no cache.
    if (!std::filesystem::is_directory(config.model_checkpoint)) {
      throw CheckpointError("model.checkpoint: no such folder '" + config.model_checkpoint + "'");
    }
    source.checkpoint = config.model_checkpoint;
    return source;
  }
  if (!config.base.checkpoint.empty()) {
    if (!file_exists(config.base.checkpoint)) {
      throw std::runtime_error("base.checkpoint: no such file '" + config.base.checkpoint + "'");
    }
    source.checkpoint = config.base.checkpoint;
    return source;
  }
  if (config.base.pretrain_steps == 0) return source;  // random base
  const std::string path = base_cache_path(config, alphabet, tokenizer);
  if (file_exists(path)) {
    StageProgress progress;
    progress.stage = "base";
    progress.step = progress.total_steps = config.base.pretrain_steps;
    progress.loss = std::nan("");
    try {
      // A damaged cache file (truncated, changed on disk) would fail every later run:
      // it is checked whole here and, if damaged, built again in its place.
      model::read_checkpoint_tensors(path);
      source.checkpoint = path;
      progress.message = "cached base model " + path;
      if (sink) sink->on_progress(progress);
      return source;
    } catch (const std::runtime_error& error) {
      progress.message =
          std::string("the cached base model is damaged, pre-training it again: ") + error.what();
      progress.step = 0;
      if (sink) sink->on_progress(progress);
    }
  }

  // Build it.
  model::T5Model model = make_random_model(config);
  model->to(device);
  model->train();
  torch::optim::AdamW optimizer(
      model->parameters(),
      torch::optim::AdamWOptions(config.base.learning_rate).weight_decay(0.01));
  const PretrainDataConfig mix = config.base.data;
  const data::PretrainData copy_data(tokenizer, alphabet, copy_stage_data(mix),
                                     config.base.batch_size);
  const data::PretrainData mix_data(tokenizer, alphabet, mix, config.base.batch_size);
  const int64_t total = config.base.pretrain_steps;
  const int64_t copy_steps = config.base.copy_steps;
  const auto start = std::chrono::steady_clock::now();
  double loss_sum = 0.0;
  int64_t loss_count = 0;
  for (int64_t step = 0; step < total; ++step) {
    if (control && !control->wait_until_runnable()) {
      source.stopped = true;
      return source;
    }
    const bool copy_stage = step < copy_steps;
    double factor = 1.0;
    if (copy_stage) {
      factor = std::min(1.0, static_cast<double>(step + 1) / kCopyWarmupSteps);
    } else {
      const double progress = static_cast<double>(step - copy_steps) /
                              static_cast<double>(std::max<int64_t>(1, total - copy_steps));
      factor = 1.0 - 0.9 * progress;
    }
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options())
          .lr(config.base.learning_rate * factor);
    }
    torch::manual_seed(
        data::mix_keys({mix.seed, data::hash_string("base-step"), static_cast<uint64_t>(step)}));
    const data::Batch batch =
        (copy_stage ? copy_data.batch(step) : mix_data.batch(step)).to(device);
    model->set_task_ids(batch.task_ids);
    const auto logits =
        model->forward(batch.input_ids, batch.attention_mask, batch.decoder_input_ids);
    const auto loss = example_losses(logits, batch.labels).mean();
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
    optimizer.step();
    const double value = loss.item<double>();
    if (!std::isfinite(value)) {
      throw std::runtime_error("base pre-training diverged at step " + std::to_string(step + 1) +
                               " (loss " + std::to_string(value) + ")");
    }
    loss_sum += value;
    ++loss_count;
    if (sink && ((step + 1) % 25 == 0 || step + 1 == total)) {
      StageProgress progress;
      progress.stage = "base";
      progress.step = step + 1;
      progress.total_steps = total;
      progress.loss = loss_sum / static_cast<double>(loss_count);
      progress.wall_time_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress.message = copy_stage ? "pre-training the base model: copy stage"
                                    : "pre-training the base model: copy + infill stage";
      sink->on_progress(progress);
      loss_sum = 0.0;
      loss_count = 0;
    }
  }
  source.copy_exact_match = copy_exact_match(*model, tokenizer, alphabet, mix, 256, device);
  make_directories(base_cache_directory(config));
  model->to(torch::kCPU);
  model::save_checkpoint(*model, path);  // written whole or not at all
  const nlohmann::json sidecar{
      {"model", config.model},
      {"alphabet", alphabet},
      {"pretrain_steps", total},
      {"copy_steps", copy_steps},
      {"learning_rate", config.base.learning_rate},
      {"batch_size", config.base.batch_size},
      {"data", to_json(mix)},
      {"copy_exact_match", source.copy_exact_match},
      {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
  model::write_file_atomically(path.substr(0, path.size() - 3) + ".json", sidecar.dump(2) + "\n");
  source.checkpoint = path;
  source.built_now = true;
  if (sink) {
    StageProgress progress;
    progress.stage = "base";
    progress.step = progress.total_steps = total;
    progress.loss = std::nan("");
    progress.wall_time_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char text[64];
    std::snprintf(text, sizeof text, "base model cached (copy exact match %.3f)",
                  source.copy_exact_match);
    progress.message = text;
    sink->on_progress(progress);
  }
  return source;
}

}  // namespace tensorpoly::train
