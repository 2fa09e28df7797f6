// Pairwise distances and similarities between task routing vectors.
//
// Each pair's sum is formed in the same order as in SciPy 1.10's pdist (in
// order of the dimensions for euclidean; two interleaved partial sums for the
// dot products of cosine and correlation, with NumPy's pairwise mean for the
// centring), so distances are bit-identical to SciPy's on x86-64 and ties
// between merges, or a cut exactly at a merge distance, come out the same.
// (It needs multiplies and adds kept apart: the library is built with
// -ffp-contract=off, and the AVX2 kernels enable AVX2 but not FMA.)
//
// Speed comes from working on many pairs at once: rows are packed, transposed,
// into panels of kPanel rows, and micro-kernels accumulate 1-4 rows against a
// whole panel, vectorised across pairs (SSE2 everywhere, AVX2 when the CPU has
// it), never reassociating one pair's sum. Panels are shared out over threads.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
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

int resolve_threads(int threads) {
  if (threads > 0) return threads;
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : static_cast<int>(hardware);
}

inline size_t condensed_index(int64_t n, int64_t i, int64_t j) {  // i < j
  return static_cast<size_t>(n * i - i * (i + 1) / 2 + (j - i - 1));
}

// The two micro-kernels below keep their accumulators in named locals (eight
// SSE registers) so that the compiler neither spills them nor needs to unroll.

// Dot products of row u with the kPanel rows of a panel: two partial sums per
// pair, over even and odd k, added at the end, then the last odd element. This
// is the order SciPy's (vectorised) dot product uses for cosine and correlation.
void dot_block(const double* u, const Lanes* panel, int64_t dims, Lanes (&total)[kLanesPerPanel]) {
  Lanes even0 = {}, even1 = {}, even2 = {}, even3 = {};
  Lanes odd0 = {}, odd1 = {}, odd2 = {}, odd3 = {};
  int64_t k = 0;
  for (; k + 2 <= dims; k += 2) {
    const Lanes a = {u[k], u[k]};
    const Lanes c = {u[k + 1], u[k + 1]};
    const Lanes* b = panel + k * kLanesPerPanel;  // b[4..7]: dimension k + 1
    even0 += a * b[0];
    even1 += a * b[1];
    even2 += a * b[2];
    even3 += a * b[3];
    odd0 += c * b[4];
    odd1 += c * b[5];
    odd2 += c * b[6];
    odd3 += c * b[7];
  }
  total[0] = even0 + odd0;
  total[1] = even1 + odd1;
  total[2] = even2 + odd2;
  total[3] = even3 + odd3;
  if (k < dims) {
    const Lanes a = {u[k], u[k]};
    const Lanes* b = panel + k * kLanesPerPanel;
    for (int lane = 0; lane < kLanesPerPanel; ++lane) total[lane] += a * b[lane];
  }
}

