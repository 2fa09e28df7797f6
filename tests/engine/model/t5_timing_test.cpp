// Timing of one t5-mini training step's forward + backward (not a correctness
// test; disabled by default). Run with:
//   test_engine_model --gtest_also_run_disabled_tests --gtest_filter='T5Timing.*'
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>

#include "model/t5_model.h"

namespace tensorpoly::model {
namespace {

TEST(T5Timing, DISABLED_MiniForwardBackwardBatch32x64To32) {
  torch::manual_seed(0);
  const ModelPreset& preset = model_preset("t5-mini");
  T5Model model(preset);
  model->train();
  const int64_t batch = 32, source_length = 64, target_length = 32;
  const torch::Tensor input_ids = torch::randint(2, preset.vocab, {batch, source_length});
  torch::Tensor attention_mask = torch::ones({batch, source_length}, torch::kLong);
  attention_mask.slice(0, 0, batch / 2).slice(1, source_length * 3 / 4).zero_();  // some padding
  const torch::Tensor labels = torch::randint(2, preset.vocab, {batch, target_length});
  const torch::Tensor decoder_input_ids = shift_right(labels);

  std::vector<double> milliseconds;
  std::vector<double> cpu_milliseconds;  // process CPU time: less sensitive to a busy machine
  for (int iteration = 0; iteration < 12; ++iteration) {
    model->zero_grad();
    const std::clock_t cpu_start = std::clock();
    const auto start = std::chrono::steady_clock::now();
    const torch::Tensor loss =
        sequence_loss(model->forward(input_ids, attention_mask, decoder_input_ids), labels);
    loss.backward();
    const auto stop = std::chrono::steady_clock::now();
    const std::clock_t cpu_stop = std::clock();
    if (iteration >= 2) {  // the first two warm up allocators and thread pools
      milliseconds.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
      cpu_milliseconds.push_back(1000.0 * static_cast<double>(cpu_stop - cpu_start) /
                                 CLOCKS_PER_SEC);
    }
  }
  std::sort(milliseconds.begin(), milliseconds.end());
  std::sort(cpu_milliseconds.begin(), cpu_milliseconds.end());
  std::cout << "t5-mini forward+backward, batch " << batch << " x " << source_length << " -> "
            << target_length << ", " << torch::get_num_threads() << " intra-op threads: median "
            << milliseconds[milliseconds.size() / 2] << " ms, min " << milliseconds.front()
            << " ms, max " << milliseconds.back() << " ms over " << milliseconds.size()
            << " steps; process CPU time median " << cpu_milliseconds[cpu_milliseconds.size() / 2]
            << " ms\n";
}

}  // namespace
}  // namespace tensorpoly::model
