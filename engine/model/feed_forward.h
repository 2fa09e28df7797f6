// T5's feed-forward, in either of the variants Hugging Face checkpoints use:
//   gated-gelu (T5 v1.1, FLAN-T5, T0): wo( gelu_tanh(wi_0·x) ⊙ (wi_1·x) )
//   relu (the original T5):            wo( relu(wi·x) )
// HF calls the module DenseReluDense whatever its activation; its projections are
// adapter-wrappable.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/projection.h"
#include "tensorpoly/model_preset.h"

namespace tensorpoly::model {

class T5FeedForwardImpl : public adapters::ProjectionOwner {
 public:
  explicit T5FeedForwardImpl(const ModelPreset& config);
  torch::Tensor forward(const torch::Tensor& x);

  bool gated() const { return gated_; }

  std::shared_ptr<adapters::ProjectionImpl> wi_0, wi_1;  // gated-gelu only
  std::shared_ptr<adapters::ProjectionImpl> wi;          // relu only
  std::shared_ptr<adapters::ProjectionImpl> wo;

 private:
  bool gated_;
};
TORCH_MODULE(T5FeedForward);

}  // namespace tensorpoly::model
