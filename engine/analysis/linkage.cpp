// Agglomerative clustering of tasks, dendrogram leaf order and flat clusters,
// following scipy.cluster.hierarchy's algorithms:
//   single                    Prim's minimum spanning tree (mst_single_linkage),
//   complete, average, ward   the nearest-neighbour chain (nn_chain) with the
//                             Lance-Williams updates written as SciPy writes them;
// then a stable sort of the merges by distance and union-find relabelling, so
// that ties between equal distances are resolved exactly as SciPy resolves them.
// Both algorithms are O(n^2) in time: no rescan of the whole matrix per merge.
//
// Which SciPy: linkage, dendrogram order and the distance cut match the shared
// fixtures, computed with SciPy 1.10. The cut by cluster count (fcluster "maxclust")
// follows SciPy >= 1.15 instead, which fixed it (scipy PR #21121, issue #12651):
// k >= n gives every task its own cluster, and the binary search starts below the
// first merge, so the first merge distance can be the cut. SciPy 1.10 - 1.14 never
// tried that distance (e.g. 3 tasks cut into 3 gave one cluster). Both agree when the
// cut lies above the first merge, as in every fixture.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// A merge between the clusters held in two slots, before relabelling.
struct SlotMerge {
  int64_t x = 0;
  int64_t y = 0;
  double distance = 0.0;
};

double update_distance(Linkage method, double d_xi, double d_yi, double d_xy, int64_t size_x,
                       int64_t size_y, int64_t size_i) {
  switch (method) {
    case Linkage::kSingle:
      return d_xi < d_yi ? d_xi : d_yi;
    case Linkage::kComplete:
      return d_xi > d_yi ? d_xi : d_yi;
    case Linkage::kAverage:
      return (static_cast<double>(size_x) * d_xi + static_cast<double>(size_y) * d_yi) /
             static_cast<double>(size_x + size_y);
    case Linkage::kWard: {
      const double t = 1.0 / static_cast<double>(size_x + size_y + size_i);
      return std::sqrt(static_cast<double>(size_i + size_x) * t * d_xi * d_xi +
                       static_cast<double>(size_i + size_y) * t * d_yi * d_yi -
                       static_cast<double>(size_i) * t * d_xy * d_xy);
    }
  }
  return 0.0;
}

// Nearest-neighbour chain on the full square distance matrix (rows scan contiguously).
std::vector<SlotMerge> nn_chain(const std::vector<double>& condensed, int64_t n, Linkage method) {
  std::vector<double> distances(static_cast<size_t>(n * n), 0.0);
  size_t index = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j, ++index) {
      distances[static_cast<size_t>(i * n + j)] = condensed[index];
      distances[static_cast<size_t>(j * n + i)] = condensed[index];
    }
  }
  auto d = [&](int64_t i, int64_t j) -> double& {
    return distances[static_cast<size_t>(i * n + j)];
  };
  std::vector<int64_t> size(static_cast<size_t>(n), 1);
  std::vector<int64_t> chain(static_cast<size_t>(n));
  int64_t chain_length = 0;
  std::vector<SlotMerge> merges;
  merges.reserve(static_cast<size_t>(n - 1));
  int64_t x = 0;
  int64_t y = 0;
  for (int64_t k = 0; k < n - 1; ++k) {
    if (chain_length == 0) {
      chain_length = 1;
      for (int64_t i = 0; i < n; ++i) {
        if (size[static_cast<size_t>(i)] > 0) {
          chain[0] = i;
          break;
        }
      }
    }
    // Follow nearest neighbours until two clusters are each other's nearest.
    double current_min = kInfinity;
    while (true) {
      x = chain[static_cast<size_t>(chain_length - 1)];
      // Prefer the previous element of the chain on ties, so the chain cannot cycle.
      if (chain_length > 1) {
        y = chain[static_cast<size_t>(chain_length - 2)];
        current_min = d(x, y);
      } else {
        current_min = kInfinity;
      }
      const double* row = &d(x, 0);
      for (int64_t i = 0; i < n; ++i) {
        if (size[static_cast<size_t>(i)] == 0 || i == x) continue;
        if (row[i] < current_min) {
          current_min = row[i];
          y = i;
        }
      }
      if (chain_length > 1 && y == chain[static_cast<size_t>(chain_length - 2)]) break;
      chain[static_cast<size_t>(chain_length)] = y;
      ++chain_length;
    }
    chain_length -= 2;
    if (x > y) std::swap(x, y);  // fastcluster's convention: the merged cluster lives in y
    const int64_t size_x = size[static_cast<size_t>(x)];
    const int64_t size_y = size[static_cast<size_t>(y)];
    merges.push_back({x, y, current_min});
    size[static_cast<size_t>(x)] = 0;
    size[static_cast<size_t>(y)] = size_x + size_y;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t size_i = size[static_cast<size_t>(i)];
      if (size_i == 0 || i == y) continue;
      const double updated =
          update_distance(method, d(i, x), d(i, y), current_min, size_x, size_y, size_i);
      d(i, y) = updated;
      d(y, i) = updated;
    }
  }
  return merges;
}

