// The sessions library's internal headers (Transaction, Statement and its row
// readers), for the tests of those pieces. The library publishes only
// sessions/include to its users, so they are reached relative to this file.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "../../sessions/sqlite_util.h"  // IWYU pragma: export
#include "../../sessions/transaction.h"  // IWYU pragma: export
