// The model-FLOPs side of tensorpoly-run bench: a step's FLOPs from the shapes, and the
// peaks of known GPUs, from which MFU is reported.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "tensorpoly/benchmark.h"

namespace tensorpoly {
namespace {

TEST(BenchmarkFlops, CountsEveryMatrixProductOfAStep) {
  ModelPreset p;
  p.vocab = 10;
  p.d_model = 4;
  p.d_ff = 6;
  p.n_heads = 2;
  p.d_kv = 3;  // inner 6
  p.n_encoder_layers = 1;
  p.n_decoder_layers = 1;
  p.feed_forward_proj = "relu";
  // Per example, source 5 and target 2 tokens, in multiply-adds:
  //   encoder: 5·(4·4·6 + 2·4·6) + 2·25·6 = 5·144 + 300 = 1020
  //   decoder: 2·144 + 2·2·4·6 + 5·2·4·6 + 2·4·6 + 2·10·6 = 288 + 96 + 240 + 48 + 120 = 792
  //   head:    2·4·10 = 80
  const double forward = 2.0 * 3 * (1020 + 792 + 80);  // batch 3, 2 FLOPs per multiply-add
  EXPECT_DOUBLE_EQ(training_step_flops(p, 3, 5, 2, false), 2 * forward);
  EXPECT_DOUBLE_EQ(training_step_flops(p, 3, 5, 2, true), 3 * forward);
  p.feed_forward_proj = "gated-gelu";  // one more d_model × d_ff matrix per block
  EXPECT_DOUBLE_EQ(training_step_flops(p, 3, 5, 2, false) - 2 * forward,
                   2 * 2.0 * 3 * (5 + 2) * 4 * 6);
}

TEST(BenchmarkFlops, KnowsThePeaksOfCommonGpus) {
  EXPECT_DOUBLE_EQ(gpu_peak_tflops("NVIDIA H200", "bf16"), 989.0);
  EXPECT_DOUBLE_EQ(gpu_peak_tflops("NVIDIA H200", "fp32"), 67.0);
  EXPECT_DOUBLE_EQ(gpu_peak_tflops("NVIDIA A100-SXM4-80GB", "fp16"), 312.0);
  EXPECT_DOUBLE_EQ(gpu_peak_tflops("NVIDIA L40S", "bf16"), 362.0);
  EXPECT_DOUBLE_EQ(gpu_peak_tflops("Tesla V100-SXM2-16GB", "bf16"), 0.0);  // no bf16 cores
  EXPECT_DOUBLE_EQ(gpu_peak_tflops("Some Future GPU", "bf16"), 0.0);
}

}  // namespace
}  // namespace tensorpoly
