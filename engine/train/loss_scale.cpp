// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/loss_scale.h"

#include <algorithm>
#include <stdexcept>

namespace tensorpoly::train {

LossScaler::LossScaler(bool enabled, Options options)
    : enabled_(enabled), options_(options), scale_(options.initial_scale) {
  if (!(options_.initial_scale >= options_.min_scale) || !(options_.growth_factor > 1.0) ||
      !(options_.backoff_factor > 0.0 && options_.backoff_factor < 1.0) ||
      options_.growth_interval < 1) {
    throw std::invalid_argument("LossScaler: inconsistent options");
  }
}

void LossScaler::update(bool overflowed) {
  if (!enabled_) return;
  if (overflowed) {
    scale_ = std::max(options_.min_scale, scale_ * options_.backoff_factor);
    clean_steps_ = 0;
    ++skipped_;
    return;
  }
  if (++clean_steps_ >= options_.growth_interval) {
    scale_ *= options_.growth_factor;
    clean_steps_ = 0;
  }
}

}  // namespace tensorpoly::train
