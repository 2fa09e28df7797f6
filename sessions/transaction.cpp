// SPDX-License-Identifier: GPL-3.0-or-later
#include "transaction.h"

#include <cstdio>
#include <stdexcept>
#include <utility>

#include "sqlite_util.h"

namespace tensorpoly::sessions::detail {

namespace {

const char* begin_statement(TransactionMode mode) {
  switch (mode) {
    case TransactionMode::kDeferred:
      return "BEGIN DEFERRED";
    case TransactionMode::kExclusive:
      return "BEGIN EXCLUSIVE";
    case TransactionMode::kImmediate:
      break;
  }
  return "BEGIN IMMEDIATE";
}

}  // namespace

Transaction::Transaction(sqlite3* db, std::string path, TransactionMode mode)
    : db_(db), path_(std::move(path)) {
  exec(db_, path_, begin_statement(mode));
}

Transaction::~Transaction() {
  // Autocommit already on: SQLite ended the transaction itself after an error.
  if (committed_ || sqlite3_get_autocommit(db_)) return;
  char* error = nullptr;
  if (sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, &error) != SQLITE_OK) {
    // Nothing may throw here (we may be unwinding); say so where someone can see it.
    std::fprintf(stderr, "%s: ROLLBACK failed: %s; the transaction is still open\n", path_.c_str(),
                 error ? error : sqlite3_errmsg(db_));
  }
  sqlite3_free(error);
}

void Transaction::commit() {
  if (committed_) throw std::logic_error(path_ + ": transaction committed twice");
  exec(db_, path_, "COMMIT");
  committed_ = true;
}

}  // namespace tensorpoly::sessions::detail
