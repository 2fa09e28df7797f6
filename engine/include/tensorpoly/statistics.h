// Summary statistics of repeated runs (seeds): mean, sample standard deviation, the
// Student-t confidence interval of the mean, median, and per-step mean curves with their
// band. Torch-free, so tensorpoly-run study-report and the GUI's study comparison share
// one definition.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace tensorpoly::analysis {

// The quantile of Student's t distribution with `degrees_of_freedom` (> 0): the t with
// P(T <= t) = probability, for probability in (0, 1). From the regularized incomplete
// beta function (continued fraction), inverted by bisection to full double precision;
// e.g. student_t_quantile(0.975, 2) = 4.302652729749464. Throws std::invalid_argument
// outside the domain.
double student_t_quantile(double probability, double degrees_of_freedom);

struct MeanInterval {
  int64_t n = 0;
  double mean = 0.0;                // NaN when n = 0
  double standard_deviation = 0.0;  // sample (n - 1); NaN when n < 2
  // mean ± t(1 - (1 - confidence) / 2, n - 1) · sd / sqrt(n). Undefined (nullopt) for
  // n < 2: one seed says nothing about the spread, and a zero-width interval would
  // claim it does.
  std::optional<std::array<double, 2>> interval;
};

// Of the finite values (NaN marks a run that did not measure the metric: left out).
// Throws std::invalid_argument for a confidence outside (0, 1).
MeanInterval mean_interval(const std::vector<double>& values, double confidence = 0.95);

// The median of the finite values (the mean of the middle two for an even count); NaN
// when there is none.
double median(std::vector<double> values);

// Several runs' curves (points (step, value), ascending steps) as one mean curve: at
// every step that all curves share, the mean_interval of their values.
struct BandPoint {
  int64_t step = 0;
  MeanInterval value;
};
std::vector<BandPoint> mean_curve(
    const std::vector<std::vector<std::pair<int64_t, double>>>& curves, double confidence = 0.95);

}  // namespace tensorpoly::analysis
