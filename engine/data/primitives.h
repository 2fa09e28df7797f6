// The primitive string transformations (skills) the synthetic suite composes into tasks.
// Letters are ASCII; `alphabet` is the suite's lower-case alphabet, which `shift` cycles
// through (so its output stays in the alphabet); characters outside it pass unchanged.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

namespace tensorpoly::data {

enum class PrimitiveKind {
  kFamily,    // changes which symbols appear: shift, upper, duplicate, drop_vowels
  kModifier,  // a permutation that keeps the symbols: reverse, sort, rotations, swaps
};

struct Primitive {
  std::string name;
  PrimitiveKind kind;
  std::string (*apply)(const std::string& text, const std::string& alphabet);
};

// Every primitive, in a fixed order: reverse, sort, rotate_left, rotate_right, swap_pairs,
// swap_ends, shift, upper, duplicate, drop_vowels.
const std::vector<Primitive>& primitives();
// Throws std::invalid_argument naming the known primitives.
const Primitive& primitive(const std::string& name);

// Applies the named primitives left to right.
std::string apply_primitives(const std::vector<std::string>& names, const std::string& text,
                             const std::string& alphabet);

}  // namespace tensorpoly::data
