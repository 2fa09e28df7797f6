// The option parser of tensorpoly-run (app/run/options.h), without running the program:
// integer and number options with their ranges and one message format, option values,
// and the strict option check.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/options.h"

#include <gtest/gtest.h>

#include <climits>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace tensorpoly::app;

// The message of the std::invalid_argument that `call` throws ("" when it throws none).
template <typename Call>
std::string usage_error(Call call) {
  try {
    call();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST(IntegerOptionParser, AcceptsWholeIntegersWithinTheRange) {
  const IntegerOption option{"count", "a count", -3, 7};
  EXPECT_EQ(parse_integer(option, "-3"), -3);
  EXPECT_EQ(parse_integer(option, "0"), 0);
  EXPECT_EQ(parse_integer(option, "7"), 7);
  const IntegerOption any{"offset"};
  EXPECT_EQ(parse_integer(any, "-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(parse_integer(any, "9223372036854775807"), INT64_MAX);
}

TEST(IntegerOptionParser, RefusesGarbageOverflowAndOutOfRangeInOneMessageFormat) {
  const IntegerOption option{"count", "a count", 1};
  for (const std::string text : {"", "x", "2x", "1.5", " 4", "4 ", "+4", "0", "-1",
                                 "9223372036854775808", "99999999999999999999999"}) {
    SCOPED_TRACE("'" + text + "'");
    EXPECT_EQ(usage_error([&] { parse_integer(option, text); }),
              "--count expects a count (a positive integer), got '" + text + "'");
  }
}

TEST(IntegerOptionParser, MessageStatesTheRangeAndTheMeaningOfSpecialValues) {
  const auto message = [](const IntegerOption& option) {
    return usage_error([&] { parse_integer(option, "x"); });
  };
  EXPECT_EQ(message({"n"}), "--n expects an integer, got 'x'");
  EXPECT_EQ(message({"n", "", 0}), "--n expects an integer >= 0, got 'x'");
  EXPECT_EQ(message({"n", "", INT64_MIN, 9}), "--n expects an integer <= 9, got 'x'");
  EXPECT_EQ(message({"n", "a level", 1, 9}),
            "--n expects a level (an integer from 1 to 9), got 'x'");
  EXPECT_EQ(message({"n", "", 0, INT64_MAX, "0 = all"}),
            "--n expects an integer >= 0 (0 = all), got 'x'");
  EXPECT_EQ(
      message(threads_option()),
      "--threads expects a thread count (an integer from 0 to 1024; 0 = one per core), got 'x'");
  EXPECT_EQ(usage_error([] { parse_integer(threads_option(), "2147483648"); }),
            "--threads expects a thread count (an integer from 0 to 1024; 0 = one per core), got "
            "'2147483648'");
}

TEST(IntegerOptionParser, ReadsEitherOptionFormAndFallsBackWhenAbsent) {
  const IntegerOption steps{"steps", "a step count", 1};
  EXPECT_EQ(integer_option({"--steps", "12"}, steps, 5), 12);
  EXPECT_EQ(integer_option({"--steps=12"}, steps, 5), 12);
  EXPECT_EQ(integer_option({"--warmup", "3"}, steps, 5), 5);
  EXPECT_FALSE(integer_option({"--warmup", "3"}, steps).has_value());
  // A value that looks like an option is still the value, and is checked as one.
  EXPECT_EQ(usage_error([&] {
              integer_option({"--steps", "-5"}, steps);
            }),
            "--steps expects a step count (a positive integer), got '-5'");
  EXPECT_EQ(usage_error([&] { integer_option({"--steps"}, steps); }), "--steps needs a value");
  EXPECT_EQ(usage_error([&] { integer_option({"--steps="}, steps); }),
            "--steps expects a step count (a positive integer), got ''");
}

TEST(NumberOptionParser, AcceptsFiniteNumbersFromTheMinimumOn) {
  EXPECT_DOUBLE_EQ(parse_number("threshold", "a distance", 0, "0.25"), 0.25);
  EXPECT_DOUBLE_EQ(parse_number("threshold", "a distance", 0, "1e-3"), 1e-3);
  EXPECT_DOUBLE_EQ(parse_number("threshold", "a distance", 0, "0"), 0.0);
  for (const std::string text : {"", "-0.5", "x", "0.5x", "nan", "inf", "1e999"}) {
    SCOPED_TRACE("'" + text + "'");
    EXPECT_EQ(usage_error([&] { parse_number("threshold", "a distance", 0, text); }),
              "--threshold expects a distance (a number >= 0), got '" + text + "'");
  }
}

TEST(OptionValues, ReadsTheFirstValueAndEveryValueOfARepeatedOption) {
  const std::vector<std::string> args = {"--attach", "a.sqlite", "--db=x", "--attach=b.sqlite"};
  EXPECT_EQ(option_value(args, "attach"), "a.sqlite");
  EXPECT_EQ(option_value(args, "db"), "x");
  EXPECT_EQ(option_value(args, "out", "fallback"), "fallback");
  EXPECT_EQ(option_values(args, "attach"), (std::vector<std::string>{"a.sqlite", "b.sqlite"}));
  EXPECT_TRUE(has_flag({"--json"}, "json"));
  EXPECT_FALSE(has_flag({"--json=1"}, "json"));
}

TEST(PositionalArguments, RefusesUnknownOptionsNamingTheAllowedOnes) {
  const OptionSpec spec{{"db", "run"}, {"json"}};
  EXPECT_EQ(positional_arguments({"a", "--db", "x", "--json", "b=c", "--run=3"}, "show", spec),
            (std::vector<std::string>{"a", "b=c"}));
  EXPECT_EQ(usage_error([&] {
              positional_arguments({"--step", "5"}, "show", spec);
            }),
            "unknown option '--step' for show (allowed: --db, --json, --run)");
  EXPECT_EQ(usage_error([&] { positional_arguments({"-s"}, "show", spec); }),
            "unknown option '-s' for show (allowed: --db, --json, --run)");
  EXPECT_EQ(usage_error([&] { positional_arguments({"--json=1"}, "show", spec); }),
            "--json takes no value, got '--json=1'");
  EXPECT_EQ(usage_error([&] { positional_arguments({"--db"}, "show", spec); }),
            "--db needs a value");
}

}  // namespace