// Prim's algorithm on the condensed matrix: the minimum spanning tree's edges
// in the order they are added.
std::vector<SlotMerge> mst_single_linkage(const std::vector<double>& condensed, int64_t n) {
  std::vector<char> merged(static_cast<size_t>(n), 0);
  std::vector<double> nearest(static_cast<size_t>(n), kInfinity);
  std::vector<SlotMerge> merges;
  merges.reserve(static_cast<size_t>(n - 1));
  int64_t x = 0;
  int64_t y = 0;
  for (int64_t k = 0; k < n - 1; ++k) {
    double current_min = kInfinity;
    merged[static_cast<size_t>(x)] = 1;
    for (int64_t i = 0; i < n; ++i) {
      if (merged[static_cast<size_t>(i)]) continue;
      const int64_t a = std::min(x, i);
      const int64_t b = std::max(x, i);
      const double dist = condensed[static_cast<size_t>(n * a - a * (a + 1) / 2 + (b - a - 1))];
      double& best = nearest[static_cast<size_t>(i)];
      if (best > dist) best = dist;
      if (best < current_min) {
        y = i;
        current_min = best;
      }
    }
    merges.push_back({x, y, current_min});
    x = y;
  }
  return merges;
}

// Sorts merges by distance (stable) and names clusters as SciPy does: the
// cluster formed by row r is n + r, the smaller id first.
std::vector<Merge> relabel(std::vector<SlotMerge> slot_merges, int64_t n) {
  std::stable_sort(slot_merges.begin(), slot_merges.end(),
                   [](const SlotMerge& a, const SlotMerge& b) { return a.distance < b.distance; });
  std::vector<int64_t> parent(static_cast<size_t>(2 * n - 1));
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<int64_t> size(static_cast<size_t>(2 * n - 1), 1);
  auto find = [&](int64_t node) {
    int64_t root = node;
    while (parent[static_cast<size_t>(root)] != root) root = parent[static_cast<size_t>(root)];
    while (parent[static_cast<size_t>(node)] != root) {  // path compression
      const int64_t next = parent[static_cast<size_t>(node)];
      parent[static_cast<size_t>(node)] = root;
      node = next;
    }
    return root;
  };
  std::vector<Merge> merges;
  merges.reserve(slot_merges.size());
  int64_t next_label = n;
  for (const SlotMerge& slot_merge : slot_merges) {
    const int64_t root_x = find(slot_merge.x);
    const int64_t root_y = find(slot_merge.y);
    Merge merge;
    merge.left = std::min(root_x, root_y);
    merge.right = std::max(root_x, root_y);
    merge.distance = slot_merge.distance;
    merge.size = size[static_cast<size_t>(root_x)] + size[static_cast<size_t>(root_y)];
    parent[static_cast<size_t>(root_x)] = next_label;
    parent[static_cast<size_t>(root_y)] = next_label;
    size[static_cast<size_t>(next_label)] = merge.size;
    ++next_label;
    merges.push_back(merge);
  }
  return merges;
}

