// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/routing.h"

#include <stdexcept>

namespace tensorpoly {

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
