#include "cql/error_response.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cql/wire_reader.h"

namespace sluice::cql {

std::string error_code_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::server_error: return "Server_error";
    case ErrorCode::protocol_error: return "Protocol_error";
    case ErrorCode::authentication_error: return "Authentication_error";
    case ErrorCode::unavailable: return "Unavailable";
    case ErrorCode::overloaded: return "Overloaded";
    case ErrorCode::is_bootstrapping: return "Is_bootstrapping";
    case ErrorCode::truncate_error: return "Truncate_error";
    case ErrorCode::write_timeout: return "Write_timeout";
    case ErrorCode::read_timeout: return "Read_timeout";
    case ErrorCode::read_failure: return "Read_failure";
    case ErrorCode::function_failure: return "Function_failure";
    case ErrorCode::write_failure: return "Write_failure";
    case ErrorCode::cdc_write_failure: return "CDC_write_failure";
    case ErrorCode::cas_write_unknown: return "CAS_write_unknown";
    case ErrorCode::syntax_error: return "Syntax_error";
    case ErrorCode::unauthorized: return "Unauthorized";
    case ErrorCode::invalid: return "Invalid";
    case ErrorCode::config_error: return "Config_error";
    case ErrorCode::already_exists: return "Already_exists";
    case ErrorCode::unprepared: return "Unprepared";
  }
  return fmt::format("error 0x{:04x}", static_cast<int32_t>(c));
}

namespace {

FailureInfo read_failure_info(WireReader& r, int version, bool is_read) {
  FailureInfo f;
  f.consistency = r.read_consistency();
  f.received = r.read_int();
  f.block_for = r.read_int();
  if (version >= 5) {
    int32_t n = r.read_int();
    if (n < 0) r.fail(Errc::bad_value, fmt::format("failure <reasonmap> with {} entries", n));
    r.check_count(static_cast<uint64_t>(n), 7, "failure reasons");  // [inetaddr] >= 5, [short] 2
    for (int32_t i = 0; i < n; ++i) {
      FailureReason reason;
      reason.endpoint = r.read_inetaddr();
      reason.code = r.read_short();
      f.reasons.push_back(reason);
    }
    f.num_failures = n;
  } else {
    f.num_failures = r.read_int();
  }
  if (is_read)
    f.data_present = r.read_byte() != 0;
  else
    f.write_type = r.read_string();
  return f;
}

}  // namespace

ErrorResponse read_error(WireReader& r, int version) {
  ErrorResponse e;
  e.code = static_cast<ErrorCode>(r.read_int());
  e.message = r.read_string();
  switch (e.code) {
    case ErrorCode::unavailable: {
      UnavailableInfo u;
      u.consistency = r.read_consistency();
      u.required = r.read_int();
      u.alive = r.read_int();
      e.details = u;
      break;
    }
    case ErrorCode::write_timeout: {
      WriteTimeoutInfo w;
      w.consistency = r.read_consistency();
      w.received = r.read_int();
      w.block_for = r.read_int();
      w.write_type = r.read_string();
      // v5 adds <contentions> for CAS; read it only if sent, as 4.0 servers may not.
      if (version >= 5 && w.write_type == "CAS" && r.remaining() >= 2) w.contentions = r.read_short();
      e.details = w;
      break;
    }
    case ErrorCode::read_timeout: {
      ReadTimeoutInfo t;
      t.consistency = r.read_consistency();
      t.received = r.read_int();
      t.block_for = r.read_int();
      t.data_present = r.read_byte() != 0;
      e.details = t;
      break;
    }
    case ErrorCode::read_failure: e.details = read_failure_info(r, version, true); break;
    case ErrorCode::write_failure: e.details = read_failure_info(r, version, false); break;
    case ErrorCode::function_failure: {
      FunctionFailureInfo f;
      f.keyspace = r.read_string();
      f.function = r.read_string();
      f.arg_types = r.read_string_list();
      e.details = f;
      break;
    }
    case ErrorCode::already_exists: {
      AlreadyExistsInfo a;
      a.keyspace = r.read_string();
      a.table = r.read_string();
      e.details = a;
      break;
    }
    case ErrorCode::unprepared: e.details = UnpreparedInfo{r.read_short_bytes()}; break;
    case ErrorCode::cas_write_unknown: {
      CasWriteUnknownInfo c;
      c.consistency = r.read_consistency();
      c.received = r.read_int();
      c.block_for = r.read_int();
      e.details = c;
      break;
    }
    default: break;  // no extra fields (CDC_write_failure's are "todo" in the spec)
  }
  return e;
}

std::string describe(const ErrorResponse& e) {
  std::string s = fmt::format("{} (0x{:04x}): {}", error_code_name(e.code), static_cast<int32_t>(e.code), e.message);
  if (auto* u = std::get_if<UnavailableInfo>(&e.details)) {
    s += fmt::format(" [consistency {}, required {}, alive {}]", consistency_name(u->consistency), u->required,
                     u->alive);
  } else if (auto* w = std::get_if<WriteTimeoutInfo>(&e.details)) {
    s += fmt::format(" [consistency {}, received {} of {}, write type {}]", consistency_name(w->consistency),
                     w->received, w->block_for, w->write_type);
  } else if (auto* t = std::get_if<ReadTimeoutInfo>(&e.details)) {
    s += fmt::format(" [consistency {}, received {} of {}, data {}]", consistency_name(t->consistency), t->received,
                     t->block_for, t->data_present ? "present" : "absent");
  } else if (auto* f = std::get_if<FailureInfo>(&e.details)) {
    s += fmt::format(" [consistency {}, received {} of {}, {} failed]", consistency_name(f->consistency),
                     f->received, f->block_for, f->num_failures);
  } else if (auto* a = std::get_if<AlreadyExistsInfo>(&e.details)) {
    s += fmt::format(" [{}{}{}]", a->keyspace, a->table.empty() ? "" : ".", a->table);
  } else if (auto* fn = std::get_if<FunctionFailureInfo>(&e.details)) {
    s += fmt::format(" [{}.{}({})]", fn->keyspace, fn->function, fmt::join(fn->arg_types, ", "));
  }
  return s;
}

bool retryable_for_idempotent_write(const ErrorResponse& e) {
  switch (e.code) {
    case ErrorCode::unavailable:
    case ErrorCode::overloaded:
    case ErrorCode::is_bootstrapping:
    case ErrorCode::read_timeout:
    case ErrorCode::server_error:
    case ErrorCode::truncate_error: return true;
    case ErrorCode::write_timeout: {
      auto* w = std::get_if<WriteTimeoutInfo>(&e.details);
      return !w || (w->write_type != "CAS" && w->write_type != "COUNTER");
    }
    default: return false;
  }
}

}  // namespace sluice::cql
