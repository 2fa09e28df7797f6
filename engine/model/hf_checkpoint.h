// The weights of a Hugging Face T5 model folder (hf_config.h): one model.safetensors, or
// the shards that model.safetensors.index.json lists. Every header is read and checked
// first (names, shapes, dtypes, byte ranges, which shard holds what), and every problem is
// reported at once, naming the file and the tensor; only then are the tensors copied, one
// shard at a time from a read-only memory mapping of the file, straight into the model's
// parameters (float32, float16 and bfloat16 converted exactly to the parameter's dtype).
// A multi-GB checkpoint therefore never needs a second copy of itself in memory: the
// mapped pages are the page cache's, and a shard's mapping is dropped before the next.
//
// Names are HF's. shared.weight is stored once; encoder.embed_tokens.weight and
// decoder.embed_tokens.weight (and lm_head.weight of a tied model) are aliases of it,
// accepted when stored and equal to it.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

#include "model/t5_model.h"
#include "tensorpoly/hf_config.h"

namespace tensorpoly::model {

// The weight files of `folder`, checked against each other: model.safetensors, or the
// shards named in model.safetensors.index.json (sorted, each once). Throws
// CheckpointError for a folder with neither or both, an unreadable index, or an index
// naming a file that is not there or not a plain file name.
std::vector<std::string> hf_weight_files(const std::string& folder);

// Copies the folder's weights into `model`, built with the folder's shape (before
// adapters are injected). Throws CheckpointError listing every missing, unexpected,
// mis-shaped or mis-typed tensor, and every disagreement between the index and the
// shards, before anything is copied.
void load_hf_weights(T5ModelImpl& model, const std::string& folder);

// The folder's model (config.json's shape, its weights), in eval mode on the CPU.
T5Model load_hf_model(const std::string& folder);

}  // namespace tensorpoly::model
