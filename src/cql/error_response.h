#pragma once
// The ERROR response (spec v4 section 9, v5 section 8):
//   <code: [int]><message: [string]> then extra fields that depend on the code.
//
// Every code of the spec is an ErrorCode; a code a newer server invents keeps its value
// (ErrorCode is an int32_t underneath) and decodes with no details.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cql/wire_types.h"

namespace sluice::cql {

class WireReader;

enum class ErrorCode : int32_t {
  server_error = 0x0000,
  protocol_error = 0x000A,
  authentication_error = 0x0100,
  unavailable = 0x1000,
  overloaded = 0x1001,
  is_bootstrapping = 0x1002,
  truncate_error = 0x1003,
  write_timeout = 0x1100,
  read_timeout = 0x1200,
  read_failure = 0x1300,
  function_failure = 0x1400,
  write_failure = 0x1500,
  cdc_write_failure = 0x1600,  // v5
  cas_write_unknown = 0x1700,  // v5
  syntax_error = 0x2000,
  unauthorized = 0x2100,
  invalid = 0x2200,
  config_error = 0x2300,
  already_exists = 0x2400,
  unprepared = 0x2500,
};

// "Unavailable", "Write_timeout"...: the spec's names; "error 0x1234" for others.
std::string error_code_name(ErrorCode c);

struct UnavailableInfo {  // <cl><required><alive>
  Consistency consistency{};
  int32_t required = 0;
  int32_t alive = 0;
};

struct WriteTimeoutInfo {  // <cl><received><blockfor><writeType>[<contentions>]
  Consistency consistency{};
  int32_t received = 0;
  int32_t block_for = 0;
  std::string write_type;               // SIMPLE, BATCH, UNLOGGED_BATCH, COUNTER, BATCH_LOG, CAS, VIEW, CDC
  std::optional<uint16_t> contentions;  // v5, with write_type CAS
};

struct ReadTimeoutInfo {  // <cl><received><blockfor><data_present>
  Consistency consistency{};
  int32_t received = 0;
  int32_t block_for = 0;
  bool data_present = false;
};

struct FailureReason {  // v5 <reasonmap> entry: <endpoint: [inetaddr]><failurecode: [short]>
  Inet endpoint;
  uint16_t code = 0;
};

// Read_failure: <cl><received><blockfor><numfailures | reasonmap><data_present>
// Write_failure: <cl><received><blockfor><numfailures | reasonmap><writeType>
// v4 sends <numfailures: [int]>, v5 the <reasonmap> ([int] n, n reasons).
struct FailureInfo {
  Consistency consistency{};
  int32_t received = 0;
  int32_t block_for = 0;
  int32_t num_failures = 0;  // v5: reasons.size()
  std::vector<FailureReason> reasons;
  bool data_present = false;  // read failures
  std::string write_type;     // write failures
};

struct FunctionFailureInfo {  // <keyspace><function><arg_types: [string list]>
  std::string keyspace;
  std::string function;
  std::vector<std::string> arg_types;
};

struct AlreadyExistsInfo {  // <ks><table>; table is empty for a keyspace
  std::string keyspace;
  std::string table;
};

struct UnpreparedInfo {  // [short bytes] the id the server does not know: prepare again
  std::string id;
};

struct CasWriteUnknownInfo {  // <cl><received><blockfor>
  Consistency consistency{};
  int32_t received = 0;
  int32_t block_for = 0;
};

using ErrorDetails = std::variant<std::monostate, UnavailableInfo, WriteTimeoutInfo, ReadTimeoutInfo, FailureInfo,
                                  FunctionFailureInfo, AlreadyExistsInfo, UnpreparedInfo, CasWriteUnknownInfo>;

struct ErrorResponse {
  ErrorCode code = ErrorCode::server_error;
  std::string message;
  ErrorDetails details;
};

// Decodes the body after the frame prefix; `version` picks numfailures vs reasonmap.
ErrorResponse read_error(WireReader& r, int version);

// One line for logs and users: name, code, the server's message and the details.
std::string describe(const ErrorResponse& e);

// May an idempotent write that got this error be sent again (to this or another
// coordinator, after the caller's backoff)?
//
//   yes: Unavailable, Overloaded, Is_bootstrapping (the coordinator refused before any
//        replica saw the write); Write_timeout and Read_timeout (the outcome is unknown,
//        which is fine for an idempotent write); Server_error and Truncate_error (a
//        coordinator's transient trouble, another may succeed).
//   no:  Write_timeout whose write type is CAS (a retried lightweight transaction can
//        report [applied]=false for its own first attempt) or COUNTER (counter updates
//        are never idempotent, whatever the caller says); Read_failure and
//        Write_failure (a replica failed for a reason that will repeat, e.g. too many
//        tombstones); CDC_write_failure (CDC space is full); CAS_write_unknown; and
//        every request error (syntax, invalid, unauthorized, config, already exists,
//        authentication, protocol).
//   Unprepared is not a retry in this sense: the caller prepares again, then executes.
bool retryable_for_idempotent_write(const ErrorResponse& e);

}  // namespace sluice::cql
