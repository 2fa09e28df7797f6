// tensorpoly-run generate: greedy outputs of a Hugging Face T5 model folder for the
// texts given, one JSON line per text — the quickest check that a checkpoint loaded right.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/generate.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "run/command.h"
#include "run/options.h"

namespace tensorpoly::app {
namespace {

int generate(const std::vector<std::string>& args) {
  const OptionSpec spec{{"checkpoint", "max-new-tokens", "device", "precision", "threads"}, {}};
  const std::vector<std::string> texts = positional_arguments(args, "generate", spec);
  GenerateOptions options;
  options.checkpoint = option_value(args, "checkpoint");
  if (options.checkpoint.empty()) {
    throw std::invalid_argument("generate needs --checkpoint DIR (a Hugging Face T5 model folder)");
  }
  if (texts.empty()) throw std::invalid_argument("generate needs at least one TEXT");
  options.max_new_tokens =
      integer_option(args, {"max-new-tokens", "a token count", 1, 1 << 20}, options.max_new_tokens);
  options.device = option_value(args, "device", options.device);
  options.precision = option_value(args, "precision", options.precision);
  options.threads = static_cast<int>(integer_option(args, threads_option(), options.threads));
  const std::vector<std::string> outputs = generate_texts(options, texts);
  for (size_t i = 0; i < texts.size(); ++i) {
    const nlohmann::ordered_json line = {{"input", texts[i]}, {"output", outputs[i]}};
    std::cout << line.dump() << "\n";
  }
  std::cout.flush();
  return kExitOk;
}

const Registration registration(
    "generate",
    {"greedy outputs of a Hugging Face T5 model folder (one JSON line per text)",
     "tensorpoly-run generate --checkpoint DIR [--max-new-tokens 32] [--device auto]\n"
     "                        [--precision fp32] [--threads 0] TEXT...\n"
     "Loads the model folder (config.json, spiece.model, model.safetensors or the shards of\n"
     "model.safetensors.index.json), tokenises every TEXT with its SentencePiece tokenizer,\n"
     "decodes greedily (Hugging Face's generate with num_beams=1) and prints per text\n"
     "  {\"input\":TEXT,\"output\":the generated text, special tokens skipped}\n"
     "A bad folder or option exits 2 (bad input).",
     generate});

}  // namespace
}  // namespace tensorpoly::app
