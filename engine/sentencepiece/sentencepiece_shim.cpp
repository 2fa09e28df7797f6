// SPDX-License-Identifier: GPL-3.0-or-later
#include "sentencepiece_shim.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct tp_spm {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

char* copy_text(const std::string& text, size_t* length) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  if (length != nullptr) *length = text.size();
  return out;
}

void set_error(char** error, const std::string& message) {
  if (error != nullptr) *error = copy_text(message, nullptr);
}

}  // namespace

extern "C" {

tp_spm* tp_spm_load(const char* path, char** error) {
  try {
    auto* model = new tp_spm;
    const auto status = model->processor.Load(path);
    if (!status.ok()) {
      set_error(error, status.ToString());
      delete model;
      return nullptr;
    }
    return model;
  } catch (const std::exception& exception) {
    set_error(error, exception.what());
    return nullptr;
  }
}

void tp_spm_free(tp_spm* model) { delete model; }
void tp_spm_release(void* buffer) { std::free(buffer); }

int tp_spm_piece_size(const tp_spm* model) { return model->processor.GetPieceSize(); }
int tp_spm_pad_id(const tp_spm* model) { return model->processor.pad_id(); }
int tp_spm_eos_id(const tp_spm* model) { return model->processor.eos_id(); }
int tp_spm_unk_id(const tp_spm* model) { return model->processor.unk_id(); }
int tp_spm_is_control(const tp_spm* model, int id) {
  return model->processor.IsControl(id) ? 1 : 0;
}

char* tp_spm_id_to_piece(const tp_spm* model, int id, size_t* length) {
  try {
    return copy_text(model->processor.IdToPiece(id), length);
  } catch (const std::exception&) {
    return nullptr;
  }
}

int* tp_spm_encode(const tp_spm* model, const char* text, size_t text_length, size_t* count,
                   char** error) {
  try {
    std::vector<int> ids;
    const auto status = model->processor.Encode(std::string(text, text_length), &ids);
    if (!status.ok()) {
      set_error(error, status.ToString());
      return nullptr;
    }
    int* out = static_cast<int*>(std::malloc((ids.size() + 1) * sizeof(int)));
    if (out == nullptr) {
      set_error(error, "out of memory");
      return nullptr;
    }
    if (!ids.empty()) std::memcpy(out, ids.data(), ids.size() * sizeof(int));
    *count = ids.size();
    return out;
  } catch (const std::exception& exception) {
    set_error(error, exception.what());
    return nullptr;
  }
}

char* tp_spm_decode(const tp_spm* model, const int* ids, size_t count, size_t* length,
                    char** error) {
  try {
    std::string text;
    const auto status = model->processor.Decode(std::vector<int>(ids, ids + count), &text);
    if (!status.ok()) {
      set_error(error, status.ToString());
      return nullptr;
    }
    return copy_text(text, length);
  } catch (const std::exception& exception) {
    set_error(error, exception.what());
    return nullptr;
  }
}

}  // extern "C"
