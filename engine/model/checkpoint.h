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

// The key under which a checkpoint stores tensors_checksum() of its contents.
inline constexpr const char* kChecksumKey = "tensorpoly.checksum";

// A 64-bit checksum (hex) of `metadata` and every tensor's name, shape, dtype and
// bytes: written into each checkpoint, recomputed when it is read.
std::string tensors_checksum(const std::map<std::string, torch::Tensor>& tensors,
                             const std::string& metadata);
// Throws std::runtime_error naming `path` when the archive holds a checksum that does
// not match `tensors` and `metadata` (a file written before checksums has none).
void check_checksum(torch::serialize::InputArchive& archive,
                    const std::map<std::string, torch::Tensor>& tensors,
                    const std::string& metadata, const std::string& path);

// Why `tensor`'s storage cannot back its view ("needs N bytes of storage for shape
// [...] but the file holds M (truncated or damaged)"), or "" when it can. Checked for
// every tensor read from a file before anything is copied from it.
std::string storage_problem(const torch::Tensor& tensor);

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

// Writes `bytes` to "<path>.partial", fsyncs it and renames it over `path`; on any
// failure (a full disk, a read-only folder) removes the partial file and throws
// std::runtime_error naming `path` and the system's reason. `path` is never left half
// written.
void write_file_atomically(const std::string& path, const std::string& bytes);

// The archive's bytes, serialised in memory (std::runtime_error naming `path`).
std::string serialize_archive(torch::serialize::OutputArchive& archive, const std::string& path);

// A plain LibTorch archive (torch::serialize::OutputArchive) of every parameter
// and buffer, keyed by its name, written with write_file_atomically.
void save_checkpoint(const torch::nn::Module& module, const std::string& path);
// Every tensor of such an archive, each checked against its storage and all against the
// checksum written with them: std::runtime_error naming `path` when the file cannot be
// read, is truncated or was changed on disk.
std::map<std::string, torch::Tensor> read_checkpoint_tensors(const std::string& path);
std::vector<std::string> load_checkpoint(torch::nn::Module& module, const std::string& path,
                                         const LoadOptions& options = {});

// Model shape from HF's config.json (T5Config); throws std::runtime_error naming
// the file and field for a missing field or a variant this model does not
// implement (not gated-gelu, tied embeddings, another epsilon is accepted).
ModelPreset preset_from_hf_config(const std::string& path);

}  // namespace tensorpoly::model
