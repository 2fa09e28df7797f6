// Agreement between routing clusters and ground truth: adjusted Rand index and
// normalized mutual information against a labeling (as scikit-learn 1.2 computes
// them), the Spearman correlation between routing similarity and skill-set overlap
// (as scipy.stats.spearmanr), and its permutation p-value (a Mantel test).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis {

namespace {

void check_same_length(const char* what, size_t a, size_t b) {
  if (a != b) {
    throw std::invalid_argument(std::string(what) + ": the two labelings have " +
                                std::to_string(a) + " and " + std::to_string(b) + " tasks");
  }
}

// Contingency table of two labelings: counts per (true class, predicted cluster),
// plus the row and column totals.
struct Contingency {
  std::map<std::pair<int, int>, int64_t> cells;
  std::map<int, int64_t> per_true;
  std::map<int, int64_t> per_pred;
};

Contingency contingency(const std::vector<int>& labels_true, const std::vector<int>& labels_pred) {
  Contingency table;
  for (size_t i = 0; i < labels_true.size(); ++i) {
    ++table.cells[{labels_true[i], labels_pred[i]}];
    ++table.per_true[labels_true[i]];
    ++table.per_pred[labels_pred[i]];
  }
  return table;
}

// Entropy (nats) of a labeling given its class counts, as sklearn's entropy().
double label_entropy(const std::map<int, int64_t>& counts, double total) {
  if (counts.size() <= 1) return 0.0;
  double entropy = 0.0;
  for (const auto& [label, count] : counts) {
    const auto c = static_cast<double>(count);
    entropy -= (c / total) * (std::log(c) - std::log(total));
  }
  return entropy;
}

// Ranks 1..n, ties sharing the average of the ranks they span.
std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t start = 0; start < order.size();) {
    size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    const double rank = 0.5 * static_cast<double>(start + 1 + end);  // mean of start+1 .. end
    for (size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

}  // namespace

double adjusted_rand_index(const std::vector<int>& labels_true,
                           const std::vector<int>& labels_pred) {
  check_same_length("adjusted_rand_index", labels_true.size(), labels_pred.size());
  const Contingency table = contingency(labels_true, labels_pred);
  // Pair confusion matrix (sklearn's pair_confusion_matrix), in exact integers.
  using Wide = __int128;
  const auto n = static_cast<Wide>(labels_true.size());
  Wide sum_squares = 0;
  Wide pairs_same_pred = 0;  // sum over cells of count * (size of its predicted cluster)
  Wide pairs_same_true = 0;  // sum over cells of count * (size of its true class)
  for (const auto& [key, count] : table.cells) {
    sum_squares += static_cast<Wide>(count) * count;
    pairs_same_pred += static_cast<Wide>(count) * table.per_pred.at(key.second);
    pairs_same_true += static_cast<Wide>(count) * table.per_true.at(key.first);
  }
  const Wide tp = sum_squares - n;
  const Wide fp = pairs_same_pred - sum_squares;
  const Wide fn = pairs_same_true - sum_squares;
  const Wide tn = n * n - fp - fn - sum_squares;
  if (fn == 0 && fp == 0) return 1.0;  // identical partitions (and the all-singleton case)
  const Wide numerator = tp * tn - fn * fp;
  const Wide denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  return 2.0 * static_cast<double>(numerator) / static_cast<double>(denominator);
}

double normalized_mutual_information(const std::vector<int>& labels_true,
                                     const std::vector<int>& labels_pred) {
  check_same_length("normalized_mutual_information", labels_true.size(), labels_pred.size());
  const Contingency table = contingency(labels_true, labels_pred);
  // Both labelings one cluster (or empty): a perfect, if trivial, match.
  if (table.per_true.size() == table.per_pred.size() && table.per_true.size() <= 1) return 1.0;
  if (table.per_true.size() == 1 || table.per_pred.size() == 1) return 0.0;
  const auto total = static_cast<double>(labels_true.size());
  const double log_total = std::log(total);
  double mutual_information = 0.0;
  for (const auto& [key, count] : table.cells) {
    const auto c = static_cast<double>(count);
    const double outer =
        static_cast<double>(table.per_true.at(key.first) * table.per_pred.at(key.second));
    const double p = c / total;
    double term = p * (std::log(c) - log_total) + p * (-std::log(outer) + log_total + log_total);
    if (std::fabs(term) < std::numeric_limits<double>::epsilon()) term = 0.0;
    mutual_information += term;
  }
  mutual_information = std::max(mutual_information, 0.0);
  if (mutual_information == 0.0) return 0.0;
  const double h_true = label_entropy(table.per_true, total);
  const double h_pred = label_entropy(table.per_pred, total);
  return mutual_information / (0.5 * (h_true + h_pred));
}

double spearman_correlation(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) {
    throw std::invalid_argument("spearman_correlation: " + std::to_string(x.size()) + " and " +
                                std::to_string(y.size()) + " values");
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) {
      throw std::invalid_argument("spearman_correlation: value " + std::to_string(i) + " is NaN");
    }
  }
  const std::vector<double> rank_x = average_ranks(x);
  const std::vector<double> rank_y = average_ranks(y);
  const auto count = static_cast<double>(x.size());
  double mean_x = 0.0;
  double mean_y = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    mean_x += rank_x[i];
    mean_y += rank_y[i];
  }
  mean_x /= count;
  mean_y /= count;
  double sxy = 0.0;
  double sxx = 0.0;
  double syy = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = rank_x[i] - mean_x;
    const double dy = rank_y[i] - mean_y;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (!(sxx > 0.0) || !(syy > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  return std::clamp(sxy / std::sqrt(sxx) / std::sqrt(syy), -1.0, 1.0);
}

double jaccard_overlap(const std::vector<int>& skills_a, const std::vector<int>& skills_b) {
  std::vector<int> a = skills_a;
  std::vector<int> b = skills_b;
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  std::vector<int> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
  const size_t union_size = a.size() + b.size() - common.size();
  if (union_size == 0) return 1.0;
  return static_cast<double>(common.size()) / static_cast<double>(union_size);
}

double similarity_vs_skill_overlap(const Matrix& similarity,
                                   const std::vector<std::vector<int>>& task_skills) {
  const int64_t n = similarity.rows;
  if (similarity.cols != n || static_cast<int64_t>(task_skills.size()) != n) {
    throw std::invalid_argument("similarity_vs_skill_overlap: similarity is [" +
                                std::to_string(similarity.rows) + ", " +
                                std::to_string(similarity.cols) + "] but " +
                                std::to_string(task_skills.size()) + " skill sets are given");
  }
  std::vector<double> similarities;
  std::vector<double> overlaps;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      similarities.push_back(similarity.at(i, j));
      overlaps.push_back(jaccard_overlap(task_skills[static_cast<size_t>(i)],
                                         task_skills[static_cast<size_t>(j)]));
    }
  }
  return spearman_correlation(similarities, overlaps);
}

