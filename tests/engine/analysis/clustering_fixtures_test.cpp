// Every case in the clustering fixtures (SciPy 1.10 / scikit-learn 1.2 output)
// must be reproduced field by field (the maxclust cut follows SciPy >= 1.15, which
// agrees with 1.10 on these cases; see engine/analysis/linkage.cpp). The folder is
// TENSORPOLY_CLUSTERING_FIXTURES when set, else the shared fixtures; an empty folder
// is a failure. The same comparisons run per file as parameterised cases (listed by
// ctest when the binary is built) and over the directory as it is when the tests run.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tensorpoly/analysis.h"
#include "test_paths.h"

namespace ta = tensorpoly::analysis;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kRelativeTolerance = 1e-9;

const char* const kSharedFixtureDir = TENSORPOLY_SHARED_DIR "/fixtures/clustering/";

std::string fixture_dir() {
  const char* from_env = std::getenv("TENSORPOLY_CLUSTERING_FIXTURES");
  if (from_env != nullptr && *from_env != '\0') return from_env;
  return kSharedFixtureDir;
}

std::vector<std::string> fixture_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool close(double actual, double expected) {
  return std::fabs(actual - expected) <= kRelativeTolerance * std::max(std::fabs(expected), 1e-3);
}

// The fixture's field, or a failure naming the file and field.
const json& field(const json& fixture, const std::string& name, const std::string& file) {
  if (!fixture.contains(name)) throw std::runtime_error(file + ": missing field '" + name + "'");
  return fixture.at(name);
}

// Same partition: the labels correspond one-to-one.
::testing::AssertionResult same_partition(const std::vector<int>& actual,
                                          const std::vector<int>& expected) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << actual.size() << " labels, expected " << expected.size();
  }
  std::map<int, int> forward;
  std::map<int, int> backward;
  for (size_t i = 0; i < actual.size(); ++i) {
    const auto [f, f_new] = forward.emplace(actual[i], expected[i]);
    const auto [b, b_new] = backward.emplace(expected[i], actual[i]);
    if (f->second != expected[i] || b->second != actual[i]) {
      return ::testing::AssertionFailure()
             << "task " << i << " has label " << actual[i] << " (expected cluster " << expected[i]
             << ") but label " << actual[i] << " was already matched with " << f->second
             << " / expected " << expected[i] << " with " << b->second;
    }
  }
  return ::testing::AssertionSuccess();
}

// One fixture file, parsed, with the linkage computed from its routing vectors.
struct LoadedFixture {
  std::string file;
  json fixture;
  ta::Matrix vectors;
  ta::Linkage method = ta::Linkage::kAverage;
  ta::Distance distance = ta::Distance::kCosine;
  std::vector<ta::Merge> merges;

  std::vector<int> labels(const char* name) const {
    return field(fixture, name, file).at("labels").get<std::vector<int>>();
  }
};

// Throws std::runtime_error (or json's errors) naming the file and field.
LoadedFixture load_fixture(const std::string& file) {
  LoadedFixture loaded;
  loaded.file = file;
  std::ifstream stream(file);
  if (!stream) throw std::runtime_error("cannot open " + file);
  loaded.fixture = json::parse(stream);
  const json& routing = field(loaded.fixture, "routing", file);
  const auto shape = routing.at("shape").get<std::vector<int64_t>>();
  if (shape.size() != 2) throw std::runtime_error(file + ": routing.shape is not [rows, cols]");
  loaded.vectors = ta::Matrix(shape[0], shape[1]);
  loaded.vectors.values = routing.at("data").get<std::vector<double>>();
  if (static_cast<int64_t>(loaded.vectors.values.size()) != shape[0] * shape[1]) {
    throw std::runtime_error(file + ": routing.data does not have rows * cols values");
  }
  loaded.method = ta::parse_linkage(field(loaded.fixture, "linkage", file).get<std::string>());
  loaded.distance = ta::parse_distance(field(loaded.fixture, "distance", file).get<std::string>());
  if (loaded.method == ta::Linkage::kWard) loaded.distance = ta::Distance::kEuclidean;
  loaded.merges = ta::linkage(loaded.vectors, loaded.method, loaded.distance);
  return loaded;
}

// --- The comparisons, one per fixture field: each names the file and what differs.

