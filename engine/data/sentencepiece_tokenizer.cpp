// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/sentencepiece_tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "data/sentencepiece_model.h"
#include "tensorpoly/hf_config.h"

namespace tensorpoly::data {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDefaultExtraIds = 100;  // T5Tokenizer's default

// The code point starting at `at` (UTF-8) and its length in bytes; malformed bytes are
// single-byte code points that are never whitespace.
std::pair<uint32_t, size_t> code_point(const std::string& text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xE  ? 3
                  : (lead >> 3) == 0x1E ? 4
                                        : 1;
  if (at + length > text.size()) length = 1;
  if (length == 1) return {lead, 1};
  uint32_t value = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return {0xFFFFFFFF, 1};
    value = (value << 6) | (byte(at + i) & 0x3F);
  }
  return {value, length};
}

// Python's str.isspace().
bool is_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

std::string strip_left(const std::string& text) {
  size_t at = 0;
  while (at < text.size()) {
    const auto [c, length] = code_point(text, at);
    if (!is_space(c)) break;
    at += length;
  }
  return text.substr(at);
}

std::string strip_right(const std::string& text) {
  // Walk forward, remembering where the last non-space code point ended.
  size_t end = 0;
  for (size_t at = 0; at < text.size();) {
    const auto [c, length] = code_point(text, at);
    at += length;
    if (!is_space(c)) end = at;
  }
  return text.substr(0, end);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

nlohmann::json read_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw CheckpointError(path.string() + ": cannot open the file");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw CheckpointError(path.string() + ": not valid JSON: " + error.what());
  }
}

bool flag(const nlohmann::json& object, const char* field, bool fallback) {
  const auto found = object.find(field);
  return found != object.end() && found->is_boolean() ? found->get<bool>() : fallback;
}

// The added tokens of the folder, as HF's T5Tokenizer.from_pretrained finds them.
std::vector<SentencePieceTokenizer::AddedToken> read_added_tokens(const fs::path& folder,
                                                                  int64_t n_pieces) {
  std::vector<SentencePieceTokenizer::AddedToken> added;
  const fs::path config_path = folder / "tokenizer_config.json";
  const fs::path added_path = folder / "added_tokens.json";
  nlohmann::json config = nlohmann::json::object();
  if (fs::exists(config_path)) config = read_json_file(config_path);
  const auto decoder = config.is_object() ? config.find("added_tokens_decoder") : config.end();
  if (config.is_object() && decoder != config.end() && decoder->is_object()) {
    for (const auto& [key, token] : decoder->items()) {
      if (!token.is_object() || !token.contains("content") || !token["content"].is_string()) {
        throw CheckpointError(config_path.string() + ": added_tokens_decoder entry '" + key +
                              "' has no \"content\" string");
      }
      SentencePieceTokenizer::AddedToken entry;
      entry.content = token["content"].get<std::string>();
      try {
        size_t used = 0;
        entry.id = std::stoll(key, &used);
        if (used != key.size() || entry.id < 0) throw std::invalid_argument(key);
      } catch (const std::exception&) {
        throw CheckpointError(config_path.string() + ": added_tokens_decoder key '" + key +
                              "' is not a token id");
      }
      entry.lstrip = flag(token, "lstrip", false);
      entry.rstrip = flag(token, "rstrip", false);
      added.push_back(entry);
    }
    return added;
  }
  static const std::regex sentinel("<extra_id_([0-9]+)>");
  if (fs::exists(added_path)) {
    const nlohmann::json tokens = read_json_file(added_path);
    if (!tokens.is_object()) throw CheckpointError(added_path.string() + ": expected an object");
    for (const auto& [content, id] : tokens.items()) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0) {
        throw CheckpointError(added_path.string() + ": token '" + content +
                              "' has no valid id: " + id.dump());
      }
      const bool is_sentinel = std::regex_match(content, sentinel);
      added.push_back({content, id.get<int64_t>(), is_sentinel, is_sentinel});
    }
  } else {
    int64_t extra_ids = kDefaultExtraIds;
    if (config.is_object() && config.contains("extra_ids") &&
        config["extra_ids"].is_number_integer()) {
      extra_ids = config["extra_ids"].get<int64_t>();
    }
    if (extra_ids < 0 || extra_ids > 100000) {
      throw CheckpointError(config_path.string() + ": extra_ids must be in [0, 100000], got " +
                            std::to_string(extra_ids));
    }
    for (int64_t i = 0; i < extra_ids; ++i) {
      added.push_back(
          {"<extra_id_" + std::to_string(i) + ">", n_pieces + extra_ids - 1 - i, true, true});
    }
  }
  // pad, eos and unk are added tokens too (they are matched when written in a text).
  added.push_back({"<pad>", Tokenizer::kPadId, false, false});
  added.push_back({"</s>", Tokenizer::kEosId, false, false});
  added.push_back({"<unk>", Tokenizer::kUnkId, false, false});
  return added;
}

}  // namespace

std::string clean_up_tokenization(std::string text) {
  const std::pair<const char*, const char*> rules[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : rules) replace_all(text, from, to);
  return text;
}