namespace {

// SplitMix64 (Steele, Lea, Flood 2014), so that a seed gives the same permutations on
// every platform (std::shuffle and the standard distributions differ between libraries).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), without modulo bias; n > 0.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t value = next();
    while (value >= limit) value = next();
    return value % n;
  }

 private:
  uint64_t state_;
};

// Spearman over pairs i < j of `similarity` and the overlap of the skill sets that the
// assignment `holder` gives the tasks (task i holds the set of task holder[i]).
double permuted_correlation(const std::vector<double>& similarities,
                            const std::vector<double>& overlap, const std::vector<size_t>& holder) {
  const size_t n = holder.size();
  std::vector<double> overlaps;
  overlaps.reserve(similarities.size());
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) overlaps.push_back(overlap[holder[i] * n + holder[j]]);
  }
  return spearman_correlation(similarities, overlaps);
}

}  // namespace

double skill_overlap_p_value(const Matrix& similarity,
                             const std::vector<std::vector<int>>& task_skills, int permutations,
                             uint64_t seed) {
  if (permutations < 1) {
    throw std::invalid_argument("skill_overlap_p_value: permutations must be >= 1, got " +
                                std::to_string(permutations));
  }
  const double observed = similarity_vs_skill_overlap(similarity, task_skills);
  if (std::isnan(observed)) return observed;
  const auto n = static_cast<size_t>(similarity.rows);
  std::vector<double> overlap(n * n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j)
      overlap[i * n + j] = jaccard_overlap(task_skills[i], task_skills[j]);
  }
  std::vector<double> similarities;
  similarities.reserve(n * (n - 1) / 2);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      similarities.push_back(similarity.at(static_cast<int64_t>(i), static_cast<int64_t>(j)));
    }
  }
  std::vector<size_t> holder(n);
  for (size_t i = 0; i < n; ++i) holder[i] = i;
  SplitMix64 rng(seed);
  int at_least_as_high = 0;
  for (int permutation = 0; permutation < permutations; ++permutation) {
    for (size_t i = n; i > 1; --i) std::swap(holder[i - 1], holder[rng.below(i)]);
    const double shuffled = permuted_correlation(similarities, overlap, holder);
    // A shuffle whose overlaps are all equal has no correlation: it is not as high.
    if (!std::isnan(shuffled) && shuffled >= observed) ++at_least_as_high;
  }
  return (1.0 + at_least_as_high) / (1.0 + permutations);
}

}  // namespace tensorpoly::analysis
