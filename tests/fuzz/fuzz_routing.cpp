// libFuzzer target: the routing blob decoder of the store and the analysis it feeds.
// The input is a routing row: kind, NUL, shape (JSON text), NUL, the data blob. It is
// stored as it is and read back through Store::routing_nearest, then analysed; any
// input must give a report or a StoreError / std::invalid_argument naming the layer:
// never a crash or an allocation the row does not justify.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <sqlite3.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "tensorpoly/analysis.h"
#include "tensorpoly/sessions/store.h"

namespace {

tensorpoly::sessions::Store& store() {
  static std::unique_ptr<tensorpoly::sessions::Store> instance = [] {
    const std::string path =
        "/tmp/tensorpoly-fuzz-routing-" + std::to_string(::getpid()) + ".sqlite";
    ::unlink(path.c_str());
    auto opened =
        std::make_unique<tensorpoly::sessions::Store>(tensorpoly::sessions::Store::open(path));
    sqlite3_exec(opened->handle(),
                 "INSERT INTO runs (id, name, status) VALUES (1, 'fuzz', 'finished')", nullptr,
                 nullptr, nullptr);
    return opened;
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t first = input.find('\0');
  const size_t second = first == std::string::npos ? first : input.find('\0', first + 1);
  const std::string kind = input.substr(0, first);
  const std::string shape =
      first == std::string::npos ? "" : input.substr(first + 1, second - first - 1);
  const std::string blob = second == std::string::npos ? "" : input.substr(second + 1);

  sqlite3* db = store().handle();
  sqlite3_exec(db, "DELETE FROM routing", nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO routing (run_id, step, layer_index, layer, kind, shape, data)"
                     " VALUES (1, 0, 0, 'encoder.block.0.q', ?1, ?2, ?3)",
                     -1, &insert, nullptr);
  sqlite3_bind_text(insert, 1, kind.data(), static_cast<int>(kind.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(insert, 2, shape.data(), static_cast<int>(shape.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(insert, 3, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  sqlite3_step(insert);
  sqlite3_finalize(insert);
  try {
    const auto routing = store().routing_nearest(1, 0);
    if (!routing.layers.empty()) (void)tensorpoly::analysis::analyze_routing(routing.layers, {});
  } catch (const tensorpoly::sessions::StoreError&) {  // a refused row
  } catch (const std::invalid_argument&) {             // a shape analysis cannot use
  }
  return 0;
}
