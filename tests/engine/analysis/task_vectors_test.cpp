// Task representation: concatenation over layers and blocks, layer selection.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "tensorpoly/analysis.h"

namespace ta = tensorpoly::analysis;
using tensorpoly::RoutingKind;
using tensorpoly::RoutingMatrix;

namespace {

RoutingMatrix layer(const std::string& name, RoutingKind kind, std::vector<int64_t> shape,
                    std::vector<float> values) {
  RoutingMatrix matrix;
  matrix.layer = name;
  matrix.kind = kind;
  matrix.shape = std::move(shape);
  matrix.values = std::move(values);
  return matrix;
}

// Two tasks: a poly layer (2 skills) in the encoder, a TensorPoly-II layer with
// 2 orders x 3 skills in the decoder, an MHR layer with 2 splits x 2 skills.
std::vector<RoutingMatrix> three_layers() {
  return {
      layer("encoder.block.0.layer.0.SelfAttention.q", RoutingKind::kSkills, {2, 2},
            {0.25f, 0.75f,  // task 0
             0.5f, 0.5f}),  // task 1
      layer("decoder.block.0.layer.1.EncDecAttention.k", RoutingKind::kOrders, {2, 2, 3},
            {1, 2, 3,       // order 0, task 0
             4, 5, 6,       // order 0, task 1
             7, 8, 9,       // order 1, task 0
             10, 11, 12}),  // order 1, task 1
      layer("decoder.block.0.layer.2.DenseReluDense.wo", RoutingKind::kSplits, {2, 2, 2},
            {0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f, 0.4f, 0.6f}),
  };
}

TEST(TaskVectors, ConcatenatesLayersAndBlocksPerTask) {
  const ta::TaskVectors tasks = ta::task_vectors(three_layers());
  ASSERT_EQ(tasks.vectors.rows, 2);
  ASSERT_EQ(tasks.vectors.cols, 2 + 6 + 4);
  EXPECT_EQ(tasks.layer_offsets, (std::vector<int64_t>{0, 2, 8}));
  ASSERT_EQ(tasks.layers.size(), 3u);
  const std::vector<double> task0 = {0.25, 0.75, 1, 2, 3, 7, 8, 9, 0.1f, 0.9f, 0.3f, 0.7f};
  const std::vector<double> task1 = {0.5, 0.5, 4, 5, 6, 10, 11, 12, 0.2f, 0.8f, 0.4f, 0.6f};
  for (int64_t k = 0; k < 12; ++k) {
    EXPECT_EQ(tasks.vectors.at(0, k), task0[static_cast<size_t>(k)]) << "task 0, dim " << k;
    EXPECT_EQ(tasks.vectors.at(1, k), task1[static_cast<size_t>(k)]) << "task 1, dim " << k;
  }
}

TEST(TaskVectors, SelectsEncoderOrDecoder) {
  ta::LayerSelection encoder;
  encoder.scope = ta::LayerScope::kEncoder;
  EXPECT_EQ(ta::task_vectors(three_layers(), encoder).vectors.cols, 2);
  ta::LayerSelection decoder;
  decoder.scope = ta::LayerScope::kDecoder;
  const ta::TaskVectors tasks = ta::task_vectors(three_layers(), decoder);
  EXPECT_EQ(tasks.vectors.cols, 10);
  EXPECT_EQ(tasks.vectors.at(0, 0), 1.0);
  EXPECT_EQ(tasks.layer_offsets, (std::vector<int64_t>{0, 6}));
}

TEST(TaskVectors, SelectsByPatternAndByName) {
  ta::LayerSelection pattern;
  pattern.pattern = "Attention\\.(q|k)$";
  EXPECT_EQ(ta::task_vectors(three_layers(), pattern).layers.size(), 2u);
  pattern.pattern = "DenseReluDense";
  EXPECT_EQ(ta::task_vectors(three_layers(), pattern).vectors.cols, 4);

  ta::LayerSelection one;
  one.layer = "decoder.block.0.layer.1.EncDecAttention.k";
  const ta::TaskVectors tasks = ta::task_vectors(three_layers(), one);
  EXPECT_EQ(tasks.layers, std::vector<std::string>{one.layer});
  EXPECT_EQ(tasks.vectors.at(1, 5), 12.0);

  // Filters combine: the encoder has no layer matching "wo".
  ta::LayerSelection none;
  none.scope = ta::LayerScope::kEncoder;
  none.pattern = "wo";
  EXPECT_THROW(ta::task_vectors(three_layers(), none), std::invalid_argument);
}

TEST(TaskVectors, RejectsInconsistentInput) {
  std::vector<RoutingMatrix> routing = three_layers();
  routing[1].values.pop_back();
  EXPECT_THROW(ta::task_vectors(routing), std::invalid_argument);

  routing = three_layers();
  routing[0].shape = {2, 2, 1};  // kSkills must be rank 2
  EXPECT_THROW(ta::task_vectors(routing), std::invalid_argument);

  routing = three_layers();
  routing.push_back(layer("encoder.extra", RoutingKind::kSkills, {3, 1}, {1, 1, 1}));
  try {
    ta::task_vectors(routing);
    FAIL() << "3 tasks next to 2 tasks must be rejected";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("encoder.extra"), std::string::npos) << error.what();
  }

  ta::LayerSelection bad_regex;
  bad_regex.pattern = "(unclosed";
  EXPECT_THROW(ta::task_vectors(three_layers(), bad_regex), std::invalid_argument);
  EXPECT_THROW(ta::task_vectors({}), std::invalid_argument);
}

}  // namespace
