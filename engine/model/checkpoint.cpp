// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/checkpoint.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "model/safetensors.h"

namespace tensorpoly::model {

namespace {

std::string name_list(const std::vector<std::string>& names) {
  constexpr size_t kShown = 6;
  std::string text;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) {
    text += (i ? ", '" : "'") + names[i] + "'";
  }
  if (names.size() > kShown) text += " and " + std::to_string(names.size() - kShown) + " more";
  return text;
}

std::string shape_string(torch::IntArrayRef shape) {
  std::ostringstream text;
  text << shape;
  return text.str();
}

// Every parameter and buffer of the module, by full name.
std::map<std::string, torch::Tensor> model_tensors(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    tensors[item.key()] = item.value();
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    tensors[item.key()] = item.value();
  }
  return tensors;
}

}  // namespace

std::vector<std::string> load_named_tensors(torch::nn::Module& module,
                                            const std::map<std::string, torch::Tensor>& tensors,
                                            const std::string& source, const LoadOptions& options) {
  const std::map<std::string, torch::Tensor> targets = model_tensors(module);
  std::vector<std::string> missing;
  std::vector<std::string> problems;
  for (const auto& [name, target] : targets) {
    const auto found = tensors.find(name);
    if (found == tensors.end()) {
      missing.push_back(name);
      continue;
    }
    const torch::Tensor& value = found->second;
    if (value.sizes() != target.sizes()) {
      problems.push_back("tensor '" + name + "' has shape " + shape_string(value.sizes()) +
                         " but the model expects " + shape_string(target.sizes()));
    } else if (value.scalar_type() != target.scalar_type()) {
      // No silent conversion: an F16/BF16 file would lose precision unnoticed and an F64 one
      // means the file is not the one the model was built for.
      problems.push_back("tensor '" + name + "' has dtype " +
                         safetensors_dtype_name(value.scalar_type()) + " but the model expects " +
                         safetensors_dtype_name(target.scalar_type()));
    }
  }
  std::vector<std::string> unexpected;
  for (const auto& [name, value] : tensors) {
    if (targets.count(name) == 0) unexpected.push_back(name);
  }
  if (!missing.empty() && !options.allow_missing) {
    problems.push_back(std::to_string(missing.size()) +
                       " model tensor(s) missing: " + name_list(missing));
  }
  if (!unexpected.empty()) {
    problems.push_back(std::to_string(unexpected.size()) +
                       " unexpected tensor(s): " + name_list(unexpected));
  }
  if (!problems.empty()) {
    std::string message = "cannot load '" + source + "':";
    for (const std::string& problem : problems) message += "\n  " + problem;
    throw std::runtime_error(message);
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    const auto found = tensors.find(name);
    if (found != tensors.end()) target.copy_(found->second);
  }
  return missing;
}

std::vector<std::string> load_safetensors(T5ModelImpl& model, const std::string& path,
                                          const LoadOptions& options) {
  std::map<std::string, torch::Tensor> tensors = read_safetensors(path);
  // HF's state dict may carry the tied input embeddings of both stacks.
  for (const char* alias : {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"}) {
    const auto found = tensors.find(alias);
    if (found == tensors.end()) continue;
    const auto shared = tensors.find("shared.weight");
    if (shared == tensors.end() || !found->second.equal(shared->second)) {
      throw std::runtime_error("cannot load '" + path + "': tensor '" + alias +
                               "' differs from 'shared.weight' (this model ties them)");
    }
    tensors.erase(found);
  }
  return load_named_tensors(model, tensors, path, options);
}

void save_checkpoint(const torch::nn::Module& module, const std::string& path) {
  torch::serialize::OutputArchive archive;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    archive.write(item.key(), item.value().detach());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    archive.write(item.key(), item.value().detach(), /*is_buffer=*/true);
  }
  try {
    archive.save_to(path);
  } catch (const c10::Error& error) {
    throw std::runtime_error("cannot write checkpoint '" + path +
                             "': " + error.what_without_backtrace());
  }
}

std::vector<std::string> load_checkpoint(torch::nn::Module& module, const std::string& path,
                                         const LoadOptions& options) {
  torch::serialize::InputArchive archive;
  std::map<std::string, torch::Tensor> tensors;
  try {
    archive.load_from(path, torch::Device(torch::kCPU));
    for (const std::string& key : archive.keys()) {
      torch::Tensor tensor;
      if (archive.try_read(key, tensor) || archive.try_read(key, tensor, /*is_buffer=*/true)) {
        tensors[key] = tensor;
      }
    }
  } catch (const c10::Error& error) {
    throw std::runtime_error("cannot read checkpoint '" + path +
                             "': " + error.what_without_backtrace());
  }
  return load_named_tensors(module, tensors, path, options);
}

ModelPreset preset_from_hf_config(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open HF config '" + path + "'");
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(file);
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error("HF config '" + path + "' is not valid JSON: " + error.what());
  }
  const auto integer = [&](const char* field) -> int64_t {
    const auto found = config.find(field);
    if (found == config.end() || !found->is_number_integer()) {
      throw std::runtime_error("HF config '" + path + "': field \"" + field +
                               "\" is missing or not an integer");
    }
    return found->get<int64_t>();
  };
  ModelPreset preset;
  preset.name = path;
  preset.vocab = integer("vocab_size");
  preset.d_model = integer("d_model");
  preset.d_ff = integer("d_ff");
  preset.d_kv = integer("d_kv");
  preset.n_heads = integer("num_heads");
  preset.n_encoder_layers = integer("num_layers");
  preset.n_decoder_layers = config.contains("num_decoder_layers") ? integer("num_decoder_layers")
                                                                  : preset.n_encoder_layers;
  preset.relative_attention_num_buckets = integer("relative_attention_num_buckets");
  preset.relative_attention_max_distance = config.contains("relative_attention_max_distance")
                                               ? integer("relative_attention_max_distance")
                                               : 128;
  if (config.contains("layer_norm_epsilon")) {
    preset.layer_norm_epsilon = config["layer_norm_epsilon"].get<double>();
  }
  const std::string feed_forward = config.value("feed_forward_proj", std::string("relu"));
  if (feed_forward != "gated-gelu") {
    throw std::runtime_error("HF config '" + path + "': feed_forward_proj \"" + feed_forward +
                             "\" is not supported (only \"gated-gelu\", T5 v1.1)");
  }
  if (config.value("tie_word_embeddings", true)) {
    throw std::runtime_error(
        "HF config '" + path +
        "': tie_word_embeddings must be false (T5 v1.1 has an untied lm_head)");
  }
  try {
    validate_model_preset(preset);
  } catch (const std::invalid_argument& error) {
    throw std::runtime_error("HF config '" + path + "': " + error.what());
  }
  return preset;
}

}  // namespace tensorpoly::model
