// No host synchronisation inside an adapted layer's forward pass: on CUDA, reading a
// value or a data-dependent size back (item(), unique, nonzero, equal, bincount, a
// repeat_interleave by tensor) stops the host until the device has caught up. The seam:
// LibTorch's RecordFunction observer sees every ATen operator called, on any device, so
// the test counts the calls of the operators that read device values back while the
// forward (and backward) passes run on the CPU. The task grouping (task_context.h) is
// made on the host beforehand, when the ids are set.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <ATen/record_function.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>

#include "adapters/factory.h"
#include "adapters/inject.h"
#include "adapters/task_context.h"
#include "model/t5_model.h"

namespace tensorpoly::adapters {
namespace {

// Operators whose result on a device must be read back by the host.
bool reads_back(const char* name) {
  static const std::set<std::string> names = {"aten::_local_scalar_dense",
                                              "aten::item",
                                              "aten::is_nonzero",
                                              "aten::nonzero",
                                              "aten::nonzero_numpy",
                                              "aten::argwhere",
                                              "aten::_unique",
                                              "aten::_unique2",
                                              "aten::unique_dim",
                                              "aten::unique_consecutive",
                                              "aten::equal",
                                              "aten::allclose",
                                              "aten::bincount",
                                              "aten::masked_select",
                                              "aten::repeat_interleave"};
  return names.count(name) > 0;
}

// Counts the read-back operators called while alive, and names them.
class SyncCounter {
 public:
  SyncCounter() {
    instance() = this;
    handle_ = at::addGlobalCallback(at::RecordFunctionCallback(&on_start));
  }
  ~SyncCounter() {
    at::removeCallback(handle_);
    instance() = nullptr;
  }
  SyncCounter(const SyncCounter&) = delete;
  SyncCounter& operator=(const SyncCounter&) = delete;

  int64_t count() const { return count_; }
  std::string names() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::string text;
    for (const auto& name : names_) text += name + " ";
    return text;
  }

 private:
  static SyncCounter*& instance() {
    static SyncCounter* counter = nullptr;
    return counter;
  }
  static std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
    SyncCounter* counter = instance();
    if (counter != nullptr && reads_back(fn.name())) {
      ++counter->count_;
      const std::lock_guard<std::mutex> lock(counter->mutex_);
      counter->names_.insert(fn.name());
    }
    return nullptr;
  }

  at::CallbackHandle handle_ = 0;
  std::atomic<int64_t> count_{0};
  mutable std::mutex mutex_;
  std::set<std::string> names_;
};

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

// The seam can fail: the reads this test looks for are counted.
TEST(HostSync, TheCounterSeesValueReads) {
  const auto x = torch::randn({2, 3});
  const SyncCounter counter;
  (void)x.sum().item<double>();
  (void)torch::_unique(x.gt(0));
  (void)x.gt(0).nonzero();
  EXPECT_GE(counter.count(), 3) << counter.names();
}

TEST(HostSync, EveryAdapterForwardAndBackwardReadNothingBack) {
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
      adapter->train(training);
      for (const auto& ids : id_sets) {
        for (const int64_t length : {int64_t{2}, int64_t{400}}) {
          context->set(torch::tensor(ids, torch::kLong), torch::kCPU);  // before the forward
          const auto x = torch::randn({6, length, 12}, torch::requires_grad());
          const SyncCounter counter;
          const torch::Tensor y = adapter->forward(x);
          y.sum().backward();
          EXPECT_EQ(counter.count(), 0) << counter.names();
          EXPECT_EQ(y.sizes(), torch::IntArrayRef({6, length, 8}));
        }
      }
    }
  }
}

TEST(HostSync, AnAdaptedT5ForwardAndBackwardReadNothingBack) {
  ModelPreset shape = model_preset("t5-mini");
  shape.n_encoder_layers = shape.n_decoder_layers = 1;
  model::T5Model model(shape);
  inject_adapters(*model, make("tensorpoly-1", 2, 4, 1), model->task_context());
  train_only_adapters(*model);
  model->train();
  const auto input_ids = torch::randint(3, shape.vocab, {4, 9}, torch::kLong);
  const auto attention_mask = torch::ones({4, 9}, torch::kLong);
  const auto decoder_input_ids = torch::randint(3, shape.vocab, {4, 5}, torch::kLong);
  model->set_task_ids(torch::tensor({0, 3, 0, 2}, torch::kLong));
  const SyncCounter counter;
  const torch::Tensor logits = model->forward(input_ids, attention_mask, decoder_input_ids);
  logits.sum().backward();
  EXPECT_EQ(counter.count(), 0) << counter.names();
}

}  // namespace
}  // namespace tensorpoly::adapters
