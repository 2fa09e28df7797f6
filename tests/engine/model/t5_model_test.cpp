// Structure and behaviour of the T5 model beyond the fixtures: presets, names,
// parameter counts, masks, generation rules, gradients, checkpoints.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/t5_model.h"

#include <set>
#include <string>
#include <vector>

#include "fixture_util.h"
#include "model/checkpoint.h"

namespace tensorpoly::model {
namespace {

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

std::set<std::string> parameter_names(const torch::nn::Module& module) {
  std::set<std::string> names;
  for (const auto& item : module.named_parameters()) names.insert(item.key());
  return names;
}

ModelPreset small_preset() {
  ModelPreset preset{"test", 50, 32, 48, 2, 2, 4, 6};  // inner 24 ≠ d_model
  return preset;
}

TEST(ModelPreset, LookupByNameAndClearErrorListingNames) {
  EXPECT_EQ(model_preset("t5-mini").d_model, 128);
  EXPECT_EQ(model_preset(kDefaultModelPreset).name, "t5-mini");
  const ModelPreset& large = model_preset("t5-large-shape");
  EXPECT_EQ(large.d_ff, 2816);
  EXPECT_EQ(large.n_encoder_layers, 24);
  EXPECT_EQ(large.n_heads * large.d_kv, 1024);
  try {
    model_preset("t5-huge");
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    for (const char* name : {"t5-huge", "t5-mini", "t5-tiny", "t5-small-like", "t5-large-shape"}) {
      EXPECT_NE(message.find(name), std::string::npos) << message;
    }
  }
  ModelPreset bad = small_preset();
  bad.d_kv = 0;
  EXPECT_THROW(validate_model_preset(bad), std::invalid_argument);
  EXPECT_THROW(T5Model{bad}, std::invalid_argument);
}

// The four presets with the dimensions issue 4 gives. Vocab: the issue gives 512 for
// t5-mini and t5-tiny; the wider presets use the same byte tokenizer, hence 512 too.
TEST(ModelPreset, EveryPresetHasTheIssuesDimensions) {
  struct Expected {
    const char* name;
    int64_t vocab, d_model, d_ff, n_encoder_layers, n_decoder_layers, n_heads, d_kv;
  };
  const Expected expected[] = {
      {"t5-mini", 512, 128, 512, 2, 2, 4, 32},
      {"t5-tiny", 512, 256, 1024, 4, 4, 4, 64},
      {"t5-small-like", 512, 512, 1024, 6, 6, 8, 64},
      {"t5-large-shape", 512, 1024, 2816, 24, 24, 16, 64},
  };
  std::vector<std::string> names;
  for (const ModelPreset& preset : model_presets()) names.push_back(preset.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"t5-mini", "t5-tiny", "t5-small-like", "t5-large-shape"}));
  for (const Expected& want : expected) {
    SCOPED_TRACE(want.name);
    const ModelPreset& preset = model_preset(want.name);
    EXPECT_EQ(preset.vocab, want.vocab);
    EXPECT_EQ(preset.d_model, want.d_model);
    EXPECT_EQ(preset.d_ff, want.d_ff);
    EXPECT_EQ(preset.n_encoder_layers, want.n_encoder_layers);
    EXPECT_EQ(preset.n_decoder_layers, want.n_decoder_layers);
    EXPECT_EQ(preset.n_heads, want.n_heads);
    EXPECT_EQ(preset.d_kv, want.d_kv);
    // T5 v1.1 as the issue describes it: 32 buckets, max distance 128, RMSNorm eps 1e-6.
    EXPECT_EQ(preset.relative_attention_num_buckets, 32);
    EXPECT_EQ(preset.relative_attention_max_distance, 128);
    EXPECT_DOUBLE_EQ(preset.layer_norm_epsilon, 1e-6);
  }
}

TEST(ModelPreset, ParameterCountMatchesTheClosedForm) {
  // t5-mini by hand: 2·512·128 + 2·(4·128·128 + 3·512·128 + 2·128)
  //                 + 2·(8·128·128 + 3·512·128 + 3·128) + 2·32·4 + 2·128
  EXPECT_EQ(base_parameter_count(model_preset("t5-mini")), 1312512);
  for (const char* name : {"t5-mini", "t5-tiny", "t5-small-like"}) {
    SCOPED_TRACE(name);
    const ModelPreset& preset = model_preset(name);
    EXPECT_EQ(parameter_count(*T5Model(preset)), base_parameter_count(preset));
  }
  EXPECT_EQ(parameter_count(*T5Model(small_preset())), base_parameter_count(small_preset()));
  // t5-large-shape (~0.7 B parameters) is not built whole: its count is linear in
  // the layer counts, so models of 1+1, 2+1 and 1+2 layers at its widths pin it down.
  ModelPreset large = model_preset("t5-large-shape");
  const auto count_with = [&](int64_t n_encoder, int64_t n_decoder) {
    ModelPreset shape = large;
    shape.n_encoder_layers = n_encoder;
    shape.n_decoder_layers = n_decoder;
    EXPECT_EQ(parameter_count(*T5Model(shape)), base_parameter_count(shape));
    return parameter_count(*T5Model(shape));
  };
  const int64_t base = count_with(1, 1);
  const int64_t per_encoder_block = count_with(2, 1) - base;
  const int64_t per_decoder_block = count_with(1, 2) - base;
  EXPECT_EQ(base + 23 * per_encoder_block + 23 * per_decoder_block, base_parameter_count(large));
}

