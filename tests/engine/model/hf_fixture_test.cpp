// Hugging Face model folders as the studio loads them (../shared/fixtures/hf/README.md):
// every case folder of TENSORPOLY_HF_FIXTURES (default: the shared fixtures), read when
// the test runs, goes through the real loading path — config.json for the shape,
// spiece.model for the tokenizer, model.safetensors or the shards of the index for the
// weights — and must reproduce Hugging Face's token ids, pieces, padded batch, encoder
// output, logits, loss, greedy sequences and scores, and decoded texts.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <fstream>
#include <sstream>
#include <tuple>

#include "data/batcher.h"
#include "data/sentencepiece_tokenizer.h"
#include "fixture_util.h"
#include "model/hf_checkpoint.h"
#include "model/t5_model.h"

namespace tensorpoly::model {
namespace {

using testing::json_tensor;

torch::Tensor ids(const nlohmann::json& value) { return json_tensor(value).to(torch::kLong); }

std::filesystem::path hf_fixture_dir() {
  const char* env = std::getenv("TENSORPOLY_HF_FIXTURES");
  if (env != nullptr && *env != '\0') return env;
  return std::filesystem::path(TENSORPOLY_SHARED_DIR) / "fixtures" / "hf";
}

// Every subdirectory of `dir` is a case and must hold case.json; a directory without any
// case (or missing) is a problem, so that an empty fixture set cannot pass.
std::vector<std::filesystem::path> scan_cases(const std::filesystem::path& dir,
                                              std::vector<std::string>& problems) {
  std::vector<std::filesystem::path> cases;
  if (!std::filesystem::is_directory(dir)) {
    problems.push_back(dir.string() + ": not a directory (TENSORPOLY_HF_FIXTURES)");
    return cases;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    if (std::filesystem::is_regular_file(entry.path() / "case.json")) {
      cases.push_back(entry.path());
    } else {
      problems.push_back(entry.path().string() + ": case folder without case.json");
    }
  }
  std::sort(cases.begin(), cases.end());
  if (cases.empty() && problems.empty()) {
    problems.push_back(dir.string() + ": no case folder (each holds case.json beside a model)");
  }
  return cases;
}

std::string row_text(const std::vector<int64_t>& row) {
  std::ostringstream text;
  text << "[";
  for (size_t i = 0; i < row.size(); ++i) text << (i ? ", " : "") << row[i];
  return text.str() + "]";
}

// The tokenizer half of a case: ids, pieces and decoded text of every text, the sentinel
// ids, and the padded batch the batcher builds from the texts and targets.
void compare_tokenizer(const std::filesystem::path& dir, const nlohmann::json& c,
                       std::vector<std::string>& failures) {
  const data::SentencePieceTokenizer tokenizer(dir.string());
  const nlohmann::json& info = c.at("tokenizer");
  if (tokenizer.vocab_size() != info.at("len_tokenizer").get<int64_t>()) {
    failures.push_back("tokenizer size " + std::to_string(tokenizer.vocab_size()) +
                       " != " + info.at("len_tokenizer").dump());
  }
  for (const auto& [name, id] : info.at("sentinel_ids").items()) {
    const int64_t index = std::stoll(name.substr(10));  // "<extra_id_N>"
    if (tokenizer.sentinel_id(index) != id.get<int64_t>()) {
      failures.push_back(name + " has id " + std::to_string(tokenizer.sentinel_id(index)) +
                         ", expected " + id.dump());
    }
  }
  std::vector<std::vector<int64_t>> inputs, targets;
  const std::tuple<const char*, const char*, std::vector<std::vector<int64_t>>*> sides[] = {
      {"text", "texts", &inputs}, {"target", "target_texts", &targets}};
  for (const auto& [which, texts_field, encoded] : sides) {
    const nlohmann::json& texts = c.at(texts_field);
    const nlohmann::json& expected = c.at(std::string(which) + "_ids");
    for (size_t i = 0; i < texts.size(); ++i) {
      std::vector<int64_t> got = tokenizer.encode(texts[i].get<std::string>());
      encoded->push_back(got);
      got.push_back(data::Tokenizer::kEosId);
      const auto want = expected[i].get<std::vector<int64_t>>();
      if (got != want) {
        failures.push_back(std::string(which) + " " + std::to_string(i) + " " + texts[i].dump() +
                           ": ids " + row_text(got) + ", expected " + row_text(want));
      }
    }
  }
  for (size_t i = 0; i < c.at("text_ids").size(); ++i) {
    const auto text_ids = c.at("text_ids")[i].get<std::vector<int64_t>>();
    for (size_t j = 0; j < text_ids.size(); ++j) {
      const std::string piece = c.at("text_pieces")[i][j].get<std::string>();
      if (tokenizer.token(text_ids[j]) != piece) {
        failures.push_back("text " + std::to_string(i) + " id " + std::to_string(text_ids[j]) +
                           " is '" + tokenizer.token(text_ids[j]) + "', expected '" + piece + "'");
      }
    }
    const std::string decoded = tokenizer.decode(text_ids);
    if (decoded != c.at("text_decoded")[i].get<std::string>()) {
      failures.push_back("text " + std::to_string(i) + " decodes to \"" + decoded +
                         "\", expected " + c.at("text_decoded")[i].dump());
    }
  }
  const data::Batch batch = data::collate_token_ids(
      inputs, targets, std::vector<int64_t>(inputs.size(), 0), 1 << 20, 1 << 20);
  const std::pair<const char*, const torch::Tensor*> tensors[] = {
      {"input_ids", &batch.input_ids},
      {"attention_mask", &batch.attention_mask},
      {"labels", &batch.labels},
      {"decoder_input_ids", &batch.decoder_input_ids}};
  for (const auto& [name, tensor] : tensors) {
    if (!torch::equal(*tensor, ids(c.at(name)))) {
      failures.push_back(std::string("batch ") + name + " differs from the case's");
    }
  }
}

// The README's comparison for one case folder; one line per mismatch, empty when the case
// matches (an unreadable case is a mismatch too).
std::vector<std::string> compare_with_case(const std::filesystem::path& dir) {
  std::vector<std::string> failures;
  try {
    nlohmann::json c;
    {
      std::ifstream file(dir / "case.json");
      c = nlohmann::json::parse(file);
    }
    compare_tokenizer(dir, c, failures);
    const double rtol = c.at("tolerance").at("rtol").get<double>();
    const double atol_frac = c.at("tolerance").at("atol_frac").get<double>();
    const auto check = [&](const std::string& what, const torch::Tensor& got,
                           const nlohmann::json& expected) {
      const ::testing::AssertionResult result =
          testing::within_tolerance(what.c_str(), got, json_tensor(expected), rtol, atol_frac);
      if (!result) {
        failures.push_back(result.message());
      } else {
        std::cout << "  " << dir.filename().string() << " " << result.message() << "\n";
      }
    };

    T5Model model = load_hf_model(dir.string());
    torch::NoGradGuard no_grad;
    const torch::Tensor input_ids = ids(c.at("input_ids"));
    const torch::Tensor attention_mask = ids(c.at("attention_mask"));
    const torch::Tensor labels = ids(c.at("labels"));
    const nlohmann::json& expected = c.at("expected");
    check("encoder_last_hidden_state", model->encode(input_ids, attention_mask),
          expected.at("encoder_last_hidden_state"));
    const torch::Tensor logits =
        model->forward(input_ids, attention_mask, ids(c.at("decoder_input_ids")));
    check("logits", logits, expected.at("logits"));
    check("loss", sequence_loss(logits, labels), expected.at("loss"));

    const nlohmann::json& args = c.at("generate_args");
    GreedyOptions options;
    options.max_new_tokens = args.at("max_new_tokens").get<int64_t>();
    options.eos_token_id = args.at("eos_token_id").get<int64_t>();
    options.pad_token_id = args.at("pad_token_id").get<int64_t>();
    options.decoder_start_token_id = args.at("decoder_start_token_id").get<int64_t>();
    options.with_scores = true;
    const GreedyOutput generated = model->greedy_generate(input_ids, attention_mask, options);
    if (!torch::equal(generated.sequences, ids(expected.at("generate").at("sequences")))) {
      std::ostringstream text;
      text << "generate.sequences: got " << generated.sequences;
      failures.push_back(text.str());
    }
    check("generate.scores", generated.scores, expected.at("generate").at("scores"));
    const data::SentencePieceTokenizer tokenizer(dir.string());
    const auto texts = data::decode_rows(tokenizer, generated.sequences.slice(1, 1));
    const auto want = c.at("expected_text").at("generated").get<std::vector<std::string>>();
    for (size_t row = 0; row < want.size(); ++row) {
      if (row >= texts.size() || texts[row] != want[row]) {
        failures.push_back("generated text " + std::to_string(row) + ": \"" +
                           (row < texts.size() ? texts[row] : "") + "\", expected \"" + want[row] +
                           "\"");
      }
    }
  } catch (const std::exception& error) {
    failures.push_back(std::string("cannot run the case: ") + error.what());
  }
  return failures;
}

std::vector<std::string> check_every_case(const std::filesystem::path& dir) {
  std::vector<std::string> failures;
  for (const auto& case_dir : scan_cases(dir, failures)) {
    const std::vector<std::string> mismatches = compare_with_case(case_dir);
    if (mismatches.empty()) continue;
    std::string line = "case " + case_dir.filename().string() + ":";
    for (const std::string& mismatch : mismatches) line += "\n    " + mismatch;
    failures.push_back(line);
  }
  return failures;
}

std::string lines(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += "\n  " + item;
  return text;
}

bool any_contains(const std::vector<std::string>& items, const std::string& part) {
  return std::any_of(items.begin(), items.end(),
                     [&](const std::string& item) { return item.find(part) != std::string::npos; });
}

// ctest lists tests once per build, so only a test that reads TENSORPOLY_HF_FIXTURES when
// it runs covers a directory swapped in later.
TEST(HfFixtures, EveryCaseInTheDirectoryMatches) {
  const std::filesystem::path dir = hf_fixture_dir();
  const std::vector<std::string> failures = check_every_case(dir);
  EXPECT_TRUE(failures.empty()) << dir << ":" << lines(failures);
}

// The checker itself: an empty directory, and copies of a real case with one expected
// token id, logit or decoded text changed, all fail naming the case; the untouched copy
// passes.
TEST(HfFixtures, CheckerFailsOnEmptyAndAlteredCases) {
  const auto empty = testing::fresh_temp_dir("hf_fixtures_empty");
  const auto empty_failures = check_every_case(empty);
  ASSERT_EQ(empty_failures.size(), 1u) << lines(empty_failures);
  EXPECT_NE(empty_failures[0].find("no case folder"), std::string::npos) << empty_failures[0];

  std::vector<std::string> problems;
  const auto real = scan_cases(hf_fixture_dir(), problems);
  ASSERT_FALSE(real.empty()) << lines(problems);
  const auto dir = testing::fresh_temp_dir("hf_fixtures_altered");
  const auto copy_case = [&](const std::string& name, const auto& change) {
    std::filesystem::copy(real.front(), dir / name);
    std::filesystem::permissions(dir / name, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add);
    nlohmann::json data;
    {
      std::ifstream in(dir / name / "case.json");
      data = nlohmann::json::parse(in);
    }
    change(data);
    std::filesystem::remove(dir / name / "case.json");
    std::ofstream(dir / name / "case.json") << data.dump();
  };
  copy_case("a-untouched", [](nlohmann::json&) {});
  copy_case("b-logit", [](nlohmann::json& data) {
    auto& logit = data["expected"]["logits"][0][0][0];
    logit = logit.get<double>() + 0.01;
  });
  copy_case("c-token", [](nlohmann::json& data) {
    auto& token = data["text_ids"][0][1];
    token = token.get<int64_t>() + 1;
  });
  copy_case("d-text", [](nlohmann::json& data) { data["expected_text"]["generated"][0] = "x"; });

  const std::vector<std::string> failures = check_every_case(dir);
  EXPECT_EQ(failures.size(), 3u) << lines(failures);
  EXPECT_FALSE(any_contains(failures, "a-untouched")) << lines(failures);
  EXPECT_TRUE(any_contains(failures, "case b-logit:\n    logits: element 0")) << lines(failures);
  EXPECT_TRUE(any_contains(failures, "case c-token:\n    text 0 ")) << lines(failures);
  EXPECT_TRUE(any_contains(failures, "case d-text:\n    generated text 0")) << lines(failures);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tensorpoly::model
