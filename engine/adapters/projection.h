// Linear projections that adapters can wrap (the contract between the model and
// the adapters; see inject.h).
//
// A model never holds a plain torch::nn::Linear for a layer that may be adapted.
// It derives the parent module from ProjectionOwner and registers each projection
// with register_projection(); forward calls the member pointer. inject_adapters()
// then swaps a registered projection for an adapter through replace_projection(),
// which updates both the module registry (so parameter names follow the tree:
// "encoder.block.0.layer.0.SelfAttention.q.lora_a") and the member pointer.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

namespace tensorpoly::adapters {

// y = x Wᵀ (+ bias), x: [..., in] -> [..., out].
class ProjectionImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  virtual int64_t in_features() const = 0;
  virtual int64_t out_features() const = 0;
};

// The frozen (or, for full fine-tuning, trainable) base layer.
// Parameters: "weight" [out, in], and "bias" [out] when with_bias.
class LinearProjectionImpl : public ProjectionImpl {
 public:
  LinearProjectionImpl(int64_t in_features, int64_t out_features, bool with_bias = false);
  torch::Tensor forward(const torch::Tensor& x) override;
  int64_t in_features() const override { return weight.size(1); }
  int64_t out_features() const override { return weight.size(0); }

  torch::Tensor weight;
  torch::Tensor bias;  // undefined when the layer has no bias
};

// A module whose children include projections that may be swapped for adapters.
class ProjectionOwner : public torch::nn::Module {
 public:
  // Registers `value` as child `name` and remembers `member` as the pointer that
  // forward() calls through. `member` must live as long as this module (it is a
  // data member of the derived class).
  void register_projection(const std::string& name, std::shared_ptr<ProjectionImpl>& member,
                           std::shared_ptr<ProjectionImpl> value);

  // Replaces projection `name` (registry entry and member pointer).
  void replace_projection(const std::string& name, std::shared_ptr<ProjectionImpl> value);

  // The projections registered so far, by child name.
  std::map<std::string, std::shared_ptr<ProjectionImpl>> projections() const;

 private:
  std::map<std::string, std::shared_ptr<ProjectionImpl>*> members_;
};

}  // namespace tensorpoly::adapters