TEST(T5Model, ParameterNamesFollowHuggingFaceForEveryPreset) {
  for (const ModelPreset& preset : model_presets()) {
    SCOPED_TRACE(preset.name);
    ModelPreset shape = preset;
    // Names do not depend on widths; shrink them so that t5-large-shape builds quickly.
    shape.d_model = 8;
    shape.d_ff = 8;
    shape.d_kv = 2;
    const std::set<std::string> names = parameter_names(*T5Model(shape));
    const int64_t last_encoder = preset.n_encoder_layers - 1;
    const int64_t last_decoder = preset.n_decoder_layers - 1;
    for (const std::string& name : {
             std::string("shared.weight"),
             std::string("lm_head.weight"),
             std::string("encoder.final_layer_norm.weight"),
             std::string("decoder.final_layer_norm.weight"),
             std::string("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"),
             std::string("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"),
             std::string("encoder.block.0.layer.1.DenseReluDense.wi_0.weight"),
             std::string("decoder.block.1.layer.1.EncDecAttention.k.weight"),
             std::string("decoder.block.1.layer.2.DenseReluDense.wi_1.weight"),
             "encoder.block." + std::to_string(last_encoder) + ".layer.0.SelfAttention.q.weight",
             "encoder.block." + std::to_string(last_encoder) + ".layer.0.layer_norm.weight",
             "encoder.block." + std::to_string(last_encoder) + ".layer.1.DenseReluDense.wo.weight",
             "encoder.block." + std::to_string(last_encoder) + ".layer.1.layer_norm.weight",
             "decoder.block." + std::to_string(last_decoder) + ".layer.0.SelfAttention.o.weight",
             "decoder.block." + std::to_string(last_decoder) + ".layer.1.EncDecAttention.v.weight",
             "decoder.block." + std::to_string(last_decoder) + ".layer.1.layer_norm.weight",
             "decoder.block." + std::to_string(last_decoder) + ".layer.2.layer_norm.weight",
         }) {
      EXPECT_EQ(names.count(name), 1u) << name;
    }
    EXPECT_EQ(names.count("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"),
              0u);
    EXPECT_EQ(names.count("encoder.embed_tokens.weight"), 0u);
    EXPECT_EQ(names.count("encoder.block.0.layer.2.layer_norm.weight"), 0u);
    // Per block: encoder q,k,v,o + wi_0,wi_1,wo + 2 norms; decoder 2×4 + 3 + 3 norms.
    EXPECT_EQ(names.size(), static_cast<size_t>(2 + 2 + 2 + 9 * preset.n_encoder_layers +
                                                14 * preset.n_decoder_layers));
  }
}

TEST(T5Model, ProjectionsAreAdapterWrappable) {
  T5Model model(small_preset());
  const auto& attention = model->decoder->blocks[1]->cross_attention->EncDecAttention;
  const auto projections = attention->projections();
  EXPECT_EQ(projections.size(), 4u);
  for (const char* name : {"q", "k", "v", "o"}) EXPECT_EQ(projections.count(name), 1u) << name;
  const auto feed_forward = model->encoder->blocks[0]->feed_forward->DenseReluDense->projections();
  EXPECT_EQ(feed_forward.size(), 3u);
  EXPECT_EQ(feed_forward.at("wi_0")->out_features(), 48);

  // Replacing a projection changes what forward computes (the member pointer follows).
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor input_ids = torch::randint(2, 50, {2, 5});
  const torch::Tensor mask = torch::ones({2, 5}, torch::kLong);
  const torch::Tensor decoder_input_ids = torch::randint(2, 50, {2, 3});
  const torch::Tensor before = model->forward(input_ids, mask, decoder_input_ids);
  auto zero_o = std::make_shared<adapters::LinearProjectionImpl>(24, 32);
  zero_o->weight.zero_();
  model->decoder->blocks[1]->cross_attention->EncDecAttention->replace_projection("o", zero_o);
  const torch::Tensor after = model->forward(input_ids, mask, decoder_input_ids);
  EXPECT_FALSE(torch::allclose(before, after));
  EXPECT_EQ(parameter_names(*model).count("decoder.block.1.layer.1.EncDecAttention.o.weight"), 1u);
}

