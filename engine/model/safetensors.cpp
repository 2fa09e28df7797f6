// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace tensorpoly::model {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // as the reference implementation

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};
constexpr DtypeName kDtypes[] = {
    {"F64", torch::kFloat64},   {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
    {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
    {"I16", torch::kInt16},     {"I8", torch::kInt8},     {"U8", torch::kUInt8},
    {"BOOL", torch::kBool},
};

using Entry = SafetensorsEntry;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw std::runtime_error("safetensors file '" + path + "': " + message);
}

[[noreturn]] void fail(const std::string& path, const std::string& tensor,
                       const std::string& message) {
  fail(path, "tensor '" + tensor + "': " + message);
}

uint64_t read_u64_le(const unsigned char* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

Entry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& value,
                  uint64_t data_bytes) {
  if (!value.is_object()) fail(path, name, "header entry is not an object");
  Entry entry;
  entry.name = name;

  const auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) fail(path, name, "missing string \"dtype\"");
  const std::string dtype_name = dtype->get<std::string>();
  const auto known = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                  [&](const DtypeName& each) { return dtype_name == each.name; });
  if (known == std::end(kDtypes)) fail(path, name, "unsupported dtype \"" + dtype_name + "\"");
  entry.type = known->type;

  const auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) fail(path, name, "missing array \"shape\"");
  uint64_t numel = 1;
  for (const auto& dim : *shape) {
    if (!dim.is_number_integer() || dim.get<int64_t>() < 0) {
      fail(path, name, "shape " + shape->dump() + " has a dimension that is not a size");
    }
    entry.shape.push_back(dim.get<int64_t>());
    const uint64_t size = dim.get<uint64_t>();
    if (size != 0 && numel > (uint64_t{1} << 62) / size) fail(path, name, "shape is too large");
    numel *= size;
  }

  const auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2) {
    fail(path, name, "\"data_offsets\" must be [begin, end]");
  }
  for (const auto& offset : *offsets) {
    if (!offset.is_number_integer() || offset.get<int64_t>() < 0) {
      fail(path, name, "data_offsets " + offsets->dump() + " are not non-negative integers");
    }
  }
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  if (entry.end < entry.begin) {
    fail(path, name, "data_offsets " + offsets->dump() + " end before they begin");
  }
  if (entry.end > data_bytes) {
    fail(path, name,
         "data_offsets " + offsets->dump() + " point outside the data (" +
             std::to_string(data_bytes) + " bytes after the header; truncated file?)");
  }
  // numel is below 2^62, but times an 8-byte element it may not fit in 64 bits.
  uint64_t expected = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(torch::elementSize(entry.type)),
                             &expected)) {
    fail(path, name, "shape " + shape_string(entry.shape) + " of " + dtype_name + " is too large");
  }
  if (entry.end - entry.begin != expected) {
    fail(path, name,
         "dtype " + dtype_name + " and shape " + shape_string(entry.shape) + " need " +
             std::to_string(expected) + " bytes but data_offsets " + offsets->dump() + " span " +
             std::to_string(entry.end - entry.begin));
  }
  return entry;
}

}  // namespace

SafetensorsHeader read_safetensors_header(const std::string& path) {
  std::error_code error;
  const uint64_t file_bytes = std::filesystem::file_size(path, error);
  if (error) fail(path, "cannot read (" + error.message() + ")");
  std::ifstream file(path, std::ios::binary);
  if (!file) fail(path, "cannot open");
  if (file_bytes < 8) {
    fail(path, "truncated: " + std::to_string(file_bytes) + " bytes, no 8-byte header length");
  }
  unsigned char length_bytes[8];
  file.read(reinterpret_cast<char*>(length_bytes), 8);
  const uint64_t header_bytes = read_u64_le(length_bytes);
  if (header_bytes > kMaxHeaderBytes) {
    fail(path, "header length " + std::to_string(header_bytes) + " is implausibly large");
  }
  if (8 + header_bytes > file_bytes) {
    fail(path, "truncated: header of " + std::to_string(header_bytes) + " bytes, but only " +
                   std::to_string(file_bytes - 8) + " bytes follow the length");
  }
  std::string header_text(header_bytes, '\0');
  file.read(header_text.data(), static_cast<std::streamsize>(header_bytes));
  if (!file) fail(path, "could not read the header");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::exception& parse_error) {
    fail(path, std::string("header is not valid JSON: ") + parse_error.what());
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");

  const uint64_t data_bytes = file_bytes - 8 - header_bytes;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") continue;
    entries.push_back(parse_entry(path, name, value, data_bytes));
  }

  // Two tensors must never share bytes (empty tensors share nothing).
  std::vector<const Entry*> by_offset;
  for (const Entry& entry : entries) {
    if (entry.end > entry.begin) by_offset.push_back(&entry);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      fail(path, by_offset[i]->name,
           "data_offsets [" + std::to_string(by_offset[i]->begin) + ", " +
               std::to_string(by_offset[i]->end) + "] overlap tensor '" + by_offset[i - 1]->name +
               "' [" + std::to_string(by_offset[i - 1]->begin) + ", " +
               std::to_string(by_offset[i - 1]->end) + "]");
    }
  }
  SafetensorsHeader result;
  result.path = path;
  result.data_start = 8 + header_bytes;
  result.file_bytes = file_bytes;
  result.entries = std::move(entries);
  return result;
}

std::map<std::string, torch::Tensor> read_safetensors(const std::string& path) {
  const SafetensorsHeader header = read_safetensors_header(path);
  std::ifstream file(path, std::ios::binary);
  if (!file) fail(path, "cannot open");
  const std::vector<Entry>& entries = header.entries;
  std::map<std::string, torch::Tensor> tensors;
  for (const Entry& entry : entries) {
    torch::Tensor tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(entry.type));
    if (entry.end > entry.begin) {
      file.seekg(static_cast<std::streamoff>(header.data_start + entry.begin));
      file.read(static_cast<char*>(tensor.data_ptr()),
                static_cast<std::streamsize>(entry.end - entry.begin));
      if (!file) fail(path, entry.name, "could not read its bytes");
    }
    tensors.emplace(entry.name, std::move(tensor));
  }
  return tensors;
}

void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const auto known =
        std::find_if(std::begin(kDtypes), std::end(kDtypes),
                     [&](const DtypeName& each) { return each.type == tensor.scalar_type(); });
    if (known == std::end(kDtypes)) {
      fail(path, name, std::string("cannot write dtype ") + c10::toString(tensor.scalar_type()));
    }
    contiguous.push_back(tensor.detach().to(torch::kCPU).contiguous());
    const uint64_t bytes = contiguous.back().numel() * contiguous.back().element_size();
    header[name] = {{"dtype", known->name},
                    {"shape", tensor.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) fail(path, "cannot open for writing");
  unsigned char length_bytes[8];
  uint64_t length = header_text.size();
  for (unsigned char& byte : length_bytes) {
    byte = static_cast<unsigned char>(length & 0xff);
    length >>= 8;
  }
  file.write(reinterpret_cast<const char*>(length_bytes), 8);
  file.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
  for (const torch::Tensor& tensor : contiguous) {
    file.write(static_cast<const char*>(tensor.data_ptr()),
               static_cast<std::streamsize>(tensor.numel() * tensor.element_size()));
  }
  if (!file) fail(path, "write failed");
}

std::string safetensors_dtype_name(torch::ScalarType type) {
  const auto known = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                  [&](const DtypeName& each) { return each.type == type; });
  return known == std::end(kDtypes) ? std::string(c10::toString(type)) : known->name;
}

}  // namespace tensorpoly::model
