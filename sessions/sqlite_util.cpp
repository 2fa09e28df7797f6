// SPDX-License-Identifier: GPL-3.0-or-later
#include "sqlite_util.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <utility>

#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions::detail {

namespace {

// StoreBusyError when `code` says another connection holds the lock, else StoreError.
[[noreturn]] void throw_store_error(int code, const std::string& message) {
  const int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw StoreBusyError(message);
  throw StoreError(message);
}

}  // namespace

void fail(sqlite3* db, const std::string& path, const std::string& what) {
  throw_store_error(db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM,
                    path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const std::string& path, const std::string& sql) {
  char* error = nullptr;
  const int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  if (code != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    throw_store_error(code, path + ": " + message);
  }
}

int user_version(sqlite3* db, const std::string& path, const std::string& database) {
  Statement pragma(db, path, "PRAGMA " + quoted(database) + ".user_version");
  return read_first_row(pragma, [](const Statement& row) { return static_cast<int>(row.int64(0)); })
      .value_or(0);
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string quoted(const std::string& identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

namespace {
// strerror_r is the XSI one (int) or the GNU one (char*) depending on the C library.
[[maybe_unused]] const char* strerror_result(int result, const char* buffer) {
  return result == 0 ? buffer : "unknown error";
}
[[maybe_unused]] const char* strerror_result(const char* result, const char*) { return result; }
}  // namespace

std::string errno_text(int error) {
  char buffer[256] = "";
  return strerror_result(strerror_r(error, buffer, sizeof buffer), buffer);
}

std::string file_uri(const std::string& path, bool read_only) {
  static const char* hex = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += hex[c >> 4];
      uri += hex[c & 15];
    }
  }
  if (read_only) uri += "?mode=ro";
  return uri;
}

Statement::Statement(sqlite3* db, std::string path, const std::string& sql)
    : db_(db), path_(std::move(path)), owned_(true) {
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
    fail(db, path_, "cannot prepare '" + sql + "'");
  }
}

Statement::Statement(sqlite3* db, std::string path, sqlite3_stmt* cached)
    : db_(db), path_(std::move(path)), stmt_(cached), owned_(false) {}

Statement::~Statement() {
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    reset();
  }
}

Statement& Statement::bind_int64(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, path_, "cannot bind");
  return *this;
}

Statement& Statement::bind_double(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail(db_, path_, "cannot bind");
  return *this;
}

Statement& Statement::bind_text(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    fail(db_, path_, "cannot bind");
  }
  return *this;
}

Statement& Statement::bind_text_static(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_STATIC) != SQLITE_OK) {
    fail(db_, path_, "cannot bind");
  }
  return *this;
}

Statement& Statement::bind_blob(int index, const void* data, size_t bytes) {
  if (sqlite3_bind_blob64(stmt_, index, bytes ? data : "", bytes, SQLITE_TRANSIENT) != SQLITE_OK) {
    fail(db_, path_, "cannot bind");
  }
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
  fail(db_, path_, "'" + sql.substr(0, 80) + "' failed");
}

void Statement::run() {
  ResetOnExit reset(*this);
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::text(int column) const {
  const auto* value = sqlite3_column_text(stmt_, column);
  return value ? std::string(reinterpret_cast<const char*>(value),
                             static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
               : std::string();
}

std::vector<unsigned char> Statement::blob(int column) const {
  const auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, column));
  const int bytes = sqlite3_column_bytes(stmt_, column);
  return data ? std::vector<unsigned char>(data, data + bytes) : std::vector<unsigned char>();
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

}  // namespace tensorpoly::sessions::detail

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>

namespace tensorpoly::sessions::detail {

int process_descriptor(const std::string& path, bool writable) {
  static std::mutex mutex;
  static std::map<std::pair<dev_t, ino_t>, int> descriptors[2];
  struct stat file {};
  if (::stat(path.c_str(), &file) != 0) return -1;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& known = descriptors[writable ? 1 : 0];
  const auto key = std::make_pair(file.st_dev, file.st_ino);
  const auto found = known.find(key);
  if (found != known.end()) {
    struct stat open_file {};
    if (::fstat(found->second, &open_file) == 0 && open_file.st_nlink > 0) return found->second;
    // Deleted (its inode number now reused): no store lives in it any more.
    ::close(found->second);
    known.erase(found);
  }
  const int fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd >= 0) known[key] = fd;
  return fd;
}

