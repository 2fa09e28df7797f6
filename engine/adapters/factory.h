// Builds the adapter module of a method from an AdapterConfig.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <string>

#include "adapters/adapter.h"

namespace tensorpoly::adapters {

// Wraps `base` (its weight and bias are shared and frozen) in the adapter of
// config.method. `shared_router` (routed methods only; null: a private router)
// must come from make_router() with the same config. Throws ConfigError for
// an invalid config or for method "none", which has no adapter module.
std::shared_ptr<AdapterImpl> make_adapter(const AdapterConfig& config,
                                          const LinearProjectionImpl& base,
                                          std::shared_ptr<TaskContext> context,
                                          std::shared_ptr<RouterImpl> shared_router = nullptr);

// Same around a freshly initialised base layer [out, in] (tests, benchmarks).
std::shared_ptr<AdapterImpl> make_adapter(const AdapterConfig& config, int64_t in_features,
                                          int64_t out_features, bool with_bias,
                                          std::shared_ptr<TaskContext> context);

// A router for the routed method of `config`, shared by the layers of `scope`.
std::shared_ptr<RouterImpl> make_router(const AdapterConfig& config, const std::string& scope);

}  // namespace tensorpoly::adapters
