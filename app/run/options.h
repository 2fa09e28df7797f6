// The one option parser of tensorpoly-run's subcommands: strict option checking
// (every --flag must be one the command knows, so that a typo such as --step 5 is an
// error instead of a silently ignored option), option values, and integer and number
// options with range checks and one message format: "--NAME expects ..., got 'X'".
// Every error is a std::invalid_argument, which tensorpoly-run turns into exit code 2.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tensorpoly::app {

struct OptionSpec {
  std::vector<std::string> with_value;  // --name VALUE or --name=VALUE
  std::vector<std::string> switches;    // --name alone
};

// The allowed options, for messages: "--batch, --device, --no-db".
std::string allowed_options(const OptionSpec& spec);

// The arguments that are not options (nor option values), in order. Throws naming an
// unknown option and listing the allowed ones, a value option without its value, or a
// switch given a value. "-x" counts as an option too; a value after a value option may
// start with "-" (--steps -5 reaches the option's own check).
std::vector<std::string> positional_arguments(const std::vector<std::string>& args,
                                              const std::string& command, const OptionSpec& spec);

// The value of `--name VALUE` or `--name=VALUE` (the first one), or `fallback`.
std::string option_value(const std::vector<std::string>& args, const std::string& name,
                         const std::string& fallback = {});
// Every value of a repeatable option (--attach A --attach B), in order.
std::vector<std::string> option_values(const std::vector<std::string>& args,
                                       const std::string& name);
// Whether the switch `--name` is given.
bool has_flag(const std::vector<std::string>& args, const std::string& name);

// What an integer option accepts. The message for a bad value reads
// "--NAME expects MEANING (RANGE; NOTE), got 'TEXT'", e.g. "--steps expects a step count
// (a positive integer), got '2x'". The range shown is the real one, including a bound
// that only the storage type sets (threads: "an integer from 0 to 2147483647").
struct IntegerOption {
  // Not explicit: callers write {"steps", "a step count", 1}.
  IntegerOption(std::string name, std::string meaning = {},
                int64_t min = std::numeric_limits<int64_t>::min(),
                int64_t max = std::numeric_limits<int64_t>::max(), std::string note = {})
      : name(std::move(name)),
        meaning(std::move(meaning)),
        min(min),
        max(max),
        note(std::move(note)) {}

  std::string name;     // without the dashes
  std::string meaning;  // what the number is ("a run id"); may be empty
  int64_t min;
  int64_t max;
  std::string note;  // what a special value means ("0 = one per core"); may be empty
};

// `text` as the integer `option` accepts: the whole text a decimal integer within
// [min, max] (no overflow), else std::invalid_argument with the message above.
int64_t parse_integer(const IntegerOption& option, const std::string& text);
// The option's value parsed, or nothing when the option is absent.
std::optional<int64_t> integer_option(const std::vector<std::string>& args,
                                      const IntegerOption& option);
// The option's value parsed, or `fallback` when the option is absent.
int64_t integer_option(const std::vector<std::string>& args, const IntegerOption& option,
                       int64_t fallback);

// --threads N of every command: 0 = one per core.
IntegerOption threads_option();

// A finite decimal number >= `min`, else "--NAME expects MEANING (a number >= MIN), got
// 'TEXT'".
double parse_number(const std::string& name, const std::string& meaning, double min,
                    const std::string& text);

}  // namespace tensorpoly::app
