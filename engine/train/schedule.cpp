// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace tensorpoly::train {

double linear_warmup_decay(int64_t step, int64_t total_steps, double warmup_fraction) {
  if (total_steps <= 0) return 1.0;
  const auto warmup =
      static_cast<int64_t>(std::ceil(warmup_fraction * static_cast<double>(total_steps)));
  if (step < warmup) return static_cast<double>(step + 1) / static_cast<double>(warmup);
  const int64_t decay_steps = std::max<int64_t>(1, total_steps - warmup);
  return std::max(0.0, static_cast<double>(total_steps - step) / static_cast<double>(decay_steps));
}

}  // namespace tensorpoly::train
