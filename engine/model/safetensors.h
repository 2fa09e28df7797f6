// Reading and writing the safetensors format: an unsigned 64-bit little-endian
// header length N, N bytes of JSON {"name": {"dtype", "shape", "data_offsets":
// [begin, end]}, "__metadata__": {...}}, then the raw little-endian tensor bytes
// (offsets counted from the first byte after the header).
//
// Every offset is bounds-checked before a byte is read: a truncated file, a
// header that points outside the data, overlapping or negative offsets, or a
// byte range that does not match shape × dtype is a std::runtime_error naming
// the file and the tensor.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace tensorpoly::model {

// One tensor of a file's header, checked against the file: its byte range
// [begin, end) (counted from the first data byte) lies inside the file, matches
// shape × dtype, and overlaps no other tensor.
struct SafetensorsEntry {
  std::string name;
  torch::ScalarType type = torch::kFloat32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::string path;
  uint64_t data_start = 0;  // file offset of the first data byte: 8 + header length
  uint64_t file_bytes = 0;
  std::vector<SafetensorsEntry> entries;  // in the header's order
};

// Reads and checks the header only (no tensor data), so that a loader can check names and
// shapes of several files first and then copy tensor by tensor (e.g. from a mapping of
// the file), converting each to the dtype it needs.
SafetensorsHeader read_safetensors_header(const std::string& path);

// Every tensor of the file, on the CPU, by name.
std::map<std::string, torch::Tensor> read_safetensors(const std::string& path);

// Writes the tensors (any device; F64, F32, F16, BF16, I64, I32, I16, I8, U8,
// BOOL) in sorted name order, header padded with spaces to a multiple of 8.
void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// The file format's name of a dtype ("F32", "BF16", ...), or torch's name for a dtype the
// format has no name for; used in messages so that they match the file's header.
std::string safetensors_dtype_name(torch::ScalarType type);

}  // namespace tensorpoly::model
