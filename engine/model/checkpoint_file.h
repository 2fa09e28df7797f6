// Checkpoint files on a bad day: written whole or not at all (a full disk leaves no
// partial file), and read back only when every tensor fits inside its storage (a
// truncated or hand-made file is refused before anything is copied from it) and the
// checksum written with the tensors still matches (bytes changed on disk).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

namespace tensorpoly::model {

// The key under which a checkpoint stores tensors_checksum() of its contents.
inline constexpr const char* kChecksumKey = "tensorpoly.checksum";

// A 64-bit checksum (hex) of `metadata` and every tensor's name, shape, dtype and
// bytes: written into each checkpoint, recomputed when it is read.
std::string tensors_checksum(const std::map<std::string, torch::Tensor>& tensors,
                             const std::string& metadata);
// Throws std::runtime_error naming `path` when the archive holds a checksum that does
// not match `tensors` and `metadata` (a file written before checksums has none).
void check_checksum(torch::serialize::InputArchive& archive,
                    const std::map<std::string, torch::Tensor>& tensors,
                    const std::string& metadata, const std::string& path);
// storage_problem() of each tensor, then check_checksum(): std::runtime_error naming
// `path` and the first tensor whose storage is short.
void check_tensors(torch::serialize::InputArchive& archive,
                   const std::map<std::string, torch::Tensor>& tensors, const std::string& metadata,
                   const std::string& path);

// Why `tensor`'s storage cannot back its view ("needs N bytes of storage for shape
// [...] but the file holds M (truncated or damaged)"), or "" when it can. Checked for
// every tensor read from a file before anything is copied from it.
std::string storage_problem(const torch::Tensor& tensor);

// Writes `bytes` to "<path>.partial", fsyncs it and renames it over `path`; on any
// failure (a full disk, a read-only folder) removes the partial file and throws
// std::runtime_error naming `path` and the system's reason. `path` is never left half
// written.
void write_file_atomically(const std::string& path, const std::string& bytes);

// The archive's bytes, serialised in memory (std::runtime_error naming `path`):
// LibTorch's file writer throws from its destructor when a write fails, which ends the
// process while unwinding.
std::string serialize_archive(torch::serialize::OutputArchive& archive, const std::string& path);

// Every tensor of a save_checkpoint() archive, each checked against its storage and all
// against the checksum written with them: std::runtime_error naming `path` when the file
// cannot be read, is truncated or was changed on disk.
std::map<std::string, torch::Tensor> read_checkpoint_tensors(const std::string& path);

// Creates `directory` (and its parents) and proves a file can be created there, so that
// a run fails before it starts rather than at its first checkpoint: std::runtime_error
// "FIELD: ..." naming the folder and the system's reason.
void require_writable_directory(const std::string& directory, const std::string& field);

}  // namespace tensorpoly::model
