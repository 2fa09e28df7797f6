// What TensorPoly-I and TensorPoly-II share: leaves and pair LayerNorms on the A and B
// sides, and membership of a FactorBank (factor_bank.h), which builds the factors of every
// same-shaped layer of the model in one batched computation per forward pass.
//
// task_factors() (adapter.h) stays the one-layer formulation that the naive and
// per-example forwards use; the optimised forward asks the bank. A layer starts in a bank
// of its own; share_factor_bank() (called by inject_adapters) puts every tensor-product
// layer of a model into one.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <vector>

#include "adapters/adapter.h"

namespace tensorpoly::adapters {

class FactorBank;

class TensorProductAdapterImpl : public RoutedAdapterImpl {
 public:
  ~TensorProductAdapterImpl() override;

  torch::Tensor weight_leafs_a;                         // [k, S, r, d_a]
  torch::Tensor weight_leafs_b;                         // [k, S, r, d_b]
  torch::nn::LayerNorm ln1_a{nullptr}, ln1_b{nullptr};  // orders 2 and 4
  torch::nn::LayerNorm ln2_a{nullptr}, ln2_b{nullptr};  // TensorPoly-II at order 4

  enum class Side { kA, kB };
  // What one side's factor is built from: leaves [k, S, r, d], the LayerNorm affines
  // ([r, d²] each: ln1, and ln2 when the method has one; none at order 1) and the
  // factor's width n (in for A, out for B).
  struct FactorInputs {
    torch::Tensor leaves;
    std::vector<torch::Tensor> gammas;
    std::vector<torch::Tensor> betas;
    int64_t width = 0;
  };
  FactorInputs factor_inputs(Side side) const;
  // TensorPoly-II mixes the leaves by routing before the product (its factors depend on
  // the task); TensorPoly-I builds per skill and mixes the factors.
  virtual bool routes_leaves() const = 0;

  const std::shared_ptr<FactorBank>& factor_bank() const { return bank_; }
  // Leaves the current bank and joins `bank`.
  void set_factor_bank(std::shared_ptr<FactorBank> bank);

 protected:
  TensorProductAdapterImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
                           std::shared_ptr<TaskContext> context, int64_t n_blocks, RoutingKind kind,
                           std::shared_ptr<RouterImpl> router);
  // Registers the leaves ([k, S, r, d_a], [k, S, r, d_b], from `initialise`) and the
  // LayerNorms the order uses (ln2 only with `second_norm`), in the contract's order.
  template <typename Initialise>
  void register_factor_parameters(Initialise initialise, bool second_norm);

  // From the bank: the factors of this layer mixed for the grouping's distinct tasks.
  std::pair<torch::Tensor, torch::Tensor> routed_factors(const TaskGrouping& tasks) override;

 private:
  std::shared_ptr<FactorBank> bank_;
};

template <typename Initialise>
void TensorProductAdapterImpl::register_factor_parameters(Initialise initialise, bool second_norm) {
  const int64_t k = config_.order, s = config_.n_skills, r = config_.rank;
  const int64_t d_a = leaf_size(in_features(), k), d_b = leaf_size(out_features(), k);
  weight_leafs_a = register_parameter("weight_leafs_a", initialise({k, s, r, d_a}));
  weight_leafs_b = register_parameter("weight_leafs_b", initialise({k, s, r, d_b}));
  if (k > 1) {
    register_pair_norm("ln1_a", ln1_a, d_a);
    register_pair_norm("ln1_b", ln1_b, d_b);
  }
  if (k > 2 && second_norm) {
    register_pair_norm("ln2_a", ln2_a, d_a);
    register_pair_norm("ln2_b", ln2_b, d_b);
  }
}

// Puts every tensor-product layer below `root` that shares a task context into one bank
// (the batched path of the optimised forward).
void share_factor_bank(torch::nn::Module& root);
// Gives every tensor-product layer below `root` a bank of its own (each layer builds its
// factors alone: the per-layer path, for comparison).
void separate_factor_banks(torch::nn::Module& root);

}  // namespace tensorpoly::adapters
