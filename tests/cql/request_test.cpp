// Requests encoded byte for byte as the spec lays them out. Each expected frame is
// written as hex, one field per line, with the field named in the comment; the 9-byte
// header is version, flags, stream, opcode, body length.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cql/frame.h"
#include "cql/hex.h"
#include "cql/hex_bytes.h"
#include "cql/protocol_error.h"
#include "cql/request.h"

namespace sluice::cql {
namespace {

// Compares as hex so that a failure shows where the bytes differ.
#define EXPECT_BYTES(actual, expected_hex) EXPECT_EQ(to_hex(actual), to_hex(H(expected_hex)))

TEST(Startup, V4WithCqlVersionOnly) {
  EXPECT_BYTES(encode_request(StartupRequest{}, 4, 0),
               "04 00 0000 01 00000016"         // v4 request, no flags, stream 0, STARTUP, 22 bytes
               "0001"                           // [string map] of 1 entry
               "000b 43514c5f56455253494f4e"    // "CQL_VERSION"
               "0005 332e302e30");              // "3.0.0"
}

TEST(Startup, V5WithLz4IsNeverCompressed) {
  StartupRequest s;
  s.compression = Compression::lz4;
  EncodeOptions o;
  o.compression = Compression::lz4;  // negotiated by this very message: must not apply to it
  EXPECT_BYTES(encode_request(s, 5, 1, o),
               "05 00 0001 01 00000028"        // v5, stream 1, STARTUP, 40 bytes, no compression flag
               "0002"                          // 2 entries, in key order
               "000b 434f4d5052455353494f4e"   // "COMPRESSION"
               "0003 6c7a34"                   // "lz4"
               "000b 43514c5f56455253494f4e"   // "CQL_VERSION"
               "0005 332e302e30");             // "3.0.0"
  EXPECT_BYTES(encode_request(s, 4, 1, o), "04 00 0001 01 00000028" "0002"
                                           "000b 434f4d5052455353494f4e 0003 6c7a34"
                                           "000b 43514c5f56455253494f4e 0005 332e302e30");
}

TEST(Startup, DriverName) {
  StartupRequest s;
  s.driver_name = "sluice";
  EXPECT_BYTES(encode_request(s, 5, 0),
               "05 00 0000 01 0000002b"
               "0002"
               "000b 43514c5f56455253494f4e 0005 332e302e30"  // "CQL_VERSION": "3.0.0"
               "000b 4452495645525f4e414d45 0006 736c75696365");  // "DRIVER_NAME": "sluice"
}

TEST(AuthResponse, SaslPlainToken) {
  EXPECT_BYTES(encode_request(AuthResponseRequest::plain("cassandra", "cassandra"), 4, 2),
               "04 00 0002 0f 00000018"    // AUTH_RESPONSE on stream 2, 24 bytes
               "00000014"                  // [bytes] of 20
               "00 63617373616e647261"     // \0 "cassandra" (user)
               "00 63617373616e647261");   // \0 "cassandra" (password)
}

TEST(AuthResponse, NullToken) {
  EXPECT_BYTES(encode_request(AuthResponseRequest{}, 4, 0), "04 00 0000 0f 00000004 ffffffff");
}

TEST(Options, EmptyBody) { EXPECT_BYTES(encode_request(OptionsRequest{}, 4, 0), "04 00 0000 05 00000000"); }

TEST(Register, ThreeEventTypes) {
  RegisterRequest r{{kEventTopologyChange, kEventStatusChange, kEventSchemaChange}};
  EXPECT_BYTES(encode_request(r, 4, 0),
               "04 00 0000 0b 00000031"                  // REGISTER, 49 bytes
               "0003"                                    // [string list] of 3
               "000f 544f504f4c4f47595f4348414e4745"     // "TOPOLOGY_CHANGE"
               "000d 5354415455535f4348414e4745"         // "STATUS_CHANGE"
               "000d 534348454d415f4348414e4745");       // "SCHEMA_CHANGE"
}

TEST(Query, V4NoParameters) {
  QueryRequest q{"SELECT * FROM t", {}};
  q.params.consistency = Consistency::one;
  EXPECT_BYTES(encode_request(q, 4, 7),
               "04 00 0007 07 00000016"                     // QUERY on stream 7, 22 bytes
               "0000000f 53454c454354202a2046524f4d2074"    // [long string] "SELECT * FROM t"
               "0001"                                       // consistency ONE
               "00");                                       // flags [byte]: none
}

QueryParameters all_v4_parameters() {
  QueryParameters p;
  p.consistency = Consistency::quorum;
  p.values = {BindValue::of(H("0000002a")), BindValue::null()};
  p.value_names = {"a", "b"};
  p.skip_metadata = true;
  p.page_size = 100;
  p.paging_state = H("abcd");
  p.serial_consistency = Consistency::local_serial;
  p.default_timestamp_us = 1700000000000000;
  return p;
}

constexpr const char* kAllV4Parameters =
    "0004"                  // consistency QUORUM
    "%s"                    // flags, [byte] (v4) or [int] (v5)
    "0002"                  // 2 values
    "0001 61"               //   name "a"
    "00000004 0000002a"     //   [value] int 42
    "0001 62"               //   name "b"
    "ffffffff"              //   [value] null
    "00000064"              // page size 100
    "00000002 abcd"         // paging state [bytes]
    "0009"                  // serial consistency LOCAL_SERIAL
    "00060a24181e4000";     // default timestamp 1700000000000000 us

std::string with_flags(const char* flags) {
  char buf[512];
  std::snprintf(buf, sizeof buf, kAllV4Parameters, flags);
  return buf;
}

TEST(Query, V4AllFlags) {
  QueryRequest q{"Q", all_v4_parameters()};
  EXPECT_BYTES(encode_request(q, 4, 1),
               "04 00 0001 07 00000030"   // QUERY, 48 bytes
               "00000001 51"              // "Q"
               + with_flags("7f"));       // values|skip_metadata|page_size|paging_state|serial|timestamp|names
}

TEST(Query, V5AllFlagsWithKeyspaceAndNow) {
  QueryRequest q{"Q", all_v4_parameters()};
  q.params.keyspace = "ks";
  q.params.now_in_seconds = 1700000000;
  EXPECT_BYTES(encode_request(q, 5, 1),
               "05 00 0001 07 0000003b"  // QUERY, 59 bytes
               "00000001 51"             // "Q"
               + with_flags("000001ff")  // the v4 flags | keyspace 0x80 | now_in_seconds 0x100, as an [int]
               + "0002 6b73"             // keyspace "ks"
                 "6553f100");            // now_in_seconds 1700000000
}

TEST(Query, V5OnlyFieldsAreRefusedOnV4) {
  QueryRequest q{"Q", {}};
  q.params.keyspace = "ks";
  try {
    encode_request(q, 4, 0);
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), Errc::unsupported);
    EXPECT_NE(std::string(e.what()).find("needs protocol v5"), std::string::npos) << e.what();
  }
  q.params.keyspace.reset();
  q.params.now_in_seconds = 1;
  EXPECT_THROW(encode_request(q, 3, 0), ProtocolError);
}

