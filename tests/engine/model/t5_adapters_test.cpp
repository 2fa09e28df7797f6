// The model with adapters injected through adapters/inject.h: every projection
// is found by its HF name, the task ids set on the model reach the routers, and
// a zero-initialised update leaves the base model's output unchanged.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <set>

#include "adapters/inject.h"
#include "model/t5_model.h"

namespace tensorpoly::model {
namespace {

TEST(T5Adapters, PolyInjectsIntoEveryProjectionAndRoutesByTaskIds) {
  torch::manual_seed(21);
  const ModelPreset preset{"test", 50, 32, 48, 2, 2, 4, 8};
  T5Model model(preset);
  model->eval();
  const torch::Tensor input_ids = torch::randint(2, 50, {2, 6});
  const torch::Tensor mask = torch::tensor({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}).reshape({2, 6});
  const torch::Tensor labels = torch::tensor({5, 6, 1, 7, 1, -100}).reshape({2, 3});
  torch::Tensor before;
  {
    torch::NoGradGuard no_grad;
    before = model->forward(input_ids, mask, shift_right(labels));
  }

  AdapterConfig config;
  config.method = "poly";
  config.rank = 2;
  config.n_skills = 3;
  config.n_splits = 1;
  config.n_tasks = 4;
  const std::vector<std::string> adapted =
      adapters::inject_adapters(*model, config, model->task_context());
  // Encoder blocks: q, k, v, o, wi_0, wi_1, wo; decoder blocks: 4 more (cross-attention).
  EXPECT_EQ(adapted.size(), static_cast<size_t>(7 * 2 + 11 * 2));
  std::set<std::string> names;
  for (const auto& item : model->named_parameters()) names.insert(item.key());
  for (const char* name : {"encoder.block.0.layer.0.SelfAttention.q.weight",
                           "encoder.block.0.layer.0.SelfAttention.q.lora_a",
                           "decoder.block.1.layer.1.EncDecAttention.o.module_logits",
                           "decoder.block.1.layer.2.DenseReluDense.wi_0.lora_b"}) {
    EXPECT_EQ(names.count(name), 1u) << name;
  }

  model->set_task_ids(torch::tensor({3, 0}, torch::kLong));
  torch::Tensor after;
  {
    torch::NoGradGuard no_grad;
    after = model->forward(input_ids, mask, shift_right(labels));
  }
  // lora_b starts at zero: the update is zero.
  EXPECT_TRUE(torch::allclose(before, after, 1e-6, 1e-6));

  adapters::train_only_adapters(*model);
  model->train();
  sequence_loss(model->forward(input_ids, mask, shift_right(labels)), labels).backward();
  const auto parameters = model->named_parameters();
  const torch::Tensor lora_b_grad =
      parameters["decoder.block.0.layer.2.DenseReluDense.wo.lora_b"].grad();
  ASSERT_TRUE(lora_b_grad.defined());
  EXPECT_GT(lora_b_grad.abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(parameters["shared.weight"].requires_grad());
}

}  // namespace
}  // namespace tensorpoly::model
