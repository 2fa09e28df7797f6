// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/routing.h"

#include <limits>
#include <stdexcept>

#include "tensorpoly/limits.h"

namespace tensorpoly {

std::optional<int64_t> checked_element_count(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t extent : shape) {
    if (extent < 0) return std::nullopt;
    if (extent != 0 && count > std::numeric_limits<int64_t>::max() / extent) return std::nullopt;
    count *= extent;
  }
  return count;
}

const char* routing_kind_name(RoutingKind kind) {
  switch (kind) {
    case RoutingKind::kSkills:
      return "skills";
    case RoutingKind::kSplits:
      return "splits";
    case RoutingKind::kOrders:
      return "orders";
  }
  return "unknown";
}

RoutingKind parse_routing_kind(const std::string& name) {
  for (RoutingKind k : {RoutingKind::kSkills, RoutingKind::kSplits, RoutingKind::kOrders}) {
    if (name == routing_kind_name(k)) return k;
  }
  throw std::invalid_argument("unknown routing kind '" + name +
                              "' (allowed: skills, splits, orders)");
}

namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

}  // namespace

void check_routing_matrix(const RoutingMatrix& matrix) {
  const std::string& layer = matrix.layer;
  const std::vector<int64_t>& shape = matrix.shape;
  const size_t expected_rank = matrix.kind == RoutingKind::kSkills ? 2 : 3;
  if (shape.size() != expected_rank) {
    throw std::invalid_argument("routing layer '" + layer + "': kind " +
                                routing_kind_name(matrix.kind) + " needs a shape of rank " +
                                std::to_string(expected_rank) + ", got " + shape_string(shape));
  }
  for (int64_t extent : shape) {
    if (extent <= 0) {
      throw std::invalid_argument("routing layer '" + layer + "': shape " + shape_string(shape) +
                                  " has an empty axis");
    }
  }
  const auto count = checked_element_count(shape);
  if (!count) {
    throw std::invalid_argument("routing layer '" + layer + "': shape " + shape_string(shape) +
                                " is too large");
  }
  if (static_cast<uint64_t>(matrix.values.size()) != static_cast<uint64_t>(*count)) {
    throw std::invalid_argument("routing layer '" + layer + "': shape " + shape_string(shape) +
                                " needs " + std::to_string(*count) + " values, got " +
                                std::to_string(matrix.values.size()));
  }
}

int64_t RoutingMatrix::n_tasks() const {
  return shape.size() == 2 ? shape[0] : (shape.size() == 3 ? shape[1] : 0);
}

int64_t RoutingMatrix::n_skills() const { return shape.empty() ? 0 : shape.back(); }

int64_t RoutingMatrix::n_blocks() const { return shape.size() == 3 ? shape[0] : 1; }

float RoutingMatrix::at(int64_t block, int64_t task, int64_t skill) const {
  const int64_t index = (block * n_tasks() + task) * n_skills() + skill;
  if (block < 0 || block >= n_blocks() || task < 0 || task >= n_tasks() || skill < 0 ||
      skill >= n_skills() || index >= static_cast<int64_t>(values.size())) {
    throw std::out_of_range("RoutingMatrix::at(" + std::to_string(block) + ", " +
                            std::to_string(task) + ", " + std::to_string(skill) +
                            ") outside layer '" + layer + "'");
  }
  return values[static_cast<size_t>(index)];
}

}  // namespace tensorpoly