::testing::AssertionResult merges_match(const LoadedFixture& f) {
  const json& expected = field(f.fixture, "merges", f.file);
  if (f.merges.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << f.file << ": " << f.merges.size() << " merges, expected " << expected.size();
  }
  auto failure = ::testing::AssertionFailure();
  bool ok = true;
  for (size_t row = 0; row < f.merges.size(); ++row) {
    const ta::Merge& merge = f.merges[row];
    const auto i = expected[row][0].get<int64_t>();
    const auto j = expected[row][1].get<int64_t>();
    const bool same_pair =
        (merge.left == i && merge.right == j) || (merge.left == j && merge.right == i);
    if (!same_pair) {
      ok = false;
      failure << f.file << " merges[" << row << "]: got (" << merge.left << ", " << merge.right
              << "), expected (" << i << ", " << j << ")\n";
    }
    if (!close(merge.distance, expected[row][2].get<double>())) {
      ok = false;
      failure << f.file << " merges[" << row << "] distance " << merge.distance << ", expected "
              << expected[row][2].get<double>() << "\n";
    }
    if (merge.size != expected[row][3].get<int64_t>()) {
      ok = false;
      failure << f.file << " merges[" << row << "] size " << merge.size << ", expected "
              << expected[row][3].get<int64_t>() << "\n";
    }
  }
  return ok ? ::testing::AssertionSuccess() : failure;
}

