// No host synchronisation inside an adapted layer's forward pass: on CUDA, reading a
// value or a data-dependent size back (item(), unique, nonzero, equal, bincount) stops
// the host until the device has caught up. The check runs the forward on the "meta"
// device, whose tensors have shapes but no values: any such read throws there, so a
// forward that completes on meta reads nothing back. The task grouping (task_context.h)
// is made on the host beforehand, when the ids are set.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "adapters/factory.h"
#include "adapters/inject.h"
#include "adapters/task_context.h"
#include "model/t5_model.h"

namespace tensorpoly::adapters {
namespace {

AdapterConfig make(const std::string& method, int64_t order, int64_t n_skills, int64_t n_splits) {
  AdapterConfig config;
  config.method = method;
  config.rank = 2;
  config.order = order;
  config.n_skills = n_skills;
  config.n_splits = n_splits;
  config.n_tasks = 5;
  return config;
}

std::vector<AdapterConfig> every_method() {
  std::vector<AdapterConfig> configs = {make("lora", 1, 1, 1), make("poly", 1, 4, 1),
                                        make("mhr", 1, 4, 4)};
  for (int64_t order : {1, 2, 4}) {
    configs.push_back(make("tlora", order, 1, 1));
    configs.push_back(make("tensorpoly-1", order, 4, 1));
    configs.push_back(make("tensorpoly-2", order, 4, order));
  }
  return configs;
}

// The seam can fail: a value read on meta throws.
TEST(HostSync, ReadingAValueBackOnMetaThrows) {
  const auto x = torch::empty({2, 3}, torch::TensorOptions().device(torch::kMeta));
  EXPECT_THROW((void)x.sum().item<double>(), c10::Error);
  EXPECT_THROW((void)torch::_unique(x.to(torch::kLong)), c10::Error);
}

TEST(HostSync, EveryAdapterForwardReadsNothingBack) {
  const auto meta = torch::TensorOptions().device(torch::kMeta);
  // Interleaved, grouped, one task per row, one task for all; with few and many rows
  // per task (the per-task product loop and the batched gather).
  const std::vector<std::vector<int64_t>> id_sets = {
      {3, 1, 3, 0, 3, 1}, {0, 0, 2, 2, 2, 4}, {3, 0, 4, 1, 2, 0}, {4, 4, 4, 4, 4, 4}};
  for (const AdapterConfig& config : every_method()) {
    for (const bool training : {false, true}) {
      SCOPED_TRACE(config.method + " order " + std::to_string(config.order) +
                   (training ? " train" : " eval"));
      auto context = std::make_shared<TaskContext>();
      const auto adapter = make_adapter(config, 12, 8, /*with_bias=*/false, context);
      adapter->to(torch::kMeta);
      adapter->train(training);
      for (const auto& ids : id_sets) {
        for (const int64_t length : {int64_t{2}, int64_t{400}}) {
          context->set(torch::tensor(ids, torch::kLong), torch::kMeta);
          torch::Tensor y;
          ASSERT_NO_THROW(y = adapter->forward(torch::empty({6, length, 12}, meta)));
          EXPECT_EQ(y.sizes(), torch::IntArrayRef({6, length, 8}));
          EXPECT_TRUE(y.is_meta());
        }
      }
    }
  }
}

TEST(HostSync, AnAdaptedT5ForwardAndBackwardReadNothingBack) {
  ModelPreset shape = model_preset("t5-mini");
  shape.n_encoder_layers = shape.n_decoder_layers = 1;
  model::T5Model model(shape);
  AdapterConfig config = make("tensorpoly-1", 2, 4, 1);
  inject_adapters(*model, config, model->task_context());
  train_only_adapters(*model);
  model->to(torch::kMeta);
  model->train();
  const auto meta = torch::TensorOptions().device(torch::kMeta).dtype(torch::kLong);
  model->set_task_ids(torch::tensor({0, 3, 0, 2}, torch::kLong));
  torch::Tensor logits;
  ASSERT_NO_THROW(logits = model->forward(torch::empty({4, 9}, meta), torch::empty({4, 9}, meta),
                                          torch::empty({4, 5}, meta)));
  EXPECT_EQ(logits.sizes(), torch::IntArrayRef({4, 5, shape.vocab}));
  ASSERT_NO_THROW(logits.sum().backward());
}

}  // namespace
}  // namespace tensorpoly::adapters
