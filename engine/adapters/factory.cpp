// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/factory.h"

#include "adapters/lora.h"
#include "adapters/poly.h"
#include "adapters/tensorpoly1.h"
#include "adapters/tensorpoly2.h"
#include "adapters/tlora.h"

namespace tensorpoly::adapters {

std::shared_ptr<AdapterImpl> make_adapter(const AdapterConfig& config,
                                          const LinearProjectionImpl& base,
                                          std::shared_ptr<TaskContext> context,
                                          std::shared_ptr<RouterImpl> shared_router) {
  validate(config, base.in_features(), base.out_features());
  const std::string& method = config.method;
  if (method == "lora") return std::make_shared<LoraImpl>(config, base, std::move(context));
  if (method == "tlora") return std::make_shared<TLoraImpl>(config, base, std::move(context));
  if (method == "poly" || method == "mhr") {
    return std::make_shared<PolyImpl>(config, base, std::move(context), std::move(shared_router));
  }
  if (method == "tensorpoly-1") {
    return std::make_shared<TensorPoly1Impl>(config, base, std::move(context),
                                             std::move(shared_router));
  }
  if (method == "tensorpoly-2") {
    return std::make_shared<TensorPoly2Impl>(config, base, std::move(context),
                                             std::move(shared_router));
  }
  throw ConfigError("adapter.method", "method '" + method +
                                          "' has no adapter module (allowed: lora, tlora, poly, "
                                          "mhr, tensorpoly-1, tensorpoly-2)");
}

std::shared_ptr<AdapterImpl> make_adapter(const AdapterConfig& config, int64_t in_features,
                                          int64_t out_features, bool with_bias,
                                          std::shared_ptr<TaskContext> context) {
  const LinearProjectionImpl base(in_features, out_features, with_bias);
  return make_adapter(config, base, std::move(context));
}

std::shared_ptr<RouterImpl> make_router(const AdapterConfig& config, const std::string& scope) {
  validate_fields(config);
  const std::string& method = config.method;
  if (method == "poly" || method == "mhr") {
    return std::make_shared<RouterImpl>(
        config.n_tasks, config.n_splits, config.n_skills,
        config.n_splits == 1 ? RoutingKind::kSkills : RoutingKind::kSplits, scope);
  }
  if (method == "tensorpoly-1") {
    return std::make_shared<RouterImpl>(config.n_tasks, 1, config.n_skills, RoutingKind::kSkills,
                                        scope);
  }
  if (method == "tensorpoly-2") {
    return std::make_shared<RouterImpl>(config.n_tasks, config.order, config.n_skills,
                                        RoutingKind::kOrders, scope);
  }
  throw ConfigError("adapter.method", "method '" + method +
                                          "' has no router (routed methods: poly, mhr, "
                                          "tensorpoly-1, tensorpoly-2)");
}

}  // namespace tensorpoly::adapters