TEST(Query, ValueNamesMustMatchValues) {
  QueryRequest q{"Q", {}};
  q.params.values = {BindValue::null()};
  q.params.value_names = {"a", "b"};
  EXPECT_THROW(encode_request(q, 4, 0), ProtocolError);
}

TEST(Query, UnsetValue) {
  QueryRequest q{"Q", {}};
  q.params.consistency = Consistency::one;
  q.params.values = {BindValue::unset()};
  EXPECT_BYTES(encode_request(q, 4, 0), "04 00 0000 07 0000000e"
                                        "00000001 51"  // "Q"
                                        "0001 01"      // ONE, flags: values
                                        "0001"         // 1 value
                                        "fffffffe");   // not set (-2)
}

TEST(Prepare, V4AndV5) {
  EXPECT_BYTES(encode_request(PrepareRequest{"Q", std::nullopt}, 4, 3),
               "04 00 0003 09 00000005 00000001 51");  // PREPARE: [long string] "Q"
  EXPECT_BYTES(encode_request(PrepareRequest{"Q", std::nullopt}, 5, 3),
               "05 00 0003 09 00000009 00000001 51"
               "00000000");                            // v5 flags [int]: none
  EXPECT_BYTES(encode_request(PrepareRequest{"Q", "ks"}, 5, 3),
               "05 00 0003 09 0000000d 00000001 51"
               "00000001"                              // flags: with keyspace
               "0002 6b73");                           // "ks"
  EXPECT_THROW(encode_request(PrepareRequest{"Q", "ks"}, 4, 3), ProtocolError);
}

TEST(Execute, V4IdThenParameters) {
  ExecuteRequest e;
  e.id = H("01020304");
  e.params.consistency = Consistency::local_quorum;
  e.params.values = {BindValue::of(H("07"))};
  EXPECT_BYTES(encode_request(e, 4, 9),
               "04 00 0009 0a 00000010"  // EXECUTE, 16 bytes
               "0004 01020304"           // id [short bytes]
               "0006 01"                 // LOCAL_QUORUM, flags: values
               "0001 00000001 07");      // 1 value: tinyint 7
}

