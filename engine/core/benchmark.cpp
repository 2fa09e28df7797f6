// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/benchmark.h"

#include <sys/resource.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>

#include "adapters/inject.h"
#include "model/t5_model.h"
#include "tensorpoly/config.h"
#include "tensorpoly/runtime.h"
#include "train/losses.h"
#include "train/optim_groups.h"

namespace tensorpoly {

BenchResult run_training_benchmark(const BenchOptions& options) {
  const std::pair<const char*, int64_t> sizes[] = {{"--batch", options.batch_size},
                                                   {"--src-len", options.source_length},
                                                   {"--tgt-len", options.target_length},
                                                   {"--steps", options.steps},
                                                   {"--tasks", options.n_tasks}};
  for (const auto& [name, value] : sizes) {
    if (value < 1) {
      throw std::invalid_argument(std::string(name) + ": must be >= 1, got " +
                                  std::to_string(value));
    }
  }
  if (options.warmup_steps < 0) throw std::invalid_argument("--warmup: must be >= 0");
  const ModelPreset& preset = model_preset(options.preset);
  AdapterConfig adapter = paper_adapter_config(options.method);
  adapter.n_tasks = options.n_tasks;
  configure_threads(options.threads);
  const torch::Device device(resolve_device(options.device));

  torch::manual_seed(options.seed);
  model::T5Model model(preset);
  std::set<std::string> base_names;
  for (const auto& item : model->named_parameters()) base_names.insert(item.key());
  adapters::inject_adapters(*model, adapter, model->task_context());
  adapters::train_only_adapters(*model);
  if (options.method == "none") {
    for (auto& parameter : model->parameters()) parameter.set_requires_grad(true);
  }
  model->to(device);
  model->train();
  train::GroupRates rates;
  rates.base_learning_rate = 1e-4;
  const auto groups = train::make_parameter_groups(*model, base_names, rates);
  const auto optimizer = train::make_optimizer(groups);

  BenchResult result;
  result.torch_version = TORCH_VERSION;
  result.device = device.str();
  for (const auto& parameter : model->parameters()) {
    result.total_params += parameter.numel();
    if (parameter.requires_grad()) result.trainable_params += parameter.numel();
  }

  // Random tokens above the special ids; every row full length, so tokens/s is exact.
  const int64_t vocab = preset.vocab;
  auto generator_options = torch::TensorOptions().dtype(torch::kLong);
  std::vector<double> step_ms;
  const int64_t total = options.warmup_steps + options.steps;
  double measured_s = 0;
  for (int64_t step = 0; step < total; ++step) {
    const auto input_ids =
        torch::randint(3, vocab, {options.batch_size, options.source_length}, generator_options)
            .to(device);
    const auto labels =
        torch::randint(3, vocab, {options.batch_size, options.target_length}, generator_options)
            .to(device);
    const auto task_ids =
        torch::randint(0, options.n_tasks, {options.batch_size}, generator_options).to(device);
    const auto attention_mask = torch::ones_like(input_ids);
    const auto start = std::chrono::steady_clock::now();
    const auto decoder_input_ids = model::shift_right(labels);
    model->set_task_ids(task_ids);
    const auto loss =
        train::example_losses(model->forward(input_ids, attention_mask, decoder_input_ids), labels)
            .mean();
    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
    (void)loss.item<double>();  // waits for the device
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (step >= options.warmup_steps) {
      step_ms.push_back(seconds * 1000.0);
      measured_s += seconds;
    }
  }
  std::sort(step_ms.begin(), step_ms.end());
  const size_t n = step_ms.size();
  result.ms_per_step_median = n % 2 ? step_ms[n / 2] : (step_ms[n / 2 - 1] + step_ms[n / 2]) / 2;
  result.steps_per_s = static_cast<double>(options.steps) / measured_s;
  result.tokens_per_s = result.steps_per_s * static_cast<double>(options.batch_size) *
                        static_cast<double>(options.source_length + options.target_length);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  result.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // kB on Linux
  return result;
}

}  // namespace tensorpoly
