// Loading and saving model weights by parameter name.
//
// Names are the module tree's ("encoder.block.0.layer.0.SelfAttention.q.weight"),
// which for the T5 model are Hugging Face's. Every load checks names, shapes and
// dtypes exactly and reports missing, unexpected, mis-shaped and mis-typed tensors
// together, naming the source file.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "model/t5_model.h"
#include "tensorpoly/model_preset.h"

namespace tensorpoly::model {

struct LoadOptions {
  // Tolerate model tensors absent from the source (e.g. adapter weights when
  // loading a base checkpoint into an adapted model); they keep their values.
  bool allow_missing = false;
};

// Copies `tensors` into the module's parameters and buffers with the same names
// (moving them to the model's device). Throws std::runtime_error naming `source`
// when a name is missing (unless allowed), unexpected, mis-shaped, or of another
// dtype than the model's tensor (e.g. an F64 or BF16 file for an F32 model: convert
// the file, nothing is converted silently). Returns the names of the model tensors
// that were not in `tensors`.
std::vector<std::string> load_named_tensors(torch::nn::Module& module,
                                            const std::map<std::string, torch::Tensor>& tensors,
                                            const std::string& source,
                                            const LoadOptions& options = {});

// Loads HF weights (model.safetensors). The aliases "encoder.embed_tokens.weight"
// and "decoder.embed_tokens.weight" are accepted if equal to "shared.weight".
std::vector<std::string> load_safetensors(T5ModelImpl& model, const std::string& path,
                                          const LoadOptions& options = {});

// A plain LibTorch archive (torch::serialize::OutputArchive) of every parameter
// and buffer, keyed by its name; written whole, read checked (checkpoint_file.h).
void save_checkpoint(const torch::nn::Module& module, const std::string& path);
std::vector<std::string> load_checkpoint(torch::nn::Module& module, const std::string& path,
                                         const LoadOptions& options = {});

// Model shape from HF's config.json (T5Config); throws std::runtime_error naming
// the file and field for a missing field or a variant this model does not
// implement (not gated-gelu, tied embeddings, another epsilon is accepted).
ModelPreset preset_from_hf_config(const std::string& path);

}  // namespace tensorpoly::model
