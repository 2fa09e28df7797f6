// Transaction (commit, rollback on every other way out, a destructor that never
// throws), Statement's row readers, and error messages that keep naming their file.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <stdexcept>
#include <type_traits>

#include "sessions/session_test_util.h"
#include "sessions/sessions_internal.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {
namespace {

using detail::for_each_row;
using detail::read_first_row;
using detail::read_rows;
using detail::Statement;
using detail::Transaction;
using detail::TransactionMode;
using testing::Connection;
using testing::error_of;
using testing::query_int64;
using testing::raw_exec;
using testing::temp_path;
using testing::write_lock_free;

static_assert(std::is_nothrow_destructible_v<Transaction>);

// A file with one empty table t(x), and a connection to it.
struct Fixture {
  explicit Fixture(const std::string& name) : path(temp_path(name)), db(path) {
    raw_exec(db.get(), "CREATE TABLE t (x INTEGER)");
  }
  bool in_transaction() const { return sqlite3_get_autocommit(db.get()) == 0; }
  int64_t rows() const { return query_int64(path, "SELECT count(*) FROM t"); }
  void insert(int64_t x) const {
    raw_exec(db.get(), "INSERT INTO t VALUES (" + std::to_string(x) + ")");
  }

  std::filesystem::path path;
  Connection db;
};

TEST(Transaction, CommitMakesItsWritesVisibleToAnotherConnection) {
  Fixture file("commit");
  {
    Transaction transaction(file.db.get(), file.path.string());
    file.insert(1);
    file.insert(2);
    EXPECT_TRUE(file.in_transaction());
    EXPECT_EQ(file.rows(), 0);  // not before the commit
    transaction.commit();
    EXPECT_FALSE(file.in_transaction());
  }
  EXPECT_EQ(file.rows(), 2);
  EXPECT_TRUE(write_lock_free(file.path));
}

TEST(Transaction, RollsBackWhenItLeavesItsScopeUncommitted) {
  Fixture file("uncommitted");
  {
    Transaction transaction(file.db.get(), file.path.string());
    file.insert(1);
  }
  EXPECT_FALSE(file.in_transaction());
  EXPECT_TRUE(write_lock_free(file.path));
  EXPECT_EQ(file.rows(), 0);
}

TEST(Transaction, RollsBackWhenAnExceptionLeavesItsScope) {
  Fixture file("exception");
  EXPECT_THROW(
      {
        Transaction transaction(file.db.get(), file.path.string());
        file.insert(1);
        throw std::runtime_error("not a StoreError");
      },
      std::runtime_error);
  EXPECT_FALSE(file.in_transaction());
  EXPECT_TRUE(write_lock_free(file.path));
  EXPECT_EQ(file.rows(), 0);

  // A real failure inside SQLite: the second insert fails, the first one goes too.
  raw_exec(file.db.get(),
           "CREATE TRIGGER refuse_two BEFORE INSERT ON t WHEN NEW.x = 2"
           " BEGIN SELECT RAISE(ABORT, 'two refused'); END");
  const std::string message = error_of([&] {
    Transaction transaction(file.db.get(), file.path.string());
    Statement insert(file.db.get(), file.path.string(), "INSERT INTO t VALUES (?1)");
    insert.bind_int64(1, 1).run();
    insert.bind_int64(1, 2).run();
    transaction.commit();
  });
  EXPECT_NE(message.find("two refused"), std::string::npos) << message;
  EXPECT_FALSE(file.in_transaction());
  EXPECT_TRUE(write_lock_free(file.path));
  EXPECT_EQ(file.rows(), 0);
}

TEST(Transaction, ModesTakeTheWriteLockAtBeginOrAtTheFirstWrite) {
  Fixture file("modes");
  for (TransactionMode mode : {TransactionMode::kImmediate, TransactionMode::kExclusive}) {
    Transaction transaction(file.db.get(), file.path.string(), mode);
    EXPECT_FALSE(write_lock_free(file.path));
  }
  EXPECT_TRUE(write_lock_free(file.path));
  {
    Transaction transaction(file.db.get(), file.path.string(), TransactionMode::kDeferred);
    EXPECT_TRUE(write_lock_free(file.path));
    file.insert(1);
    EXPECT_FALSE(write_lock_free(file.path));
  }
  EXPECT_TRUE(write_lock_free(file.path));
  EXPECT_EQ(file.rows(), 0);
}

TEST(Transaction, DoesNotNestAndTheOuterOneStillRollsBack) {
  Fixture file("nested");
  {
    Transaction outer(file.db.get(), file.path.string());
    file.insert(1);
    const std::string message =
        error_of([&] { Transaction inner(file.db.get(), file.path.string()); });
    EXPECT_NE(message.find(file.path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("within a transaction"), std::string::npos) << message;
    EXPECT_TRUE(file.in_transaction());  // the failed inner one did not end the outer one
  }
  EXPECT_FALSE(file.in_transaction());
  EXPECT_EQ(file.rows(), 0);
}

// RAISE(ROLLBACK) ends the transaction inside SQLite: the destructor finds nothing to
// roll back and must not fail, and a commit() reports the lost writes.
TEST(Transaction, AfterSqliteRolledBackItselfCommitThrowsAndTheDestructorDoesNot) {
  Fixture file("rolled-back");
  raw_exec(file.db.get(),
           "CREATE TRIGGER roll_back BEFORE INSERT ON t WHEN NEW.x = 2"
           " BEGIN SELECT RAISE(ROLLBACK, 'rolled back inside'); END");
  std::string commit_error;
  ::testing::internal::CaptureStderr();
  {
    Transaction transaction(file.db.get(), file.path.string());
    file.insert(1);
    Statement insert(file.db.get(), file.path.string(), "INSERT INTO t VALUES (2)");
    EXPECT_NE(error_of([&] { insert.run(); }).find("rolled back inside"), std::string::npos);
    EXPECT_FALSE(file.in_transaction());
    commit_error = error_of([&] { transaction.commit(); });
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");  // no ROLLBACK tried, none failed
  EXPECT_NE(commit_error.find(file.path.string()), std::string::npos) << commit_error;
  EXPECT_NE(commit_error.find("no transaction is active"), std::string::npos) << commit_error;
  EXPECT_EQ(file.rows(), 0);
  EXPECT_TRUE(write_lock_free(file.path));
}

// An authorizer that refuses one transaction statement (COMMIT or ROLLBACK): SQLite's
// own way to make exactly that statement fail.
int refuse_transaction_statement(void* refused, int action, const char* what, const char*,
                                 const char*, const char*) {
  if (action == SQLITE_TRANSACTION && what &&
      std::string(what) == static_cast<const char*>(refused)) {
    return SQLITE_DENY;
  }
  return SQLITE_OK;
}

TEST(Transaction, AFailedCommitThrowsAndTheDestructorRollsBack) {
  Fixture file("failed-commit");
  char refused[] = "COMMIT";
  {
    Transaction transaction(file.db.get(), file.path.string());
    file.insert(1);
    sqlite3_set_authorizer(file.db.get(), refuse_transaction_statement, refused);
    const std::string message = error_of([&] { transaction.commit(); });
    sqlite3_set_authorizer(file.db.get(), nullptr, nullptr);
    EXPECT_NE(message.find(file.path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("not authorized"), std::string::npos) << message;
    EXPECT_TRUE(file.in_transaction());
  }
  EXPECT_FALSE(file.in_transaction());
  EXPECT_TRUE(write_lock_free(file.path));
  EXPECT_EQ(file.rows(), 0);
}

TEST(Transaction, AFailedRollbackIsReportedOnStderrNotThrown) {
  Fixture file("failed-rollback");
  char refused[] = "ROLLBACK";
  ::testing::internal::CaptureStderr();
  {
    Transaction transaction(file.db.get(), file.path.string());
    file.insert(1);
    sqlite3_set_authorizer(file.db.get(), refuse_transaction_statement, refused);
  }  // a throwing destructor would end the program here
  const std::string said = ::testing::internal::GetCapturedStderr();
  sqlite3_set_authorizer(file.db.get(), nullptr, nullptr);
  EXPECT_NE(said.find(file.path.string() + ": ROLLBACK failed"), std::string::npos) << said;
  EXPECT_TRUE(file.in_transaction());  // as reported: still open
  raw_exec(file.db.get(), "ROLLBACK");
  EXPECT_EQ(file.rows(), 0);
}

TEST(Transaction, CommittingTwiceIsALogicError) {
  Fixture file("twice");
  Transaction transaction(file.db.get(), file.path.string());
  transaction.commit();
  EXPECT_THROW(transaction.commit(), std::logic_error);
}

// --- Row readers -----------------------------------------------------------------

TEST(Rows, ForEachRowVisitsEveryRowInOrderThenTheStatementCanBeBoundAgain) {
  Fixture file("rows");
  for (int64_t x : {3, 1, 2}) file.insert(x);
  Statement query(file.db.get(), file.path.string(), "SELECT x FROM t WHERE x >= ?1 ORDER BY x");
  std::vector<int64_t> seen;
  query.bind_int64(1, 2);
  for_each_row(query, [&](const Statement& row) { seen.push_back(row.int64(0)); });
  EXPECT_EQ(seen, (std::vector<int64_t>{2, 3}));
  query.bind_int64(1, 1);
  EXPECT_EQ(read_rows(query, [](const Statement& row) { return row.int64(0); }),
            (std::vector<int64_t>{1, 2, 3}));
  query.bind_int64(1, 4);
  EXPECT_TRUE(read_rows(query, [](const Statement& row) { return row.int64(0); }).empty());
}

TEST(Rows, AReaderThatThrowsStillLeavesTheStatementReset) {
  Fixture file("rows-throw");
  for (int64_t x : {1, 2, 3}) file.insert(x);
  Statement query(file.db.get(), file.path.string(), "SELECT x FROM t WHERE x >= ?1 ORDER BY x");
  query.bind_int64(1, 1);
  EXPECT_THROW(for_each_row(query, [](const Statement&) { throw std::runtime_error("reader"); }),
               std::runtime_error);
  // A statement left mid-query could not be bound (SQLITE_MISUSE).
  EXPECT_NO_THROW(query.bind_int64(1, 3));
  EXPECT_EQ(read_rows(query, [](const Statement& row) { return row.int64(0); }),
            (std::vector<int64_t>{3}));
}

TEST(Rows, ReadFirstRowReadsOneRowOrNone) {
  Fixture file("first-row");
  for (int64_t x : {5, 6}) file.insert(x);
  Statement query(file.db.get(), file.path.string(), "SELECT x FROM t WHERE x >= ?1 ORDER BY x");
  auto read = [](const Statement& row) { return row.int64(0); };
  query.bind_int64(1, 0);
  EXPECT_EQ(read_first_row(query, read), std::optional<int64_t>(5));
  query.bind_int64(1, 6);  // reset after the first row: ready again
  EXPECT_EQ(read_first_row(query, read), std::optional<int64_t>(6));
  query.bind_int64(1, 7);
  EXPECT_EQ(read_first_row(query, read), std::nullopt);
}

// --- The file named in errors ----------------------------------------------------

// A statement outlives the string it was given (as a Store's path moves away when
// the Store is moved): its errors still name the file it was made for.
TEST(Statement, ErrorsNameItsFileAfterTheCallersStringChanged) {
  Fixture file("statement-path");
  testing::refuse(file.db.get(), "INSERT", "t");
  std::string caller_path = file.path.string();
  Statement insert(file.db.get(), caller_path, "INSERT INTO t VALUES (1)");
  caller_path.assign(200, 'x');
  const std::string message = error_of([&] { insert.run(); });
  EXPECT_EQ(message.rfind(file.path.string() + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(testing::kRefusedByTheTest), std::string::npos) << message;
}

}  // namespace
}  // namespace tensorpoly::sessions
