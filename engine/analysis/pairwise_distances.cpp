// Pairwise distances and similarities between task routing vectors.
//
// Each pair's sum is formed in the same order as in SciPy 1.10's pdist (in
// order of the dimensions for euclidean; two interleaved partial sums for the
// dot products of cosine and correlation, with NumPy's pairwise mean for the
// centring), so distances are bit-identical to SciPy's on x86-64 and ties
// between merges, or a cut exactly at a merge distance, come out the same. Speed comes from working on many pairs at once: rows are
// packed, transposed, into panels of kPanel rows, and a micro-kernel
// accumulates a 2 x kPanel block of pair sums whose lanes are independent
// (vectorised across pairs, never reassociating one pair's sum).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>

#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis {

namespace {

constexpr int64_t kPanel = 8;

// Two doubles, one SSE2 register on x86-64; generic vectors elsewhere.
typedef double Lanes __attribute__((vector_size(16)));
constexpr int kLanesPerPanel = kPanel / 2;

struct DotProduct {
  static Lanes step(Lanes acc, Lanes a, Lanes b) { return acc + a * b; }
};
struct SquaredDifference {
  static Lanes step(Lanes acc, Lanes a, Lanes b) {
    const Lanes diff = a - b;
    return acc + diff * diff;
  }
};

int resolve_threads(int threads) {
  if (threads > 0) return threads;
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : static_cast<int>(hardware);
}

inline size_t condensed_index(int64_t n, int64_t i, int64_t j) {  // i < j
  return static_cast<size_t>(n * i - i * (i + 1) / 2 + (j - i - 1));
}

// Sums over the dimensions for kRows rows against one panel of kPanel rows.
// kParities = 1 sums each pair in order of k; kParities = 2 keeps two partial
// sums, over even and odd k, adds them, then the last odd element: the order
// SciPy's (vectorised) dot product uses for cosine and correlation.
template <class Op, int kRows, int kParities>
void panel_block(const double* const* rows, const Lanes* panel, int64_t dims,
                 Lanes (&total)[kRows][kLanesPerPanel]) {
  Lanes acc[kParities][kRows][kLanesPerPanel] = {};
  int64_t k = 0;
  for (; k + kParities <= dims; k += kParities) {
    for (int parity = 0; parity < kParities; ++parity) {
      const Lanes* b = panel + (k + parity) * kLanesPerPanel;
      for (int r = 0; r < kRows; ++r) {
        const double value = rows[r][k + parity];
        const Lanes a = {value, value};
        for (int lane = 0; lane < kLanesPerPanel; ++lane) {
          acc[parity][r][lane] = Op::step(acc[parity][r][lane], a, b[lane]);
        }
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int lane = 0; lane < kLanesPerPanel; ++lane) {
      total[r][lane] = acc[0][r][lane];
      for (int parity = 1; parity < kParities; ++parity) total[r][lane] += acc[parity][r][lane];
    }
  }
  for (; k < dims; ++k) {
    const Lanes* b = panel + k * kLanesPerPanel;
    for (int r = 0; r < kRows; ++r) {
      const Lanes a = {rows[r][k], rows[r][k]};
      for (int lane = 0; lane < kLanesPerPanel; ++lane) {
        total[r][lane] = Op::step(total[r][lane], a, b[lane]);
      }
    }
  }
}

// For every pair i < j of rows, out[condensed(i, j)] = the sum over k of
// Op(x[i][k], x[j][k]), in the order panel_block<.., kParities> describes.
template <class Op, int kParities>
void pair_sums(const Matrix& x, std::vector<double>& out, int threads) {
  // Rows of i per block: as many as keep the accumulators in 8 SSE registers.
  constexpr int kRows = kParities == 1 ? 2 : 1;
  const int64_t n = x.rows;
  const int64_t dims = x.cols;
  const int64_t n_panels = (n + kPanel - 1) / kPanel;
  // panels[p][k * kPanel + lane] = x[p * kPanel + lane][k] (zero past the last row).
  std::vector<Lanes> panels(static_cast<size_t>(n_panels * dims * kLanesPerPanel));
  for (int64_t p = 0; p < n_panels; ++p) {
    Lanes* panel = panels.data() + p * dims * kLanesPerPanel;
    for (int64_t lane = 0; lane < kPanel; ++lane) {
      const int64_t row = p * kPanel + lane;
      for (int64_t k = 0; k < dims; ++k) {
        panel[k * kLanesPerPanel + lane / 2][lane % 2] = row < n ? x.at(row, k) : 0.0;
      }
    }
  }

  auto one_panel = [&](int64_t p) {
    const Lanes* panel = panels.data() + p * dims * kLanesPerPanel;
    const int64_t j_begin = p * kPanel;
    const int64_t j_end = std::min(n, j_begin + kPanel);
    // Rows i < j_end - 1 pair with at least one row of this panel.
    for (int64_t i = 0; i < j_end - 1; i += kRows) {
      const double* rows[kRows];
      for (int r = 0; r < kRows; ++r) rows[r] = x.row(std::min(i + r, j_end - 2));
      Lanes total[kRows][kLanesPerPanel];
      panel_block<Op, kRows, kParities>(rows, panel, dims, total);
      for (int r = 0; r < kRows && i + r < j_end - 1; ++r) {
        for (int64_t j = std::max(j_begin, i + r + 1); j < j_end; ++j) {
          const int64_t lane = j - j_begin;
          out[condensed_index(n, i + r, j)] = total[r][lane / 2][lane % 2];
        }
      }
    }
  };

  // Later panels pair with more rows: hand them out first, largest to smallest.
  std::atomic<int64_t> next_panel{n_panels - 1};
  auto worker = [&] {
    for (int64_t p = next_panel--; p >= 0; p = next_panel--) one_panel(p);
  };
  const int n_threads = std::max(1, std::min<int>(resolve_threads(threads),
                                                  static_cast<int>(n_panels)));
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
}

// The dot product of two rows in the same order as pair_sums<DotProduct, 2>.
double dot_two_partial_sums(const double* u, const double* v, int64_t dims) {
  double even = 0.0;
  double odd = 0.0;
  int64_t k = 0;
  for (; k + 2 <= dims; k += 2) {
    even += u[k] * v[k];
    odd += u[k + 1] * v[k + 1];
  }
  double sum = even + odd;
  for (; k < dims; ++k) sum += u[k] * v[k];
  return sum;
}

// Row norms sqrt(x.x), summed as the pairwise dot products are.
std::vector<double> row_norms(const Matrix& x) {
  std::vector<double> norms(static_cast<size_t>(x.rows));
  for (int64_t i = 0; i < x.rows; ++i) {
    norms[static_cast<size_t>(i)] = std::sqrt(dot_two_partial_sums(x.row(i), x.row(i), x.cols));
  }
  return norms;
}

// NumPy's pairwise summation (what x.mean(axis=1) uses), kept so that
// correlation distances match SciPy to the last bit.
double numpy_pairwise_sum(const double* a, int64_t n) {
  if (n < 8) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += a[i];
    return sum;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += a[i];
    return sum;
  }
  int64_t half = n / 2;
  half -= half % 8;
  return numpy_pairwise_sum(a, half) + numpy_pairwise_sum(a + half, n - half);
}

Matrix centred_rows(const Matrix& x) {
  Matrix centred = x;
  for (int64_t i = 0; i < x.rows; ++i) {
    const double mean = numpy_pairwise_sum(x.row(i), x.cols) / static_cast<double>(x.cols);
    for (int64_t k = 0; k < x.cols; ++k) centred.at(i, k) -= mean;
  }
  return centred;
}

// Cosine similarities from dot products, clipped to [-1, 1] as SciPy does.
// `zero_norm_means` says what a zero row norm means for the caller's rows.
std::vector<double> cosine_from_dots(const Matrix& x, std::vector<double> dots,
                                     const std::string& what, const std::string& zero_norm_means) {
  const std::vector<double> norms = row_norms(x);
  for (int64_t i = 0; i < x.rows; ++i) {
    if (!(norms[static_cast<size_t>(i)] > 0.0)) {
      throw std::invalid_argument(what + " is undefined for task " + std::to_string(i) +
                                  ": its routing vector " + zero_norm_means);
    }
  }
  size_t index = 0;
  for (int64_t i = 0; i < x.rows; ++i) {
    for (int64_t j = i + 1; j < x.rows; ++j, ++index) {
      double cosine = dots[index] / (norms[static_cast<size_t>(i)] * norms[static_cast<size_t>(j)]);
      if (std::fabs(cosine) > 1.0) cosine = std::copysign(1.0, cosine);
      dots[index] = cosine;
    }
  }
  return dots;
}

void check_vectors(const Matrix& x) {
  if (x.rows < 0 || x.cols <= 0 || static_cast<int64_t>(x.values.size()) != x.rows * x.cols) {
    throw std::invalid_argument("task vectors: shape [" + std::to_string(x.rows) + ", " +
                                std::to_string(x.cols) + "] with " +
                                std::to_string(x.values.size()) + " values");
  }
  for (size_t i = 0; i < x.values.size(); ++i) {
    if (!std::isfinite(x.values[i])) {
      throw std::invalid_argument("task vectors: value of task " +
                                  std::to_string(static_cast<int64_t>(i) / x.cols) +
                                  ", dimension " + std::to_string(static_cast<int64_t>(i) % x.cols) +
                                  " is not finite");
    }
  }
}

// Condensed cosine (or, on centred rows, Pearson) similarities.
std::vector<double> condensed_similarity(const Matrix& x, Similarity similarity, int threads) {
  check_vectors(x);
  const Matrix centred = similarity == Similarity::kPearson ? centred_rows(x) : Matrix();
  const Matrix& rows = similarity == Similarity::kPearson ? centred : x;
  std::vector<double> dots(static_cast<size_t>(x.rows * (x.rows - 1) / 2));
  pair_sums<DotProduct, 2>(rows, dots, threads);
  if (similarity == Similarity::kPearson) {
    return cosine_from_dots(rows, std::move(dots), "correlation", "is constant");
  }
  return cosine_from_dots(rows, std::move(dots), "cosine similarity", "is all zeros");
}

}  // namespace

