// Learning-rate schedule: linear warm-up over a share of the steps, then linear decay
// to zero at the last step (the reference's get_linear_schedule_with_warmup, except that
// the first step already trains: factor (s+1)/warm-up instead of s/warm-up).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

namespace tensorpoly::train {

// Multiplier of the base learning rates for 0-based step `step` of `total_steps`.
double linear_warmup_decay(int64_t step, int64_t total_steps, double warmup_fraction);

}  // namespace tensorpoly::train
