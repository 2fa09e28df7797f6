// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/projection.h"

#include <cmath>
#include <stdexcept>

namespace tensorpoly::adapters {

LinearProjectionImpl::LinearProjectionImpl(int64_t in_features, int64_t out_features,
                                           bool with_bias) {
  TORCH_CHECK(in_features > 0 && out_features > 0,
              "LinearProjection: in_features and out_features must be positive, got ", in_features,
              " and ", out_features);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = register_parameter("weight",
                              torch::empty({out_features, in_features}).uniform_(-bound, bound));
  if (with_bias) {
    bias = register_parameter("bias", torch::empty({out_features}).uniform_(-bound, bound));
  }
}

torch::Tensor LinearProjectionImpl::forward(const torch::Tensor& x) {
  return torch::nn::functional::linear(x, weight, bias);
}

void ProjectionOwner::register_projection(const std::string& name,
                                          std::shared_ptr<ProjectionImpl>& member,
                                          std::shared_ptr<ProjectionImpl> value) {
  TORCH_CHECK(value != nullptr, "register_projection: '", name, "' is null");
  member = register_module(name, std::move(value));
  members_[name] = &member;
}

void ProjectionOwner::replace_projection(const std::string& name,
                                         std::shared_ptr<ProjectionImpl> value) {
  auto found = members_.find(name);
  TORCH_CHECK(found != members_.end(), "replace_projection: no projection named '", name, "'");
  TORCH_CHECK(value != nullptr, "replace_projection: '", name, "' replaced by null");
  *found->second = replace_module(name, std::move(value));
}

std::map<std::string, std::shared_ptr<ProjectionImpl>> ProjectionOwner::projections() const {
  std::map<std::string, std::shared_ptr<ProjectionImpl>> result;
  for (const auto& [name, member] : members_) result[name] = *member;
  return result;
}

}  // namespace tensorpoly::adapters
