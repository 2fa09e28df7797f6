// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/tokenizer.h"

#include <stdexcept>

namespace tensorpoly::data {

ByteTokenizer::ByteTokenizer(int64_t n_sentinels)
    : n_sentinels_(n_sentinels), byte_offset_(kFirstSentinelId + n_sentinels) {
  if (n_sentinels < 1 || n_sentinels > 200) {
    throw std::invalid_argument("ByteTokenizer: n_sentinels must be in [1, 200], got " +
                                std::to_string(n_sentinels));
  }
}

std::vector<int64_t> ByteTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  ids.reserve(text.size());
  for (unsigned char byte : text) ids.push_back(static_cast<int64_t>(byte) + byte_offset_);
  return ids;
}

std::string ByteTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string text;
  text.reserve(ids.size());
  for (int64_t id : ids) {
    if (id == kEosId) break;
    if (id == kPadId) continue;
    if (id >= byte_offset_ && id < vocab_size()) {
      text.push_back(static_cast<char>(static_cast<unsigned char>(id - byte_offset_)));
    } else if (id >= kFirstSentinelId && id < byte_offset_) {
      text += "<extra_id_" + std::to_string(id - kFirstSentinelId) + ">";
    } else {
      text += "\xEF\xBF\xBD";  // U+FFFD for unk and ids the tokenizer does not know
    }
  }
  return text;
}

int64_t ByteTokenizer::sentinel_id(int64_t index) const {
  if (index < 0 || index >= n_sentinels_) {
    throw std::out_of_range("ByteTokenizer::sentinel_id: index " + std::to_string(index) +
                            " not in [0, " + std::to_string(n_sentinels_) + ")");
  }
  return kFirstSentinelId + index;
}

}  // namespace tensorpoly::data
