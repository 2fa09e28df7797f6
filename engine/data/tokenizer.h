// Tokenizers map text to the ids the T5 model reads and back. Ids follow T5's
// conventions so that the SentencePiece tokenizer of a real T5 checkpoint
// (sentencepiece_tokenizer.h) takes the place of the byte tokenizer behind the same
// interface: pad = 0 (also the decoder's start token), eos = 1, unk = 2.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tensorpoly::data {

class Tokenizer {
 public:
  static constexpr int64_t kPadId = 0;
  static constexpr int64_t kEosId = 1;
  static constexpr int64_t kUnkId = 2;

  virtual ~Tokenizer() = default;

  virtual std::string name() const = 0;
  // Number of ids in use: every id produced by encode() is in [0, vocab_size()).
  virtual int64_t vocab_size() const = 0;
  // Text to ids, without the final eos (the batcher appends it).
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  // Ids to text: stops at the first eos, skips pad; the rest as each tokenizer says
  // (bytes: unknown ids as U+FFFD, sentinels as "<extra_id_N>"; SentencePiece: special
  // tokens skipped, as Hugging Face's skip_special_tokens).
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  // Sentinels mark masked spans in T5's span-denoising objective.
  virtual int64_t n_sentinels() const = 0;
  virtual int64_t sentinel_id(int64_t index) const = 0;  // index in [0, n_sentinels())

  int64_t pad_id() const { return kPadId; }
  int64_t eos_id() const { return kEosId; }
  int64_t unk_id() const { return kUnkId; }
};

// UTF-8 bytes as tokens, after the special ids:
//   0 pad · 1 eos · 2 unk · 3 .. 3+n_sentinels-1 sentinels <extra_id_0>.. · byte b -> b +
//   byte_offset.
// With the default 32 sentinels the vocabulary has 291 ids (fits the presets' 512).
class ByteTokenizer : public Tokenizer {
 public:
  static constexpr int64_t kFirstSentinelId = 3;
  static constexpr int64_t kDefaultSentinels = 32;

  explicit ByteTokenizer(int64_t n_sentinels = kDefaultSentinels);

  std::string name() const override { return "byte"; }
  int64_t vocab_size() const override { return byte_offset_ + 256; }
  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t n_sentinels() const override { return n_sentinels_; }
  int64_t sentinel_id(int64_t index) const override;

  int64_t byte_offset() const { return byte_offset_; }

 private:
  int64_t n_sentinels_;
  int64_t byte_offset_;
};

}  // namespace tensorpoly::data
