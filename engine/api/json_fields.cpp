// The JSON field reader shared by every configuration (json_fields.h), and ConfigError.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "json_fields.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace tensorpoly {

std::string to_string(const ConfigProblem& problem) {
  return problem.field.empty() ? problem.message : problem.field + ": " + problem.message;
}

namespace {

std::string error_text(const std::vector<ConfigProblem>& problems, const std::string& file) {
  std::string text;
  for (const auto& problem : problems) {
    if (!text.empty()) text += '\n';
    if (!file.empty()) text += file + ": ";
    text += to_string(problem);
  }
  return text;
}

}  // namespace

ConfigError::ConfigError(std::vector<ConfigProblem> problems, std::string file)
    : std::invalid_argument(error_text(problems, file)),
      problems_(std::move(problems)),
      file_(std::move(file)) {}

ConfigError::ConfigError(std::string field, std::string message)
    : ConfigError(std::vector<ConfigProblem>{{std::move(field), std::move(message)}}) {}

bool ConfigError::names(const std::string& field) const {
  for (const auto& problem : problems_) {
    if (problem.field == field) return true;
  }
  return false;
}

namespace config_fields {

using json = nlohmann::json;

std::string field_path(const std::string& where, const std::string& field) {
  return where.empty() ? field : where + "." + field;
}

void ProblemList::add(std::string field, std::string message) {
  problems_.push_back({std::move(field), std::move(message)});
}

void ProblemList::add(const std::vector<ConfigProblem>& problems) {
  problems_.insert(problems_.end(), problems.begin(), problems.end());
}

void ProblemList::collect(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const ConfigError& error) {
    add(error.problems());
  }
}

void ProblemList::collect_validation(const std::function<void()>& validate) {
  try {
    validate();
  } catch (const ConfigError& error) {
    const std::vector<ConfigProblem> earlier = problems_;
    auto covered = [&](const std::string& field) {
      for (const auto& problem : earlier) {
        if (problem.field.empty() || problem.field == field ||
            field.rfind(problem.field + ".", 0) == 0) {
          return true;
        }
      }
      return false;
    };
    for (const auto& problem : error.problems()) {
      if (!covered(problem.field)) problems_.push_back(problem);
    }
  }
}

void ProblemList::throw_if_any() const {
  if (!problems_.empty()) throw ConfigError(problems_);
}

std::string value_text(const json& value) {
  if (value.is_number_float() && !std::isfinite(value.get<double>())) {
    std::ostringstream limit;
    limit << std::numeric_limits<double>::max();
    return "a number beyond ±" + limit.str();
  }
  if (value.is_number() || value.is_boolean() || value.is_null()) return value.dump();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    constexpr size_t kShown = 40;
    return std::string("string ") + (text.size() <= kShown
                                         ? json(text).dump()
                                         : json(text.substr(0, kShown)).dump() + "...");
  }
  return value.type_name();
}

namespace {

// The dotted path of the value being parsed, from the parser's events.
class PathTracker {
 public:
  bool on_event(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::key:
        key_ = parsed.get<std::string>();
        // The parser keeps the last of two equal keys without a word: a typo'd copy
        // of a field would silently override the first.
        if (!keys_.empty() && !keys_.back().insert(key_).second) duplicates_.push_back(path());
        break;
      case json::parse_event_t::object_start:
        if (!first_) parents_.push_back(key_);
        first_ = false;
        key_.clear();
        keys_.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!parents_.empty()) parents_.pop_back();
        if (!keys_.empty()) keys_.pop_back();
        key_.clear();
        break;
      default:
        break;
    }
    return true;  // keep every value
  }
  std::string path() const {
    std::string path;
    for (const auto& part : parents_) {
      if (!part.empty()) path = field_path(path, part);
    }
    return key_.empty() ? path : field_path(path, key_);
  }
  const std::vector<std::string>& duplicates() const { return duplicates_; }

 private:
  std::vector<std::set<std::string>> keys_;  // the keys seen in each open object
  std::vector<std::string> duplicates_;      // paths of keys given twice in one object
  std::vector<std::string> parents_;         // keys of the enclosing objects below the root
  std::string key_;                          // the key of the value being parsed
  bool first_ = true;                        // the root object has no key
};

}  // namespace

bool parse_document(const std::string& text, json& out, ProblemList& problems) {
  PathTracker tracker;
  try {
    out = json::parse(text, [&](int /*depth*/, json::parse_event_t event, json& parsed) {
      return tracker.on_event(event, parsed);
    });
    for (const std::string& field : tracker.duplicates()) {
      problems.add(field, "given more than once in the same object (only one may be)");
    }
    return tracker.duplicates().empty();
  } catch (const json::out_of_range& error) {
    std::ostringstream limit;
    limit << std::numeric_limits<double>::max();
    // nlohmann's text reads "[json.exception.out_of_range.406] number overflow parsing
    // '1e400'": the part after its id names the number.
    const std::string what = error.what();
    const size_t id_end = what.find("] ");
    problems.add(tracker.path(),
                 std::string("number beyond ±") + limit.str() + " (" +
                     (id_end == std::string::npos ? what : what.substr(id_end + 2)) + ")");
  } catch (const json::exception& error) {
    problems.add("", std::string("invalid JSON: ") + error.what());
  }
  return false;
}

