// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/factor_bank.h"

#include <algorithm>

#include "adapters/mixed_product.h"
#include "adapters/phase_profile.h"
#include "adapters/router.h"
#include "adapters/tensor_product.h"

namespace tensorpoly::adapters {
namespace {

using Side = TensorProductAdapterImpl::Side;

// Storage and version of a tensor: an in-place update (optimiser step, checkpoint load)
// bumps the version, a move to another device or dtype changes the storage.
struct Stamp {
  const void* data = nullptr;
  int64_t version = 0;
  bool operator==(const Stamp& other) const {
    return data == other.data && version == other.version;
  }
};

// What a cached result was built from and in which forward pass.
struct Cache {
  std::vector<torch::Tensor> tensors;
  std::vector<Stamp> stamps;
  bool has_graph = false;
  const TaskContext* context = nullptr;
  uint64_t forward_id = 0;

  bool empty() const { return tensors.empty(); }
  void clear() { *this = Cache{}; }
  void record(std::vector<torch::Tensor> built, std::vector<Stamp> inputs, const TaskContext& in) {
    tensors = std::move(built);
    stamps = std::move(inputs);
    has_graph = std::any_of(tensors.begin(), tensors.end(),
                            [](const torch::Tensor& tensor) { return tensor.requires_grad(); });
    context = &in;
    forward_id = in.forward_id;
  }
  // A result with a graph serves only its own forward pass; one without serves any pass
  // that needs no graph.
  bool usable(const TaskContext& now, bool needs_graph) const {
    return has_graph ? context == &now && forward_id == now.forward_id : !needs_graph;
  }
};

}  // namespace

struct FactorBank::Stack {
  struct Job {
    TensorProductAdapterImpl* member;
    TensorProductAdapterImpl::FactorInputs inputs;
    torch::Tensor logits;  // the layer's router logits [T, Q·S] (shared routers repeat)
  };
  std::vector<Job> jobs;
  bool routes_leaves = false;
  int64_t width = 0;
  int64_t n_blocks = 1;
  int64_t n_skills = 1;
  std::vector<torch::Tensor> routers;  // distinct logits tensors
  torch::Tensor router_of_job;         // [J] index into routers
  // TensorPoly-I's skill factors: at order 4 the two pair products P01 [J, S, r, d²] and
  // P23 (the mix multiplies them out), at orders 1 and 2 the factors [J, S, r, n].
  Cache factors;
  Cache mix;  // [U, r, n] per job (unbound: the backward is one stack, not J selects)
  int64_t factor_generation = 0;
  int64_t mix_factor_generation = -1;
  torch::Tensor routing_source;
  int64_t routing_version = -1;

