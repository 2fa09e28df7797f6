// The SentencePiece tokenizer of a Hugging Face T5 folder: T5Tokenizer's special ids,
// sentinels in reverse after the pieces, literal special tokens in a text, decoding that
// skips special tokens, the byte tokenizer for the built-in models, and clear errors.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/sentencepiece_tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tensorpoly/hf_config.h"
#include "test_paths.h"

namespace tensorpoly::data {
namespace {

namespace fs = std::filesystem;

// hf-pub-a: 384 pieces, 10 sentinels.
fs::path fixture_folder() {
  return fs::path(TENSORPOLY_SHARED_DIR) / "fixtures" / "hf" / "hf-pub-a";
}

TEST(SentencePieceTokenizer, SpecialIdsAndSentinelsFollowT5Tokenizer) {
  const SentencePieceTokenizer tokenizer(fixture_folder().string());
  EXPECT_EQ(tokenizer.name(), "sentencepiece");
  EXPECT_EQ(tokenizer.n_pieces(), 384);
  EXPECT_EQ(tokenizer.vocab_size(), 394);
  EXPECT_EQ(tokenizer.token(Tokenizer::kPadId), "<pad>");
  EXPECT_EQ(tokenizer.token(Tokenizer::kEosId), "</s>");
  EXPECT_EQ(tokenizer.token(Tokenizer::kUnkId), "<unk>");
  ASSERT_EQ(tokenizer.n_sentinels(), 10);
  // <extra_id_i> = pieces + extra_ids - 1 - i: <extra_id_0> is the last id.
  for (int64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(tokenizer.sentinel_id(i), 384 + 10 - 1 - i) << i;
    EXPECT_EQ(tokenizer.token(tokenizer.sentinel_id(i)), "<extra_id_" + std::to_string(i) + ">");
  }
  EXPECT_THROW(tokenizer.sentinel_id(10), std::out_of_range);
}

TEST(SentencePieceTokenizer, LiteralSpecialTokensInATextBecomeTheirIds) {
  const SentencePieceTokenizer tokenizer(fixture_folder().string());
  // A sentinel swallows the whitespace around it; each stretch gets its own "▁".
  const auto ids = tokenizer.encode("a <extra_id_1> b</s>");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.back(), Tokenizer::kEosId);
  EXPECT_NE(std::find(ids.begin(), ids.end(), tokenizer.sentinel_id(1)), ids.end());
  EXPECT_EQ(tokenizer.encode("<extra_id_0>"), std::vector<int64_t>{393});
  EXPECT_EQ(tokenizer.encode("<pad><unk>"), (std::vector<int64_t>{0, 2}));
  EXPECT_TRUE(tokenizer.encode("").empty());  // no eos: the batcher appends it
}

TEST(SentencePieceTokenizer, DecodingSkipsSpecialTokensAndCleansUpSpaces) {
  const SentencePieceTokenizer tokenizer(fixture_folder().string());
  const auto you = tokenizer.encode("You may copy it.");
  std::vector<int64_t> ids = {Tokenizer::kPadId, tokenizer.sentinel_id(0), Tokenizer::kUnkId};
  ids.insert(ids.end(), you.begin(), you.end());
  ids.push_back(tokenizer.sentinel_id(3));
  ids.push_back(Tokenizer::kEosId);
  ids.push_back(you.front());  // after eos: not decoded
  EXPECT_EQ(tokenizer.decode(ids), "You may copy it.");
  EXPECT_EQ(clean_up_tokenization("a , b . c ' d do n't I 'm"), "a, b. c'd don't I'm");
  EXPECT_EQ(strip_unicode_whitespace("\u3000 x \t"), "x");
}

TEST(SentencePieceTokenizer, TheTokenizerFollowsTheModel) {
  EXPECT_EQ(make_tokenizer("")->name(), ByteTokenizer().name());
  EXPECT_EQ(make_tokenizer(fixture_folder().string())->name(), "sentencepiece");
}

TEST(SentencePieceTokenizer, AMissingOrBrokenModelFileIsNamed) {
  const fs::path dir = fs::temp_directory_path() / "tp-spm-broken";
  fs::remove_all(dir);
  fs::create_directories(dir);
  try {
    SentencePieceTokenizer tokenizer(dir.string());
    FAIL() << "no error";
  } catch (const CheckpointError& error) {
    EXPECT_NE(
        std::string(error.what()).find((dir / "spiece.model").string() + ": no SentencePiece"),
        std::string::npos)
        << error.what();
  }
  std::ofstream(dir / "spiece.model") << "not a model";
  try {
    SentencePieceTokenizer tokenizer(dir.string());
    FAIL() << "no error";
  } catch (const CheckpointError& error) {
    EXPECT_NE(std::string(error.what()).find("not a SentencePiece model"), std::string::npos)
        << error.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tensorpoly::data
