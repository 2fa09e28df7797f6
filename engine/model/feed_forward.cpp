// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/feed_forward.h"

#include <cmath>

namespace tensorpoly::model {

namespace {

std::shared_ptr<adapters::ProjectionImpl> projection(int64_t in, int64_t out) {
  auto layer = std::make_shared<adapters::LinearProjectionImpl>(in, out, /*with_bias=*/false);
  torch::NoGradGuard no_grad;
  layer->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(in)));  // HF's T5 init
  return layer;
}

}  // namespace

T5FeedForwardImpl::T5FeedForwardImpl(const ModelPreset& config)
    : gated_(config.gated_feed_forward()) {
  if (gated_) {
    register_projection("wi_0", wi_0, projection(config.d_model, config.d_ff));
    register_projection("wi_1", wi_1, projection(config.d_model, config.d_ff));
  } else {
    register_projection("wi", wi, projection(config.d_model, config.d_ff));
  }
  register_projection("wo", wo, projection(config.d_ff, config.d_model));
}

torch::Tensor T5FeedForwardImpl::forward(const torch::Tensor& x) {
  if (!gated_) return wo->forward(torch::relu(wi->forward(x)));
  // HF's "gelu_new": 0.5·u·(1 + tanh(√(2/π)·(u + 0.044715·u³))), not the erf GELU.
  return wo->forward(torch::gelu(wi_0->forward(x), "tanh") * wi_1->forward(x));
}

}  // namespace tensorpoly::model