  std::vector<Stamp> factor_stamps(bool* needs_graph) const {
    std::vector<Stamp> stamps;
    bool any_grad = false;
    auto add = [&](const torch::Tensor& tensor) {
      stamps.push_back({tensor.data_ptr(), tensor._version()});
      any_grad = any_grad || tensor.requires_grad();
    };
    for (const auto& job : jobs) {
      add(job.inputs.leaves);
      for (const auto& gamma : job.inputs.gammas) add(gamma);
      for (const auto& beta : job.inputs.betas) add(beta);
    }
    *needs_graph = any_grad && torch::GradMode::is_enabled();
    return stamps;
  }
  std::vector<Stamp> router_stamps(bool* needs_graph) const {
    std::vector<Stamp> stamps;
    bool any_grad = false;
    for (const auto& logits : routers) {
      stamps.push_back({logits.data_ptr(), logits._version()});
      any_grad = any_grad || logits.requires_grad();
    }
    *needs_graph = any_grad && torch::GradMode::is_enabled();
    return stamps;
  }
  // [J, P, r, d²] affines of every job, or undefined at order 1.
  std::pair<torch::Tensor, torch::Tensor> stacked_affines() const {
    const auto& first = jobs.front().inputs;
    if (first.gammas.empty()) return {};
    std::vector<torch::Tensor> gammas, betas;
    gammas.reserve(jobs.size() * first.gammas.size());
    betas.reserve(jobs.size() * first.betas.size());
    for (const auto& job : jobs) {
      gammas.insert(gammas.end(), job.inputs.gammas.begin(), job.inputs.gammas.end());
      betas.insert(betas.end(), job.inputs.betas.begin(), job.inputs.betas.end());
    }
    const auto n_jobs = static_cast<int64_t>(jobs.size());
    const auto n_norms = static_cast<int64_t>(first.gammas.size());
    const auto shape = first.gammas.front().sizes();
    return {torch::stack(gammas).view({n_jobs, n_norms, shape[0], shape[1]}),
            torch::stack(betas).view({n_jobs, n_norms, shape[0], shape[1]})};
  }
  torch::Tensor stacked_leaves() const {
    std::vector<torch::Tensor> leaves;
    leaves.reserve(jobs.size());
    for (const auto& job : jobs) leaves.push_back(job.inputs.leaves);
    return torch::stack(leaves);  // [J, k, S, r, d]
  }
  // Routing weights of every job for the distinct tasks: [J, U, Q, S].
  torch::Tensor routing_weights(const torch::Tensor& unique_ids) const {
    const auto device = routers.front().device();
    const auto logits = routers.size() == 1 ? routers.front().unsqueeze(0) : torch::stack(routers);
    const auto rows = logits.index_select(1, unique_ids.to(device));  // [R, U, Q·S]
    const auto weights =
        normalised_sigmoid(rows.view({rows.size(0), rows.size(1), n_blocks, n_skills}));
    if (routers.size() == jobs.size()) return weights;
    return weights.index_select(0, router_of_job.to(device));
  }
};

FactorBank::FactorBank() = default;
FactorBank::~FactorBank() = default;

void FactorBank::add(TensorProductAdapterImpl* member) {
  TORCH_CHECK(member != nullptr, "FactorBank::add: null member");
  if (std::find(members_.begin(), members_.end(), member) != members_.end()) return;
  members_.push_back(member);
  organised_ = false;
}

void FactorBank::remove(TensorProductAdapterImpl* member) {
  members_.erase(std::remove(members_.begin(), members_.end(), member), members_.end());
  organised_ = false;
}

size_t FactorBank::stack_count() const { return organised_ ? stacks_.size() : 0; }

void FactorBank::organise() {
  stacks_.clear();
  slots_.clear();
  std::map<std::vector<int64_t>, size_t> by_shape;
  auto place = [&](TensorProductAdapterImpl* member, Side side) {
    auto inputs = member->factor_inputs(side);
    const auto router = member->router();
    const auto& config = member->config();
    const auto& leaves = inputs.leaves;
    const std::vector<int64_t> key = {member->routes_leaves() ? 1 : 0,
                                      leaves.size(0),
                                      leaves.size(1),
                                      leaves.size(2),
                                      leaves.size(3),
                                      inputs.width,
                                      router->n_tasks(),
                                      router->n_blocks(),
                                      static_cast<int64_t>(inputs.gammas.size()),
                                      config.n_skills};
    auto [found, inserted] = by_shape.emplace(key, stacks_.size());
    if (inserted) {
      auto stack = std::make_unique<Stack>();
      stack->routes_leaves = member->routes_leaves();
      stack->width = inputs.width;
      stack->n_blocks = router->n_blocks();
      stack->n_skills = router->n_skills();
      stacks_.push_back(std::move(stack));
    }
    Stack& stack = *stacks_[found->second];
    const auto position = stack.jobs.size();
    stack.jobs.push_back({member, std::move(inputs), router->module_logits});
    return std::make_pair(found->second, position);
  };
  for (auto* member : members_) {
    const auto a = place(member, Side::kA);
    const auto b = place(member, Side::kB);
    slots_[member] = {a, b};
  }
  for (auto& stack : stacks_) {
    std::vector<int64_t> router_of_job;
    router_of_job.reserve(stack->jobs.size());
    for (const auto& job : stack->jobs) {
      auto found =
          std::find_if(stack->routers.begin(), stack->routers.end(),
                       [&](const torch::Tensor& logits) { return logits.is_same(job.logits); });
      if (found == stack->routers.end()) {
        stack->routers.push_back(job.logits);
        found = std::prev(stack->routers.end());
      }
      router_of_job.push_back(found - stack->routers.begin());
    }
    stack->router_of_job = torch::tensor(router_of_job, torch::kLong);
  }
  organised_ = true;
  checked_context_ = nullptr;
}

void FactorBank::drop_stale(const TaskContext& context) {
  for (auto& stack : stacks_) {
    bool factors_need_graph = false;
    bool routers_need_graph = false;
    const auto factor_stamps = stack->factor_stamps(&factors_need_graph);
    auto mix_stamps = stack->router_stamps(&routers_need_graph);
    if (!stack->factors.empty() && (stack->factors.stamps != factor_stamps ||
                                    !stack->factors.usable(context, factors_need_graph))) {
      stack->factors.clear();
    }
    // TensorPoly-I's mix also depends on the factors (checked by generation when it is
    // used); TensorPoly-II's is built from the leaves directly.
    if (stack->routes_leaves)
      mix_stamps.insert(mix_stamps.end(), factor_stamps.begin(), factor_stamps.end());
    const bool mix_needs_graph = routers_need_graph || factors_need_graph;
    if (!stack->mix.empty() &&
        (stack->mix.stamps != mix_stamps || !stack->mix.usable(context, mix_needs_graph))) {
      stack->mix.clear();
    }
  }
}

void FactorBank::build_factors(Stack& stack, const TaskContext& context) {
  const PhaseScope phase(Phase::kFactorConstruction);
  bool needs_graph = false;
  auto stamps = stack.factor_stamps(&needs_graph);
  const auto [gamma, beta] = stack.stacked_affines();
  const auto leaves = stack.stacked_leaves();  // [J, k, S, r, d]
  std::vector<torch::Tensor> built;
  if (leaves.size(1) == 4) {
    built = normed_pair_products(leaves, gamma, beta).unbind(1);  // P01, P23
  } else {
    built = {stacked_tensor_product_factor(leaves, stack.width, gamma, beta)};
  }
  stack.factors.record(std::move(built), std::move(stamps), context);
  ++stack.factor_generation;
  ++factor_builds_;
}

const std::vector<torch::Tensor>& FactorBank::mixed(Stack& stack, const TaskContext& context,
                                                    const TaskGrouping& tasks) {
  // The grouping's ids (kept alive by the stack, so their identity cannot be reused) and
  // their version say whether the mix is for the same task ids.
  const bool same_routing = stack.routing_source.defined() &&
                            stack.routing_source.is_same(tasks.task_ids) &&
                            stack.routing_version == tasks.task_ids._version();
  if (!stack.routes_leaves && stack.factors.empty()) build_factors(stack, context);
  if (!stack.mix.empty() && same_routing &&
      (stack.routes_leaves || stack.mix_factor_generation == stack.factor_generation)) {
    return stack.mix.tensors;
  }
  bool routers_need_graph = false;
  auto stamps = stack.router_stamps(&routers_need_graph);
  const auto n_jobs = static_cast<int64_t>(stack.jobs.size());
  const auto weights = [&] {
    const PhaseScope phase(Phase::kRoutingMix);
    return stack.routing_weights(tasks.unique_ids);  // [J, U, Q, S]
  }();
  const int64_t n_tasks = weights.size(1);
  torch::Tensor built;
  if (!stack.routes_leaves) {
    // TensorPoly-I: A_u = Σ_s w[u, s] F[s] for every job at once; at order 4 straight
    // from the pair products, without the S-times larger F.
    const PhaseScope phase(Phase::kRoutingMix);
    const auto mixing = weights.view({n_jobs, n_tasks, stack.n_skills});
    const auto& factors = stack.factors.tensors;
    if (factors.size() == 2) {
      built = mixed_outer_product(mixing, factors[0], factors[1], stack.width);
    } else {
      const int64_t rank = factors[0].size(2);
      built = torch::bmm(mixing, factors[0].reshape({n_jobs, stack.n_skills, rank * stack.width}))
                  .view({n_jobs, n_tasks, rank, stack.width});
    }
    stack.mix_factor_generation = stack.factor_generation;
  } else {
    // TensorPoly-II: m_o = c[o] · Σ_s w[o, s] ℓ[o, s] per order, then the product of the
    // mixed leaves with the LayerNorms after routing.
    bool factors_need_graph = false;
    const auto factor_stamps = stack.factor_stamps(&factors_need_graph);
    stamps.insert(stamps.end(), factor_stamps.begin(), factor_stamps.end());
    torch::Tensor leaves;
    {
      const PhaseScope phase(Phase::kRoutingMix);
      const auto c = weights.sum(-1).transpose(1, 2);  // [J, k, U]
      leaves = torch::einsum("juos,josrd->jourd", {weights, stack.stacked_leaves()}) *
               c.unsqueeze(-1).unsqueeze(-1);  // [J, k, U, r, d]
    }
    const PhaseScope phase(Phase::kFactorConstruction);
    const auto [gamma, beta] = stack.stacked_affines();
    built = stacked_tensor_product_factor(leaves, stack.width, gamma, beta);  // [J, U, r, n]
    ++factor_builds_;
  }
  stack.mix.record(built.unbind(0), std::move(stamps), context);
  stack.routing_source = tasks.task_ids;
  stack.routing_version = tasks.task_ids._version();
  ++mix_builds_;
  return stack.mix.tensors;
}

std::pair<torch::Tensor, torch::Tensor> FactorBank::routed_factors(
    const TensorProductAdapterImpl& member, const TaskContext& context, const TaskGrouping& tasks) {
  if (!organised_) organise();
  if (checked_context_ != &context || checked_forward_ != context.forward_id) {
    drop_stale(context);
    checked_context_ = &context;
    checked_forward_ = context.forward_id;
  }
  const auto slot = slots_.find(&member);
  TORCH_CHECK(slot != slots_.end(), "FactorBank: the layer is not a member of this bank");
  const auto [a_slot, b_slot] = slot->second;
  const torch::Tensor a = mixed(*stacks_[a_slot.first], context, tasks)[a_slot.second];
  const torch::Tensor b = mixed(*stacks_[b_slot.first], context, tasks)[b_slot.second];
  return {a.transpose(1, 2), b};  // [U, in, r], [U, r, out]
}

}  // namespace tensorpoly::adapters
