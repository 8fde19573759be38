// Every ERROR code of the spec (v4 section 9, v5 section 8), with its extra fields
// written by hand, and the retry predicate.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cql/frame_decoder.h"
#include "cql/hex.h"
#include "cql/hex_bytes.h"
#include "cql/protocol_error.h"
#include "cql/response.h"

namespace sluice::cql {
namespace {

// An ERROR frame of protocol `version` with `body_hex` as its body (the header's length
// is computed), decoded through the FrameDecoder.
ErrorResponse error_of(std::string_view body_hex, int version = 4) {
  FrameHeader h;
  h.version = static_cast<uint8_t>(version);
  h.response = true;
  h.stream = 1;
  h.opcode = Opcode::error;
  FrameDecoder d;
  auto frames = d.feed(encode_frame(h, H(body_hex)));
  if (frames.size() != 1) throw std::runtime_error("no frame");
  return std::get<ErrorResponse>(decode_response(frames[0]));
}

TEST(ErrorCodes, WithoutExtraFields) {
  const std::pair<const char*, ErrorCode> codes[] = {
      {"00000000", ErrorCode::server_error},     {"0000000a", ErrorCode::protocol_error},
      {"00000100", ErrorCode::authentication_error}, {"00001001", ErrorCode::overloaded},
      {"00001002", ErrorCode::is_bootstrapping}, {"00001003", ErrorCode::truncate_error},
      {"00001600", ErrorCode::cdc_write_failure}, {"00002000", ErrorCode::syntax_error},
      {"00002100", ErrorCode::unauthorized},     {"00002200", ErrorCode::invalid},
      {"00002300", ErrorCode::config_error},
  };
  for (const auto& [code, want] : codes) {
    auto e = error_of(std::string(code) + "0002 6f6b");  // <code> [string] "ok"
    EXPECT_EQ(e.code, want) << code;
    EXPECT_EQ(e.message, "ok");
    EXPECT_TRUE(std::holds_alternative<std::monostate>(e.details)) << code;
  }
  EXPECT_EQ(error_code_name(ErrorCode::is_bootstrapping), "Is_bootstrapping");
  EXPECT_EQ(error_code_name(static_cast<ErrorCode>(0x1234)), "error 0x1234");
  EXPECT_EQ(error_of("00001234 0000").code, static_cast<ErrorCode>(0x1234));  // a newer server's code
}

TEST(ErrorCodes, Unavailable) {
  auto e = error_of("00001000 0002 6f6b"
                    "0004"        // <cl> QUORUM
                    "00000002"    // <required>
                    "00000001");  // <alive>
  auto& u = std::get<UnavailableInfo>(e.details);
  EXPECT_EQ(u.consistency, Consistency::quorum);
  EXPECT_EQ(u.required, 2);
  EXPECT_EQ(u.alive, 1);
  EXPECT_EQ(describe(e), "Unavailable (0x1000): ok [consistency QUORUM, required 2, alive 1]");
}

TEST(ErrorCodes, WriteTimeout) {
  auto e = error_of("00001100 0002 6f6b"
                    "0001 00000000 00000001"  // <cl> ONE, <received> 0, <blockfor> 1
                    "0006 53494d504c45");     // <writeType> "SIMPLE"
  auto& w = std::get<WriteTimeoutInfo>(e.details);
  EXPECT_EQ(w.consistency, Consistency::one);
  EXPECT_EQ(w.block_for, 1);
  EXPECT_EQ(w.write_type, "SIMPLE");
  EXPECT_FALSE(w.contentions);
  auto cas = error_of("00001100 0002 6f6b 0008 00000000 00000001"
                      "0003 434153"  // "CAS"
                      "0005",        // v5 <contentions> 5
                      5);
  EXPECT_EQ(std::get<WriteTimeoutInfo>(cas.details).contentions, 5);
}

TEST(ErrorCodes, ReadTimeout) {
  auto e = error_of("00001200 0002 6f6b"
                    "0006 00000001 00000002"  // LOCAL_QUORUM, received 1, blockfor 2
                    "00");                    // data_present: no
  auto& r = std::get<ReadTimeoutInfo>(e.details);
  EXPECT_EQ(r.consistency, Consistency::local_quorum);
  EXPECT_EQ(r.received, 1);
  EXPECT_EQ(r.block_for, 2);
  EXPECT_FALSE(r.data_present);
}

TEST(ErrorCodes, ReadFailureV4NumFailuresV5ReasonMap) {
  auto v4 = error_of("00001300 0002 6f6b"
                     "0001 00000000 00000001"
                     "00000001"  // <numfailures>
                     "01");      // data_present
  auto& f4 = std::get<FailureInfo>(v4.details);
  EXPECT_EQ(f4.num_failures, 1);
  EXPECT_TRUE(f4.data_present);
  auto v5 = error_of("00001300 0002 6f6b"
                     "0001 00000000 00000001"
                     "00000001 04 0a000001 0002"  // <reasonmap>: 10.0.0.1 -> code 2
                     "00",
                     5);
  auto& f5 = std::get<FailureInfo>(v5.details);
  ASSERT_EQ(f5.reasons.size(), 1u);
  EXPECT_EQ(f5.reasons[0].endpoint.address(), "10.0.0.1");
  EXPECT_EQ(f5.reasons[0].code, 2);
  EXPECT_EQ(f5.num_failures, 1);
}

TEST(ErrorCodes, WriteFailure) {
  auto v4 = error_of("00001500 0002 6f6b 0001 00000000 00000001"
                     "00000002"             // <numfailures>
                     "0006 53494d504c45");  // "SIMPLE"
  EXPECT_EQ(std::get<FailureInfo>(v4.details).num_failures, 2);
  EXPECT_EQ(std::get<FailureInfo>(v4.details).write_type, "SIMPLE");
  auto v5 = error_of("00001500 0002 6f6b 0001 00000000 00000001"
                     "00000001 10 00000000000000000000000000000001 0000"  // [::1] -> 0
                     "0003 434153",                                       // "CAS"
                     5);
  auto& f5 = std::get<FailureInfo>(v5.details);
  EXPECT_EQ(f5.reasons.at(0).endpoint.address(), "::1");
  EXPECT_EQ(f5.write_type, "CAS");
}

TEST(ErrorCodes, FunctionFailure) {
  auto e = error_of("00001400 0002 6f6b"
                    "0002 6b73 0001 66"                  // ks, f
                    "0002 0003 696e74 0004 74657874");  // [int, text]
  auto& f = std::get<FunctionFailureInfo>(e.details);
  EXPECT_EQ(f.keyspace, "ks");
  EXPECT_EQ(f.function, "f");
  EXPECT_EQ(f.arg_types, (std::vector<std::string>{"int", "text"}));
  EXPECT_EQ(describe(e), "Function_failure (0x1400): ok [ks.f(int, text)]");
}

TEST(ErrorCodes, CasWriteUnknown) {
  auto e = error_of("00001700 0002 6f6b 0008 00000001 00000002", 5);  // SERIAL, 1 of 2
  auto& c = std::get<CasWriteUnknownInfo>(e.details);
  EXPECT_EQ(c.consistency, Consistency::serial);
  EXPECT_EQ(c.received, 1);
  EXPECT_EQ(c.block_for, 2);
}

TEST(ErrorCodes, AlreadyExistsAndUnprepared) {
  auto a = error_of("00002400 0002 6f6b 0002 6b73 0005 7573657273");  // ks, users
  EXPECT_EQ(std::get<AlreadyExistsInfo>(a.details).table, "users");
  auto u = error_of("00002500 0002 6f6b 0004 01020304");  // [short bytes] id
  EXPECT_EQ(std::get<UnpreparedInfo>(u.details).id, H("01020304"));
}

TEST(ErrorCodes, TruncatedDetails) {
  EXPECT_THROW(error_of("00001000 0002 6f6b 0004 00000002"), ProtocolError);  // no <alive>
}

TEST(Retry, IdempotentWrites) {
  auto with = [](ErrorCode c, ErrorDetails d = {}) { return ErrorResponse{c, "", std::move(d)}; };
  for (auto c : {ErrorCode::unavailable, ErrorCode::overloaded, ErrorCode::is_bootstrapping, ErrorCode::read_timeout,
                 ErrorCode::server_error, ErrorCode::truncate_error, ErrorCode::write_timeout})
    EXPECT_TRUE(retryable_for_idempotent_write(with(c))) << error_code_name(c);
  for (auto c : {ErrorCode::protocol_error, ErrorCode::authentication_error, ErrorCode::read_failure,
                 ErrorCode::write_failure, ErrorCode::function_failure, ErrorCode::cdc_write_failure,
                 ErrorCode::cas_write_unknown, ErrorCode::syntax_error, ErrorCode::unauthorized, ErrorCode::invalid,
                 ErrorCode::config_error, ErrorCode::already_exists, ErrorCode::unprepared})
    EXPECT_FALSE(retryable_for_idempotent_write(with(c))) << error_code_name(c);
  WriteTimeoutInfo simple;
  simple.write_type = "BATCH_LOG";
  EXPECT_TRUE(retryable_for_idempotent_write(with(ErrorCode::write_timeout, simple)));
  WriteTimeoutInfo cas;
  cas.write_type = "CAS";
  EXPECT_FALSE(retryable_for_idempotent_write(with(ErrorCode::write_timeout, cas)));
  WriteTimeoutInfo counter;
  counter.write_type = "COUNTER";
  EXPECT_FALSE(retryable_for_idempotent_write(with(ErrorCode::write_timeout, counter)));
}

}  // namespace
}  // namespace sluice::cql
