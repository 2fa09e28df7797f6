// Task representation: a task's routing weights over the selected layers.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <regex>
#include <stdexcept>
#include <string>

#include "layer_selection.h"
#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis {

Matrix::Matrix(int64_t rows_, int64_t cols_, double fill)
    : rows(rows_), cols(cols_), values(static_cast<size_t>(rows_ * cols_), fill) {
  if (rows_ < 0 || cols_ < 0) {
    throw std::invalid_argument("Matrix: negative shape [" + std::to_string(rows_) + ", " +
                                std::to_string(cols_) + "]");
  }
}

namespace detail {

namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

void validate_routing_matrix(const RoutingMatrix& matrix) {
  const size_t expected_rank = matrix.kind == RoutingKind::kSkills ? 2 : 3;
  if (matrix.shape.size() != expected_rank) {
    throw std::invalid_argument("routing layer '" + matrix.layer + "': kind " +
                                routing_kind_name(matrix.kind) + " needs a shape of rank " +
                                std::to_string(expected_rank) + ", got " +
                                shape_string(matrix.shape));
  }
  int64_t count = 1;
  for (int64_t extent : matrix.shape) {
    if (extent <= 0) {
      throw std::invalid_argument("routing layer '" + matrix.layer + "': shape " +
                                  shape_string(matrix.shape) + " has an empty axis");
    }
    count *= extent;
  }
  if (static_cast<int64_t>(matrix.values.size()) != count) {
    throw std::invalid_argument("routing layer '" + matrix.layer + "': shape " +
                                shape_string(matrix.shape) + " needs " + std::to_string(count) +
                                " values, got " + std::to_string(matrix.values.size()));
  }
}

std::vector<size_t> select_layers(const std::vector<RoutingMatrix>& routing,
                                  const LayerSelection& selection) {
  std::regex pattern;
  if (!selection.pattern.empty()) {
    try {
      pattern = std::regex(selection.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      throw std::invalid_argument("layer pattern '" + selection.pattern +
                                  "' is not a valid regular expression: " + error.what());
    }
  }
  std::vector<size_t> selected;
  int64_t n_tasks = -1;
  std::string first_layer;
  for (size_t index = 0; index < routing.size(); ++index) {
    const RoutingMatrix& matrix = routing[index];
    validate_routing_matrix(matrix);
    if (selection.scope == LayerScope::kEncoder && !starts_with(matrix.layer, "encoder.")) continue;
    if (selection.scope == LayerScope::kDecoder && !starts_with(matrix.layer, "decoder.")) continue;
    if (!selection.layer.empty() && matrix.layer != selection.layer) continue;
    if (!selection.pattern.empty() && !std::regex_search(matrix.layer, pattern)) continue;
    if (n_tasks < 0) {
      n_tasks = matrix.n_tasks();
      first_layer = matrix.layer;
    } else if (matrix.n_tasks() != n_tasks) {
      throw std::invalid_argument("routing layer '" + matrix.layer + "' has " +
                                  std::to_string(matrix.n_tasks()) + " tasks but layer '" +
                                  first_layer + "' has " + std::to_string(n_tasks));
    }
    selected.push_back(index);
  }
  if (selected.empty()) {
    std::string what =
        "no routing layer selected (" + std::to_string(routing.size()) + " layers given";
    if (selection.scope == LayerScope::kEncoder) what += ", scope encoder";
    if (selection.scope == LayerScope::kDecoder) what += ", scope decoder";
    if (!selection.pattern.empty()) what += ", pattern '" + selection.pattern + "'";
    if (!selection.layer.empty()) what += ", layer '" + selection.layer + "'";
    throw std::invalid_argument(what + ")");
  }
  return selected;
}

}  // namespace detail

TaskVectors task_vectors(const std::vector<RoutingMatrix>& routing,
                         const LayerSelection& selection) {
  const std::vector<size_t> selected = detail::select_layers(routing, selection);
  TaskVectors result;
  int64_t dims = 0;
  for (size_t index : selected) {
    const RoutingMatrix& matrix = routing[index];
    result.layers.push_back(matrix.layer);
    result.layer_offsets.push_back(dims);
    dims += matrix.n_blocks() * matrix.n_skills();
  }
  const int64_t n_tasks = routing[selected.front()].n_tasks();
  result.vectors = Matrix(n_tasks, dims);
  for (size_t position = 0; position < selected.size(); ++position) {
    const RoutingMatrix& matrix = routing[selected[position]];
    const int64_t n_skills = matrix.n_skills();
    for (int64_t task = 0; task < n_tasks; ++task) {
      double* out = &result.vectors.at(task, result.layer_offsets[position]);
      for (int64_t block = 0; block < matrix.n_blocks(); ++block) {
        const float* in = matrix.values.data() + (block * n_tasks + task) * n_skills;
        for (int64_t skill = 0; skill < n_skills; ++skill) *out++ = in[skill];
      }
    }
  }
  return result;
}

}  // namespace tensorpoly::analysis
