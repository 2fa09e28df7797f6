// The safetensors reader: round trip, and a clear error naming the file and the
// tensor for every malformed file (generated here in a temp dir).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/safetensors.h"

#include <fstream>

#include "fixture_util.h"
#include "model/checkpoint.h"

namespace tensorpoly::model {
namespace {

// A file with the given header JSON (padded to 8) and `data_bytes` data bytes.
std::string write_raw(const std::filesystem::path& path, const std::string& header,
                      size_t data_bytes, std::optional<uint64_t> header_length = std::nullopt) {
  std::string text = header;
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t length = header_length.value_or(text.size());
  std::ofstream file(path, std::ios::binary);
  for (int i = 0; i < 8; ++i) {
    file.put(static_cast<char>(length & 0xff));
    length >>= 8;
  }
  file << text;
  for (size_t i = 0; i < data_bytes; ++i) file.put(static_cast<char>(i));
  return path.string();
}

// Expects read_safetensors(path) to throw a message containing every fragment.
void expect_error(const std::string& path, const std::vector<std::string>& fragments) {
  try {
    read_safetensors(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    for (const std::string& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "'" << fragment << "' not in: " << message;
    }
  }
}

TEST(Safetensors, RoundTripKeepsNamesShapesDtypesAndValues) {
  const auto dir = testing::fresh_temp_dir("safetensors_round_trip");
  const std::map<std::string, torch::Tensor> tensors = {
      {"a.weight", torch::randn({3, 5})},
      {"b", torch::arange(7, torch::kLong)},
      {"c.half", torch::randn({2, 2}).to(torch::kFloat16)},
      {"d.empty", torch::zeros({0, 4})},
      {"e.double", torch::randn({4}, torch::kFloat64)},
  };
  const std::string path = (dir / "round.safetensors").string();
  write_safetensors(path, tensors);
  const auto read = read_safetensors(path);
  ASSERT_EQ(read.size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    ASSERT_EQ(read.count(name), 1u) << name;
    EXPECT_EQ(read.at(name).scalar_type(), tensor.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(read.at(name), tensor)) << name;
  }
  // The header is padded to a multiple of 8, as the format asks.
  std::ifstream file(path, std::ios::binary);
  uint64_t length = 0;
  file.read(reinterpret_cast<char*>(&length), 8);
  EXPECT_EQ(length % 8, 0u);
}

TEST(Safetensors, ReaderUsesOffsetsNotOrder) {
  const auto dir = testing::fresh_temp_dir("safetensors_offsets");
  // "a" stored after "b" in the data.
  const std::string path = write_raw(
      dir / "swapped.safetensors",
      R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})",
      4);
  const auto read = read_safetensors(path);
  EXPECT_EQ(read.at("a")[0].item<int64_t>(), 2);
  EXPECT_EQ(read.at("b")[0].item<int64_t>(), 0);
}

TEST(Safetensors, TruncatedFilesAreErrors) {
  const auto dir = testing::fresh_temp_dir("safetensors_truncated");
  const std::string good = (dir / "good.safetensors").string();
  write_safetensors(good, {{"layer.weight", torch::randn({4, 4})}});
  std::ifstream in(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  const auto cut = [&](const std::string& name, size_t keep) {
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << bytes.substr(0, keep);
    return path;
  };
  expect_error(cut("no_length.safetensors", 5), {"truncated"});
  expect_error(cut("cut_header.safetensors", 20), {"truncated", "header"});
  expect_error(cut("cut_data.safetensors", bytes.size() - 3), {"layer.weight", "outside the data"});
}

TEST(Safetensors, HeaderPointingOutsideTheDataIsAnError) {
  const auto dir = testing::fresh_temp_dir("safetensors_outside");
  expect_error(write_raw(dir / "outside.safetensors",
                         R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", 16),
               {"'x'", "outside the data"});
  expect_error(write_raw(dir / "length.safetensors", R"({})", 0, uint64_t{1} << 40),
               {"header length"});
}

TEST(Safetensors, OverlappingOffsetsAreAnError) {
  const auto dir = testing::fresh_temp_dir("safetensors_overlap");
  expect_error(
      write_raw(
          dir / "overlap.safetensors",
          R"({"first":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"second":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
          16),
      {"'second'", "overlap", "'first'"});
}

TEST(Safetensors, NegativeOrReversedOffsetsAreErrors) {
  const auto dir = testing::fresh_temp_dir("safetensors_negative");
  expect_error(write_raw(dir / "negative.safetensors",
                         R"({"neg":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 8),
               {"'neg'", "non-negative"});
  expect_error(write_raw(dir / "reversed.safetensors",
                         R"({"rev":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})", 8),
               {"'rev'", "end before"});
}

TEST(Safetensors, ShapeOrDtypeMismatchIsAnError) {
  const auto dir = testing::fresh_temp_dir("safetensors_mismatch");
  // 3 floats need 12 bytes, not 16.
  expect_error(write_raw(dir / "shape.safetensors",
                         R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", 16),
               {"'w'", "F32", "[3]", "12 bytes"});
  // As F64 the same 16 bytes would be two values, not four.
  expect_error(write_raw(dir / "dtype.safetensors",
                         R"({"w":{"dtype":"F64","shape":[4],"data_offsets":[0,16]}})", 16),
               {"'w'", "F64", "32 bytes"});
  expect_error(write_raw(dir / "unknown.safetensors",
                         R"({"w":{"dtype":"F8","shape":[4],"data_offsets":[0,4]}})", 4),
               {"'w'", "unsupported dtype"});
  expect_error(write_raw(dir / "badshape.safetensors",
                         R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
               {"'w'", "shape"});
  expect_error(write_raw(dir / "json.safetensors", R"({"w": )", 4), {"not valid JSON"});
}

// A small model (t5-mini with a 40-token vocabulary) and its tensors by name.
ModelPreset small_model_preset() {
  ModelPreset preset = model_preset("t5-mini");
  preset.vocab = 40;
  return preset;
}

std::map<std::string, torch::Tensor> tensors_of(T5Model& model) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : model->named_parameters()) tensors[item.key()] = item.value().detach();
  return tensors;
}

// Writes `file_tensors` to dir/name and expects loading it into a fresh model to throw a
// message naming the file and containing every fragment; the model keeps its weights.
void expect_load_error(const std::filesystem::path& dir, const std::string& name,
                       const std::map<std::string, torch::Tensor>& file_tensors,
                       const std::vector<std::string>& fragments) {
  const std::string path = (dir / name).string();
  write_safetensors(path, file_tensors);
  T5Model target(small_model_preset());
  const torch::Tensor before = target->lm_head->weight.detach().clone();
  try {
    load_safetensors(*target, path);
    ADD_FAILURE() << "no error for " << name;
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    for (const auto& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos) << fragment << " not in " << message;
    }
  }
  EXPECT_TRUE(torch::equal(target->lm_head->weight, before)) << name << " changed the model";
}

TEST(Safetensors, ModelLoadRejectsMisShapedMissingAndUnexpectedTensors) {
  const auto dir = testing::fresh_temp_dir("safetensors_model");
  const ModelPreset preset = small_model_preset();
  T5Model model(preset);
  const std::map<std::string, torch::Tensor> tensors = tensors_of(model);
  auto misshaped = tensors;
  misshaped["lm_head.weight"] = torch::zeros({41, preset.d_model});
  expect_load_error(dir, "misshaped.safetensors", misshaped,
                    {"'lm_head.weight'", "[41, 128]", "[40, 128]"});
  auto missing = tensors;
  missing.erase("decoder.block.1.layer.2.DenseReluDense.wo.weight");
  expect_load_error(dir, "missing.safetensors", missing,
                    {"missing", "'decoder.block.1.layer.2.DenseReluDense.wo.weight'"});
  auto extra = tensors;
  extra["encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"] =
      torch::zeros({32, 4});
  expect_load_error(
      dir, "extra.safetensors", extra,
      {"unexpected", "encoder.block.1.layer.0.SelfAttention.relative_attention_bias"});
  auto untied = tensors;
  untied["encoder.embed_tokens.weight"] = torch::zeros_like(tensors.at("shared.weight"));
  expect_load_error(dir, "untied.safetensors", untied,
                    {"encoder.embed_tokens.weight", "shared.weight"});

  // A correct file loads, and tied aliases equal to shared.weight are accepted.
  auto aliased = tensors;
  aliased["decoder.embed_tokens.weight"] = tensors.at("shared.weight");
  const std::string path = (dir / "good.safetensors").string();
  write_safetensors(path, aliased);
  T5Model target(preset);
  EXPECT_TRUE(load_safetensors(*target, path).empty());
  EXPECT_TRUE(torch::equal(target->lm_head->weight, model->lm_head->weight));
}

// The issue: "a shape/dtype mismatch is a clear error". Any dtype other than the model's
// (float32) is refused, naming the tensor, the file's dtype and the expected one; nothing
// is converted or copied.
TEST(Safetensors, ModelLoadRejectsEveryDtypeOtherThanTheModels) {
  const auto dir = testing::fresh_temp_dir("safetensors_dtype");
  T5Model model(small_model_preset());
  const std::map<std::string, torch::Tensor> tensors = tensors_of(model);
  const std::string name = "encoder.block.1.layer.0.SelfAttention.k.weight";
  const std::pair<torch::ScalarType, const char*> wrong[] = {{torch::kFloat64, "F64"},
                                                             {torch::kFloat16, "F16"},
                                                             {torch::kBFloat16, "BF16"},
                                                             {torch::kInt64, "I64"}};
  for (const auto& [type, type_name] : wrong) {
    SCOPED_TRACE(type_name);
    auto file_tensors = tensors;
    file_tensors[name] = tensors.at(name).to(type);
    const std::string file = std::string("one-") + type_name + ".safetensors";
    expect_load_error(
        dir, file, file_tensors,
        {"'" + name + "'", std::string("has dtype ") + type_name, "the model expects F32"});
    // The file itself is well formed: only the load into the F32 model refuses it.
    EXPECT_EQ(read_safetensors((dir / file).string()).at(name).scalar_type(), type);
  }
  // Every mis-typed tensor is listed, not only the first.
  auto two = tensors;
  two["lm_head.weight"] = tensors.at("lm_head.weight").to(torch::kFloat64);
  two["shared.weight"] = tensors.at("shared.weight").to(torch::kFloat16);
  expect_load_error(dir, "two.safetensors", two,
                    {"'lm_head.weight' has dtype F64", "'shared.weight' has dtype F16"});
}

}  // namespace
}  // namespace tensorpoly::model
