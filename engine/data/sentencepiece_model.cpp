// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/sentencepiece_model.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "sentencepiece/sentencepiece_shim.h"
#include "tensorpoly/hf_config.h"

#ifndef TENSORPOLY_SENTENCEPIECE_MODULE
#define TENSORPOLY_SENTENCEPIECE_MODULE ""
#endif

namespace tensorpoly::data {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModuleName = "libtensorpoly_sentencepiece.so";

// The module's functions, resolved once.
struct Module {
  decltype(&tp_spm_load) load = nullptr;
  decltype(&tp_spm_free) free = nullptr;
  decltype(&tp_spm_release) release = nullptr;
  decltype(&tp_spm_piece_size) piece_size = nullptr;
  decltype(&tp_spm_pad_id) pad_id = nullptr;
  decltype(&tp_spm_eos_id) eos_id = nullptr;
  decltype(&tp_spm_unk_id) unk_id = nullptr;
  decltype(&tp_spm_is_control) is_control = nullptr;
  decltype(&tp_spm_id_to_piece) id_to_piece = nullptr;
  decltype(&tp_spm_encode) encode = nullptr;
  decltype(&tp_spm_decode) decode = nullptr;
};

std::vector<fs::path> module_candidates() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("TENSORPOLY_SENTENCEPIECE_MODULE"); env && *env) {
    return {env};
  }
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    candidates.push_back(exe.parent_path() / kModuleName);
    candidates.push_back(exe.parent_path() / ".." / "lib" / kModuleName);
  }
  if (*TENSORPOLY_SENTENCEPIECE_MODULE != '\0')
    candidates.emplace_back(TENSORPOLY_SENTENCEPIECE_MODULE);
  return candidates;
}

template <typename Function>
void resolve(void* handle, const char* name, Function& out) {
  out = reinterpret_cast<Function>(::dlsym(handle, name));
  if (out == nullptr) {
    throw std::runtime_error(std::string("the SentencePiece module lacks ") + name);
  }
}

Module load_module() {
  std::string tried;
  for (const fs::path& path : module_candidates()) {
    std::error_code error;
    if (!fs::is_regular_file(path, error)) {
      tried += "\n  " + path.string() + ": not there";
      continue;
    }
    // DEEPBIND: libsentencepiece's own protobuf copy before LibTorch's (see the shim).
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (handle == nullptr) {
      tried += "\n  " + path.string() + ": " + ::dlerror();
      continue;
    }
    Module m;
    resolve(handle, "tp_spm_load", m.load);
    resolve(handle, "tp_spm_free", m.free);
    resolve(handle, "tp_spm_release", m.release);
    resolve(handle, "tp_spm_piece_size", m.piece_size);
    resolve(handle, "tp_spm_pad_id", m.pad_id);
    resolve(handle, "tp_spm_eos_id", m.eos_id);
    resolve(handle, "tp_spm_unk_id", m.unk_id);
    resolve(handle, "tp_spm_is_control", m.is_control);
    resolve(handle, "tp_spm_id_to_piece", m.id_to_piece);
    resolve(handle, "tp_spm_encode", m.encode);
    resolve(handle, "tp_spm_decode", m.decode);
    return m;  // never unloaded: models may live until exit
  }
  throw std::runtime_error(std::string("cannot load the SentencePiece module ") + kModuleName +
                           " (built with the engine; set TENSORPOLY_SENTENCEPIECE_MODULE to "
                           "its path):" +
                           tried);
}

const Module& module() {
  static const Module loaded = load_module();
  return loaded;
}

// Takes a malloc'ed message from the module.
std::string take_message(char* message) {
  std::string text = message != nullptr ? message : "unknown error";
  module().release(message);
  return text;
}

}  // namespace

SentencePieceModel::SentencePieceModel(const std::string& path) {
  char* error = nullptr;
  model_ = module().load(path.c_str(), &error);
  if (model_ == nullptr) {
    throw CheckpointError(path + ": not a SentencePiece model (" + take_message(error) + ")");
  }
}

SentencePieceModel::~SentencePieceModel() { module().free(model_); }

int SentencePieceModel::piece_size() const { return module().piece_size(model_); }
int SentencePieceModel::pad_id() const { return module().pad_id(model_); }
int SentencePieceModel::eos_id() const { return module().eos_id(model_); }
int SentencePieceModel::unk_id() const { return module().unk_id(model_); }
bool SentencePieceModel::is_control(int id) const { return module().is_control(model_, id) != 0; }

std::string SentencePieceModel::id_to_piece(int id) const {
  size_t length = 0;
  char* piece = module().id_to_piece(model_, id, &length);
  if (piece == nullptr) return {};
  std::string text(piece, length);
  module().release(piece);
  return text;
}

std::vector<int> SentencePieceModel::encode(const std::string& text) const {
  size_t count = 0;
  char* error = nullptr;
  int* ids = module().encode(model_, text.data(), text.size(), &count, &error);
  if (ids == nullptr) {
    throw std::runtime_error("SentencePiece could not encode a text: " + take_message(error));
  }
  std::vector<int> result(ids, ids + count);
  module().release(ids);
  return result;
}

std::string SentencePieceModel::decode(const std::vector<int>& ids) const {
  size_t length = 0;
  char* error = nullptr;
  char* text = module().decode(model_, ids.data(), ids.size(), &length, &error);
  if (text == nullptr) {
    throw std::runtime_error("SentencePiece could not decode ids: " + take_message(error));
  }
  std::string result(text, length);
  module().release(text);
  return result;
}

}  // namespace tensorpoly::data
