// Routing analysis at scale: 1,000 tasks with 2,000-dimensional routing vectors
// (200 layers x 10 skills, each layer's weights summing to 1).
//   build-analysis/tests/bench/bench_analysis --benchmark_filter=SimilarityAndAverageLinkage
// SPDX-License-Identifier: GPL-3.0-or-later
#include <benchmark/benchmark.h>

#include <random>

#include "tensorpoly/analysis.h"

namespace ta = tensorpoly::analysis;

namespace {

constexpr int64_t kTasks = 1000;
constexpr int64_t kLayers = 200;
constexpr int64_t kSkills = 10;

// Tasks drawn around 8 planted families, so the clustering has structure.
const ta::Matrix& routing_vectors() {
  static const ta::Matrix vectors = [] {
    std::mt19937_64 random(2405);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    constexpr int kFamilies = 8;
    ta::Matrix family_centres(kFamilies, kLayers * kSkills);
    for (double& value : family_centres.values) value = uniform(random);
    ta::Matrix result(kTasks, kLayers * kSkills);
    for (int64_t task = 0; task < kTasks; ++task) {
      const int64_t family = task % kFamilies;
      for (int64_t layer = 0; layer < kLayers; ++layer) {
        double total = 0.0;
        for (int64_t skill = 0; skill < kSkills; ++skill) {
          const int64_t column = layer * kSkills + skill;
          const double weight = family_centres.at(family, column) + 0.5 * uniform(random);
          result.at(task, column) = weight;
          total += weight;
        }
        for (int64_t skill = 0; skill < kSkills; ++skill)
          result.at(task, layer * kSkills + skill) /= total;
      }
    }
    return result;
  }();
  return vectors;
}

// The figure the issue asks for: cosine similarity matrix, then average linkage.
void BM_SimilarityAndAverageLinkage(benchmark::State& state) {
  const ta::Matrix& vectors = routing_vectors();
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const ta::Matrix similarity = ta::similarity_matrix(vectors, ta::Similarity::kCosine, threads);
    const auto merges =
        ta::linkage(ta::distances_from_similarity(similarity), vectors.rows, ta::Linkage::kAverage);
    benchmark::DoNotOptimize(merges.data());
  }
}
BENCHMARK(BM_SimilarityAndAverageLinkage)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_PairwiseDistances(benchmark::State& state) {
  const ta::Matrix& vectors = routing_vectors();
  const auto distance = static_cast<ta::Distance>(state.range(0));
  state.SetLabel(ta::distance_name(distance));
  for (auto _ : state) {
    const auto distances = ta::pairwise_distances(vectors, distance);
    benchmark::DoNotOptimize(distances.data());
  }
}
BENCHMARK(BM_PairwiseDistances)
    ->Arg(static_cast<int>(ta::Distance::kCosine))
    ->Arg(static_cast<int>(ta::Distance::kCorrelation))
    ->Arg(static_cast<int>(ta::Distance::kEuclidean))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Linkage(benchmark::State& state) {
  const ta::Matrix& vectors = routing_vectors();
  const auto method = static_cast<ta::Linkage>(state.range(0));
  state.SetLabel(ta::linkage_name(method));
  const auto distances = ta::pairwise_distances(
      vectors, method == ta::Linkage::kWard ? ta::Distance::kEuclidean : ta::Distance::kCosine);
  for (auto _ : state) {
    const auto merges = ta::linkage(distances, vectors.rows, method);
    benchmark::DoNotOptimize(merges.data());
  }
}
BENCHMARK(BM_Linkage)
    ->Arg(static_cast<int>(ta::Linkage::kSingle))
    ->Arg(static_cast<int>(ta::Linkage::kComplete))
    ->Arg(static_cast<int>(ta::Linkage::kAverage))
    ->Arg(static_cast<int>(ta::Linkage::kWard))
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
