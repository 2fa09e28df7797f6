// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/checkpoint.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "model/checkpoint_file.h"
#include "model/module_tensors.h"
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

}  // namespace

std::string tensors_checksum(const std::map<std::string, torch::Tensor>& tensors,
                             const std::string& metadata) {
  // FNV-1a, 64 bit: enough to notice bytes changed on disk (not an adversary's edit).
  uint64_t hash = 0xcbf29ce484222325ULL;
  const auto mix = [&hash](const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
  };
  mix(metadata.data(), metadata.size());
  for (const auto& [name, tensor] : tensors) {
    mix(name.data(), name.size() + 1);
    const std::string header = shape_string(tensor.sizes()) + c10::toString(tensor.scalar_type());
    mix(header.data(), header.size());
    const torch::Tensor bytes = tensor.detach().cpu().contiguous();
    mix(bytes.data_ptr(), bytes.numel() * bytes.element_size());
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

void check_checksum(torch::serialize::InputArchive& archive,
                    const std::map<std::string, torch::Tensor>& tensors,
                    const std::string& metadata, const std::string& path) {
  c10::IValue stored;
  if (!archive.try_read(kChecksumKey, stored)) return;  // written before checksums
  if (!stored.isString() || stored.toStringRef() != tensors_checksum(tensors, metadata)) {
    throw std::runtime_error("checkpoint '" + path +
                             "' is damaged: its contents do not match the checksum written "
                             "with it (changed on disk or copied incompletely)");
  }
}

namespace {

// The bytes a storage really holds. One read from a file claims the size the file's
// pickle states, but LibTorch allocates its buffer with the size of the file's record:
// a truncated or hand-made file claims more than it holds. The buffer comes from the
// CPU allocator (posix_memalign; data and context are the same pointer), so its usable
// size bounds what may be read; anything else keeps the claimed size.
int64_t held_bytes(const c10::Storage& storage) {
  const auto claimed = static_cast<int64_t>(storage.nbytes());
  const c10::DataPtr& data = storage.data_ptr();
  if (data.get() == nullptr) return 0;
  if (data.device().type() != c10::DeviceType::CPU || data.get_context() != data.get()) {
    return claimed;
  }
  return std::min(claimed, static_cast<int64_t>(::malloc_usable_size(data.get())));
}

}  // namespace

std::string storage_problem(const torch::Tensor& tensor) {
  if (!tensor.defined()) return "is undefined";
  if (tensor.numel() == 0) return "";
  if (!tensor.has_storage()) return "has no storage";
  // The last element the view reaches: offset + sum((size - 1) * stride), overflow-checked,
  // against the bytes its storage holds (a truncated or hand-made file has fewer).
  int64_t last = tensor.storage_offset();
  bool overflow = last < 0;
  for (int64_t axis = 0; axis < tensor.dim() && !overflow; ++axis) {
    const int64_t stride = tensor.stride(axis);
    int64_t reach = 0;
    overflow = stride < 0 || __builtin_mul_overflow(tensor.size(axis) - 1, stride, &reach) ||
               __builtin_add_overflow(last, reach, &last);
  }
  int64_t needed = 0;
  overflow = overflow || __builtin_add_overflow(last, int64_t{1}, &needed) ||
             __builtin_mul_overflow(needed, static_cast<int64_t>(tensor.element_size()), &needed);
  const int64_t held = held_bytes(tensor.storage());
  if (overflow || needed > held) {
    return "needs " + (overflow ? std::string("more") : std::to_string(needed)) +
           " bytes of storage for shape " + shape_string(tensor.sizes()) +
           " but the file holds at most " + std::to_string(held) + " (truncated or damaged)";
  }
  return "";
}

void check_tensors(torch::serialize::InputArchive& archive,
                   const std::map<std::string, torch::Tensor>& tensors, const std::string& metadata,
                   const std::string& path) {
  for (const auto& [name, tensor] : tensors) {
    if (const std::string problem = storage_problem(tensor); !problem.empty()) {
      throw std::runtime_error("cannot load '" + path + "': tensor '" + name + "' " + problem);
    }
  }
  check_checksum(archive, tensors, metadata, path);
}

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
    if (const std::string problem = storage_problem(value); !problem.empty()) {
      problems.push_back("tensor '" + name + "' " + problem);
    } else if (value.sizes() != target.sizes()) {
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

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string partial = path + ".partial";
  const auto failed = [&](const char* what, int error) {
    ::unlink(partial.c_str());
    return std::runtime_error("cannot write '" + path + "': " + what + ": " + std::strerror(error));
  };
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      ::close(fd);
      throw failed("writing", error);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    throw failed("flushing to disk", error);
  }
  if (::close(fd) != 0) throw failed("closing", errno);
  if (std::rename(partial.c_str(), path.c_str()) != 0) throw failed("moving into place", errno);
}

std::string serialize_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  // Into memory first: LibTorch's file writer throws from its destructor when a write
  // fails (a full disk), which ends the process while unwinding.
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const c10::Error& error) {
    throw std::runtime_error("cannot serialise checkpoint '" + path +
                             "': " + error.what_without_backtrace());
  }
  return std::move(bytes).str();
}

void save_checkpoint(const torch::nn::Module& module, const std::string& path) {
  torch::serialize::OutputArchive archive;
  std::map<std::string, torch::Tensor> written;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    archive.write(item.key(), item.value().detach());
    written[item.key()] = item.value().detach();
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    archive.write(item.key(), item.value().detach(), /*is_buffer=*/true);
    written[item.key()] = item.value().detach();
  }
  archive.write(kChecksumKey, c10::IValue(tensors_checksum(written, "")));
  write_file_atomically(path, serialize_archive(archive, path));
}

std::map<std::string, torch::Tensor> read_checkpoint_tensors(const std::string& path) {
  torch::serialize::InputArchive archive;
  std::map<std::string, torch::Tensor> tensors;
  try {
    archive.load_from(path, torch::Device(torch::kCPU));
    for (const std::string& key : archive.keys()) {
      torch::Tensor tensor;
      if (key == kChecksumKey) continue;
      if (archive.try_read(key, tensor) || archive.try_read(key, tensor, /*is_buffer=*/true)) {
        tensors[key] = tensor;
      }
    }
  } catch (const c10::Error& error) {
    throw std::runtime_error("cannot read checkpoint '" + path +
                             "': " + error.what_without_backtrace());
  }
  check_tensors(archive, tensors, "", path);
  return tensors;
}

std::vector<std::string> load_checkpoint(torch::nn::Module& module, const std::string& path,
                                         const LoadOptions& options) {
  return load_named_tensors(module, read_checkpoint_tensors(path), path, options);
}

void require_writable_directory(const std::string& directory, const std::string& field) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    throw std::runtime_error(field + ": cannot create the folder '" + directory +
                             "': " + error.message());
  }
  std::string probe = directory + "/.write-test-XXXXXX";
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    throw std::runtime_error(field + ": cannot write into '" + directory +
                             "': " + std::strerror(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
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