TEST(T5Model, TaskIdsReachTheSharedTaskContext) {
  T5Model model(small_preset());
  const auto context = model->task_context();
  ASSERT_NE(context, nullptr);
  model->set_task_ids(torch::tensor({3, 1}, torch::kLong));
  EXPECT_TRUE(torch::equal(context->task_ids, torch::tensor({3, 1}, torch::kLong)));
  EXPECT_THROW(model->set_task_ids(torch::zeros({2, 2}, torch::kLong)), c10::Error);
}

TEST(T5Model, PaddingDoesNotLeakIntoRealPositions) {
  torch::manual_seed(3);
  T5Model model(small_preset());
  model->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor input_ids = torch::randint(2, 50, {2, 7});
  const torch::Tensor mask =
      torch::tensor({1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}).reshape({2, 7});
  const torch::Tensor decoder_input_ids = torch::randint(2, 50, {2, 4});
  const torch::Tensor encoded = model->encode(input_ids, mask);
  const torch::Tensor logits = model->forward(input_ids, mask, decoder_input_ids);
  // Other token ids under the padding change nothing at real positions or in the decoder.
  torch::Tensor changed = input_ids.clone();
  changed.index_put_({0, torch::indexing::Slice(4, 7)}, 9);
  EXPECT_TRUE(torch::allclose(model->encode(changed, mask).slice(1, 0, 4)[0],
                              encoded.slice(1, 0, 4)[0], 1e-6, 1e-6));
  EXPECT_TRUE(
      torch::allclose(model->forward(changed, mask, decoder_input_ids), logits, 1e-6, 1e-6));
  // The decoder is causal: later decoder tokens do not change earlier logits.
  torch::Tensor later = decoder_input_ids.clone();
  later.select(1, 3).fill_(7);
  EXPECT_TRUE(torch::allclose(model->forward(input_ids, mask, later).slice(1, 0, 3),
                              logits.slice(1, 0, 3), 1e-6, 1e-6));
}

TEST(T5Model, LossIgnoresMinus100AndAveragesTheRest) {
  const torch::Tensor logits = torch::randn({2, 3, 5});
  const torch::Tensor labels = torch::tensor({1, 4, -100, 0, -100, -100}).reshape({2, 3});
  const torch::Tensor log_probs = torch::log_softmax(logits, -1);
  const double expected =
      -(log_probs[0][0][1] + log_probs[0][1][4] + log_probs[1][0][0]).item<double>() / 3;
  EXPECT_NEAR(sequence_loss(logits, labels).item<double>(), expected, 1e-6);
  EXPECT_TRUE(torch::equal(shift_right(labels), torch::tensor({0, 1, 4, 0, 0, 0}).reshape({2, 3})));
}

TEST(T5Model, GreedyGenerationStopsAtEosAndAtTheLimit) {
  torch::manual_seed(5);
  T5Model model(small_preset());
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor input_ids = torch::randint(2, 50, {4, 6});
  const torch::Tensor mask =
      torch::tensor({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0})
          .reshape({4, 6});
  GreedyOptions options;
  options.max_new_tokens = 6;
  options.eos_token_id = -1;  // never produced: runs to the limit
  options.with_scores = true;
  const GreedyOutput free_run = model->greedy_generate(input_ids, mask, options);
  ASSERT_EQ(free_run.sequences.size(1), 7);
  ASSERT_EQ(free_run.scores.size(0), 6);
  EXPECT_TRUE(torch::equal(free_run.sequences.select(1, 0), torch::zeros({4}, torch::kLong)));
  EXPECT_TRUE(torch::equal(free_run.scores.argmax(-1).t(), free_run.sequences.slice(1, 1)));

  // Declare row 0's second token the EOS: row 0 continues with pad only; a row
  // that never produces it is unchanged; all scores are still recorded.
  const int64_t eos = free_run.sequences[0][2].item<int64_t>();
  options.eos_token_id = eos;
  const GreedyOutput stopped = model->greedy_generate(input_ids, mask, options);
  const int64_t steps = stopped.sequences.size(1) - 1;
  EXPECT_EQ(stopped.scores.size(0), steps);
  EXPECT_TRUE(
      torch::equal(stopped.sequences[0].slice(0, 0, 3), free_run.sequences[0].slice(0, 0, 3)));
  EXPECT_TRUE(
      torch::equal(stopped.sequences[0].slice(0, 3), torch::zeros({steps - 2}, torch::kLong)));
  // Decoding stops once every row has produced EOS, else at the limit.
  int64_t expected_steps = 0;
  for (int64_t row = 0; row < 4; ++row) {
    const torch::Tensor hits = (free_run.sequences[row].slice(0, 1) == eos).nonzero();
    if (hits.size(0) == 0) {
      expected_steps = 6;
      EXPECT_TRUE(torch::equal(stopped.sequences[row], free_run.sequences[row])) << row;
    } else {
      expected_steps = std::max(expected_steps, hits[0][0].item<int64_t>() + 1);
    }
  }
  EXPECT_EQ(steps, expected_steps);
  // max_new_tokens 0 returns the start token only.
  options.max_new_tokens = 0;
  EXPECT_EQ(model->greedy_generate(input_ids, mask, options).sequences.size(1), 1);
}

