// Task representation: a task's routing weights over the selected layers.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <optional>
#include <stdexcept>
#include <string>

#include "layer_selection.h"
#include "tensorpoly/analysis.h"
#include "tensorpoly/limits.h"
#include "tensorpoly/name_pattern.h"

namespace tensorpoly::analysis {

namespace {

// rows * cols, refused before anything is allocated when negative or too large.
size_t matrix_size(int64_t rows, int64_t cols) {
  const auto count = checked_element_count({rows, cols});
  if (!count || static_cast<uint64_t>(*count) > std::vector<double>().max_size()) {
    throw std::invalid_argument("Matrix: shape [" + std::to_string(rows) + ", " +
                                std::to_string(cols) + "] is negative or too large");
  }
  return static_cast<size_t>(*count);
}

}  // namespace

Matrix::Matrix(int64_t rows_, int64_t cols_, double fill)
    : rows(rows_), cols(cols_), values(matrix_size(rows_, cols_), fill) {}

void Matrix::check_index(int64_t row, int64_t col) const {
  if (row < 0 || row >= rows || col < 0 || col >= cols ||
      values.size() != static_cast<size_t>(rows * cols)) {
    throw std::out_of_range("Matrix::at(" + std::to_string(row) + ", " + std::to_string(col) +
                            ") outside a " + std::to_string(rows) + "x" + std::to_string(cols) +
                            " matrix of " + std::to_string(values.size()) + " values");
  }
}

namespace detail {

namespace {

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

void validate_routing_matrix(const RoutingMatrix& matrix) { check_routing_matrix(matrix); }

std::vector<size_t> select_layers(const std::vector<RoutingMatrix>& routing,
                                  const LayerSelection& selection) {
  std::optional<NamePattern> pattern;
  if (!selection.pattern.empty()) pattern.emplace(selection.pattern, "layer pattern");
  std::vector<size_t> selected;
  int64_t n_tasks = -1;
  std::string first_layer;
  for (size_t index = 0; index < routing.size(); ++index) {
    const RoutingMatrix& matrix = routing[index];
    validate_routing_matrix(matrix);
    if (selection.scope == LayerScope::kEncoder && !starts_with(matrix.layer, "encoder.")) continue;
    if (selection.scope == LayerScope::kDecoder && !starts_with(matrix.layer, "decoder.")) continue;
    if (!selection.layer.empty() && matrix.layer != selection.layer) continue;
    if (pattern && !pattern->partial_match(matrix.layer)) continue;
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
