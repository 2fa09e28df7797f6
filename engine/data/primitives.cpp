// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/primitives.h"

#include <algorithm>
#include <stdexcept>

namespace tensorpoly::data {
namespace {

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
char to_lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// "abcd" -> "dcba"
std::string reverse(const std::string& text, const std::string&) {
  return std::string(text.rbegin(), text.rend());
}

// "dbca" -> "abcd" (by byte value, so upper case sorts first)
std::string sort(const std::string& text, const std::string&) {
  std::string out = text;
  std::sort(out.begin(), out.end());
  return out;
}

// "abcd" -> "bcda"
std::string rotate_left(const std::string& text, const std::string&) {
  if (text.size() < 2) return text;
  return text.substr(1) + text.front();
}

// "abcd" -> "dabc"
std::string rotate_right(const std::string& text, const std::string&) {
  if (text.size() < 2) return text;
  return text.back() + text.substr(0, text.size() - 1);
}

// "abcde" -> "badce" (an odd last symbol stays)
std::string swap_pairs(const std::string& text, const std::string&) {
  std::string out = text;
  for (size_t i = 0; i + 1 < out.size(); i += 2) std::swap(out[i], out[i + 1]);
  return out;
}

// "abcd" -> "dbca"
std::string swap_ends(const std::string& text, const std::string&) {
  std::string out = text;
  if (out.size() >= 2) std::swap(out.front(), out.back());
  return out;
}

// Each letter of the alphabet to the next one, cyclically, keeping its case:
// "abh" -> "bca" over "abcdefgh".
std::string shift(const std::string& text, const std::string& alphabet) {
  std::string out = text;
  for (char& c : out) {
    const auto position = alphabet.find(to_lower(c));
    if (position == std::string::npos) continue;
    const char next = alphabet[(position + 1) % alphabet.size()];
    c = is_upper(c) ? to_upper(next) : next;
  }
  return out;
}

// "abc" -> "ABC"
std::string upper(const std::string& text, const std::string&) {
  std::string out = text;
  for (char& c : out) c = to_upper(c);
  return out;
}

// "abc" -> "aabbcc"
std::string duplicate(const std::string& text, const std::string&) {
  std::string out;
  out.reserve(text.size() * 2);
  for (char c : text) out.append(2, c);
  return out;
}

// "abecid" -> "bcd"
std::string drop_vowels(const std::string& text, const std::string&) {
  std::string out;
  for (char c : text) {
    if (std::string("aeiou").find(to_lower(c)) == std::string::npos) out.push_back(c);
  }
  return out;
}

}  // namespace

const std::vector<Primitive>& primitives() {
  static const std::vector<Primitive> all = {
      {"reverse", PrimitiveKind::kModifier, &reverse},
      {"sort", PrimitiveKind::kModifier, &sort},
      {"rotate_left", PrimitiveKind::kModifier, &rotate_left},
      {"rotate_right", PrimitiveKind::kModifier, &rotate_right},
      {"swap_pairs", PrimitiveKind::kModifier, &swap_pairs},
      {"swap_ends", PrimitiveKind::kModifier, &swap_ends},
      {"shift", PrimitiveKind::kFamily, &shift},
      {"upper", PrimitiveKind::kFamily, &upper},
      {"duplicate", PrimitiveKind::kFamily, &duplicate},
      {"drop_vowels", PrimitiveKind::kFamily, &drop_vowels},
  };
  return all;
}

const Primitive& primitive(const std::string& name) {
  for (const auto& p : primitives()) {
    if (p.name == name) return p;
  }
  std::string known;
  for (const auto& p : primitives()) known += (known.empty() ? "" : ", ") + p.name;
  throw std::invalid_argument("unknown primitive '" + name + "' (known: " + known + ")");
}

std::string apply_primitives(const std::vector<std::string>& names, const std::string& text,
                             const std::string& alphabet) {
  std::string out = text;
  for (const auto& name : names) out = primitive(name).apply(out, alphabet);
  return out;
}

}  // namespace tensorpoly::data
