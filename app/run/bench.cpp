// tensorpoly-run bench: training throughput of one adapter method on random token
// batches; prints exactly one JSON line, for comparing implementations and devices.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <iostream>
#include <nlohmann/json.hpp>

#include "run/command.h"
#include "run/options.h"
#include "tensorpoly/benchmark.h"

namespace tensorpoly::app {
namespace {

// Per-phase medians (ms per step): {"step_ms":…, "forward_ms":{phase:…}, "backward_ms":{…},
// "backward_other_ms":…}.
nlohmann::ordered_json profile_json(const BenchResult& result) {
  nlohmann::ordered_json forward = nlohmann::ordered_json::object();
  nlohmann::ordered_json backward = nlohmann::ordered_json::object();
  for (const PhaseProfile& phase : result.phases) {
    forward[phase.phase] = phase.forward_ms;
    if (phase.phase != "loss" && phase.phase != "optimizer")
      backward[phase.phase] = phase.backward_ms;
  }
  return {{"step_ms", result.profiled_step_ms},
          {"forward_ms", forward},
          {"backward_ms", backward},
          {"backward_other_ms", result.backward_other_ms}};
}

int bench(const std::vector<std::string>& args) {
  const OptionSpec spec{{"preset", "method", "batch", "src-len", "tgt-len", "steps", "warmup",
                         "threads", "device", "precision", "peak-tflops"},
                        {"profile"}};
  const std::vector<std::string> positional = positional_arguments(args, "bench", spec);
  if (!positional.empty()) {
    throw std::invalid_argument("unexpected argument '" + positional.front() +
                                "' (bench takes only options: " + allowed_options(spec) + ")");
  }
  BenchOptions options;
  options.preset = option_value(args, "preset", options.preset);
  options.method = option_value(args, "method", options.method);
  options.batch_size = integer_option(args, {"batch", "a batch size", 1}, options.batch_size);
  options.source_length =
      integer_option(args, {"src-len", "a length in tokens", 1}, options.source_length);
  options.target_length =
      integer_option(args, {"tgt-len", "a length in tokens", 1}, options.target_length);
  options.steps = integer_option(args, {"steps", "a step count", 1}, options.steps);
  options.warmup_steps = integer_option(args, {"warmup", "a step count", 0}, options.warmup_steps);
  options.threads = static_cast<int>(integer_option(args, threads_option(), options.threads));
  options.device = option_value(args, "device", options.device);
  options.precision = option_value(args, "precision", options.precision);
  const std::string peak = option_value(args, "peak-tflops");
  if (!peak.empty()) {
    options.peak_tflops = parse_number("peak-tflops", "the device's peak TFLOP/s", 0, peak);
  }
  options.profile = has_flag(args, "profile");
  const BenchResult result = run_training_benchmark(options);
  // ordered_json keeps the documented field order.
  nlohmann::ordered_json line = {
      {"impl", "libtorch"},
      {"torch", result.torch_version},
      {"preset", options.preset},
      {"method", options.method},
      {"steps_per_s", result.steps_per_s},
      {"tokens_per_s", result.tokens_per_s},
      {"ms_per_step_median", result.ms_per_step_median},
      {"peak_rss_mb", result.peak_rss_mb},
      {"trainable_params", result.trainable_params},
      {"total_params", result.total_params},
      {"precision", options.precision},
      {"device", result.device},
      {"model_tflops_per_step", result.model_flops_per_step / 1e12},
      {"achieved_tflops", result.achieved_tflops},
      {"peak_tflops", result.peak_tflops > 0 ? nlohmann::ordered_json(result.peak_tflops)
                                             : nlohmann::ordered_json()},
      {"peak_source", result.peak_source},
      {"mfu", result.mfu >= 0 ? nlohmann::ordered_json(result.mfu) : nlohmann::ordered_json()}};
  if (options.profile) line["profile"] = profile_json(result);
  std::cout << line.dump() << std::endl;
  return kExitOk;
}

const Registration registration(
    "bench",
    {"training throughput of one method on random batches (one JSON line)",
     "tensorpoly-run bench [--preset t5-mini] [--method tensorpoly-1] [--batch 32]\n"
     "                     [--src-len 32] [--tgt-len 16] [--steps 20] [--warmup 3]\n"
     "                     [--threads 0] [--device auto] [--precision fp32]\n"
     "                     [--peak-tflops X] [--profile]\n"
     "Trains on random token batches (16 tasks, a random task per example), the base frozen\n"
     "except for method none, which fine-tunes the whole base, with the paper's adapter\n"
     "hyper-parameters. Prints exactly one JSON line:\n"
     "  {\"impl\":\"libtorch\",\"torch\":…,\"preset\":…,\"method\":…,\"steps_per_s\":…,\n"
     "   \"tokens_per_s\":…,\"ms_per_step_median\":…,\"peak_rss_mb\":…,\n"
     "   \"trainable_params\":…,\"total_params\":…,\n"
     "   \"precision\":…,\"device\":…,\"model_tflops_per_step\":…,\"achieved_tflops\":…,\n"
     "   \"peak_tflops\":…,\"peak_source\":…,\"mfu\":…}\n"
     "tokens_per_s = steps/s × batch × (src-len + tgt-len).\n"
     "--profile adds \"profile\": the median milliseconds per step of each phase, forward\n"
     "and backward: base (the base model), factor_construction, routing_mix,\n"
     "adapter_products, loss and optimizer, plus backward_other_ms (the autograd engine's\n"
     "own work) and step_ms (the profiled step).\n"
     "--precision fp32 | bf16 | fp16: the forward under autocast (bf16 on CPU or CUDA, fp16 on\n"
     "CUDA). MFU (model FLOPs utilisation) = achieved ÷ peak TFLOP/s, where achieved counts the\n"
     "step's matrix-product FLOPs (training_step_flops in benchmark.h) and the peak is\n"
     "--peak-tflops, else the table entry of the GPU the driver names (H200, H100, A100, L4,\n"
     "...); peak_tflops and mfu are null when neither is known (always on the CPU without the\n"
     "flag).\n"
     "An unknown option or a bad value exits 2 (bad command line).",
     bench});

}  // namespace
}  // namespace tensorpoly::app
