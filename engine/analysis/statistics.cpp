// Summary statistics of repeated runs (tensorpoly/statistics.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

namespace tensorpoly::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The continued fraction of the regularized incomplete beta function, evaluated with
// the modified Lentz method (Numerical Recipes, 3rd ed., §6.4, betacf).
double beta_continued_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = 1e-16;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEpsilon) break;
  }
  return h;
}

// I_x(a, b).
double regularized_incomplete_beta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  // lgamma's only shared state is the sign it stores in signgam, unused here (a, b > 0).
  const double minus_log_beta =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b);  // NOLINT(concurrency-mt-unsafe)
  const double front = std::exp(minus_log_beta + a * std::log(x) + b * std::log1p(-x));
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b;
}

// P(T <= t) for t >= 0 and v degrees of freedom.
double student_t_cdf_upper_half(double t, double v) {
  return 1.0 - 0.5 * regularized_incomplete_beta(0.5 * v, 0.5, v / (v + t * t));
}

}  // namespace

double student_t_quantile(double probability, double degrees_of_freedom) {
  if (!(probability > 0.0 && probability < 1.0)) {
    throw std::invalid_argument("student_t_quantile: probability must be in (0, 1), got " +
                                std::to_string(probability));
  }
  if (!(degrees_of_freedom > 0.0) || !std::isfinite(degrees_of_freedom)) {
    throw std::invalid_argument("student_t_quantile: degrees of freedom must be > 0, got " +
                                std::to_string(degrees_of_freedom));
  }
  if (probability == 0.5) return 0.0;
  if (probability < 0.5) return -student_t_quantile(1.0 - probability, degrees_of_freedom);
  // The CDF increases with t: bisect [0, high] until the interval stops shrinking.
  double low = 0.0, high = 1.0;
  while (student_t_cdf_upper_half(high, degrees_of_freedom) < probability && high < 1e300) {
    high *= 2.0;
  }
  for (int iteration = 0; iteration < 2000; ++iteration) {
    const double middle = 0.5 * (low + high);
    if (middle <= low || middle >= high) break;
    (student_t_cdf_upper_half(middle, degrees_of_freedom) < probability ? low : high) = middle;
  }
  return 0.5 * (low + high);
}

MeanInterval mean_interval(const std::vector<double>& values, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw std::invalid_argument("mean_interval: confidence must be in (0, 1), got " +
                                std::to_string(confidence));
  }
  std::vector<double> finite;
  for (double value : values) {
    if (std::isfinite(value)) finite.push_back(value);
  }
  MeanInterval result;
  result.n = static_cast<int64_t>(finite.size());
  result.mean = kNaN;
  result.standard_deviation = kNaN;
  if (finite.empty()) return result;
  double sum = 0.0;
  for (double value : finite) sum += value;
  const auto n = static_cast<double>(finite.size());
  result.mean = sum / n;
  if (finite.size() < 2) return result;
  double squares = 0.0;
  for (double value : finite) squares += (value - result.mean) * (value - result.mean);
  result.standard_deviation = std::sqrt(squares / (n - 1.0));
  const double t = student_t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1.0);
  const double half_width = t * result.standard_deviation / std::sqrt(n);
  result.interval = std::array<double, 2>{result.mean - half_width, result.mean + half_width};
  return result;
}

double median(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(),
                              [](double value) { return !std::isfinite(value); }),
               values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
}

std::vector<BandPoint> mean_curve(
    const std::vector<std::vector<std::pair<int64_t, double>>>& curves, double confidence) {
  std::map<int64_t, std::vector<double>> by_step;
  for (const auto& curve : curves) {
    for (const auto& [step, value] : curve) by_step[step].push_back(value);
  }
  std::vector<BandPoint> band;
  for (const auto& [step, values] : by_step) {
    if (values.size() != curves.size()) continue;  // a step some curve lacks
    band.push_back({step, mean_interval(values, confidence)});
  }
  return band;
}

}  // namespace tensorpoly::analysis
