// libFuzzer target: importing a store file (Store::check_import_source, then
// Store::import_runs into a scratch store, then reading each imported run back). The
// input is the file's bytes. Any input must import or give a StoreError naming the
// file: never a crash, and the target store must stay intact.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tensorpoly/sessions/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ts = tensorpoly::sessions;
  const std::string prefix = "/tmp/tensorpoly-fuzz-import-" + std::to_string(::getpid());
  const std::string source = prefix + "-source.sqlite", target = prefix + "-target.sqlite";
  std::ofstream(source, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    ts::Store::check_import_source(source);
    ts::Store store = ts::Store::open(target);
    for (int64_t id : store.import_runs(source)) {
      (void)store.run_details(id);
      for (int64_t step : store.routing_steps(id)) (void)store.routing_nearest(id, step);
      (void)store.final_metrics(id);
      (void)store.final_evaluations(id);
      store.delete_run(id);
    }
    if (store.integrity_check() != "ok") std::abort();
  } catch (const ts::StoreError&) {  // a refused file
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((source + suffix).c_str());
  return 0;
}
