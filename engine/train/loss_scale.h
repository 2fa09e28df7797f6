// Dynamic loss scaling for fp16 training (torch.cuda.amp.GradScaler's rule): float16's
// range is narrow, so small gradients underflow to zero unless the loss is multiplied
// by a large factor before the backward pass. The gradients are divided by the same
// factor before clipping and the optimiser step; a step whose gradients overflowed is
// skipped and the factor halved; after `growth_interval` clean steps it doubles.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

namespace tensorpoly::train {

class LossScaler {
 public:
  struct Options {
    double initial_scale = 65536.0;  // 2^16, GradScaler's default
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    int64_t growth_interval = 2000;
    double min_scale = 1.0;  // never below: a scale under 1 would only lose precision
  };

  // Disabled: scale() is 1 and update() does nothing (fp32 and bf16).
  explicit LossScaler(bool enabled) : LossScaler(enabled, Options{}) {}
  LossScaler(bool enabled, Options options);

  bool enabled() const { return enabled_; }
  double scale() const { return enabled_ ? scale_ : 1.0; }
  // After a step's unscaled gradients were checked: `overflowed` when any was not
  // finite (the step is then skipped by the caller).
  void update(bool overflowed);
  int64_t skipped_steps() const { return skipped_; }

 private:
  bool enabled_;
  Options options_;
  double scale_;
  int64_t clean_steps_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace tensorpoly::train
