// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/primitives.h"

#include <gtest/gtest.h>

namespace tensorpoly::data {
namespace {

const std::string kAlphabet = "abcdefgh";

std::string apply(const std::string& name, const std::string& text) {
  return primitive(name).apply(text, kAlphabet);
}

TEST(Primitives, EachMatchesHandCheckedStrings) {
  EXPECT_EQ(apply("reverse", "abcd"), "dcba");
  EXPECT_EQ(apply("sort", "dbca"), "abcd");
  EXPECT_EQ(apply("sort", "hgah"), "aghh");
  EXPECT_EQ(apply("rotate_left", "abcd"), "bcda");
  EXPECT_EQ(apply("rotate_right", "abcd"), "dabc");
  EXPECT_EQ(apply("swap_pairs", "abcdef"), "badcfe");
  EXPECT_EQ(apply("swap_pairs", "abcde"), "badce");
  EXPECT_EQ(apply("swap_ends", "abcd"), "dbca");
  EXPECT_EQ(apply("shift", "abh"), "bca");
  EXPECT_EQ(apply("shift", "AbH"), "BcA");
  EXPECT_EQ(apply("shift", "a-z"), "b-z");  // outside the alphabet: unchanged
  EXPECT_EQ(apply("upper", "abc"), "ABC");
  EXPECT_EQ(apply("duplicate", "abc"), "aabbcc");
  EXPECT_EQ(apply("drop_vowels", "abecid"), "bcd");
  EXPECT_EQ(apply("drop_vowels", "AbE"), "b");
}

TEST(Primitives, HandleShortStrings) {
  for (const auto& p : primitives()) {
    EXPECT_EQ(p.apply("", kAlphabet), "") << p.name;
  }
  EXPECT_EQ(apply("rotate_left", "b"), "b");
  EXPECT_EQ(apply("swap_ends", "b"), "b");
  EXPECT_EQ(apply("swap_pairs", "b"), "b");
}

TEST(Primitives, ModifiersKeepTheLetters) {
  const std::string text = "hacgbbed";
  std::string sorted = text;
  std::sort(sorted.begin(), sorted.end());
  int n_modifiers = 0;
  for (const auto& p : primitives()) {
    if (p.kind != PrimitiveKind::kModifier) continue;
    ++n_modifiers;
    auto out = p.apply(text, kAlphabet);
    std::sort(out.begin(), out.end());
    EXPECT_EQ(out, sorted) << p.name;
  }
  EXPECT_EQ(n_modifiers, 6);
  EXPECT_EQ(primitives().size(), 10u);
}

TEST(Primitives, ComposeLeftToRight) {
  EXPECT_EQ(apply_primitives({"shift", "reverse"}, "abc", kAlphabet), "dcb");
  EXPECT_EQ(apply_primitives({"duplicate", "rotate_left"}, "ab", kAlphabet), "abba");
  EXPECT_EQ(apply_primitives({"rotate_left", "duplicate"}, "ab", kAlphabet), "bbaa");
  EXPECT_EQ(apply_primitives({"upper", "swap_pairs", "drop_vowels"}, "abcd", kAlphabet), "BDC");
  EXPECT_EQ(apply_primitives({}, "abc", kAlphabet), "abc");
}

TEST(Primitives, UnknownNameIsAnError) {
  try {
    primitive("transpose");
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("transpose"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("reverse"), std::string::npos);
  }
}

}  // namespace
}  // namespace tensorpoly::data