// Squared euclidean distances of rows u and v with the rows of a panel, each
// summed in order of k (as SciPy's euclidean pdist).
void squared_difference_block(const double* u, const double* v, const Lanes* panel, int64_t dims,
                              Lanes (&total_u)[kLanesPerPanel], Lanes (&total_v)[kLanesPerPanel]) {
  Lanes u0 = {}, u1 = {}, u2 = {}, u3 = {};
  Lanes v0 = {}, v1 = {}, v2 = {}, v3 = {};
  for (int64_t k = 0; k < dims; ++k) {
    const Lanes a = {u[k], u[k]};
    const Lanes c = {v[k], v[k]};
    const Lanes* b = panel + k * kLanesPerPanel;
    Lanes d;
    d = a - b[0];
    u0 += d * d;
    d = a - b[1];
    u1 += d * d;
    d = a - b[2];
    u2 += d * d;
    d = a - b[3];
    u3 += d * d;
    d = c - b[0];
    v0 += d * d;
    d = c - b[1];
    v1 += d * d;
    d = c - b[2];
    v2 += d * d;
    d = c - b[3];
    v3 += d * d;
  }
  total_u[0] = u0, total_u[1] = u1, total_u[2] = u2, total_u[3] = u3;
  total_v[0] = v0, total_v[1] = v1, total_v[2] = v2, total_v[3] = v3;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define TENSORPOLY_ANALYSIS_AVX2 1
// The same kernels on AVX2 registers (four doubles), for two (dot) or four
// (squared difference) rows at a time. Only "avx2" is enabled, not "fma": a
// fused multiply-add would round differently from SciPy's separate mul and add.
typedef double Wide __attribute__((vector_size(32)));

__attribute__((target("avx2"))) inline Wide load_wide(const Lanes* at) {
  Wide value;
  std::memcpy(&value, at, sizeof(value));
  return value;
}

__attribute__((target("avx2"))) inline void store_wide(Wide low, Wide high,
                                                       Lanes (&total)[kLanesPerPanel]) {
  std::memcpy(&total[0], &low, sizeof(low));
  std::memcpy(&total[2], &high, sizeof(high));
}

__attribute__((target("avx2"))) void dot_block_avx2(const double* u, const double* v,
                                                    const Lanes* panel, int64_t dims,
                                                    Lanes (&total_u)[kLanesPerPanel],
                                                    Lanes (&total_v)[kLanesPerPanel]) {
  Wide u_even0 = {}, u_even1 = {}, u_odd0 = {}, u_odd1 = {};
  Wide v_even0 = {}, v_even1 = {}, v_odd0 = {}, v_odd1 = {};
  int64_t k = 0;
  for (; k + 2 <= dims; k += 2) {
    const Lanes* b = panel + k * kLanesPerPanel;
    const Wide b0 = load_wide(b), b1 = load_wide(b + 2), c0 = load_wide(b + 4),
               c1 = load_wide(b + 6);
    const Wide ua = {u[k], u[k], u[k], u[k]};
    const Wide uc = {u[k + 1], u[k + 1], u[k + 1], u[k + 1]};
    const Wide va = {v[k], v[k], v[k], v[k]};
    const Wide vc = {v[k + 1], v[k + 1], v[k + 1], v[k + 1]};
    u_even0 += ua * b0;
    u_even1 += ua * b1;
    u_odd0 += uc * c0;
    u_odd1 += uc * c1;
    v_even0 += va * b0;
    v_even1 += va * b1;
    v_odd0 += vc * c0;
    v_odd1 += vc * c1;
  }
  Wide u0 = u_even0 + u_odd0, u1 = u_even1 + u_odd1;
  Wide v0 = v_even0 + v_odd0, v1 = v_even1 + v_odd1;
  if (k < dims) {
    const Lanes* b = panel + k * kLanesPerPanel;
    const Wide b0 = load_wide(b), b1 = load_wide(b + 2);
    const Wide ua = {u[k], u[k], u[k], u[k]};
    const Wide va = {v[k], v[k], v[k], v[k]};
    u0 += ua * b0;
    u1 += ua * b1;
    v0 += va * b0;
    v1 += va * b1;
  }
  store_wide(u0, u1, total_u);
  store_wide(v0, v1, total_v);
}

__attribute__((target("avx2"))) void squared_difference_block_avx2(
    const double* const (&rows)[4], const Lanes* panel, int64_t dims,
    Lanes (&totals)[4][kLanesPerPanel]) {
  Wide s00 = {}, s01 = {}, s10 = {}, s11 = {}, s20 = {}, s21 = {}, s30 = {}, s31 = {};
  const double* r0 = rows[0];
  const double* r1 = rows[1];
  const double* r2 = rows[2];
  const double* r3 = rows[3];
  for (int64_t k = 0; k < dims; ++k) {
    const Lanes* b = panel + k * kLanesPerPanel;
    const Wide b0 = load_wide(b), b1 = load_wide(b + 2);
    Wide a, d;
    a = Wide{r0[k], r0[k], r0[k], r0[k]};
    d = a - b0;
    s00 += d * d;
    d = a - b1;
    s01 += d * d;
    a = Wide{r1[k], r1[k], r1[k], r1[k]};
    d = a - b0;
    s10 += d * d;
    d = a - b1;
    s11 += d * d;
    a = Wide{r2[k], r2[k], r2[k], r2[k]};
    d = a - b0;
    s20 += d * d;
    d = a - b1;
    s21 += d * d;
    a = Wide{r3[k], r3[k], r3[k], r3[k]};
    d = a - b0;
    s30 += d * d;
    d = a - b1;
    s31 += d * d;
  }
  store_wide(s00, s01, totals[0]);
  store_wide(s10, s11, totals[1]);
  store_wide(s20, s21, totals[2]);
  store_wide(s30, s31, totals[3]);
}

bool cpu_has_avx2() {
  static const bool has_avx2 = [] {
    __builtin_cpu_init();  // in case this runs before libgcc's constructor (static init)
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has_avx2;
}
#endif

enum class PairSum { kDotProduct, kSquaredDifference };

// For every pair i < j of rows, out[condensed(i, j)] = x_i . x_j or |x_i - x_j|^2,
// each summed in the order its kernel above describes.
void pair_sums(const Matrix& x, PairSum kind, std::vector<double>& out, int threads) {
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
    auto store = [&](int64_t i, const Lanes(&total)[kLanesPerPanel]) {
      for (int64_t j = std::max(j_begin, i + 1); j < j_end; ++j) {
        const int64_t lane = j - j_begin;
        out[condensed_index(n, i, j)] = total[lane / 2][lane % 2];
      }
    };
    // Rows i < j_end - 1 pair with at least one row of this panel.
    const int64_t i_end = j_end - 1;
    Lanes totals[4][kLanesPerPanel];
    int64_t i = 0;
#ifdef TENSORPOLY_ANALYSIS_AVX2
    if (cpu_has_avx2()) {
      if (kind == PairSum::kDotProduct) {
        for (; i + 2 <= i_end; i += 2) {
          dot_block_avx2(x.row(i), x.row(i + 1), panel, dims, totals[0], totals[1]);
          store(i, totals[0]);
          store(i + 1, totals[1]);
        }
      } else {
        for (; i + 4 <= i_end; i += 4) {
          const double* const rows[4] = {x.row(i), x.row(i + 1), x.row(i + 2), x.row(i + 3)};
          squared_difference_block_avx2(rows, panel, dims, totals);
          for (int r = 0; r < 4; ++r) store(i + r, totals[r]);
        }
      }
    }
#endif
    // The remaining rows (all of them without AVX2) on SSE2 registers.
    if (kind == PairSum::kDotProduct) {
      for (; i < i_end; ++i) {
        dot_block(x.row(i), panel, dims, totals[0]);
        store(i, totals[0]);
      }
    } else {
      for (; i < i_end; i += 2) {
        const int64_t second = std::min(i + 1, i_end - 1);
        squared_difference_block(x.row(i), x.row(second), panel, dims, totals[0], totals[1]);
        store(i, totals[0]);
        if (second != i) store(second, totals[1]);
      }
    }
  };

  // Later panels pair with more rows: hand them out first, largest to smallest.
  std::atomic<int64_t> next_panel{n_panels - 1};
  auto worker = [&] {
    for (int64_t p = next_panel--; p >= 0; p = next_panel--) one_panel(p);
  };
  const int n_threads =
      std::max(1, std::min<int>(resolve_threads(threads), static_cast<int>(n_panels)));
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
}

// The dot product of two rows in the same order as dot_block.
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
  const auto zero_norm =
      std::find_if(norms.begin(), norms.end(), [](double norm) { return !(norm > 0.0); });
  if (zero_norm != norms.end()) {
    throw std::invalid_argument(what + " is undefined for task " +
                                std::to_string(zero_norm - norms.begin()) +
                                ": its routing vector " + zero_norm_means);
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
      throw std::invalid_argument(
          "task vectors: value of task " + std::to_string(static_cast<int64_t>(i) / x.cols) +
          ", dimension " + std::to_string(static_cast<int64_t>(i) % x.cols) + " is not finite");
    }
  }
}

