// Checkpoints on a bad day: a full disk while one is written, a file whose tensor
// storage is shorter than the tensor (truncated or hand-made), bytes flipped on disk,
// a resume point past the end, a folder that cannot be written.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

#include "engine/train/test_support.h"
#include "model/checkpoint.h"
#include "model/checkpoint_file.h"
#include "support/file_size_limit.h"
#include "tensorpoly/experiment.h"
#include "train/checkpointing.h"

namespace tensorpoly {
namespace {

using testing::FileSizeLimit;
using testing::RecordingSink;
using testing::temporary_directory;
using testing::tiny_config;

// A finished tiny run's checkpoint at step 6 (and 3), in a fresh folder.
std::string tiny_checkpoint(const std::string& name) {
  const std::string dir = temporary_directory(name);
  std::filesystem::remove_all(dir);
  ExperimentConfig config = tiny_config(dir);
  config.train.checkpoint_every = 3;
  RecordingSink sink;
  const RunEnded ended = Experiment(config).run(sink);
  EXPECT_EQ(ended.status, RunStatus::kFinished) << ended.message;
  return train::checkpoint_path(dir, 6);
}

// Copies the archive at `from` to `to` record by record; `edit` may change a record's
// bytes (by its name inside the archive, e.g. "data/0").
void rewrite_archive(const std::string& from, const std::string& to,
                     const std::function<void(const std::string&, std::string&)>& edit) {
  caffe2::serialize::PyTorchStreamReader reader(from);
  caffe2::serialize::PyTorchStreamWriter writer(to);
  for (const std::string& name : reader.getAllRecords()) {
    if (name == "version") continue;  // the writer adds its own
    auto [data, size] = reader.getRecord(name);
    std::string bytes(static_cast<const char*>(data.get()), size);
    edit(name, bytes);
    writer.writeRecord(name, bytes.data(), bytes.size());
  }
  writer.writeEndOfFile();
}

// The name of the largest tensor-data record ("data/N").
std::string largest_storage(const std::string& path) {
  caffe2::serialize::PyTorchStreamReader reader(path);
  std::string largest;
  size_t largest_size = 0;
  for (const std::string& name : reader.getAllRecords()) {
    if (name.rfind("data/", 0) != 0) continue;
    const size_t size = std::get<1>(reader.getRecord(name));
    if (size > largest_size) {
      largest = name;
      largest_size = size;
    }
  }
  return largest;
}

std::string runtime_error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return {};
}

TEST(HostileCheckpoint, AStorageShorterThanItsTensorIsRefusedBeforeAnythingIsCopied) {
  const std::string checkpoint = tiny_checkpoint("short-storage");
  const std::string storage = largest_storage(checkpoint);
  ASSERT_FALSE(storage.empty());
  const std::string damaged = checkpoint + ".short.pt";
  rewrite_archive(checkpoint, damaged, [&](const std::string& name, std::string& bytes) {
    if (name == storage) bytes.resize(8);  // 8 bytes left of a tensor of hundreds
  });
  const std::string message = runtime_error_of([&] { train::read_checkpoint_info(damaged); });
  EXPECT_NE(message.find(damaged), std::string::npos) << message;
  EXPECT_NE(message.find("bytes of storage"), std::string::npos) << message;

  // As a resume point: refused before the run starts, naming the field and the file.
  ExperimentConfig config = tiny_config(temporary_directory("short-storage-resume"));
  config.train.resume_from = damaged;
  RecordingSink sink;
  const RunEnded ended = Experiment(config).run(sink);
  EXPECT_EQ(ended.status, RunStatus::kFailed);
  EXPECT_TRUE(sink.started.empty()) << "a run was started from a damaged checkpoint";
  EXPECT_NE(ended.message.find(damaged), std::string::npos) << ended.message;
}

TEST(HostileCheckpoint, AShortStorageInAModelCheckpointIsRefusedByName) {
  auto module = torch::nn::Linear(16, 32);
  const std::string dir = temporary_directory("short-model");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/base.pt";
  model::save_checkpoint(*module, path);
  const std::string damaged = dir + "/base-short.pt";
  const std::string storage = largest_storage(path);
  rewrite_archive(path, damaged, [&](const std::string& name, std::string& bytes) {
    if (name == storage) bytes.resize(8);
  });
  const std::string message = runtime_error_of([&] { model::load_checkpoint(*module, damaged); });
  EXPECT_NE(message.find(damaged), std::string::npos) << message;
  EXPECT_NE(message.find("bytes of storage"), std::string::npos) << message;
}

// The one base-model file in the cache folder `dir`.
std::string cached_base(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".pt") return entry.path().string();
  }
  return {};
}

