// The tokenizer of a Hugging Face T5 model folder: its spiece.model through the
// SentencePiece library, with the conventions of HF's (slow, legacy) T5Tokenizer, so
// that a checkpoint sees the ids it was trained on:
//   ids: <pad> 0, </s> 1, <unk> 2, the model's pieces, then the extra_ids sentinels in
//        reverse (<extra_id_i> = pieces + extra_ids − 1 − i), as added_tokens.json,
//        tokenizer_config.json's added_tokens_decoder or (neither) extra_ids say.
//   encode: the added tokens written literally in the text (sentinels, </s>, <pad>,
//        <unk>) are cut out first, leftmost-longest; a token marked lstrip/rstrip (the
//        sentinels) swallows the whitespace beside it; every non-empty stretch between
//        them is encoded by SentencePiece on its own (its own dummy "▁" prefix). A run of
//        characters outside the vocabulary is one <unk>. No eos (the batcher adds it).
//   decode: stops at </s>; skips <pad>, <unk>, the sentinels and ids beyond the pieces
//        (HF's skip_special_tokens); SentencePiece joins the rest; the text is stripped
//        and HF's clean_up_tokenization_spaces applied (" ." -> ".", " n't" -> "n't", ...).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/tokenizer.h"

namespace tensorpoly::data {

class SentencePieceModel;  // data/sentencepiece_model.h

class SentencePieceTokenizer : public Tokenizer {
 public:
  // Reads `folder`/spiece.model and the added-token files beside it. Throws
  // CheckpointError (tensorpoly/hf_config.h) naming the file for a missing or unreadable
  // model, special ids other than T5's, or added tokens that collide.
  explicit SentencePieceTokenizer(const std::string& folder);
  ~SentencePieceTokenizer() override;

  std::string name() const override { return "sentencepiece"; }
  int64_t vocab_size() const override { return vocab_size_; }
  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t n_sentinels() const override { return static_cast<int64_t>(sentinel_ids_.size()); }
  int64_t sentinel_id(int64_t index) const override;

  int64_t n_pieces() const { return n_pieces_; }
  // The piece or added token of an id ("▁You", "<extra_id_0>"); "" when unknown.
  std::string token(int64_t id) const;

  struct AddedToken {
    std::string content;
    int64_t id = 0;
    bool lstrip = false;
    bool rstrip = false;
  };

 private:
  std::unique_ptr<SentencePieceModel> processor_;
  std::vector<AddedToken> added_;      // longest content first
  std::vector<int64_t> sentinel_ids_;  // by sentinel index
  int64_t n_pieces_ = 0;
  int64_t vocab_size_ = 0;
};

// HF's clean_up_tokenization: " ." " ?" " !" " ," -> without the space, " ' " -> "'",
// " n't" " 'm" " 's" " 've" " 're" -> without the space.
std::string clean_up_tokenization(std::string text);

// Python's str.strip(): Unicode whitespace removed from both ends of UTF-8 text.
std::string strip_unicode_whitespace(const std::string& text);

// The tokenizer a model uses: the folder's SentencePiece tokenizer for a checkpoint
// folder, the byte tokenizer for the built-in presets (empty folder).
std::unique_ptr<Tokenizer> make_tokenizer(const std::string& model_checkpoint);

}  // namespace tensorpoly::data
