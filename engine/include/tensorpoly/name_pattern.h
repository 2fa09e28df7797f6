// A user's regular expression over module and layer names (adapter.module_regex,
// adapter.layer_regex, an analysis layer pattern), matched by RE2: time linear in the
// name whatever the pattern, so a pattern such as (.*)*(.*)*NOMATCH cannot hang the
// engine or the GUI. The syntax is RE2's (Perl-like, without backreferences or
// lookaround).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <string>

namespace re2 {
class RE2;
}

namespace tensorpoly {

class NamePattern {
 public:
  // Throws std::invalid_argument "FIELD: invalid regular expression 'PATTERN': WHY
  // (RE2 syntax)" for a pattern RE2 refuses or one too large to compile.
  NamePattern(const std::string& pattern, const std::string& field);

  bool full_match(const std::string& name) const;     // the whole name
  bool partial_match(const std::string& name) const;  // anywhere in the name
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::shared_ptr<const re2::RE2> compiled_;
};

// "invalid regular expression 'PATTERN': WHY (RE2 syntax)", or "" when it compiles.
std::string name_pattern_problem(const std::string& pattern);

}  // namespace tensorpoly
