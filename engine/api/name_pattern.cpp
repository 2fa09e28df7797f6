// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/name_pattern.h"

#include <re2/re2.h>

#include <stdexcept>

namespace tensorpoly {

namespace {

std::shared_ptr<const re2::RE2> compile(const std::string& pattern, std::string* problem) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  // RE2 bounds its memory; a pattern whose program exceeds it is refused here.
  options.set_max_mem(int64_t{8} << 20);
  auto compiled = std::make_shared<const re2::RE2>(pattern, options);
  if (!compiled->ok()) {
    *problem = compiled->error();
    return nullptr;
  }
  return compiled;
}

std::string problem_message(const std::string& pattern, const std::string& why) {
  return "invalid regular expression '" + pattern + "': " + why + " (RE2 syntax)";
}

}  // namespace

NamePattern::NamePattern(const std::string& pattern, const std::string& field) : pattern_(pattern) {
  std::string problem;
  compiled_ = compile(pattern, &problem);
  if (!compiled_) throw std::invalid_argument(field + ": " + problem_message(pattern, problem));
}

bool NamePattern::full_match(const std::string& name) const {
  return re2::RE2::FullMatch(name, *compiled_);
}

bool NamePattern::partial_match(const std::string& name) const {
  return re2::RE2::PartialMatch(name, *compiled_);
}

std::string name_pattern_problem(const std::string& pattern) {
  std::string problem;
  if (compile(pattern, &problem)) return "";
  return problem_message(pattern, problem);
}

}  // namespace tensorpoly