const char* distance_name(Distance distance) {
  switch (distance) {
    case Distance::kCosine: return "cosine";
    case Distance::kCorrelation: return "correlation";
    case Distance::kEuclidean: return "euclidean";
  }
  return "unknown";
}

Distance parse_distance(const std::string& name) {
  for (Distance d : {Distance::kCosine, Distance::kCorrelation, Distance::kEuclidean}) {
    if (name == distance_name(d)) return d;
  }
  throw std::invalid_argument("unknown distance '" + name +
                              "' (allowed: cosine, correlation, euclidean)");
}

const char* similarity_name(Similarity similarity) {
  switch (similarity) {
    case Similarity::kCosine: return "cosine";
    case Similarity::kPearson: return "pearson";
  }
  return "unknown";
}

Similarity parse_similarity(const std::string& name) {
  for (Similarity s : {Similarity::kCosine, Similarity::kPearson}) {
    if (name == similarity_name(s)) return s;
  }
  throw std::invalid_argument("unknown similarity '" + name + "' (allowed: cosine, pearson)");
}

std::vector<double> pairwise_distances(const Matrix& vectors, Distance distance, int threads) {
  if (distance == Distance::kEuclidean) {
    check_vectors(vectors);
    std::vector<double> squares(static_cast<size_t>(vectors.rows * (vectors.rows - 1) / 2));
    pair_sums<SquaredDifference, 1>(vectors, squares, threads);
    for (double& value : squares) value = std::sqrt(value);
    return squares;
  }
  std::vector<double> result = condensed_similarity(
      vectors, distance == Distance::kCorrelation ? Similarity::kPearson : Similarity::kCosine,
      threads);
  for (double& value : result) value = 1.0 - value;
  return result;
}

Matrix similarity_matrix(const Matrix& vectors, Similarity similarity, int threads) {
  const std::vector<double> condensed = condensed_similarity(vectors, similarity, threads);
  Matrix result(vectors.rows, vectors.rows, 1.0);
  size_t index = 0;
  for (int64_t i = 0; i < vectors.rows; ++i) {
    for (int64_t j = i + 1; j < vectors.rows; ++j, ++index) {
      result.at(i, j) = condensed[index];
      result.at(j, i) = condensed[index];
    }
  }
  return result;
}

}  // namespace tensorpoly::analysis
