// Bounds on sizes that come from outside (a configuration, a file, a store row): the
// largest sizes validation accepts, so that a run never spawns thousands of threads or
// fails late in an allocation, and the overflow-checked checks of shapes read from a
// file or a store, made before anything is allocated or indexed.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tensorpoly/routing.h"

namespace tensorpoly {

inline constexpr int kMaxThreads = 1024;          // threads, --threads
inline constexpr int64_t kMaxBatchSize = 65536;   // every *.batch_size
inline constexpr int64_t kMaxAdapterSize = 4096;  // adapter.rank, n_skills, n_tasks

// The number of elements of a tensor of this shape, or nullopt when an extent is
// negative or the product does not fit in int64.
std::optional<int64_t> checked_element_count(const std::vector<int64_t>& shape);

// Throws std::invalid_argument naming the layer unless the matrix's shape fits its kind
// (rank 2 for kSkills, 3 otherwise), has no empty axis, does not overflow, and holds
// exactly values.size() elements.
void check_routing_matrix(const RoutingMatrix& matrix);

}  // namespace tensorpoly
