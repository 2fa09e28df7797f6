// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/hf_checkpoint.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "model/module_tensors.h"
#include "model/safetensors.h"

namespace tensorpoly::model {
namespace {

namespace fs = std::filesystem;

constexpr size_t kListed = 8;  // names listed per problem, then a count

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream text;
  text << torch::IntArrayRef(shape);
  return text.str();
}

std::string name_list(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < kListed; ++i) {
    text += (i ? ", '" : "'") + names[i] + "'";
  }
  if (names.size() > kListed) text += " and " + std::to_string(names.size() - kListed) + " more";
  return text;
}

[[noreturn]] void fail_with(const std::string& folder, const std::vector<std::string>& problems) {
  std::string message = "cannot load model checkpoint '" + folder + "':";
  for (const std::string& problem : problems) message += "\n  " + problem;
  throw CheckpointError(message);
}

// A plain file name inside the folder: no directory part, not "." or "..".
bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name != "." && name != ".." &&
         name.find('\0') == std::string::npos;
}

// The index's tensor -> shard file map; throws for an unreadable or malformed index.
std::map<std::string, std::string> read_index(const fs::path& index_path) {
  const std::string where = index_path.string();
  std::ifstream in(index_path);
  if (!in) throw CheckpointError(where + ": cannot open the file");
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw CheckpointError(where + ": not valid JSON: " + error.what());
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    throw CheckpointError(where + ": expected an object with a \"weight_map\" object");
  }
  std::map<std::string, std::string> weight_map;
  for (const auto& [name, file] : index["weight_map"].items()) {
    if (!file.is_string() || !is_plain_file_name(file.get<std::string>())) {
      throw CheckpointError(where + ": weight_map entry '" + name +
                            "' must name a file of the folder, got " + file.dump());
    }
    weight_map.emplace(name, file.get<std::string>());
  }
  if (weight_map.empty()) throw CheckpointError(where + ": weight_map is empty");
  return weight_map;
}

