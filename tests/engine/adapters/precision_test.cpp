// Compute precision: fp32 changes nothing (bit for bit), bf16 runs the matrix products
// under CPU autocast while the adapters keep their factors in float32, autocast state
// is restored after a scope, and fp16 without CUDA is refused with a clear message.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/precision.h"

#include <gtest/gtest.h>

#include "adapters/inject.h"
#include "model/t5_model.h"

namespace tensorpoly::adapters {
namespace {

struct AdaptedModel {
  model::T5Model model{nullptr};
  torch::Tensor input_ids, attention_mask, decoder_input_ids;

  torch::Tensor logits() {
    model->set_task_ids(torch::tensor({0, 2, 1}, torch::kLong));
    return model->forward(input_ids, attention_mask, decoder_input_ids);
  }
};

AdaptedModel adapted_model() {
  torch::manual_seed(3);
  ModelPreset shape = model_preset("t5-mini");
  shape.n_encoder_layers = shape.n_decoder_layers = 1;
  AdaptedModel m;
  m.model = model::T5Model(shape);
  AdapterConfig config;
  config.method = "tensorpoly-1";
  config.rank = 4;
  config.order = 2;
  config.n_skills = 4;
  config.n_tasks = 3;
  inject_adapters(*m.model, config, m.model->task_context());
  {
    torch::NoGradGuard no_grad;  // non-zero B sides, so that the adapters count
    for (auto& item : m.model->named_parameters()) {
      if (item.key().find("weight_leafs_b") != std::string::npos) item.value().normal_(0, 0.1);
    }
  }
  m.model->eval();
  m.input_ids = torch::randint(3, shape.vocab, {3, 7}, torch::kLong);
  m.attention_mask = torch::ones({3, 7}, torch::kLong);
  m.decoder_input_ids = torch::randint(3, shape.vocab, {3, 4}, torch::kLong);
  return m;
}

TEST(Precision, Fp32IsBitIdenticalToNoPrecisionScope) {
  AdaptedModel m = adapted_model();
  torch::NoGradGuard no_grad;
  const torch::Tensor plain = m.logits();
  torch::Tensor scoped;
  {
    const AutocastScope autocast(torch::kCPU, Precision::kFp32);
    scoped = m.logits();
  }
  EXPECT_EQ(scoped.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(plain, scoped));
}

TEST(Precision, Bf16RunsProductsInBfloat16AndRestoresTheState) {
  const auto a = torch::randn({4, 4});
  {
    const AutocastScope autocast(torch::kCPU, Precision::kBf16);
    EXPECT_EQ(torch::matmul(a, a).scalar_type(), torch::kBFloat16);
    {
      const Float32Scope float32;  // routing and adapter factors
      EXPECT_EQ(torch::matmul(a, a).scalar_type(), torch::kFloat32);
    }
    EXPECT_EQ(torch::matmul(a, a).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::matmul(a, a).scalar_type(), torch::kFloat32);

  AdaptedModel m = adapted_model();
  torch::NoGradGuard no_grad;
  const torch::Tensor fp32 = m.logits();
  torch::Tensor bf16;
  {
    const AutocastScope autocast(torch::kCPU, Precision::kBf16);
    bf16 = m.logits();
  }
  EXPECT_FALSE(torch::equal(bf16.to(torch::kFloat32), fp32));  // it did run in bf16
  const double scale = fp32.abs().max().item<double>();
  EXPECT_LT((bf16.to(torch::kFloat32) - fp32).abs().max().item<double>(), 0.05 * scale);
  EXPECT_TRUE(torch::equal(m.logits(), fp32));  // autocast is off again
  for (const auto& parameter : m.model->parameters()) {
    EXPECT_EQ(parameter.scalar_type(), torch::kFloat32);
  }
}

TEST(Precision, NamesAreParsedAndFp16NeedsCuda) {
  EXPECT_EQ(parse_precision("bf16"), Precision::kBf16);
  EXPECT_STREQ(precision_name(parse_precision("fp16")), "fp16");
  EXPECT_THROW(parse_precision("fp8"), std::invalid_argument);
  EXPECT_NO_THROW(check_precision(Precision::kBf16, torch::kCPU));
  try {
    check_precision(Precision::kFp16, torch::kCPU);
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("precision fp16 needs a CUDA device"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace tensorpoly::adapters
