// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/tokenizer.h"

#include <gtest/gtest.h>

namespace tensorpoly::data {
namespace {

TEST(ByteTokenizer, UsesT5SpecialIdsAndFitsThePresetVocabulary) {
  const ByteTokenizer tokenizer;
  EXPECT_EQ(tokenizer.pad_id(), 0);
  EXPECT_EQ(tokenizer.eos_id(), 1);
  EXPECT_EQ(tokenizer.unk_id(), 2);
  EXPECT_EQ(tokenizer.sentinel_id(0), 3);
  EXPECT_EQ(tokenizer.sentinel_id(31), 34);
  EXPECT_EQ(tokenizer.byte_offset(), 35);
  EXPECT_EQ(tokenizer.vocab_size(), 291);
  EXPECT_LE(tokenizer.vocab_size(), 512);
  EXPECT_THROW(tokenizer.sentinel_id(32), std::out_of_range);
}

TEST(ByteTokenizer, EncodesBytesAtTheOffset) {
  const ByteTokenizer tokenizer;
  EXPECT_EQ(tokenizer.encode("ab"), (std::vector<int64_t>{'a' + 35, 'b' + 35}));
  EXPECT_TRUE(tokenizer.encode("").empty());
  const auto ids = tokenizer.encode("\xff");
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], 255 + 35);
  EXPECT_EQ(ids[0], tokenizer.vocab_size() - 1);
}

TEST(ByteTokenizer, RoundTripsAsciiAndMultiByteUtf8) {
  const ByteTokenizer tokenizer;
  for (const std::string& text :
       std::vector<std::string>{"hello, world", "Grüße", "naïve café", "日本語テキスト",
                                "emoji 🙂!", "tab\tnew\nline"}) {
    EXPECT_EQ(tokenizer.decode(tokenizer.encode(text)), text) << text;
  }
  EXPECT_EQ(tokenizer.encode("é").size(), 2u);  // two UTF-8 bytes
}

TEST(ByteTokenizer, DecodeStopsAtEosSkipsPadAndMarksSpecials) {
  const ByteTokenizer tokenizer;
  auto ids = tokenizer.encode("ab");
  ids.insert(ids.begin(), 0);      // decoder start
  ids.insert(ids.begin() + 2, 0);  // pad in the middle is skipped
  ids.push_back(1);                // eos
  const auto after = tokenizer.encode("zz");
  ids.insert(ids.end(), after.begin(), after.end());
  EXPECT_EQ(tokenizer.decode(ids), "ab");
  EXPECT_EQ(tokenizer.decode({tokenizer.sentinel_id(2), 'x' + 35}), "<extra_id_2>x");
  EXPECT_EQ(tokenizer.decode({2}), "\xEF\xBF\xBD");
  EXPECT_EQ(tokenizer.decode({tokenizer.vocab_size() + 5}), "\xEF\xBF\xBD");
  EXPECT_EQ(tokenizer.decode({}), "");
}

TEST(ByteTokenizer, WorksThroughTheInterface) {
  const ByteTokenizer bytes(8);
  const Tokenizer& tokenizer = bytes;
  EXPECT_EQ(tokenizer.n_sentinels(), 8);
  EXPECT_EQ(tokenizer.vocab_size(), 3 + 8 + 256);
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("ü")), "ü");
  EXPECT_THROW(ByteTokenizer(0), std::invalid_argument);
}

}  // namespace
}  // namespace tensorpoly::data
