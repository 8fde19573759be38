#pragma once
// Errors a user can cause, and how the CLI turns them into exit codes.
//
// UsageError: bad flag, bad config key or value, unknown URI scheme. Exit 2, and the
//   command must not have written anything yet.
// FatalError: the command cannot go on (writer lock taken, broker unreachable at start,
//   disk full). Exit 1.
// Everything else (a bad record, a failed HTTP call) is not an exception: it is counted
// and handled where it happens.
#include <stdexcept>
#include <string>

namespace sluice {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sluice