// Checks that `merges` is a linkage of n = merges.size() + 1 observations.
int64_t checked_leaf_count(const std::vector<Merge>& merges) {
  const auto n = static_cast<int64_t>(merges.size()) + 1;
  for (size_t row = 0; row < merges.size(); ++row) {
    const Merge& merge = merges[row];
    const int64_t newest = n + static_cast<int64_t>(row);  // id this row creates
    if (merge.left < 0 || merge.right < 0 || merge.left >= newest || merge.right >= newest ||
        merge.left == merge.right) {
      throw std::invalid_argument("linkage row " + std::to_string(row) + " merges clusters " +
                                  std::to_string(merge.left) + " and " +
                                  std::to_string(merge.right) +
                                  ", expected two different ids below " + std::to_string(newest));
    }
  }
  return n;
}

// For each merge, the largest merge distance in its subtree (SciPy's
// get_max_dist_for_each_cluster; rows are visited children first).
std::vector<double> max_distance_per_cluster(const std::vector<Merge>& merges, int64_t n) {
  std::vector<double> max_distance(merges.size());
  for (size_t row = 0; row < merges.size(); ++row) {
    double value = merges[row].distance;
    for (int64_t child : {merges[row].left, merges[row].right}) {
      if (child >= n) value = std::max(value, max_distance[static_cast<size_t>(child - n)]);
    }
    max_distance[row] = value;
  }
  return max_distance;
}

// SciPy's cluster_monocrit: walk from the root, left first; the highest node
// whose criterion is <= cutoff leads a flat cluster, numbered in visiting order.
std::vector<int> cluster_monocrit(const std::vector<Merge>& merges,
                                  const std::vector<double>& criterion, double cutoff, int64_t n) {
  std::vector<int> labels(static_cast<size_t>(n), 0);
  std::vector<char> visited(static_cast<size_t>(2 * n - 1), 0);
  std::vector<int64_t> stack{2 * n - 2};
  int n_clusters = 0;
  int64_t cluster_leader = -1;
  while (!stack.empty()) {
    const int64_t root = stack.back() - n;
    const Merge& merge = merges[static_cast<size_t>(root)];
    if (cluster_leader == -1 && criterion[static_cast<size_t>(root)] <= cutoff) {
      cluster_leader = root;
      ++n_clusters;
    }
    if (merge.left >= n && !visited[static_cast<size_t>(merge.left)]) {
      visited[static_cast<size_t>(merge.left)] = 1;
      stack.push_back(merge.left);
      continue;
    }
    if (merge.right >= n && !visited[static_cast<size_t>(merge.right)]) {
      visited[static_cast<size_t>(merge.right)] = 1;
      stack.push_back(merge.right);
      continue;
    }
    for (int64_t child : {merge.left, merge.right}) {
      if (child < n) {
        if (cluster_leader == -1) ++n_clusters;  // a singleton cluster
        labels[static_cast<size_t>(child)] = n_clusters;
      }
    }
    if (cluster_leader == root) cluster_leader = -1;
    stack.pop_back();
  }
  return labels;
}

// How many flat clusters cluster_monocrit would form at `threshold`, stopping
// early once it exceeds `limit`.
int64_t count_clusters(const std::vector<Merge>& merges, const std::vector<double>& criterion,
                       double threshold, int64_t n, int64_t limit) {
  std::vector<char> visited(static_cast<size_t>(2 * n - 1), 0);
  std::vector<int64_t> stack{2 * n - 2};
  int64_t count = 0;
  while (!stack.empty()) {
    const int64_t root = stack.back() - n;
    const Merge& merge = merges[static_cast<size_t>(root)];
    if (criterion[static_cast<size_t>(root)] <= threshold) {  // this subtree is one cluster
      if (++count > limit) return count;
      visited[static_cast<size_t>(merge.left)] = 1;
      visited[static_cast<size_t>(merge.right)] = 1;
      stack.pop_back();
      continue;
    }
    bool descended = false;
    for (int64_t child : {merge.left, merge.right}) {
      if (visited[static_cast<size_t>(child)]) continue;
      visited[static_cast<size_t>(child)] = 1;
      if (child >= n) {
        stack.push_back(child);
        descended = true;
        break;
      }
      if (++count > limit) return count;  // a singleton cluster
    }
    if (!descended) stack.pop_back();
  }
  return count;
}

}  // namespace

const char* linkage_name(Linkage linkage) {
  switch (linkage) {
    case Linkage::kSingle:
      return "single";
    case Linkage::kComplete:
      return "complete";
    case Linkage::kAverage:
      return "average";
    case Linkage::kWard:
      return "ward";
  }
  return "unknown";
}

