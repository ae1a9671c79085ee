// Early-return helpers for Status and Result, for code that chains many
// fallible calls (the SQLite store).
#pragma once

#include <utility>

#include "common/result.h"
#include "common/status.h"

// Returns the Status of `expr` from the enclosing function if it is an error.
#define OL_RETURN_IF_ERROR(expr)               \
  do {                                         \
    ::offerledger::Status ol_status_ = (expr); \
    if (!ol_status_.ok()) return ol_status_;   \
  } while (false)

#define OL_CONCAT_INNER(a, b) a##b
#define OL_CONCAT(a, b) OL_CONCAT_INNER(a, b)
#define OL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(*tmp)
// lhs = value of the Result `expr`, or return its error.
#define OL_ASSIGN_OR_RETURN(lhs, expr) \
  OL_ASSIGN_OR_RETURN_IMPL(OL_CONCAT(ol_result_, __LINE__), lhs, expr)