TEST(HostileCheckpoint, ADamagedCachedBaseModelIsBuiltAgainInsteadOfFailingEveryRun) {
  const std::string cache = temporary_directory("damaged-cache");
  std::filesystem::remove_all(cache);
  ExperimentConfig config = tiny_config(temporary_directory("damaged-cache-run"));
  config.base.pretrain_steps = 2;
  config.base.copy_steps = 1;
  config.base.cache_dir = cache;
  RecordingSink first;
  ASSERT_EQ(Experiment(config).run(first).status, RunStatus::kFinished);
  const std::string base = cached_base(cache);
  ASSERT_FALSE(base.empty());
  const std::string storage = largest_storage(base);
  rewrite_archive(base, base + ".short", [&](const std::string& name, std::string& bytes) {
    if (name == storage) bytes.resize(8);
  });
  std::filesystem::rename(base + ".short", base);

  RecordingSink second;
  const RunEnded ended = Experiment(config).run(second);
  EXPECT_EQ(ended.status, RunStatus::kFinished) << ended.message;
  bool said_so = false;
  for (const StageProgress& progress : second.progress) {
    said_so = said_so || (progress.message.find("damaged") != std::string::npos &&
                          progress.message.find(base) != std::string::npos);
  }
  EXPECT_TRUE(said_so) << "the damaged cache file was not reported";
  EXPECT_NO_THROW(model::read_checkpoint_tensors(base));  // whole again
}

TEST(HostileCheckpoint, FlippedBytesInsideATensorAreFoundByTheChecksum) {
  const std::string checkpoint = tiny_checkpoint("flipped");
  const std::string storage = largest_storage(checkpoint);
  const std::string damaged = checkpoint + ".flipped.pt";
  rewrite_archive(checkpoint, damaged, [&](const std::string& name, std::string& bytes) {
    if (name == storage) bytes[bytes.size() / 2] ^= 0x10;
  });
  const std::string message = runtime_error_of([&] { train::read_checkpoint_info(damaged); });
  EXPECT_NE(message.find("checksum"), std::string::npos) << message;
  EXPECT_NE(message.find(damaged), std::string::npos) << message;
  // The untouched copy still reads.
  EXPECT_EQ(train::read_checkpoint_info(checkpoint).step, 6);
}

TEST(HostileCheckpoint, ResumingPastTheLastStepIsRefusedBeforeTheRunStarts) {
  const std::string checkpoint = tiny_checkpoint("past-the-end");
  ExperimentConfig config = tiny_config(temporary_directory("past-the-end-resume"));
  config.train.steps = 3;
  config.train.resume_from = checkpoint;
  RecordingSink sink;
  const RunEnded ended = Experiment(config).run(sink);
  EXPECT_EQ(ended.status, RunStatus::kFailed);
  EXPECT_TRUE(sink.started.empty());
  EXPECT_NE(ended.message.find("train.resume_from"), std::string::npos) << ended.message;
  EXPECT_NE(ended.message.find("step 6"), std::string::npos) << ended.message;
}

TEST(HostileCheckpoint, AnUnwritableCheckpointFolderFailsBeforeTheRunStarts) {
  const std::string dir = temporary_directory("not-a-folder");
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/file";
  { std::ofstream(file) << "x"; }
  ExperimentConfig config = tiny_config(file + "/checkpoints");  // below a plain file
  RecordingSink sink;
  const RunEnded ended = Experiment(config).run(sink);
  EXPECT_EQ(ended.status, RunStatus::kFailed);
  EXPECT_TRUE(sink.started.empty());
  EXPECT_NE(ended.message.find("train.checkpoint_dir"), std::string::npos) << ended.message;
}

TEST(HostileCheckpoint, AFullDiskFailsTheRunWithTheReasonAndLeavesNoPartialFile) {
  const std::string dir = temporary_directory("full-disk");
  std::filesystem::remove_all(dir);
  ExperimentConfig config = tiny_config(dir);
  config.train.checkpoint_every = 3;
  RecordingSink sink;
  RunEnded ended;
  {
    const FileSizeLimit limit(4096);  // far below one checkpoint
    ended = Experiment(config).run(sink);
  }
  EXPECT_EQ(ended.status, RunStatus::kFailed);
  EXPECT_NE(ended.message.find(train::checkpoint_path(dir, 3)), std::string::npos) << ended.message;
  EXPECT_NE(ended.message.find("File too large"), std::string::npos) << ended.message;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ADD_FAILURE() << entry.path() << " left behind: no checkpoint could be written whole";
  }
  // The model cache's writer fails the same way, removing its partial file.
  auto module = torch::nn::Linear(64, 64);
  {
    const FileSizeLimit limit(4096);
    const std::string message =
        runtime_error_of([&] { model::save_checkpoint(*module, dir + "/base.pt"); });
    EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/base.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/base.pt.partial"));
}

}  // namespace
}  // namespace tensorpoly