TEST(Execute, V5IdResultMetadataIdThenParameters) {
  ExecuteRequest e;
  e.id = H("01020304");
  e.result_metadata_id = H("aabb");
  e.params.consistency = Consistency::local_quorum;
  e.params.values = {BindValue::of(H("07"))};
  e.params.skip_metadata = true;
  EXPECT_BYTES(encode_request(e, 5, 9),
               "05 00 0009 0a 00000017"  // EXECUTE, 23 bytes
               "0004 01020304"           // id
               "0002 aabb"               // result metadata id
               "0006 00000003"           // LOCAL_QUORUM, flags [int]: values | skip_metadata
               "0001 00000001 07");
}

BatchRequest sample_batch() {
  BatchRequest b;
  b.type = BatchType::unlogged;
  b.statements = {BatchStatement::query("Q1"), BatchStatement::execute(H("cafe"), {BindValue::of(H("05"))})};
  b.consistency = Consistency::local_quorum;
  b.default_timestamp_us = 1;
  return b;
}

TEST(Batch, V4) {
  EXPECT_BYTES(encode_request(sample_batch(), 4, 4),
               "04 00 0004 0d 00000023"  // BATCH, 35 bytes
               "01"                      // type: unlogged
               "0002"                    // 2 statements
               "00 00000002 5131 0000"   //   kind 0 (string), "Q1", no values
               "01 0002 cafe"            //   kind 1 (prepared), id
               "0001 00000001 05"        //   1 value
               "0006"                    // LOCAL_QUORUM
               "20"                      // flags [byte]: default timestamp
               "0000000000000001");      // timestamp 1 us
}

TEST(Batch, V5WithKeyspace) {
  BatchRequest b = sample_batch();
  b.type = BatchType::counter;
  b.keyspace = "ks";
  b.serial_consistency = Consistency::serial;
  EXPECT_BYTES(encode_request(b, 5, 4),
               "05 00 0004 0d 0000002c"  // BATCH, 44 bytes
               "02 0002"
               "00 00000002 5131 0000"
               "01 0002 cafe 0001 00000001 05"
               "0006"
               "000000b0"                // flags [int]: serial 0x10 | timestamp 0x20 | keyspace 0x80
               "0008"                    // serial consistency SERIAL
               "0000000000000001"        // timestamp
               "0002 6b73");             // keyspace "ks"
}

TEST(Frame, TracingBetaAndCustomPayload) {
  EncodeOptions o;
  o.tracing = true;
  o.beta = true;
  o.custom_payload = BytesMap{{"k", H("01")}};
  EXPECT_BYTES(encode_request(PrepareRequest{"Q", std::nullopt}, 5, 0, o),
               "05 16 0000 09 00000013"  // flags: tracing 0x02 | custom payload 0x04 | beta 0x10
               "0001 0001 6b 00000001 01"  // [bytes map] {"k": 0x01}, before the message
               "00000001 51 00000000");
  EXPECT_THROW(encode_request(OptionsRequest{}, 4, 0, o), ProtocolError);  // OPTIONS carries no payload
}

TEST(Frame, V4CompressionSetsTheFlagAndPrefixesTheLength) {
  QueryRequest q{std::string(200, 'x'), {}};
  EncodeOptions o;
  o.compression = Compression::lz4;
  std::string plain = encode_request(q, 4, 0);
  std::string packed = encode_request(q, 4, 0, o);
  EXPECT_EQ(static_cast<uint8_t>(packed[1]), kFlagCompression);
  EXPECT_LT(packed.size(), plain.size());
  // [int] uncompressed length right after the header, then the LZ4 block.
  EXPECT_EQ(to_hex(packed.substr(9, 4)), "000000cf");  // 207 = 4 + 200 + 2 + 1
  EXPECT_EQ(lz4_decompress_body(packed.substr(9), 1000), plain.substr(9));
  // v5 leaves compression to the segments.
  EXPECT_EQ(encode_request(q, 5, 0, o)[1], 0);
}

TEST(Frame, BadVersionOrStream) {
  EXPECT_THROW(encode_request(OptionsRequest{}, 2, 0), ProtocolError);
  EXPECT_THROW(encode_request(OptionsRequest{}, 6, 0), ProtocolError);
  EXPECT_THROW(encode_request(OptionsRequest{}, 4, -1), ProtocolError);
  EXPECT_EQ(to_hex(encode_request(OptionsRequest{}, 3, 32767)), "03007fff0500000000");
}

TEST(Frame, OpcodeOf) {
  EXPECT_EQ(opcode_of(Request{BatchRequest{}}), Opcode::batch);
  EXPECT_EQ(opcode_of(Request{RegisterRequest{}}), Opcode::register_);
  EXPECT_STREQ(opcode_name(Opcode::auth_challenge), "AUTH_CHALLENGE");
}

}  // namespace
}  // namespace sluice::cql
