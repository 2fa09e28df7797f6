// Torch-free routing weights of one adapted layer.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tensorpoly {

// What the leading axis of a routing matrix means.
//   kSkills: shape [tasks, skills]                (poly, tensorpoly-1)
//   kSplits: shape [splits, tasks, skills]        (mhr)
//   kOrders: shape [orders, tasks, skills]        (tensorpoly-2)
enum class RoutingKind { kSkills, kSplits, kOrders };

const char* routing_kind_name(RoutingKind kind);          // "skills" | "splits" | "orders"
RoutingKind parse_routing_kind(const std::string& name);  // throws std::invalid_argument

// Routing weights of one adapted layer (or router), eval-mode: sigmoid of the
// router logits normalised over skills within each split/order.
struct RoutingMatrix {
  std::string layer;  // full module name, e.g. "encoder.block.0.layer.0.SelfAttention.q"
  RoutingKind kind = RoutingKind::kSkills;
  std::vector<int64_t> shape;  // see RoutingKind
  std::vector<float> values;   // row-major, size = product(shape)

  int64_t n_tasks() const;
  int64_t n_skills() const;
  int64_t n_blocks() const;  // 1 for kSkills, shape[0] otherwise
  // Weight of (block, task, skill); block is 0 for kSkills.
  float at(int64_t block, int64_t task, int64_t skill) const;
};

}  // namespace tensorpoly