Linkage parse_linkage(const std::string& name) {
  for (Linkage l : {Linkage::kSingle, Linkage::kComplete, Linkage::kAverage, Linkage::kWard}) {
    if (name == linkage_name(l)) return l;
  }
  throw std::invalid_argument("unknown linkage '" + name +
                              "' (allowed: single, complete, average, ward)");
}

std::vector<Merge> linkage(const std::vector<double>& condensed_distances, int64_t n,
                           Linkage method) {
  if (n < 1)
    throw std::invalid_argument("linkage needs at least one task, got " + std::to_string(n));
  const int64_t pairs = n * (n - 1) / 2;
  if (static_cast<int64_t>(condensed_distances.size()) != pairs) {
    throw std::invalid_argument("linkage of " + std::to_string(n) + " tasks needs " +
                                std::to_string(pairs) + " condensed distances, got " +
                                std::to_string(condensed_distances.size()));
  }
  for (size_t i = 0; i < condensed_distances.size(); ++i) {
    if (!std::isfinite(condensed_distances[i])) {
      throw std::invalid_argument("linkage: condensed distance " + std::to_string(i) +
                                  " is not finite");
    }
  }
  if (n == 1) return {};
  if (method == Linkage::kSingle) return relabel(mst_single_linkage(condensed_distances, n), n);
  return relabel(nn_chain(condensed_distances, n, method), n);
}

std::vector<Merge> linkage(const Matrix& vectors, Linkage method, Distance distance, int threads) {
  if (method == Linkage::kWard && distance != Distance::kEuclidean) {
    throw std::invalid_argument(std::string("ward linkage needs euclidean distances, got ") +
                                distance_name(distance));
  }
  return linkage(pairwise_distances(vectors, distance, threads), vectors.rows, method);
}

std::vector<int64_t> leaf_order(const std::vector<Merge>& merges) {
  const int64_t n = checked_leaf_count(merges);
  if (n == 1) return {0};
  std::vector<int64_t> leaves;
  leaves.reserve(static_cast<size_t>(n));
  std::vector<int64_t> stack{2 * n - 2};
  while (!stack.empty()) {
    const int64_t node = stack.back();
    stack.pop_back();
    if (node < n) {
      leaves.push_back(node);
      continue;
    }
    const Merge& merge = merges[static_cast<size_t>(node - n)];
    stack.push_back(merge.right);  // popped after the whole left subtree
    stack.push_back(merge.left);
  }
  return leaves;
}

std::vector<int> cut_into_clusters(const std::vector<Merge>& merges, int max_clusters) {
  const int64_t n = checked_leaf_count(merges);
  if (max_clusters < 1) {
    throw std::invalid_argument("cut_into_clusters: max_clusters must be at least 1, got " +
                                std::to_string(max_clusters));
  }
  if (max_clusters >= n) {
    std::vector<int> labels(static_cast<size_t>(n));
    std::iota(labels.begin(), labels.end(), 1);
    return labels;
  }
  const std::vector<double> criterion = max_distance_per_cluster(merges, n);
  // Binary search, as SciPy >= 1.15's cluster_maxclust_monocrit, for the smallest
  // criterion value giving at most max_clusters clusters; criterion is
  // non-decreasing along the rows. (SciPy 1.10 - 1.14 started at lower = 0, so
  // criterion[0] was never chosen; the k >= n shortcut above is also from 1.15.)
  int64_t lower = -1;  // stands for -infinity, never evaluated
  int64_t upper = n - 1;
  while (upper - lower > 1) {
    const int64_t middle = (lower + upper) / 2;
    if (count_clusters(merges, criterion, criterion[static_cast<size_t>(middle)], n, max_clusters) >
        max_clusters) {
      lower = middle;
    } else {
      upper = middle;
    }
  }
  return cluster_monocrit(merges, criterion, criterion[static_cast<size_t>(upper)], n);
}

std::vector<int> cut_at_distance(const std::vector<Merge>& merges, double threshold) {
  const int64_t n = checked_leaf_count(merges);
  if (n == 1) return {1};
  return cluster_monocrit(merges, max_distance_per_cluster(merges, n), threshold, n);
}

}  // namespace tensorpoly::analysis