::testing::AssertionResult leaf_order_matches(const LoadedFixture& f) {
  const auto actual = ta::leaf_order(f.merges);
  const auto expected = field(f.fixture, "leaf_order", f.file).get<std::vector<int64_t>>();
  if (actual == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << f.file << ": leaf order " << ::testing::PrintToString(actual) << ", expected "
         << ::testing::PrintToString(expected);
}

::testing::AssertionResult cut_by_cluster_count_matches(const LoadedFixture& f) {
  const int k = field(f.fixture, "cut_k", f.file).at("k").get<int>();
  const auto result = same_partition(ta::cut_into_clusters(f.merges, k), f.labels("cut_k"));
  if (result) return result;
  return ::testing::AssertionFailure() << f.file << " cut_k, k = " << k << ": " << result.message();
}

::testing::AssertionResult cut_by_distance_matches(const LoadedFixture& f) {
  const double threshold = field(f.fixture, "cut_distance", f.file).at("threshold").get<double>();
  const auto result =
      same_partition(ta::cut_at_distance(f.merges, threshold), f.labels("cut_distance"));
  if (result) return result;
  return ::testing::AssertionFailure()
         << f.file << " cut_distance, threshold = " << threshold << ": " << result.message();
}

::testing::AssertionResult cosine_similarity_matches(const LoadedFixture& f) {
  const ta::Matrix similarity = ta::similarity_matrix(f.vectors, ta::Similarity::kCosine);
  const auto data =
      field(f.fixture, "cosine_similarity", f.file).at("data").get<std::vector<double>>();
  if (data.size() != similarity.values.size()) {
    return ::testing::AssertionFailure() << f.file << ": cosine_similarity.data has " << data.size()
                                         << " values, expected " << similarity.values.size();
  }
  auto failure = ::testing::AssertionFailure();
  bool ok = true;
  const auto cols = static_cast<size_t>(similarity.cols);
  for (size_t index = 0; index < data.size(); ++index) {
    if (!close(similarity.values[index], data[index])) {
      ok = false;
      failure << f.file << " cosine_similarity[" << index / cols << ", " << index % cols
              << "] = " << similarity.values[index] << ", expected " << data[index] << "\n";
    }
  }
  return ok ? ::testing::AssertionSuccess() : failure;
}

::testing::AssertionResult agreement_matches(const LoadedFixture& f) {
  const int k = field(f.fixture, "cut_k", f.file).at("k").get<int>();
  const std::vector<int> clusters = ta::cut_into_clusters(f.merges, k);
  const auto families = field(f.fixture, "families", f.file).get<std::vector<int>>();
  const double ari = ta::adjusted_rand_index(families, clusters);
  const double nmi = ta::normalized_mutual_information(families, clusters);
  const double expected_ari = field(f.fixture, "ari_k_vs_families", f.file).get<double>();
  const double expected_nmi = field(f.fixture, "nmi_k_vs_families", f.file).get<double>();
  if (close(ari, expected_ari) && close(nmi, expected_nmi)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << f.file << ": ARI " << ari << " (expected " << expected_ari
                                       << "), NMI " << nmi << " (expected " << expected_nmi << ")";
}

::testing::AssertionResult spearman_matches(const LoadedFixture& f) {
  const auto skills = field(f.fixture, "skills", f.file).get<std::vector<std::vector<int>>>();
  const double spearman = ta::similarity_vs_skill_overlap(
      ta::similarity_matrix(f.vectors, ta::Similarity::kCosine), skills);
  const double expected = field(f.fixture, "spearman_cosine_vs_jaccard", f.file).get<double>();
  if (close(spearman, expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << f.file << ": Spearman " << spearman << ", expected " << expected;
}

using Check = ::testing::AssertionResult (*)(const LoadedFixture&);
const std::vector<std::pair<std::string, Check>>& all_checks() {
  static const std::vector<std::pair<std::string, Check>> checks = {
      {"merges", merges_match},
      {"leaf_order", leaf_order_matches},
      {"cut_k", cut_by_cluster_count_matches},
      {"cut_distance", cut_by_distance_matches},
      {"cosine_similarity", cosine_similarity_matches},
      {"agreement", agreement_matches},
      {"spearman", spearman_matches},
  };
  return checks;
}

// Every *.json file of `dir`, read now, through every check: the failing files, each
// with what failed in `report`. An empty (or missing) directory is itself a failure.
std::vector<std::string> failing_files(const std::string& dir, std::string& report) {
  const std::vector<std::string> files = fixture_files(dir);
  if (files.empty()) {
    report += "no *.json clustering fixtures in " + dir + "\n";
    return {dir};
  }
  std::vector<std::string> failing;
  for (const std::string& file : files) {
    std::string problems;
    try {
      const LoadedFixture loaded = load_fixture(file);
      for (const auto& [name, check] : all_checks()) {
        const ::testing::AssertionResult result = check(loaded);
        if (!result) problems += "  " + name + ": " + result.message() + "\n";
      }
    } catch (const std::exception& error) {
      problems += std::string("  cannot be checked: ") + error.what() + "\n";
    }
    if (!problems.empty()) {
      failing.push_back(file);
      report += file + ":\n" + problems;
    }
  }
  return failing;
}

// ctest lists the parameterised cases once, when the binary is built; this test reads
// the directory when it runs, so a TENSORPOLY_CLUSTERING_FIXTURES pointing elsewhere
// at ctest time is still checked file by file.
TEST(ClusteringFixtures, EveryFileInTheDirectoryMatches) {
  std::string report;
  const std::vector<std::string> failing = failing_files(fixture_dir(), report);
  EXPECT_TRUE(failing.empty()) << failing.size() << " failing in " << fixture_dir() << ":\n"
                               << report;
}

// The every-file test can fail: a changed copy of a shared fixture is named, a faithful
// copy is not, and an empty directory fails.
TEST(ClusteringFixtures, EveryFileCheckNamesAChangedFileAndFailsOnAnEmptyDirectory) {
  const std::vector<std::string> originals = fixture_files(kSharedFixtureDir);
  ASSERT_FALSE(originals.empty()) << "no *.json clustering fixtures in " << kSharedFixtureDir;
  const fs::path dir =
      fs::temp_directory_path() / ("tensorpoly-clustering-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string report;
  EXPECT_EQ(failing_files(dir.string(), report), std::vector<std::string>{dir.string()});
  EXPECT_NE(report.find("no *.json clustering fixtures"), std::string::npos) << report;

  fs::copy_file(originals.front(), dir / "faithful.json");
  json changed = json::parse(std::ifstream(originals.front()));
  changed["merges"][0][2] = changed["merges"][0][2].get<double>() + 0.125;
  std::ofstream(dir / "changed.json") << changed.dump();
  report.clear();
  EXPECT_EQ(failing_files(dir.string(), report),
            std::vector<std::string>{(dir / "changed.json").string()});
  EXPECT_NE(report.find("merges[0] distance"), std::string::npos) << report;
  EXPECT_EQ(report.find("faithful.json"), std::string::npos) << report;
  fs::remove_all(dir);
}

// One case per file found when the binary was built (what ctest lists).
class ClusteringFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { fixture_ = load_fixture(GetParam()); }
  LoadedFixture fixture_;
};

TEST_P(ClusteringFixture, MergesMatchSciPyLinkage) { EXPECT_TRUE(merges_match(fixture_)); }

TEST_P(ClusteringFixture, LeafOrderMatchesSciPyDendrogram) {
  EXPECT_TRUE(leaf_order_matches(fixture_));
}

TEST_P(ClusteringFixture, CutByClusterCountMatchesFcluster) {
  EXPECT_TRUE(cut_by_cluster_count_matches(fixture_));
}

TEST_P(ClusteringFixture, CutByDistanceMatchesFcluster) {
  EXPECT_TRUE(cut_by_distance_matches(fixture_));
}

TEST_P(ClusteringFixture, CosineSimilarityMatches) {
  EXPECT_TRUE(cosine_similarity_matches(fixture_));
}

TEST_P(ClusteringFixture, AgreementWithFamiliesMatchesScikitLearn) {
  EXPECT_TRUE(agreement_matches(fixture_));
}

TEST_P(ClusteringFixture, SpearmanOfSimilarityAndSkillOverlapMatchesSciPy) {
  EXPECT_TRUE(spearman_matches(fixture_));
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(SciPy, ClusteringFixture,
                         ::testing::ValuesIn(fixture_files(fixture_dir())), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ClusteringFixture);

}  // namespace
