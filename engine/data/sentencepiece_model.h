// A SentencePiece model, through the SentencePiece module (engine/sentencepiece/
// sentencepiece_shim.h, which says why it is loaded apart). The module is found at
// $TENSORPOLY_SENTENCEPIECE_MODULE, else next to the running program (its folder, then
// ../lib), else where the build put it.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

struct tp_spm;

namespace tensorpoly::data {

class SentencePieceModel {
 public:
  // Throws CheckpointError (tensorpoly/hf_config.h) naming `path` when it is not a
  // SentencePiece model, std::runtime_error when the module cannot be loaded.
  explicit SentencePieceModel(const std::string& path);
  ~SentencePieceModel();
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  int piece_size() const;
  int pad_id() const;
  int eos_id() const;
  int unk_id() const;
  bool is_control(int id) const;
  std::string id_to_piece(int id) const;
  // Throws std::runtime_error when SentencePiece reports a failure.
  std::vector<int> encode(const std::string& text) const;
  std::string decode(const std::vector<int>& ids) const;

 private:
  tp_spm* model_ = nullptr;
};

}  // namespace tensorpoly::data
