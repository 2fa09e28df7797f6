// tensorpoly-run study-report: per method of a study, the number of seeds, trainable
// parameters, median wall time, and the mean with its 95 % Student-t confidence interval
// of final validation exact match and loss and of held-out exact match before and after
// few-shot adaptation; as a table or JSON.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/sessions/study_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run/command.h"
#include "run/console_sink.h"
#include "run/options.h"
#include "run/store_args.h"

namespace tensorpoly::app {
namespace {

using nlohmann::ordered_json;

ordered_json number_or_null(double value) {
  return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr);
}

ordered_json interval_json(const analysis::MeanInterval& value) {
  ordered_json interval = nullptr;  // undefined for fewer than two seeds
  if (value.interval) interval = ordered_json::array({(*value.interval)[0], (*value.interval)[1]});
  return {{"mean", number_or_null(value.mean)}, {"ci95", interval}};
}

std::string number_text(double value) {
  if (!std::isfinite(value)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  return text;
}

// "0.512 [0.401, 0.623]"; the interval reads "n/a" below two seeds.
std::string interval_text(const analysis::MeanInterval& value) {
  if (value.n == 0) return "-";
  return number_text(value.mean) + " [" +
         (value.interval
              ? number_text((*value.interval)[0]) + ", " + number_text((*value.interval)[1])
              : std::string("n/a")) +
         "]";
}

void print_table(const std::string& study, const std::vector<sessions::MethodSummary>& methods) {
  std::vector<std::string> headings = {"method", "n", "trainable", "median wall"};
  for (const auto& metric : sessions::study_metrics()) {
    headings.push_back(std::string(metric.label) + " (95% CI)");
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& summary : methods) {
    std::vector<std::string> row = {summary.method, std::to_string(summary.n()),
                                    std::to_string(summary.trainable_params),
                                    duration_text(summary.median_wall_time_s)};
    for (const auto& metric : summary.metrics) row.push_back(interval_text(metric));
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(headings.size());
  for (size_t c = 0; c < headings.size(); ++c) {
    widths[c] = headings[c].size();
    for (const auto& row : rows) widths[c] = std::max(widths[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line = "|";
    for (size_t c = 0; c < cells.size(); ++c) {
      line += " " + cells[c] + std::string(widths[c] - cells[c].size(), ' ') + " |";
    }
    std::cout << line << "\n";
  };
  std::cout << "study '" << study
            << "': mean over seeds [95% Student-t confidence interval; n/a below 2 seeds]\n";
  print_row(headings);
  std::vector<std::string> rule;
  rule.reserve(widths.size());
  for (size_t width : widths) rule.emplace_back(width, '-');
  print_row(rule);
  for (const auto& row : rows) print_row(row);
}

int study_report(const std::vector<std::string>& args) {
  const OptionSpec spec{{"name", "db", "threads"}, {"json"}};
  const std::vector<std::string> positional = positional_arguments(args, "study-report", spec);
  if (!positional.empty()) {
    throw std::invalid_argument("unexpected argument '" + positional.front() +
                                "' (study-report takes only options: " + allowed_options(spec) +
                                ")");
  }
  const std::string name = option_value(args, "name");
  if (name.empty()) throw std::invalid_argument("--name NAME is required");
  std::vector<sessions::MethodSummary> methods;
  try {
    const auto store = sessions::Store::open(database_option(args), sessions::OpenMode::kReadOnly);
    methods = sessions::summarize_study(store, name);
  } catch (const sessions::StoreError& error) {
    return report_store_error("study-report", error);
  }
  if (!has_flag(args, "json")) {
    print_table(name, methods);
    return kExitOk;
  }
  ordered_json out = ordered_json::array();
  for (const auto& summary : methods) {
    ordered_json method = {{"method", summary.method},
                           {"n", summary.n()},
                           {"trainable_params", summary.trainable_params},
                           {"median_wall_time_s", number_or_null(summary.median_wall_time_s)},
                           {"seeds", summary.seeds},
                           {"runs", summary.run_ids}};
    for (size_t i = 0; i < summary.metrics.size(); ++i) {
      method[sessions::study_metrics()[i].key] = interval_json(summary.metrics[i]);
    }
    out.push_back(method);
  }
  std::cout << out.dump(2) << "\n";
  return kExitOk;
}

const Registration registration(
    "study-report",
    {"per method of a study: seeds, parameters, wall time, means with 95% CIs",
     "tensorpoly-run study-report --name NAME [--db FILE] [--json]\n"
     "  For each method of study NAME (tensorpoly-run study), over its finished runs (one\n"
     "  per seed, the latest when a combination ran again): the number of seeds n,\n"
     "  trainable parameters, median wall time, and the mean with a 95% Student-t\n"
     "  confidence interval (mean +- t(0.975, n-1) sd / sqrt(n); undefined below two\n"
     "  seeds) of the final validation exact match and loss (training tasks, last\n"
     "  evaluation) and of the held-out exact match before and after few-shot\n"
     "  adaptation (mean over the held-out tasks).\n"
     "  --json   one object per method: method, n, trainable_params, median_wall_time_s,\n"
     "           seeds, runs, and per metric {\"mean\": x, \"ci95\": [lo, hi] or null}\n"
     "Exit codes: 0 ok, 2 bad command line, 5 the store cannot be read or has no such\n"
     "study.",
     study_report});

}  // namespace
}  // namespace tensorpoly::app