// Condensed cosine (or, on centred rows, Pearson) similarities.
std::vector<double> condensed_similarity(const Matrix& x, Similarity similarity, int threads) {
  check_vectors(x);
  if (similarity == Similarity::kPearson) {
    // Rounding in the mean can leave a constant row a tiny nonzero norm: test the values.
    for (int64_t i = 0; i < x.rows; ++i) {
      const double* row = x.row(i);
      if (std::all_of(row, row + x.cols, [&](double value) { return value == row[0]; })) {
        throw std::invalid_argument("correlation is undefined for task " + std::to_string(i) +
                                    ": its routing vector is constant");
      }
    }
  }
  const Matrix centred = similarity == Similarity::kPearson ? centred_rows(x) : Matrix();
  const Matrix& rows = similarity == Similarity::kPearson ? centred : x;
  std::vector<double> dots(static_cast<size_t>(x.rows * (x.rows - 1) / 2));
  pair_sums(rows, PairSum::kDotProduct, dots, threads);
  if (similarity == Similarity::kPearson) {
    return cosine_from_dots(rows, std::move(dots), "correlation", "is constant");
  }
  return cosine_from_dots(rows, std::move(dots), "cosine similarity", "is all zeros");
}

}  // namespace

const char* distance_name(Distance distance) {
  switch (distance) {
    case Distance::kCosine:
      return "cosine";
    case Distance::kCorrelation:
      return "correlation";
    case Distance::kEuclidean:
      return "euclidean";
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
    case Similarity::kCosine:
      return "cosine";
    case Similarity::kPearson:
      return "pearson";
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
    pair_sums(vectors, PairSum::kSquaredDifference, squares, threads);
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

std::vector<double> distances_from_similarity(const Matrix& similarity) {
  if (similarity.rows != similarity.cols ||
      static_cast<int64_t>(similarity.values.size()) != similarity.rows * similarity.cols) {
    throw std::invalid_argument("distances_from_similarity: similarity is [" +
                                std::to_string(similarity.rows) + ", " +
                                std::to_string(similarity.cols) + "], expected a square matrix");
  }
  const int64_t n = similarity.rows;
  std::vector<double> distances;
  distances.reserve(static_cast<size_t>(n * (n - 1) / 2));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) distances.push_back(1.0 - similarity.at(i, j));
  }
  return distances;
}

}  // namespace tensorpoly::analysis
