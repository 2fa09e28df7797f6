// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/benchmark.h"

#include <sys/resource.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>

#include "adapters/inject.h"
#include "adapters/phase_profile.h"
#include "adapters/precision.h"
#include "model/t5_model.h"
#include "tensorpoly/config.h"
#include "tensorpoly/runtime.h"
#include "train/losses.h"
#include "train/optim_groups.h"

namespace tensorpoly {
namespace {

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Per-phase medians over the measured steps.
void summarise_profiles(const std::vector<adapters::PhaseTimes>& profiles, BenchResult& result) {
  auto median_of = [&](auto field) {
    std::vector<double> values;
    values.reserve(profiles.size());
    for (const auto& times : profiles) values.push_back(field(times));
    return median(values);
  };
  for (int index = 0; index < adapters::kPhaseCount; ++index) {
    const auto phase = static_cast<size_t>(index);
    PhaseProfile profile;
    profile.phase = adapters::phase_name(static_cast<adapters::Phase>(index));
    profile.forward_ms =
        median_of([&](const adapters::PhaseTimes& t) { return t.forward_ms[phase]; });
    profile.backward_ms =
        median_of([&](const adapters::PhaseTimes& t) { return t.backward_ms[phase]; });
    result.phases.push_back(profile);
  }
  result.backward_other_ms =
      median_of([](const adapters::PhaseTimes& t) { return t.backward_other_ms; });
  result.profiled_step_ms = median_of([](const adapters::PhaseTimes& t) { return t.total_ms; });
}

// The name of the first NVIDIA GPU as the driver reports it ("NVIDIA H200"), read from
// /proc so that a CPU-only LibTorch build needs no CUDA headers; "" when there is none.
std::string nvidia_gpu_name() {
  std::error_code error;
  const std::filesystem::path root = "/proc/driver/nvidia/gpus";
  if (!std::filesystem::is_directory(root, error)) return {};
  std::vector<std::filesystem::path> gpus;
  for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
    gpus.push_back(entry.path());
  }
  std::sort(gpus.begin(), gpus.end());
  for (const auto& gpu : gpus) {
    std::ifstream in(gpu / "information");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Model:", 0) != 0) continue;
      const size_t start = line.find_first_not_of(" \t", 6);
      return start == std::string::npos ? std::string() : line.substr(start);
    }
  }
  return {};
}

void fill_utilisation(const BenchOptions& options, const ModelPreset& preset,
                      const torch::Device& device, BenchResult& result) {
  result.model_flops_per_step =
      training_step_flops(preset, options.batch_size, options.source_length, options.target_length,
                          options.method == "none");
  result.achieved_tflops = result.model_flops_per_step * result.steps_per_s / 1e12;
  if (options.peak_tflops > 0) {
    result.peak_tflops = options.peak_tflops;
    result.peak_source = "--peak-tflops";
  } else if (device.is_cuda()) {
    const std::string name = nvidia_gpu_name();
    result.peak_tflops = gpu_peak_tflops(name, options.precision);
    if (result.peak_tflops > 0) result.peak_source = name;
  }
  if (result.peak_tflops > 0) result.mfu = result.achieved_tflops / result.peak_tflops;
}

}  // namespace

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
  if (options.peak_tflops < 0) throw std::invalid_argument("--peak-tflops: must be >= 0");
  adapters::Precision precision;
  try {
    precision = adapters::parse_precision(options.precision);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(std::string("--precision: ") + error.what());
  }
  const ModelPreset& preset = model_preset(options.preset);
  AdapterConfig adapter = paper_adapter_config(options.method);
  adapter.n_tasks = options.n_tasks;
  configure_threads(options.threads);
  const torch::Device device(resolve_device(options.device));
  adapters::check_precision(precision, device);

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
  std::vector<adapters::PhaseTimes> profiles;
  std::optional<adapters::StepProfiler> profiler;
  if (options.profile) profiler.emplace();
  const int64_t total = options.warmup_steps + options.steps;
  double measured_s = 0;
  for (int64_t step = 0; step < total; ++step) {
    const auto input_ids =
        torch::randint(3, vocab, {options.batch_size, options.source_length}, generator_options)
            .to(device);
    const auto labels =
        torch::randint(3, vocab, {options.batch_size, options.target_length}, generator_options)
            .to(device);
    // Task ids stay on the host: the model groups them there (task_context.h).
    const auto task_ids =
        torch::randint(0, options.n_tasks, {options.batch_size}, generator_options);
    const auto attention_mask = torch::ones_like(input_ids);
    const auto start = std::chrono::steady_clock::now();
    if (profiler) profiler->begin_step();
    const auto decoder_input_ids = model::shift_right(labels);
    model->set_task_ids(task_ids);
    torch::Tensor logits;
    {
      const adapters::AutocastScope autocast(device, precision);
      logits = model->forward(input_ids, attention_mask, decoder_input_ids);
    }
    torch::Tensor loss;
    {
      const adapters::PhaseScope phase(adapters::Phase::kLoss);
      loss = train::example_losses(logits.to(torch::kFloat32), labels).mean();
    }
    {
      const adapters::PhaseScope phase(adapters::Phase::kOptimizer);
      optimizer->zero_grad();
    }
    if (profiler) {
      profiler->backward(loss);
    } else {
      loss.backward();
    }
    {
      const adapters::PhaseScope phase(adapters::Phase::kOptimizer);
      optimizer->step();
      (void)loss.item<double>();  // waits for the device
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto times = profiler ? profiler->end_step() : adapters::PhaseTimes{};
    if (step >= options.warmup_steps) {
      step_ms.push_back(seconds * 1000.0);
      measured_s += seconds;
      if (profiler) profiles.push_back(times);
    }
  }
  if (profiler) summarise_profiles(profiles, result);
  result.ms_per_step_median = median(step_ms);
  result.steps_per_s = static_cast<double>(options.steps) / measured_s;
  result.tokens_per_s = result.steps_per_s * static_cast<double>(options.batch_size) *
                        static_cast<double>(options.source_length + options.target_length);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  result.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // kB on Linux
  fill_utilisation(options, preset, device, result);
  return result;
}

}  // namespace tensorpoly
