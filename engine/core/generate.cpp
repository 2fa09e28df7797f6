// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/generate.h"

#include <torch/torch.h>

#include <limits>
#include <stdexcept>

#include "adapters/precision.h"
#include "data/batcher.h"
#include "data/sentencepiece_tokenizer.h"
#include "model/hf_checkpoint.h"
#include "tensorpoly/runtime.h"

namespace tensorpoly {

std::vector<std::string> generate_texts(const GenerateOptions& options,
                                        const std::vector<std::string>& texts) {
  if (options.max_new_tokens < 1) {
    throw std::invalid_argument("--max-new-tokens: must be >= 1, got " +
                                std::to_string(options.max_new_tokens));
  }
  if (texts.empty()) return {};
  const adapters::Precision precision = adapters::parse_precision(options.precision);
  configure_threads(options.threads);
  const torch::Device device(resolve_device(options.device));
  adapters::check_precision(precision, device);

  const data::SentencePieceTokenizer tokenizer(options.checkpoint);
  model::T5Model model = model::load_hf_model(options.checkpoint);
  model->to(device);
  std::vector<std::vector<int64_t>> inputs;
  for (const std::string& text : texts) inputs.push_back(tokenizer.encode(text));
  // Targets are not used; the collation needs one per row. No length limit: the texts
  // are the user's, given whole.
  const std::vector<std::vector<int64_t>> targets(inputs.size());
  const data::Batch batch =
      data::collate_token_ids(inputs, targets, std::vector<int64_t>(inputs.size(), 0),
                              std::numeric_limits<int32_t>::max(), 1)
          .to(device);
  torch::NoGradGuard no_grad;
  model::GreedyOptions greedy;
  greedy.max_new_tokens = options.max_new_tokens;
  model::GreedyOutput output;
  {
    const adapters::AutocastScope autocast(device, precision);
    output = model->greedy_generate(batch.input_ids, batch.attention_mask, greedy);
  }
  // The first column is the decoder start token.
  return data::decode_rows(
      tokenizer,
      output.sequences.index({torch::indexing::Slice(), torch::indexing::Slice(1)}).cpu());
}

}  // namespace tensorpoly
