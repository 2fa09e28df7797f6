// Transaction: the one way sessions/ groups writes. BEGIN on construction, COMMIT only
// through commit(), ROLLBACK on destruction otherwise — so an exception anywhere inside
// a write path never leaves the connection holding the file's write lock.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>

struct sqlite3;

namespace tensorpoly::sessions::detail {

// kImmediate takes the write lock at BEGIN (waiting up to the busy timeout), so a
// transaction that will write never fails half-way for want of the lock; kDeferred
// takes it at the first write; kExclusive also keeps readers out (outside WAL mode).
enum class TransactionMode { kDeferred, kImmediate, kExclusive };

class Transaction {
 public:
  // Begins a transaction on `db`; throws StoreError naming `path` (a busy file, or a
  // connection already inside a transaction: transactions do not nest).
  Transaction(sqlite3* db, std::string path, TransactionMode mode = TransactionMode::kImmediate);
  // Rolls back unless commit() succeeded. Never throws: when SQLite has already rolled
  // back by itself (RAISE(ROLLBACK), disk full, ...) there is nothing to do, and a
  // ROLLBACK that fails is reported on stderr, naming the file.
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // COMMIT; throws StoreError naming the file (e.g. when SQLite already rolled the
  // transaction back after an error). After a failed commit the destructor still rolls
  // back whatever is left open. Calling it twice is a logic error.
  void commit();

 private:
  sqlite3* db_;
  std::string path_;  // a copy: the caller's string may not outlive the transaction
  bool committed_ = false;
};

}  // namespace tensorpoly::sessions::detail
