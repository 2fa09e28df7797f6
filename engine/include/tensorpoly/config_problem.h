// What is wrong with a configuration, as values: every config reader (experiment, suite,
// pre-training data, adapter) reports ConfigProblems, and throws them all at once as one
// ConfigError, so that the CLI prints each on its own line and the GUI form places each
// beside the widget of its field.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace tensorpoly {

struct ConfigProblem {
  std::string field;    // dotted path ("train.steps", "base.data.min_length"); "" = whole document
  std::string message;  // what is wrong and what is allowed ("must be >= 0, got -5")
};

// "field: message", or the message alone for a whole-document problem.
std::string to_string(const ConfigProblem& problem);

// A configuration that failed to parse or validate. what() lists every problem, one per
// line, as "field: message"; when the config came from a file, each line starts with the
// file's name ("run.json: train.steps: must be >= 0, got -5").
class ConfigError : public std::invalid_argument {
 public:
  explicit ConfigError(std::vector<ConfigProblem> problems, std::string file = {});
  ConfigError(std::string field, std::string message);

  const std::vector<ConfigProblem>& problems() const { return problems_; }
  const std::string& file() const { return file_; }  // "" when not read from a file
  // Whether some problem names `field` exactly.
  bool names(const std::string& field) const;

 private:
  std::vector<ConfigProblem> problems_;
  std::string file_;
};

}  // namespace tensorpoly
