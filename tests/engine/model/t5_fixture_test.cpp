// The T5 model against Hugging Face's numbers (../shared/fixtures/t5/README.md):
// encoder output, logits, loss, greedy sequences and scores of every case folder of
// TENSORPOLY_T5_FIXTURES, read when the test runs.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "fixture_util.h"
#include "model/checkpoint.h"
#include "model/relative_position.h"
#include "model/t5_model.h"

namespace tensorpoly::model {
namespace {

using testing::json_tensor;

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

// The README's comparison for one case folder: encoder output, logits, loss, and greedy
// sequences and scores (with and without the key/value cache) against `expected`.
// Returns one line per mismatch ("logits: element 7 got ..."), empty when the case
// matches; an unreadable case is a mismatch too. Prints how much of the allowed error
// each tensor used.
std::vector<std::string> compare_with_case(const std::filesystem::path& dir) {
  std::vector<std::string> failures;
  try {
    const T5Case c = load_case(dir);
    const double rtol = c.data.at("tolerance").at("rtol").get<double>();
    const double atol_frac = c.data.at("tolerance").at("atol_frac").get<double>();
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

    T5Model model(c.preset);
    load_safetensors(*model, (dir / "model.safetensors").string());
    model->eval();
    torch::NoGradGuard no_grad;

    const torch::Tensor input_ids = ids(c.data.at("input_ids"));
    const torch::Tensor attention_mask = ids(c.data.at("attention_mask"));
    const torch::Tensor labels = ids(c.data.at("labels"));
    const torch::Tensor decoder_input_ids = ids(c.data.at("decoder_input_ids"));
    const nlohmann::json& expected = c.data.at("expected");

    if (!torch::equal(shift_right(labels), decoder_input_ids)) {
      failures.push_back("decoder_input_ids are not labels shifted right");
    }
    check("encoder_last_hidden_state", model->encode(input_ids, attention_mask),
          expected.at("encoder_last_hidden_state"));
    const torch::Tensor logits = model->forward(input_ids, attention_mask, decoder_input_ids);
    check("logits", logits, expected.at("logits"));
    check("loss", sequence_loss(logits, labels), expected.at("loss"));

    const nlohmann::json& generate_args = c.data.at("generate_args");
    for (const bool use_cache : {true, false}) {
      const std::string mode = use_cache ? " (key/value cache)" : " (full recompute)";
      GreedyOptions options;
      options.max_new_tokens = generate_args.at("max_new_tokens").get<int64_t>();
      options.eos_token_id = generate_args.at("eos_token_id").get<int64_t>();
      options.pad_token_id = generate_args.at("pad_token_id").get<int64_t>();
      options.decoder_start_token_id = generate_args.at("decoder_start_token_id").get<int64_t>();
      options.with_scores = true;
      options.use_cache = use_cache;
      const GreedyOutput generated = model->greedy_generate(input_ids, attention_mask, options);
      const torch::Tensor expected_sequences = ids(expected.at("generate").at("sequences"));
      if (!torch::equal(generated.sequences, expected_sequences)) {
        std::ostringstream text;
        text << "generate.sequences" << mode << ": got " << generated.sequences << "\nexpected "
             << expected_sequences;
        failures.push_back(text.str());
      }
      check("generate.scores" + mode, generated.scores, expected.at("generate").at("scores"));
    }
  } catch (const std::exception& error) {
    failures.push_back(std::string("cannot run the case: ") + error.what());
  }
  return failures;
}

// Every case folder of `dir` (read now, not when the tests were listed) through
// compare_with_case; one line per failing case, naming it. A folder that is not a
// complete case, or no case at all, fails too.
std::vector<std::string> check_every_case(const std::filesystem::path& dir) {
  const testing::T5FixtureScan scan = testing::scan_t5_fixtures(dir);
  std::vector<std::string> failures = scan.problems;
  for (const auto& case_dir : scan.cases) {
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

TEST(T5Fixtures, DirectoryHasCases) {
  const testing::T5FixtureScan scan = testing::scan_t5_fixtures(testing::t5_fixture_dir());
  EXPECT_TRUE(scan.problems.empty()) << lines(scan.problems);
  EXPECT_FALSE(scan.cases.empty()) << "no case folder in " << testing::t5_fixture_dir();
}

// ctest lists tests once per build, so only a test that reads TENSORPOLY_T5_FIXTURES when
// it runs covers a directory swapped in later.
TEST(T5Fixtures, EveryCaseInTheDirectoryMatches) {
  const std::filesystem::path dir = testing::t5_fixture_dir();
  const std::vector<std::string> failures = check_every_case(dir);
  EXPECT_TRUE(failures.empty()) << dir << ":" << lines(failures);
}

// The checker itself: an empty directory, an incomplete folder, and copies of a real case
// with one expected number or token changed all fail, naming the case; the untouched copy
// passes.
TEST(T5Fixtures, CheckerFailsOnEmptyIncompleteAndAlteredCases) {
  const auto empty = testing::fresh_temp_dir("t5_fixtures_empty");
  const auto empty_failures = check_every_case(empty);
  ASSERT_EQ(empty_failures.size(), 1u) << lines(empty_failures);
  EXPECT_NE(empty_failures[0].find("no case folder"), std::string::npos) << empty_failures[0];

  const auto real = testing::scan_t5_fixtures(testing::t5_fixture_dir());
  ASSERT_FALSE(real.cases.empty()) << lines(real.problems);
  const std::filesystem::path source = real.cases.front();
  const auto dir = testing::fresh_temp_dir("t5_fixtures_altered");
  const auto copy_case = [&](const std::string& name) {
    std::filesystem::create_directories(dir / name);
    for (const std::string& file : testing::t5_case_files()) {
      std::filesystem::copy_file(source / file, dir / name / file);
    }
    return dir / name;
  };
  const auto rewrite_case = [&](const std::filesystem::path& case_dir, const auto& change) {
    nlohmann::json data;
    {
      std::ifstream in(case_dir / "case.json");
      data = nlohmann::json::parse(in);
    }
    change(data);
    std::ofstream(case_dir / "case.json", std::ios::trunc) << data.dump();
  };
  copy_case("a-untouched");
  // Far beyond the tolerance (1e-4 relative) of a logit of order one.
  rewrite_case(copy_case("b-logit"), [](nlohmann::json& data) {
    auto& logit = data["expected"]["logits"][0][0][0];
    logit = logit.get<double>() + 0.01;
  });
  rewrite_case(copy_case("c-token"), [](nlohmann::json& data) {
    auto& token = data["expected"]["generate"]["sequences"][0][1];
    token = token.get<int64_t>() + 1;
  });
  std::filesystem::remove(copy_case("d-incomplete") / "config.json");

  const std::vector<std::string> failures = check_every_case(dir);
  EXPECT_EQ(failures.size(), 3u) << lines(failures);
  EXPECT_FALSE(any_contains(failures, "a-untouched")) << lines(failures);
  EXPECT_TRUE(any_contains(failures, "case b-logit:\n    logits: element 0")) << lines(failures);
  EXPECT_TRUE(any_contains(failures, "case c-token:\n    generate.sequences")) << lines(failures);
  EXPECT_TRUE(any_contains(failures, "d-incomplete: case folder without config.json"))
      << lines(failures);
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