// A read-only mapping of a whole file, unmapped when destroyed.
class MappedFile {
 public:
  MappedFile(const std::string& path, uint64_t expected_bytes) : size_(expected_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw CheckpointError(path + ": cannot open (" + std::strerror(errno) + ")");
    struct stat info {};
    if (::fstat(fd, &info) != 0 || static_cast<uint64_t>(info.st_size) != expected_bytes) {
      ::close(fd);
      throw CheckpointError(path + ": the file changed while it was being read");
    }
    if (size_ > 0) {
      data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data_ == MAP_FAILED) {
        const std::string reason = std::strerror(errno);
        ::close(fd);
        throw CheckpointError(path + ": cannot map the file (" + reason + ")");
      }
      ::madvise(data_, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr && data_ != MAP_FAILED) ::munmap(data_, size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* bytes() const { return static_cast<const unsigned char*>(data_); }

 private:
  void* data_ = nullptr;
  uint64_t size_;
};

// The entry's bytes as a CPU tensor of its stored dtype (a view of the mapping when it is
// aligned for the dtype, else an aligned copy).
torch::Tensor stored_tensor(const MappedFile& file, const SafetensorsHeader& header,
                            const SafetensorsEntry& entry) {
  const auto options = torch::TensorOptions().dtype(entry.type);
  if (entry.end == entry.begin) return torch::empty(entry.shape, options);
  const unsigned char* source = file.bytes() + header.data_start + entry.begin;
  if (reinterpret_cast<uintptr_t>(source) % torch::elementSize(entry.type) == 0) {
    return torch::from_blob(const_cast<unsigned char*>(source), entry.shape, options);
  }
  torch::Tensor aligned = torch::empty(entry.shape, options);
  std::memcpy(aligned.data_ptr(), source, entry.end - entry.begin);
  return aligned;
}

bool is_weight_dtype(torch::ScalarType type) {
  return type == torch::kFloat32 || type == torch::kFloat16 || type == torch::kBFloat16;
}

struct Located {
  size_t shard = 0;  // index into the headers
  const SafetensorsEntry* entry = nullptr;
};

// Every stored tensor by name, with the problems of the index/shard agreement.
std::map<std::string, Located> locate(const std::vector<SafetensorsHeader>& headers,
                                      const std::map<std::string, std::string>* weight_map,
                                      std::vector<std::string>& problems) {
  std::map<std::string, Located> stored;
  for (size_t shard = 0; shard < headers.size(); ++shard) {
    const std::string file = fs::path(headers[shard].path).filename().string();
    for (const SafetensorsEntry& entry : headers[shard].entries) {
      const auto [it, fresh] = stored.emplace(entry.name, Located{shard, &entry});
      if (!fresh) {
        problems.push_back(headers[shard].path + ": tensor '" + entry.name +
                           "' is also stored in " + headers[it->second.shard].path);
        continue;
      }
      if (weight_map == nullptr) continue;
      const auto listed = weight_map->find(entry.name);
      if (listed == weight_map->end()) {
        problems.push_back(headers[shard].path + ": tensor '" + entry.name + "' is not listed in " +
                           kHfWeightsIndexFile);
      } else if (listed->second != file) {
        problems.push_back(headers[shard].path + ": tensor '" + entry.name + "' is listed in " +
                           kHfWeightsIndexFile + " under '" + listed->second + "'");
      }
    }
  }
  if (weight_map != nullptr) {
    for (const auto& [name, file] : *weight_map) {
      if (stored.count(name) == 0) {
        problems.push_back(std::string(kHfWeightsIndexFile) + " lists tensor '" + name + "' in '" +
                           file + "', which does not hold it");
      }
    }
  }
  return stored;
}

}  // namespace

std::vector<std::string> hf_weight_files(const std::string& folder) {
  const fs::path dir(folder);
  if (!fs::is_directory(dir))
    throw CheckpointError("model checkpoint '" + folder + "': not a directory");
  const fs::path single = dir / kHfWeightsFile;
  const fs::path index = dir / kHfWeightsIndexFile;
  const bool has_single = fs::exists(single);
  const bool has_index = fs::exists(index);
  if (has_single && has_index) {
    throw CheckpointError("model checkpoint '" + folder + "': holds both " + kHfWeightsFile +
                          " and " + kHfWeightsIndexFile + "; keep one of them");
  }
  if (!has_single && !has_index) {
    throw CheckpointError("model checkpoint '" + folder + "': no " + kHfWeightsFile + " and no " +
                          kHfWeightsIndexFile +
                          " (other formats, such as pytorch_model.bin, are not read: save the "
                          "model with safe_serialization=True)");
  }
  if (has_single) return {single.string()};
  std::map<std::string, std::string> first_tensor;  // shard -> a tensor it should hold
  for (const auto& [name, file] : read_index(index)) first_tensor.emplace(file, name);
  std::vector<std::string> files;
  std::vector<std::string> problems;
  for (const auto& [file, tensor] : first_tensor) {
    const fs::path shard = dir / file;
    if (!fs::is_regular_file(shard)) {
      problems.push_back(index.string() + ": shard '" + file + "' (of tensor '" + tensor +
                         "') is not in the folder");
    }
    files.push_back(shard.string());
  }
  if (!problems.empty()) fail_with(folder, problems);
  return files;
}

void load_hf_weights(T5ModelImpl& model, const std::string& folder) {
  const std::vector<std::string> files = hf_weight_files(folder);
  std::map<std::string, std::string> weight_map;
  const bool sharded = fs::path(files.front()).filename() != kHfWeightsFile;
  if (sharded) weight_map = read_index(fs::path(folder) / kHfWeightsIndexFile);
  std::vector<SafetensorsHeader> headers;
  headers.reserve(files.size());
  try {
    for (const std::string& file : files) headers.push_back(read_safetensors_header(file));
  } catch (const std::runtime_error& error) {
    throw CheckpointError(error.what());
  }
  std::vector<std::string> problems;
  const std::map<std::string, Located> stored =
      locate(headers, sharded ? &weight_map : nullptr, problems);

  const std::map<std::string, torch::Tensor> targets = model_tensors(model);
  std::set<std::string> aliases = {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"};
  if (model.config().tie_word_embeddings) aliases.insert("lm_head.weight");
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;
  for (const auto& [name, target] : targets) {
    if (stored.count(name) == 0) missing.push_back(name);
  }
  for (const auto& [name, located] : stored) {
    const SafetensorsEntry& entry = *located.entry;
    const std::string& path = headers[located.shard].path;
    const auto target = targets.find(aliases.count(name) ? "shared.weight" : name);
    if (target == targets.end()) {
      unexpected.push_back(name);
      continue;
    }
    if (!is_weight_dtype(entry.type)) {
      problems.push_back(path + ": tensor '" + name + "' has dtype " +
                         safetensors_dtype_name(entry.type) + " (expected F32, F16 or BF16)");
    } else if (target->second.sizes() != torch::IntArrayRef(entry.shape)) {
      problems.push_back(path + ": tensor '" + name + "' has shape " + shape_text(entry.shape) +
                         " but the model of config.json expects " +
                         shape_text(target->second.sizes().vec()));
    }
  }
  if (!missing.empty()) {
    problems.push_back(std::to_string(missing.size()) +
                       " tensor(s) the model needs are not stored: " + name_list(missing));
  }
  if (!unexpected.empty()) {
    problems.push_back(
        std::to_string(unexpected.size()) +
        " stored tensor(s) the model of config.json does not have: " + name_list(unexpected) +
        (model.config().tie_word_embeddings ? "" : " (tie_word_embeddings is false)"));
  }
  if (!problems.empty()) fail_with(folder, problems);

  // Shard by shard: map, copy (converting), unmap. Aliases are compared afterwards.
  torch::NoGradGuard no_grad;
  std::vector<std::string> differing;
  for (size_t pass = 0; pass < 2; ++pass) {
    for (size_t shard = 0; shard < headers.size(); ++shard) {
      const SafetensorsHeader& header = headers[shard];
      const bool has_alias = std::any_of(header.entries.begin(), header.entries.end(),
                                         [&](const auto& e) { return aliases.count(e.name) > 0; });
      if (pass == 1 && !has_alias) continue;
      const MappedFile mapped(header.path, header.file_bytes);
      for (const SafetensorsEntry& entry : header.entries) {
        const bool alias = aliases.count(entry.name) > 0;
        if (alias != (pass == 1)) continue;
        const torch::Tensor value = stored_tensor(mapped, header, entry);
        if (alias) {
          const torch::Tensor& shared = targets.at("shared.weight");
          if (!torch::equal(value.to(shared.device(), shared.scalar_type()), shared)) {
            differing.push_back(entry.name);
          }
        } else {
          targets.at(entry.name).copy_(value);
        }
      }
    }
  }
  if (!differing.empty()) {
    fail_with(folder, {"tensor(s) " + name_list(differing) +
                       " differ from 'shared.weight', which this model ties them to"});
  }
}

T5Model load_hf_model(const std::string& folder) {
  const HfModelConfig config = read_hf_config(folder);
  T5Model model(config.shape);
  load_hf_weights(*model, folder);
  model->eval();
  return model;
}

}  // namespace tensorpoly::model
