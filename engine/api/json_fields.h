// The one JSON field reader of every configuration (experiment, suite, pre-training data,
// adapter): reads typed fields of a JSON object into a struct and collects every problem
// (wrong type, number outside the target type's range, unknown field) with its dotted
// field path in a ProblemList, which validation then adds to. Internal to the engine API.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tensorpoly/config_problem.h"

namespace tensorpoly::config_fields {

// "where.field", or "field" when `where` is empty.
std::string field_path(const std::string& where, const std::string& field);

// The problems found in one configuration, in the order found.
class ProblemList {
 public:
  void add(std::string field, std::string message);
  void add(const std::vector<ConfigProblem>& problems);
  // Runs `parse` (a reader that throws ConfigError) and collects what it reports.
  void collect(const std::function<void()>& parse);
  // Runs `validate` (which throws ConfigError) on a config read with the problems already
  // here, and adds what it reports except problems of a field that already has one (or
  // lies inside an object that has one): they would judge the default that the unreadable
  // value left in place, or repeat a problem a nested reader already validated.
  void collect_validation(const std::function<void()>& validate);

  bool empty() const { return problems_.empty(); }
  const std::vector<ConfigProblem>& problems() const { return problems_; }
  // Throws ConfigError with every problem, when there is one.
  void throw_if_any() const;

 private:
  std::vector<ConfigProblem> problems_;
};

// Reads the fields of one JSON object. A read of a field that is absent keeps the
// default in `out`; a value of the wrong type or range keeps it too and adds a problem.
class JsonFields {
 public:
  // When `value` is not an object this reports "<where>: expected an object, got <type>"
  // (or a whole-document problem when `where` is empty) and every read does nothing.
  JsonFields(const nlohmann::json& value, std::string where, ProblemList& problems);

  bool is_object() const { return object_.is_object(); }
  bool has(const std::string& field) const;
  std::string path(const std::string& field) const { return field_path(where_, field); }

  void read(const std::string& field, std::string& out);
  void read(const std::string& field, bool& out);
  void read(const std::string& field, int& out);
  void read(const std::string& field, int64_t& out);
  void read(const std::string& field, uint64_t& out);
  void read(const std::string& field, double& out);
  void read(const std::string& field, std::vector<std::string>& out);
  // A nested object, handed with its path to `parse`, which reports into the same list
  // (a ConfigError it throws is collected as well).
  void read_object(const std::string& field,
                   const std::function<void(const nlohmann::json&, const std::string&)>& parse);

  // Every field present that no read asked for is a problem: "unknown field (known: ...)",
  // or the reason given in `reasons` (a field of another kind of suite, say).
  void reject_unknown(const std::map<std::string, std::string>& reasons = {});

 private:
  // Looks up `field`, records it as known, and returns the value or nullptr when absent.
  const nlohmann::json* find(const std::string& field);
  void wrong(const std::string& field, const std::string& expected, const nlohmann::json& value);
  template <typename Int>
  void read_integer_field(const std::string& field, Int& out);

  const nlohmann::json& object_;
  std::string where_;
  ProblemList& problems_;
  std::vector<std::string> known_;  // in reading order, for the "known:" list
  std::set<std::string> seen_;
};

// Parses a JSON document into `out`. A syntax error is a whole-document problem (naming
// the line and column); a number beyond double's range ("1e400", which JSON allows but
// no C++ type holds) is a problem of its field. Returns false after adding the problem.
bool parse_document(const std::string& text, nlohmann::json& out, ProblemList& problems);

// How a JSON value reads in a message: numbers and strings as written ("-5", "\"big\""),
// other values by their type ("object"); a float beyond double's range as such.
std::string value_text(const nlohmann::json& value);

}  // namespace tensorpoly::config_fields
