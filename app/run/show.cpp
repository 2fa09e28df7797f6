// tensorpoly-run show: one run's config, tasks, parameter counts and final metrics.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run/command.h"
#include "run/options.h"
#include "run/store_args.h"

namespace tensorpoly::app {
namespace {

nlohmann::json number(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

int show_run(const std::vector<std::string>& args) {
  const OptionSpec spec{{"run", "db", "threads"}, {"json"}};
  const std::vector<std::string> positional = positional_arguments(args, "show", spec);
  if (!positional.empty()) {
    throw std::invalid_argument("unexpected argument '" + positional.front() +
                                "' (show takes only options: " + allowed_options(spec) + ")");
  }
  const std::string path = database_option(args);
  const int64_t id = run_option(args);
  const bool json = has_flag(args, "json");
  try {
    auto store = sessions::Store::open(path, sessions::OpenMode::kReadOnly);
    require_run(store, id);
    const sessions::RunDetails details = store.run_details(id);
    const auto metrics = store.final_metrics(id);
    const auto evaluations = store.final_evaluations(id);
    const auto& run = details.summary;
    if (json) {
      nlohmann::json out;
      out["id"] = run.id;
      out["name"] = run.name;
      out["status"] = run.status;
      out["method"] = run.method;
      out["last_step"] = run.last_step;
      out["total_steps"] = run.total_steps;
      out["created_at"] = run.created_at;
      out["finished_at"] = run.finished_at;
      out["device"] = run.device;
      out["notes"] = run.notes;
      out["message"] = details.message;
      out["app_version"] = details.app_version;
      out["torch_version"] = details.torch_version;
      out["seed"] = details.seed;
      out["parameters"] = {{"total", details.parameters.total},
                           {"trainable", details.parameters.trainable},
                           {"router", details.parameters.router},
                           {"per_task", details.parameters.per_task}};
      out["config"] = nlohmann::json::parse(details.config_json, nullptr, false);
      if (out["config"].is_discarded()) out["config"] = details.config_json;
      out["tasks"] = nlohmann::json::array();
      for (const auto& task : details.tasks) {
        out["tasks"].push_back({{"index", task.index},
                                {"name", task.name},
                                {"family", task.family},
                                {"skills", task.skills},
                                {"split", task.split}});
      }
      out["final_metrics"] = nlohmann::json::array();
      for (const auto& metric : metrics) {
        out["final_metrics"].push_back({{"name", metric.key.name},
                                        {"split", metric.key.split},
                                        {"task", metric.key.task},
                                        {"step", metric.step},
                                        {"value", number(metric.value)}});
      }
      out["final_evaluation"] = nlohmann::json::array();
      for (const auto& row : evaluations) {
        out["final_evaluation"].push_back({{"step", row.step},
                                           {"split", row.split},
                                           {"task", row.task},
                                           {"task_name", row.task_name},
                                           {"loss", number(row.loss)},
                                           {"exact_match", number(row.exact_match)},
                                           {"accuracy", number(row.accuracy)},
                                           {"n_examples", row.n_examples}});
      }
      std::cout << json_output(out) << "\n";
      return kExitOk;
    }
    std::cout << "run " << run.id << ": " << run.name << "\n"
              << "  status      " << run.status
              << (details.message.empty() ? "" : " (" + details.message + ")") << "\n"
              << "  method      " << run.method << "\n"
              << "  steps       " << run.last_step << " of " << run.total_steps << "\n"
              << "  created     " << run.created_at << "\n"
              << "  finished    " << (run.finished_at.empty() ? "-" : run.finished_at) << "\n"
              << "  device      " << run.device << ", seed " << details.seed << "\n"
              << "  versions    TensorPoly " << details.app_version << ", LibTorch "
              << details.torch_version << "\n"
              << "  parameters  total " << details.parameters.total << ", trainable "
              << details.parameters.trainable << ", router " << details.parameters.router
              << ", per task " << details.parameters.per_task << "\n";
    if (!run.notes.empty()) std::cout << "  notes       " << run.notes << "\n";
    // The task-name columns fit the longest name, with two spaces to spare.
    size_t name_width = 22;
    for (const auto& task : details.tasks) name_width = std::max(name_width, task.name.size());
    name_width += 2;
    std::cout << "\ntasks (" << details.tasks.size() << "):\n" << std::left;
    for (const auto& task : details.tasks) {
      std::cout << "  " << std::setw(4) << task.index << std::setw(name_width) << task.name
                << std::setw(10) << task.split << std::setw(14)
                << (task.family.empty() ? "-" : task.family) << join(task.skills) << "\n";
    }
    std::cout << "\nfinal metrics:\n";
    for (const auto& metric : metrics) {
      const std::string task =
          metric.key.task < 0 ? "" : "[task " + std::to_string(metric.key.task) + "]";
      std::cout << "  " << std::setw(30) << (metric.key.split + "/" + metric.key.name + task)
                << std::setw(14) << metric.value << "(step " << metric.step << ")\n";
    }
    if (!evaluations.empty()) {
      std::cout << "\nfinal evaluation:\n  " << std::setw(10) << "split" << std::setw(8) << "step"
                << std::setw(name_width) << "task" << std::setw(12) << "loss" << std::setw(12)
                << "exact" << std::setw(12) << "accuracy"
                << "n\n";
      for (const auto& row : evaluations) {
        auto measured = [](double value) {
          if (value < 0) return std::string("-");
          std::ostringstream text;
          text << value;
          return text.str();
        };
        std::cout << "  " << std::setw(10) << row.split << std::setw(8) << row.step
                  << std::setw(name_width)
                  << (row.task_name.empty() ? std::to_string(row.task) : row.task_name)
                  << std::setw(12) << row.loss << std::setw(12) << measured(row.exact_match)
                  << std::setw(12) << measured(row.accuracy) << row.n_examples << "\n";
      }
    }
    const auto config = nlohmann::json::parse(details.config_json, nullptr, false);
    std::cout << "\nconfig:\n"
              << (config.is_discarded() ? details.config_json : json_output(config)) << "\n";
    return kExitOk;
  } catch (const sessions::StoreError& error) {
    return report_store_error("show", error);
  }
}

const Registration registration(
    "show", {"print a run's config, tasks and final metrics",
             std::string("tensorpoly-run show --run ID [--db FILE] [--json]\n"
                         "  --run ID    the run (see tensorpoly-run runs)\n"
                         "  --db FILE   the store (default: $TENSORPOLY_DB or the GUI's store)\n"
                         "  --json      one JSON object instead of text\n") +
                 kRunExitCodes,
             show_run});

}  // namespace
}  // namespace tensorpoly::app
