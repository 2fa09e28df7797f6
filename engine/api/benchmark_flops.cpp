// The model-FLOPs side of tensorpoly-run bench (benchmark.h): a step's matrix-product
// FLOPs from the shapes, and the peak of known GPUs, so that MFU can be reported.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cctype>

#include "tensorpoly/benchmark.h"

namespace tensorpoly {

double training_step_flops(const ModelPreset& preset, int64_t batch, int64_t source_length,
                           int64_t target_length, bool base_trains) {
  const auto d = static_cast<double>(preset.d_model);
  const auto inner = static_cast<double>(preset.inner_dim());
  const auto d_ff = static_cast<double>(preset.d_ff);
  const double ff_matrices = preset.gated_feed_forward() ? 3.0 : 2.0;
  const auto s = static_cast<double>(source_length);
  const auto t = static_cast<double>(target_length);
  const auto n_enc = static_cast<double>(preset.n_encoder_layers);
  const auto n_dec = static_cast<double>(preset.n_decoder_layers);
  // Multiply-adds per example.
  const double encoder = n_enc * (s * (4 * d * inner + ff_matrices * d * d_ff)  // projections
                                  + 2 * s * s * inner);                         // scores, mix
  const double decoder =
      n_dec * (t * (4 * d * inner + ff_matrices * d * d_ff)  // self-attention, feed-forward
               + t * 2 * d * inner + s * 2 * d * inner       // cross q, o; cross k, v
               + 2 * t * t * inner + 2 * t * s * inner);     // self and cross scores, mix
  const double head = t * d * static_cast<double>(preset.vocab);
  const double forward = 2.0 * static_cast<double>(batch) * (encoder + decoder + head);
  return forward * (base_trains ? 3.0 : 2.0);
}

double gpu_peak_tflops(const std::string& gpu_name, const std::string& precision) {
  struct Peak {
    const char* name;  // matched as a substring, first match wins (longer names first)
    double fp32;
    double half;  // bf16 and fp16, dense, tensor cores
  };
  // Vendor data sheets, dense (no sparsity), SXM where the part exists in several forms.
  static const Peak peaks[] = {
      {"H200", 67.0, 989.0},    {"H100 PCIE", 51.0, 756.0}, {"H100", 67.0, 989.0},
      {"GH200", 67.0, 989.0},   {"A100", 19.5, 312.0},      {"A800", 19.5, 312.0},
      {"L40S", 91.6, 362.0},    {"L40", 90.5, 181.0},       {"L4", 30.3, 121.0},
      {"A10G", 31.2, 70.0},     {"A10", 31.2, 125.0},       {"RTX 4090", 82.6, 165.2},
      {"RTX 3090", 35.6, 71.0}, {"V100", 15.7, 125.0},      {"T4", 8.1, 65.0},
  };
  std::string upper = gpu_name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const Peak& peak : peaks) {
    if (upper.find(peak.name) == std::string::npos) continue;
    if (precision == "fp32") return peak.fp32;
    // V100 and T4 have no bfloat16 tensor cores.
    if (precision == "bf16" &&
        (upper.find("V100") != std::string::npos || upper.find("T4") != std::string::npos)) {
      return 0.0;
    }
    return peak.half;
  }
  return 0.0;
}

}  // namespace tensorpoly
