// Shared by the analysis files: validates routing matrices and picks the
// layers a LayerSelection asks for.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <vector>

#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis::detail {

// Checks that `matrix` has a shape fitting its kind and as many values as the
// shape says; throws std::invalid_argument naming the layer otherwise.
void validate_routing_matrix(const RoutingMatrix& matrix);

// Indices into `routing` of the selected layers, in input order. Every matrix
// is validated and all selected ones must have the same number of tasks.
// Throws std::invalid_argument when nothing is selected.
std::vector<size_t> select_layers(const std::vector<RoutingMatrix>& routing,
                                  const LayerSelection& selection);

}  // namespace tensorpoly::analysis::detail
