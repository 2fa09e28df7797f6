// Token losses of a batch, kept per example so that the trainer can report each task's
// loss and evaluation can rank answer choices.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

namespace tensorpoly::train {

struct ExampleLosses {
  torch::Tensor sums;    // [B] summed cross-entropy of each row's labelled tokens
  torch::Tensor counts;  // [B] number of labelled tokens (labels != -100)
  // Mean over every labelled token of the batch (HF's loss, what is back-propagated).
  torch::Tensor mean() const { return sums.sum() / counts.sum().clamp_min(1); }
};

// logits [B, T, V], labels [B, T] with -100 on padding.
ExampleLosses example_losses(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace tensorpoly::train