std::string strip_unicode_whitespace(const std::string& text) {
  return strip_right(strip_left(text));
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& folder) {
  const fs::path path = fs::path(folder) / kHfTokenizerFile;
  if (!fs::is_regular_file(path)) {
    throw CheckpointError(path.string() + ": no SentencePiece model (" + kHfTokenizerFile +
                          ") in the checkpoint folder");
  }
  processor_ = std::make_unique<SentencePieceModel>(path.string());
  if (processor_->pad_id() != kPadId || processor_->eos_id() != kEosId ||
      processor_->unk_id() != kUnkId) {
    throw CheckpointError(path.string() + ": pad, eos and unk have ids " +
                          std::to_string(processor_->pad_id()) + ", " +
                          std::to_string(processor_->eos_id()) + ", " +
                          std::to_string(processor_->unk_id()) + "; T5 needs 0, 1, 2");
  }
  n_pieces_ = processor_->piece_size();
  added_ = read_added_tokens(folder, n_pieces_);
  std::sort(added_.begin(), added_.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() != b.content.size() ? a.content.size() > b.content.size()
                                                : a.content < b.content;
  });
  static const std::regex sentinel("<extra_id_([0-9]+)>");
  std::map<int64_t, int64_t> sentinels;  // index -> id
  vocab_size_ = n_pieces_;
  std::map<std::string, int64_t> seen;
  for (const AddedToken& token : added_) {
    const auto [it, fresh] = seen.emplace(token.content, token.id);
    if (!fresh && it->second != token.id) {
      throw CheckpointError(folder + ": added token '" + token.content + "' has two ids (" +
                            std::to_string(it->second) + " and " + std::to_string(token.id) + ")");
    }
    if (token.id < n_pieces_ &&
        processor_->id_to_piece(static_cast<int>(token.id)) != token.content) {
      throw CheckpointError(folder + ": added token '" + token.content + "' has id " +
                            std::to_string(token.id) + ", which is the piece '" +
                            processor_->id_to_piece(static_cast<int>(token.id)) + "' of " +
                            kHfTokenizerFile);
    }
    vocab_size_ = std::max(vocab_size_, token.id + 1);
    std::smatch match;
    if (std::regex_match(token.content, match, sentinel)) {
      sentinels[std::stoll(match[1].str())] = token.id;
    }
  }
  for (const auto& [index, id] : sentinels) {
    if (index != static_cast<int64_t>(sentinel_ids_.size())) {
      throw CheckpointError(folder + ": sentinel <extra_id_" +
                            std::to_string(sentinel_ids_.size()) + "> is missing");
    }
    sentinel_ids_.push_back(id);
  }
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

int64_t SentencePieceTokenizer::sentinel_id(int64_t index) const {
  if (index < 0 || index >= n_sentinels()) {
    throw std::out_of_range("SentencePieceTokenizer::sentinel_id: index " + std::to_string(index) +
                            " not in [0, " + std::to_string(n_sentinels()) + ")");
  }
  return sentinel_ids_[static_cast<size_t>(index)];
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text) const {
  // Cut the added tokens out (leftmost, longest); stretches keep their text.
  struct Part {
    std::string text;
    const AddedToken* token = nullptr;
  };
  std::vector<Part> parts;
  size_t start = 0;
  for (size_t at = 0; at < text.size();) {
    const AddedToken* found = nullptr;
    for (const AddedToken& token : added_) {
      if (text.compare(at, token.content.size(), token.content) == 0) {
        found = &token;
        break;
      }
    }
    if (found == nullptr) {
      ++at;
      continue;
    }
    parts.push_back({text.substr(start, at - start), nullptr});
    parts.push_back({found->content, found});
    at += found->content.size();
    start = at;
  }
  parts.push_back({text.substr(start), nullptr});
  // Strip the whitespace the tokens swallow (HF: rstrip eats the next stretch's start).
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].token == nullptr) continue;
    if (parts[i].token->rstrip && i + 1 < parts.size()) {
      parts[i + 1].text = strip_left(parts[i + 1].text);
    }
    if (parts[i].token->lstrip && i > 0) parts[i - 1].text = strip_right(parts[i - 1].text);
  }
  std::vector<int64_t> ids;
  std::vector<int> piece_ids;
  for (const Part& part : parts) {
    if (part.token != nullptr) {
      ids.push_back(part.token->id);
      continue;
    }
    if (part.text.empty()) continue;
    piece_ids = processor_->encode(part.text);
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
  }
  return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<int> pieces;
  for (const int64_t id : ids) {
    if (id == kEosId) break;
    if (id == kPadId || id == kUnkId || id < 0 || id >= n_pieces_) continue;
    if (processor_->is_control(static_cast<int>(id))) continue;
    pieces.push_back(static_cast<int>(id));
  }
  return clean_up_tokenization(strip_unicode_whitespace(processor_->decode(pieces)));
}

std::string SentencePieceTokenizer::token(int64_t id) const {
  for (const AddedToken& added : added_) {
    if (added.id == id) return added.content;
  }
  if (id < 0 || id >= n_pieces_) return {};
  return processor_->id_to_piece(static_cast<int>(id));
}

std::unique_ptr<Tokenizer> make_tokenizer(const std::string& model_checkpoint) {
  if (model_checkpoint.empty()) return std::make_unique<ByteTokenizer>();
  return std::make_unique<SentencePieceTokenizer>(model_checkpoint);
}

}  // namespace tensorpoly::data
