// Every case in the clustering fixtures (SciPy 1.10 / scikit-learn 1.2 output)
// must be reproduced field by field. The folder is TENSORPOLY_CLUSTERING_FIXTURES
// when set, else the shared fixtures; an empty folder is a failure.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tensorpoly/analysis.h"

namespace ta = tensorpoly::analysis;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kRelativeTolerance = 1e-9;

std::string fixture_dir() {
  const char* from_env = std::getenv("TENSORPOLY_CLUSTERING_FIXTURES");
  if (from_env != nullptr && *from_env != '\0') return from_env;
  return TENSORPOLY_SHARED_DIR "/fixtures/clustering/";
}

std::vector<std::string> fixture_files() {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fixture_dir(), error)) {
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

class ClusteringFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    file_ = GetParam();
    std::ifstream stream(file_);
    ASSERT_TRUE(stream) << "cannot open " << file_;
    fixture_ = json::parse(stream);
    const json& routing = field(fixture_, "routing", file_);
    const auto shape = routing.at("shape").get<std::vector<int64_t>>();
    ASSERT_EQ(shape.size(), 2u) << file_ << ": routing.shape";
    vectors_ = ta::Matrix(shape[0], shape[1]);
    vectors_.values = routing.at("data").get<std::vector<double>>();
    ASSERT_EQ(static_cast<int64_t>(vectors_.values.size()), shape[0] * shape[1])
        << file_ << ": routing.data";
    method_ = ta::parse_linkage(field(fixture_, "linkage", file_).get<std::string>());
    distance_ = ta::parse_distance(field(fixture_, "distance", file_).get<std::string>());
    if (method_ == ta::Linkage::kWard) distance_ = ta::Distance::kEuclidean;
    merges_ = ta::linkage(vectors_, method_, distance_);
  }

  std::vector<int> labels(const char* name) const {
    return field(fixture_, name, file_).at("labels").get<std::vector<int>>();
  }

  std::string file_;
  json fixture_;
  ta::Matrix vectors_;
  ta::Linkage method_ = ta::Linkage::kAverage;
  ta::Distance distance_ = ta::Distance::kCosine;
  std::vector<ta::Merge> merges_;
};

TEST(ClusteringFixtures, DirectoryHasCases) {
  EXPECT_FALSE(fixture_files().empty()) << "no *.json clustering fixtures in " << fixture_dir();
}

TEST_P(ClusteringFixture, MergesMatchSciPyLinkage) {
  const json& expected = field(fixture_, "merges", file_);
  ASSERT_EQ(merges_.size(), expected.size()) << file_;
  for (size_t row = 0; row < merges_.size(); ++row) {
    const ta::Merge& merge = merges_[row];
    const auto i = expected[row][0].get<int64_t>();
    const auto j = expected[row][1].get<int64_t>();
    const bool same_pair =
        (merge.left == i && merge.right == j) || (merge.left == j && merge.right == i);
    EXPECT_TRUE(same_pair) << file_ << " merges[" << row << "]: got (" << merge.left << ", "
                           << merge.right << "), expected (" << i << ", " << j << ")";
    EXPECT_TRUE(close(merge.distance, expected[row][2].get<double>()))
        << file_ << " merges[" << row << "] distance " << merge.distance << ", expected "
        << expected[row][2].get<double>();
    EXPECT_EQ(merge.size, expected[row][3].get<int64_t>())
        << file_ << " merges[" << row << "] size";
  }
}

TEST_P(ClusteringFixture, LeafOrderMatchesSciPyDendrogram) {
  EXPECT_EQ(ta::leaf_order(merges_),
            field(fixture_, "leaf_order", file_).get<std::vector<int64_t>>())
      << file_;
}

TEST_P(ClusteringFixture, CutByClusterCountMatchesFcluster) {
  const int k = field(fixture_, "cut_k", file_).at("k").get<int>();
  EXPECT_TRUE(same_partition(ta::cut_into_clusters(merges_, k), labels("cut_k")))
      << file_ << " cut_k, k = " << k;
}

TEST_P(ClusteringFixture, CutByDistanceMatchesFcluster) {
  const double threshold = field(fixture_, "cut_distance", file_).at("threshold").get<double>();
  EXPECT_TRUE(same_partition(ta::cut_at_distance(merges_, threshold), labels("cut_distance")))
      << file_ << " cut_distance, threshold = " << threshold;
}

TEST_P(ClusteringFixture, CosineSimilarityMatches) {
  const ta::Matrix similarity = ta::similarity_matrix(vectors_, ta::Similarity::kCosine);
  const json& expected = field(fixture_, "cosine_similarity", file_);
  const auto data = expected.at("data").get<std::vector<double>>();
  ASSERT_EQ(data.size(), similarity.values.size()) << file_ << ": cosine_similarity.data";
  for (size_t index = 0; index < data.size(); ++index) {
    EXPECT_TRUE(close(similarity.values[index], data[index]))
        << file_ << " cosine_similarity[" << index / static_cast<size_t>(similarity.cols) << ", "
        << index % static_cast<size_t>(similarity.cols) << "] = " << similarity.values[index]
        << ", expected " << data[index];
  }
}

TEST_P(ClusteringFixture, AgreementWithFamiliesMatchesScikitLearn) {
  const int k = field(fixture_, "cut_k", file_).at("k").get<int>();
  const std::vector<int> clusters = ta::cut_into_clusters(merges_, k);
  const auto families = field(fixture_, "families", file_).get<std::vector<int>>();
  const double ari = ta::adjusted_rand_index(families, clusters);
  const double nmi = ta::normalized_mutual_information(families, clusters);
  EXPECT_TRUE(close(ari, field(fixture_, "ari_k_vs_families", file_).get<double>()))
      << file_ << " ARI " << ari;
  EXPECT_TRUE(close(nmi, field(fixture_, "nmi_k_vs_families", file_).get<double>()))
      << file_ << " NMI " << nmi;
}

TEST_P(ClusteringFixture, SpearmanOfSimilarityAndSkillOverlapMatchesSciPy) {
  const auto skills = field(fixture_, "skills", file_).get<std::vector<std::vector<int>>>();
  const double spearman = ta::similarity_vs_skill_overlap(
      ta::similarity_matrix(vectors_, ta::Similarity::kCosine), skills);
  EXPECT_TRUE(close(spearman, field(fixture_, "spearman_cosine_vs_jaccard", file_).get<double>()))
      << file_ << " Spearman " << spearman;
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(SciPy, ClusteringFixture, ::testing::ValuesIn(fixture_files()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ClusteringFixture);

}  // namespace