JsonFields::JsonFields(const json& value, std::string where, ProblemList& problems)
    : object_(value), where_(std::move(where)), problems_(problems) {
  if (!value.is_object()) {
    problems_.add(where_,
                  std::string(where_.empty() ? "expected a JSON object" : "expected an object") +
                      ", got " + value_text(value));
  }
}

bool JsonFields::has(const std::string& field) const {
  return object_.is_object() && object_.contains(field);
}

const json* JsonFields::find(const std::string& field) {
  if (seen_.insert(field).second) known_.push_back(field);
  if (!has(field)) return nullptr;
  return &object_.at(field);
}

void JsonFields::wrong(const std::string& field, const std::string& expected, const json& value) {
  problems_.add(path(field), "expected " + expected + ", got " + value_text(value));
}

namespace {

enum class IntegerRead { kOk, kNotInteger, kOutOfRange };

// A JSON integer as the target integer type, never wrapped around. A whole number beyond
// uint64 (which the parser gives as a float, as it does an overflowing "1e400") is out of
// range; 2.5 or 4.0 is not an integer.
template <typename Int>
IntegerRead read_integer(const json& value, Int& out) {
  using limits = std::numeric_limits<Int>;
  if (value.is_number_unsigned()) {
    const auto number = value.get<uint64_t>();
    if (number > static_cast<uint64_t>(limits::max())) return IntegerRead::kOutOfRange;
    out = static_cast<Int>(number);
    return IntegerRead::kOk;
  }
  if (value.is_number_integer()) {
    const auto number = value.get<int64_t>();
    if constexpr (limits::is_signed) {
      if (number < static_cast<int64_t>(limits::min()) ||
          number > static_cast<int64_t>(limits::max())) {
        return IntegerRead::kOutOfRange;
      }
    } else {
      if (number < 0) return IntegerRead::kOutOfRange;
    }
    out = static_cast<Int>(number);
    return IntegerRead::kOk;
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    const bool whole = !std::isfinite(number) || number == std::floor(number);
    // Int holds [-2^digits, 2^digits) when signed, [0, 2^digits) when not: exact doubles.
    const double bound = std::ldexp(1.0, limits::digits);
    const bool fits = number >= (limits::is_signed ? -bound : 0.0) && number < bound;
    if (whole && !fits) return IntegerRead::kOutOfRange;
  }
  return IntegerRead::kNotInteger;
}

}  // namespace

template <typename Int>
void JsonFields::read_integer_field(const std::string& field, Int& out) {
  const json* value = find(field);
  if (!value) return;
  switch (read_integer(*value, out)) {
    case IntegerRead::kOk:
      return;
    case IntegerRead::kOutOfRange:
      return wrong(field,
                   "an integer from " + std::to_string(std::numeric_limits<Int>::min()) + " to " +
                       std::to_string(std::numeric_limits<Int>::max()),
                   *value);
    case IntegerRead::kNotInteger:
      return wrong(field,
                   std::numeric_limits<Int>::is_signed ? "an integer" : "a non-negative integer",
                   *value);
  }
}

void JsonFields::read(const std::string& field, int& out) { read_integer_field(field, out); }
void JsonFields::read(const std::string& field, int64_t& out) { read_integer_field(field, out); }
void JsonFields::read(const std::string& field, uint64_t& out) { read_integer_field(field, out); }

void JsonFields::read(const std::string& field, std::string& out) {
  const json* value = find(field);
  if (!value) return;
  if (!value->is_string()) return wrong(field, "a string", *value);
  out = value->get<std::string>();
}

void JsonFields::read(const std::string& field, bool& out) {
  const json* value = find(field);
  if (!value) return;
  if (!value->is_boolean()) return wrong(field, "true or false", *value);
  out = value->get<bool>();
}

void JsonFields::read(const std::string& field, double& out) {
  const json* value = find(field);
  if (!value) return;
  if (!value->is_number()) return wrong(field, "a number", *value);
  const double number = value->get<double>();
  // JSON has no infinity: a literal beyond double's range ("1e400") parses as one.
  if (!std::isfinite(number)) return wrong(field, "a finite number", *value);
  out = number;
}

void JsonFields::read(const std::string& field, std::vector<std::string>& out) {
  const json* value = find(field);
  if (!value) return;
  if (!value->is_array()) return wrong(field, "a list of strings", *value);
  std::vector<std::string> items;
  for (size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    if (!item.is_string()) {
      return problems_.add(path(field), "expected a list of strings, got " + value_text(item) +
                                            " at index " + std::to_string(i));
    }
    items.push_back(item.get<std::string>());
  }
  out = std::move(items);
}

void JsonFields::read_object(const std::string& field,
                             const std::function<void(const json&, const std::string&)>& parse) {
  const json* value = find(field);
  if (!value) return;
  const std::string nested = path(field);
  problems_.collect([&] { parse(*value, nested); });
}

void JsonFields::reject_unknown(const std::map<std::string, std::string>& reasons) {
  if (!is_object()) return;
  std::string known;
  for (const auto& name : known_) known += (known.empty() ? "" : ", ") + name;
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (seen_.count(it.key())) continue;
    const auto reason = reasons.find(it.key());
    problems_.add(path(it.key()), reason != reasons.end() ? reason->second
                                                          : "unknown field (known: " + known + ")");
  }
}

}  // namespace config_fields
}  // namespace tensorpoly
