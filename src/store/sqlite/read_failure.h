// Why a read of the SQLite file failed, in the words a partner may read.
//
// A read that fails (the file locked by another process past the busy
// timeout, an I/O error, a file that vanished) reaches the partner as a 503.
// SQLite's own message names the database path, which is an internal detail,
// so the store's read connections answer with ReadFailureStatus() instead and
// say the details on stderr -- at most one line every ten seconds, because a
// failing disk fails every read of every request.
#pragma once

#include "common/status.h"

struct sqlite3;

namespace offerledger::sqlite {

// `cause` is the store's own Status for the failed call on `db` (nullptr when
// the connection could not even be opened). Statuses other than kUnavailable
// are returned as they are: a 500 is already hidden from partners by the HTTP
// layer, and a constraint or corrupt row is not a transient storage failure.
Status ReadFailureStatus(sqlite3* db, const Status& cause);

}  // namespace offerledger::sqlite