TEST(T5Model, CachedDecodingEqualsFullRecompute) {
  torch::manual_seed(6);
  T5Model model(small_preset());
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor input_ids = torch::randint(2, 50, {3, 9});
  const torch::Tensor mask = torch::tensor({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
                                            0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0})
                                 .reshape({3, 9});
  GreedyOptions options;
  options.max_new_tokens = 12;
  options.eos_token_id = -1;
  options.with_scores = true;
  options.use_cache = false;
  const GreedyOutput recomputed = model->greedy_generate(input_ids, mask, options);
  options.use_cache = true;
  const GreedyOutput cached = model->greedy_generate(input_ids, mask, options);
  EXPECT_TRUE(torch::equal(recomputed.sequences, cached.sequences));
  EXPECT_TRUE(torch::allclose(recomputed.scores, cached.scores, 1e-5, 1e-5));
}

TEST(T5Model, GradientsReachEveryParameter) {
  torch::manual_seed(7);
  T5Model model(small_preset());
  model->train();
  const torch::Tensor input_ids = torch::randint(2, 50, {2, 6});
  const torch::Tensor mask = torch::tensor({1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}).reshape({2, 6});
  const torch::Tensor labels = torch::tensor({5, 6, 1, 7, 1, -100}).reshape({2, 3});
  const torch::Tensor loss =
      sequence_loss(model->forward(input_ids, mask, shift_right(labels)), labels);
  loss.backward();
  for (const auto& item : model->named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0.0) << item.key();
  }
}

TEST(Checkpoint, RoundTripRestoresEveryTensorByName) {
  const auto dir = testing::fresh_temp_dir("checkpoint_round_trip");
  torch::manual_seed(11);
  T5Model source(small_preset());
  const std::string path = (dir / "model.pt").string();
  save_checkpoint(*source, path);
  torch::manual_seed(12);
  T5Model target(small_preset());
  EXPECT_TRUE(load_checkpoint(*target, path).empty());
  const auto target_parameters = target->named_parameters();
  for (const auto& item : source->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), target_parameters[item.key()])) << item.key();
  }
  // The archive is keyed by HF names.
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  const auto keys = archive.keys();
  EXPECT_NE(std::find(keys.begin(), keys.end(), "decoder.block.1.layer.1.EncDecAttention.q.weight"),
            keys.end());
}

TEST(Checkpoint, MissingExtraOrMisShapedTensorsAreClearErrors) {
  const auto dir = testing::fresh_temp_dir("checkpoint_errors");
  const auto expect_error = [](const std::function<void()>& load,
                               const std::vector<std::string>& fragments) {
    try {
      load();
      ADD_FAILURE() << "no error";
    } catch (const std::runtime_error& error) {
      for (const auto& fragment : fragments) {
        EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos)
            << fragment << " not in " << error.what();
      }
    }
  };
  ModelPreset bigger = small_preset();
  bigger.d_ff = 64;
  const std::string wide = (dir / "wide.pt").string();
  save_checkpoint(*T5Model(bigger), wide);
  expect_error(
      [&] { load_checkpoint(*T5Model(small_preset()), wide); },
      {wide, "'encoder.block.0.layer.1.DenseReluDense.wi_0.weight'", "[64, 32]", "[48, 32]"});

  ModelPreset deeper = small_preset();
  deeper.n_decoder_layers = 3;
  const std::string deep = (dir / "deep.pt").string();
  save_checkpoint(*T5Model(deeper), deep);
  expect_error([&] { load_checkpoint(*T5Model(small_preset()), deep); },
               {deep, "unexpected", "decoder.block.2."});
  const std::string shallow = (dir / "shallow.pt").string();
  save_checkpoint(*T5Model(small_preset()), shallow);
  expect_error([&] { load_checkpoint(*T5Model(deeper), shallow); },
               {shallow, "missing", "decoder.block.2."});
  // Allowed missing tensors keep their values and are reported.
  T5Model partial(deeper);
  LoadOptions options;
  options.allow_missing = true;
  EXPECT_EQ(load_checkpoint(*partial, shallow, options).size(), 14u);
  expect_error([&] { load_checkpoint(*T5Model(small_preset()), (dir / "absent.pt").string()); },
               {"absent.pt"});
}

}  // namespace
}  // namespace tensorpoly::model