FileCheck check_store_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return {false, true};
    throw StoreError(path + ": cannot open: " + errno_text(errno));
  }
  if (S_ISDIR(info.st_mode)) throw StoreError(path + ": is a directory, not a store file");
  if (S_ISREG(info.st_mode) && info.st_nlink > 1) {
    throw StoreError(path + ": the file has " + std::to_string(info.st_nlink) +
                     " hard links; SQLite keeps a store's write-ahead log beside the name it is "
                     "opened by, so two names of one store could each miss the other's "
                     "writes: open it by one name only (remove the other links, or copy the "
                     "file); the file was left untouched");
  }
  FileCheck check;
  check.exists = true;
  check.writable = ::access(path.c_str(), W_OK) == 0 && (info.st_mode & 0222) != 0;
  const auto size = static_cast<uint64_t>(info.st_size);
  if (size == 0) return check;  // an empty file is an empty database
  unsigned char header[100] = {};
  // Through the process's descriptor: closing one of our own would drop SQLite's locks.
  const int fd = process_descriptor(path, false);
  if (fd < 0 || ::pread(fd, header, sizeof header, 0) < 0) {
    throw StoreError(path + ": cannot read: " + errno_text(errno));
  }
  if (size < sizeof header || std::memcmp(header, "SQLite format 3", 16) != 0) {
    throw StoreError(path +
                     ": is not a SQLite database (no 'SQLite format 3' header); "
                     "the file was left untouched");
  }
  uint64_t page_size = (uint64_t{header[16]} << 8) | header[17];
  if (page_size == 1) page_size = 65536;
  if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0) {
    throw StoreError(path + ": corrupted SQLite header (page size " + std::to_string(page_size) +
                     "); the file was left untouched");
  }
  if (size % page_size != 0) {
    throw StoreError(path + ": truncated or corrupted: " + std::to_string(size) +
                     " bytes is not a whole number of " + std::to_string(page_size) +
                     "-byte pages; the file was left untouched");
  }
  auto be32 = [&header](int offset) {
    return (uint32_t{header[offset]} << 24) | (uint32_t{header[offset + 1]} << 16) |
           (uint32_t{header[offset + 2]} << 8) | uint32_t{header[offset + 3]};
  };
  // The page count in the header is valid when "version-valid-for" matches the change
  // counter. With a non-empty -wal beside it, a checkpoint may have been cut short and
  // the WAL completes the file, so only check a file that stands alone.
  struct stat wal {};
  const bool has_wal = ::stat((path + "-wal").c_str(), &wal) == 0 && wal.st_size > 0;
  const uint64_t pages = be32(28);
  if (!has_wal && be32(24) == be32(92) && pages * page_size > size) {
    throw StoreError(path + ": truncated: the header counts " + std::to_string(pages) +
                     " pages of " + std::to_string(page_size) + " bytes but the file has " +
                     std::to_string(size) + " bytes; the file was left untouched");
  }
  return check;
}

sqlite3* open_connection(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
                    (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = path + ": cannot open: " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    throw StoreError(message);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  return db;
}

int read_schema_version(sqlite3* db, const std::string& path, const std::string& database) {
  try {
    Statement schema(db, path, "SELECT count(*) FROM " + quoted(database) + ".sqlite_master");
    schema.run();
    return user_version(db, path, database);
  } catch (const StoreBusyError& error) {
    // A lock is no damage: the same file opens once the other program is done.
    throw StoreBusyError(std::string(error.what()) +
                         " (another program holds the store locked; try again when it is done; "
                         "the file was left untouched)");
  } catch (const StoreError& error) {
    throw StoreError(std::string(error.what()) +
                     " (not a readable store; the file was left "
                     "untouched)");
  }
}

}  // namespace tensorpoly::sessions::detail
