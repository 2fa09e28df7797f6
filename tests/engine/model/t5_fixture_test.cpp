// The T5 model against Hugging Face's numbers (../shared/fixtures/t5/README.md):
// encoder output, logits, loss, greedy sequences and scores of every case folder.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <fstream>
#include <set>

#include "fixture_util.h"
#include "model/checkpoint.h"
#include "model/relative_position.h"
#include "model/t5_model.h"

namespace tensorpoly::model {
namespace {

using testing::json_tensor;

// Checks within_tolerance and prints how much of the allowance was used.
#define EXPECT_WITHIN(what, got, expected, rtol, atol_frac)                                      \
  do {                                                                                           \
    const ::testing::AssertionResult result =                                                    \
        testing::within_tolerance(what, got, expected, rtol, atol_frac);                         \
    EXPECT_TRUE(result);                                                                         \
    if (result) std::cout << "  " << dir.filename().string() << " " << result.message() << "\n"; \
  } while (false)

struct T5Case {
  std::filesystem::path dir;
  nlohmann::json data;
  ModelPreset preset;
};

T5Case load_case(const std::filesystem::path& dir) {
  T5Case result;
  result.dir = dir;
  std::ifstream file(dir / "case.json");
  result.data = nlohmann::json::parse(file);
  result.preset = preset_from_hf_config((dir / "config.json").string());
  return result;
}

torch::Tensor ids(const nlohmann::json& value) { return json_tensor(value).to(torch::kLong); }

TEST(T5Fixtures, DirectoryHasCases) {
  const auto cases = testing::t5_fixture_cases();
  EXPECT_FALSE(cases.empty()) << "no case folder (with case.json) in " << testing::t5_fixture_dir();
}

TEST(T5Fixtures, MatchesHuggingFaceOutputs) {
  const auto cases = testing::t5_fixture_cases();
  ASSERT_FALSE(cases.empty()) << "no case folder in " << testing::t5_fixture_dir();
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.string());
    const T5Case c = load_case(dir);
    const double rtol = c.data["tolerance"]["rtol"].get<double>();
    const double atol_frac = c.data["tolerance"]["atol_frac"].get<double>();

    T5Model model(c.preset);
    load_safetensors(*model, (dir / "model.safetensors").string());
    model->eval();
    torch::NoGradGuard no_grad;

    const torch::Tensor input_ids = ids(c.data["input_ids"]);
    const torch::Tensor attention_mask = ids(c.data["attention_mask"]);
    const torch::Tensor labels = ids(c.data["labels"]);
    const torch::Tensor decoder_input_ids = ids(c.data["decoder_input_ids"]);
    const nlohmann::json& expected = c.data["expected"];

    EXPECT_TRUE(torch::equal(shift_right(labels), decoder_input_ids));

    const torch::Tensor encoder_hidden = model->encode(input_ids, attention_mask);
    EXPECT_WITHIN("encoder_last_hidden_state", encoder_hidden,
                  json_tensor(expected["encoder_last_hidden_state"]), rtol, atol_frac);
    const torch::Tensor logits = model->forward(input_ids, attention_mask, decoder_input_ids);
    EXPECT_WITHIN("logits", logits, json_tensor(expected["logits"]), rtol, atol_frac);
    EXPECT_WITHIN("loss", sequence_loss(logits, labels), json_tensor(expected["loss"]), rtol,
                  atol_frac);

    const int64_t max_new_tokens = c.data["generate_args"]["max_new_tokens"].get<int64_t>();
    for (const bool use_cache : {true, false}) {
      SCOPED_TRACE(use_cache ? "with key/value cache" : "full recompute");
      GreedyOptions options;
      options.max_new_tokens = max_new_tokens;
      options.eos_token_id = c.data["generate_args"]["eos_token_id"].get<int64_t>();
      options.pad_token_id = c.data["generate_args"]["pad_token_id"].get<int64_t>();
      options.decoder_start_token_id =
          c.data["generate_args"]["decoder_start_token_id"].get<int64_t>();
      options.with_scores = true;
      options.use_cache = use_cache;
      const GreedyOutput generated = model->greedy_generate(input_ids, attention_mask, options);
      const torch::Tensor expected_sequences = ids(expected["generate"]["sequences"]);
      EXPECT_TRUE(torch::equal(generated.sequences, expected_sequences))
          << "got " << generated.sequences << "\nexpected " << expected_sequences;
      EXPECT_WITHIN("generate.scores", generated.scores,
                    json_tensor(expected["generate"]["scores"]), rtol, atol_frac);
    }
  }
}

TEST(T5Fixtures, ParameterNamesAreHuggingFaces) {
  const auto cases = testing::t5_fixture_cases();
  ASSERT_FALSE(cases.empty());
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.string());
    const T5Case c = load_case(dir);
    std::set<std::string> expected;
    for (const auto& name : c.data["weights"]["names"]) expected.insert(name.get<std::string>());
    std::set<std::string> got;
    for (const auto& item : T5Model(c.preset)->named_parameters()) got.insert(item.key());
    EXPECT_EQ(got, expected);
  }
}

TEST(T5Fixtures, RelativePositionBucketsMatch) {
  const auto cases = testing::t5_fixture_cases();
  ASSERT_FALSE(cases.empty());
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.string());
    const T5Case c = load_case(dir);
    const nlohmann::json& buckets = c.data["relative_position_buckets"];
    const torch::Tensor relative = ids(buckets["relative_position"]);
    for (const bool bidirectional : {true, false}) {
      const torch::Tensor expected =
          ids(buckets[bidirectional ? "bidirectional" : "unidirectional"]);
      const torch::Tensor got = relative_position_bucket(relative, bidirectional, 32, 128);
      EXPECT_TRUE(torch::equal(got, expected))
          << (bidirectional ? "bidirectional" : "unidirectional") << " buckets differ";
    }
    // The last bucket of a direction starts at distance 91 (encoder) / 113 (decoder).
    const auto bucket = [](int64_t rel, bool bidirectional) {
      return relative_position_bucket(torch::tensor({rel}), bidirectional, 32, 128).item<int64_t>();
    };
    EXPECT_EQ(bucket(90, true), 30);
    EXPECT_EQ(bucket(91, true), 31);
    EXPECT_EQ(bucket(-91, true), 15);
    EXPECT_EQ(bucket(-112, false), 30);
    EXPECT_EQ(bucket(-113, false), 31);
    EXPECT_EQ(bucket(5, false), 0);
  }
}

}  // namespace
}  // namespace tensorpoly::model
