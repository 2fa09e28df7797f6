// The option parser of tensorpoly-run (run/options.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/options.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "tensorpoly/limits.h"

namespace tensorpoly::app {
namespace {

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// "a positive integer", "an integer >= 0", "an integer from 1 to 64".
std::string integer_range(const IntegerOption& option) {
  constexpr int64_t lowest = std::numeric_limits<int64_t>::min();
  constexpr int64_t highest = std::numeric_limits<int64_t>::max();
  if (option.min == 1 && option.max == highest) return "a positive integer";
  if (option.min == lowest && option.max == highest) return "an integer";
  if (option.max == highest) return "an integer >= " + std::to_string(option.min);
  if (option.min == lowest) return "an integer <= " + std::to_string(option.max);
  return "an integer from " + std::to_string(option.min) + " to " + std::to_string(option.max);
}

// The errors of positional_arguments, built out of its loop, where clang-tidy would count
// each concatenation as a cost per iteration (they run once, to throw).
[[noreturn]] void refuse_switch_value(const std::string& name, const std::string& arg) {
  throw std::invalid_argument("--" + name + " takes no value, got '" + arg + "'");
}

[[noreturn]] void refuse_unknown_option(const std::string& option, const std::string& command,
                                        const OptionSpec& spec) {
  throw std::invalid_argument("unknown option '" + option + "' for " + command +
                              " (allowed: " + allowed_options(spec) + ")");
}

[[noreturn]] void refuse(const std::string& name, const std::string& meaning,
                         const std::string& range, const std::string& note,
                         const std::string& text) {
  const std::string detail = note.empty() ? range : range + "; " + note;
  const std::string expected = meaning.empty() ? (note.empty() ? range : range + " (" + note + ")")
                                               : meaning + " (" + detail + ")";
  throw std::invalid_argument("--" + name + " expects " + expected + ", got '" + text + "'");
}

}  // namespace

std::string allowed_options(const OptionSpec& spec) {
  std::vector<std::string> names;
  for (const auto& name : spec.with_value) names.push_back("--" + name);
  for (const auto& name : spec.switches) names.push_back("--" + name);
  std::sort(names.begin(), names.end());
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

std::vector<std::string> positional_arguments(const std::vector<std::string>& args,
                                              const std::string& command, const OptionSpec& spec) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    const size_t dashes = arg.rfind("--", 0) == 0 ? 2 : 1;
    const size_t equals = arg.find('=');
    const std::string name =
        arg.substr(dashes, equals == std::string::npos ? std::string::npos : equals - dashes);
    if (dashes == 2 && listed(spec.with_value, name)) {
      if (equals == std::string::npos) {
        if (i + 1 >= args.size()) throw std::invalid_argument("--" + name + " needs a value");
        ++i;  // the value
      }
      continue;
    }
    if (dashes == 2 && listed(spec.switches, name)) {
      if (equals != std::string::npos) {
        refuse_switch_value(name, arg);
      }
      continue;
    }
    refuse_unknown_option(arg.substr(0, equals), command, spec);
  }
  return positional;
}

std::string option_value(const std::vector<std::string>& args, const std::string& name,
                         const std::string& fallback) {
  const std::vector<std::string> values = option_values(args, name);
  return values.empty() ? fallback : values.front();
}

std::vector<std::string> option_values(const std::vector<std::string>& args,
                                       const std::string& name) {
  std::vector<std::string> values;
  const std::string flag = "--" + name;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag) {
      if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
      values.push_back(args[++i]);
    } else if (args[i].rfind(flag + "=", 0) == 0) {
      values.push_back(args[i].substr(flag.size() + 1));
    }
  }
  return values;
}

bool has_flag(const std::vector<std::string>& args, const std::string& name) {
  return std::find(args.begin(), args.end(), "--" + name) != args.end();
}

int64_t parse_integer(const IntegerOption& option, const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  // from_chars refuses overflow (result_out_of_range), whitespace and a leading '+'.
  if (text.empty() || error != std::errc() || stop != end || value < option.min ||
      value > option.max) {
    refuse(option.name, option.meaning, integer_range(option), option.note, text);
  }
  return value;
}

std::optional<int64_t> integer_option(const std::vector<std::string>& args,
                                      const IntegerOption& option) {
  const std::vector<std::string> values = option_values(args, option.name);
  if (values.empty()) return std::nullopt;
  return parse_integer(option, values.front());
}

int64_t integer_option(const std::vector<std::string>& args, const IntegerOption& option,
                       int64_t fallback) {
  return integer_option(args, option).value_or(fallback);
}

IntegerOption threads_option() {
  return {"threads", "a thread count", 0, kMaxThreads, "0 = one per core"};
}

double parse_number(const std::string& name, const std::string& meaning, double min,
                    const std::string& text) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || !std::isfinite(value) || value < min) {
    std::ostringstream range;
    range << "a number >= " << min;
    refuse(name, meaning, range.str(), {}, text);
  }
  return value;
}

}  // namespace tensorpoly::app
