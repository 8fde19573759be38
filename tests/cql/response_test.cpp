// Responses decoded from frames written by hand from the spec. Every frame goes through
// the FrameDecoder split in two at every byte offset, and byte by byte, before
// decode_response reads it: a frame must decode the same however the socket cuts it.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cql/frame_decoder.h"
#include "cql/hex.h"
#include "cql/hex_bytes.h"
#include "cql/protocol_error.h"
#include "cql/response.h"

namespace sluice::cql {
namespace {

void expect_same(const Frame& a, const Frame& b, size_t cut) {
  EXPECT_EQ(a.header.stream, b.header.stream) << "cut at " << cut;
  EXPECT_EQ(a.header.opcode, b.header.opcode) << "cut at " << cut;
  EXPECT_EQ(a.header.flags, b.header.flags) << "cut at " << cut;
  EXPECT_EQ(a.body, b.body) << "cut at " << cut;
  EXPECT_EQ(a.message_offset, b.message_offset) << "cut at " << cut;
  EXPECT_EQ(a.tracing_id, b.tracing_id) << "cut at " << cut;
  EXPECT_EQ(a.warnings, b.warnings) << "cut at " << cut;
}

Frame decode_frame(const std::string& wire) {
  FrameDecoder whole;
  auto frames = whole.feed(wire);
  if (frames.size() != 1) throw std::runtime_error("expected one frame, got " + std::to_string(frames.size()));
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    FrameDecoder d;
    auto got = d.feed(std::string_view(wire).substr(0, cut));
    auto rest = d.feed(std::string_view(wire).substr(cut));
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(got.size(), 1u) << "cut at " << cut;
    EXPECT_EQ(d.buffered(), 0u);
    if (got.size() == 1) expect_same(frames[0], got[0], cut);
  }
  FrameDecoder bytewise;
  std::vector<Frame> got;
  for (char c : wire)
    for (auto& f : bytewise.feed(std::string_view(&c, 1))) got.push_back(std::move(f));
  EXPECT_EQ(got.size(), 1u);
  return frames[0];
}

Response decode(std::string_view hex) { return decode_response(decode_frame(H(hex))); }

template <class T>
T decode_as(std::string_view hex) {
  Response r = decode(hex);
  if (!std::holds_alternative<T>(r)) throw std::runtime_error("unexpected response type " + std::to_string(r.index()));
  return std::get<T>(r);
}

Uuid uuid(const char* text) { return *parse_uuid(text); }

TEST(Ready, EmptyBody) {
  decode_as<ReadyResponse>("84 00 0000 02 00000000");  // v4 response, stream 0, READY, no body
}

TEST(Authenticate, ClassName) {
  auto a = decode_as<AuthenticateResponse>(
      "84 00 0000 03 00000031"  // AUTHENTICATE, 49 bytes
      "002f 6f72672e6170616368652e63617373616e6472612e617574682e50617373776f726441757468656e74696361746f72");
  EXPECT_EQ(a.authenticator, "org.apache.cassandra.auth.PasswordAuthenticator");
}

TEST(Supported, StringMultimap) {
  auto s = decode_as<SupportedResponse>(
      "84 00 0000 06 00000037"                    // SUPPORTED, 55 bytes
      "0002"                                      // [string multimap] of 2
      "000b 434f4d5052455353494f4e"               // "COMPRESSION"
      "0001 0003 6c7a34"                          //   ["lz4"]
      "0011 50524f544f434f4c5f56455253494f4e53"   // "PROTOCOL_VERSIONS"
      "0002 0004 342f7634 0004 352f7635");        //   ["4/v4", "5/v5"]
  EXPECT_EQ(s.options.at("COMPRESSION"), std::vector<std::string>{"lz4"});
  EXPECT_EQ(s.options.at("PROTOCOL_VERSIONS"), (std::vector<std::string>{"4/v4", "5/v5"}));
}

TEST(Auth, ChallengeAndSuccess) {
  auto c = decode_as<AuthChallengeResponse>("84 00 0001 0e 00000006 00000002 abcd");  // [bytes] token
  EXPECT_EQ(c.token, H("abcd"));
  auto s = decode_as<AuthSuccessResponse>("84 00 0001 10 00000004 ffffffff");  // null token
  EXPECT_FALSE(s.token.has_value());
}

TEST(Result, VoidAndSetKeyspace) {
  decode_as<VoidResult>("84 00 0005 08 00000004 00000001");  // kind 1
  auto k = decode_as<SetKeyspaceResult>("84 00 0005 08 00000008 00000003 0002 6b73");  // kind 3, "ks"
  EXPECT_EQ(k.keyspace, "ks");
}

TEST(Result, RowsV4WithGlobalSpecAndPaging) {
  auto rows = decode_as<RowsResult>(
      "84 00 0005 08 0000006f"                 // RESULT, 111 bytes
      "00000002"                               // kind: Rows
      "00000003"                               // flags: global table spec | has more pages
      "00000002"                               // 2 columns
      "00000002 0102"                          // paging state [bytes]
      "0002 6b73 0005 7573657273"              // global table spec: ks.users
      "0002 6964 000c"                         // column "id" uuid
      "0004 74616773 0020 000d"                // column "tags" list<text>
      "00000002"                               // 2 rows
      "00000010 109cc0291c6746d9981a8ac3dfeac5cd"   // row 1: id
      "0000000e 00000002 00000001 61 00000001 62"   //        tags ['a', 'b']
      "00000010 00112233445566778899aabbccddeeff"   // row 2: id
      "ffffffff");                                  //        tags null
  const auto& m = rows.metadata;
  EXPECT_TRUE(m.has_more_pages());
  EXPECT_EQ(m.paging_state, H("0102"));
  ASSERT_EQ(m.columns.size(), 2u);
  EXPECT_EQ(m.columns[0].keyspace, "ks");
  EXPECT_EQ(m.columns[1].table, "users");
  EXPECT_EQ(m.columns[0].name, "id");
  EXPECT_EQ(m.columns[0].type, DataType::of(TypeId::uuid));
  EXPECT_EQ(m.columns[1].type, DataType::list_of(DataType::of(TypeId::varchar)));
  EXPECT_EQ(type_name(m.columns[1].type), "list<text>");
  ASSERT_EQ(rows.row_count, 2);
  EXPECT_EQ(rows.cell(0, 0), H("109cc0291c6746d9981a8ac3dfeac5cd"));
  EXPECT_EQ(rows.cell(0, 1), H("00000002 00000001 61 00000001 62"));
  EXPECT_FALSE(rows.cell(1, 1).has_value());
}

TEST(Result, RowsPerColumnTableSpec) {
  auto rows = decode_as<RowsResult>(
      "84 00 0005 08 00000023"
      "00000002 00000000 00000001"                   // Rows, no flags, 1 column
      "0002 6b73 0005 7573657273 0004 6e616d65 000d"  // ks.users.name text
      "00000000");                                   // no rows
  ASSERT_EQ(rows.metadata.columns.size(), 1u);
  EXPECT_EQ(rows.metadata.columns[0].keyspace, "ks");
  EXPECT_EQ(rows.metadata.columns[0].table, "users");
  EXPECT_EQ(rows.metadata.columns[0].name, "name");
  EXPECT_EQ(rows.row_count, 0);
}

TEST(Result, RowsNoMetadata) {
  auto rows = decode_as<RowsResult>(
      "84 00 0005 08 00000015"
      "00000002 00000004 00000001"  // Rows, flags: no metadata, 1 column
      "00000001 00000001 07");      // 1 row: one cell of 1 byte
  EXPECT_TRUE(rows.metadata.no_metadata());
  EXPECT_TRUE(rows.metadata.columns.empty());
  EXPECT_EQ(rows.cell(0, 0), H("07"));
}

TEST(Result, RowsV5MetadataChanged) {
  auto rows = decode_as<RowsResult>(
      "85 00 0005 08 0000002d"       // v5 RESULT
      "00000002 00000009 00000001"   // Rows, flags: global | metadata changed, 1 column
      "0002 beef"                    // new metadata id
      "0002 6b73 0005 7573657273"    // ks.users
      "0002 6964 0009"               // "id" int
      "00000001 00000004 0000002a"); // 1 row: 42
  EXPECT_EQ(rows.metadata.new_metadata_id, H("beef"));
  EXPECT_EQ(rows.metadata.columns.at(0).type, DataType::of(TypeId::int_));
}

TEST(Result, ColumnTypesIncludingCustomUdtTupleMapSet) {
  auto rows = decode_as<RowsResult>(
      "84 00 0005 08 00000054"
      "00000002 00000001 00000005 0002 6b73 0005 7573657273"
      "0001 6d 0021 000d 0009"                          // m map<text, int>
      "0001 73 0022 0009"                               // s set<int>
      "0001 74 0031 0002 0009 000d"                     // t tuple<int, text>
      "0001 75 0030 0002 6b73 0004 61646472 0001 0001 66 0009"  // u ks.addr {f int}
      "0001 63 0000 0001 66"                            // c custom 'f'
      "00000000");
  const auto& c = rows.metadata.columns;
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(type_name(c[0].type), "map<text, int>");
  EXPECT_EQ(type_name(c[1].type), "set<int>");
  EXPECT_EQ(type_name(c[2].type), "tuple<int, text>");
  EXPECT_EQ(type_name(c[3].type), "ks.addr");
  EXPECT_EQ(c[3].type.field_names, std::vector<std::string>{"f"});
  EXPECT_EQ(c[3].type.params.at(0), DataType::of(TypeId::int_));
  EXPECT_EQ(c[4].type.custom_class, "f");
}

constexpr const char* kPreparedMetadata =
    "00000001 00000002 00000001 0000"  // bind markers: flags global, 2 columns, 1 pk index: marker 0
    "0002 6b73 0005 7573657273"        // ks.users
    "0002 6964 000c"                   // "id" uuid
    "0004 6e616d65 000d"               // "name" text
    "00000004 00000000";               // result metadata: no metadata, 0 columns

TEST(Result, PreparedV4) {
  auto p = decode_as<PreparedResult>(std::string("84 00 0002 08 00000039 00000004 0004 01020304") + kPreparedMetadata);
  EXPECT_EQ(p.id, H("01020304"));
  EXPECT_TRUE(p.result_metadata_id.empty());
  EXPECT_EQ(p.variables.pk_indexes, std::vector<uint16_t>{0});
  ASSERT_EQ(p.variables.columns.size(), 2u);
  EXPECT_EQ(p.variables.columns[1].name, "name");
  EXPECT_EQ(p.variables.columns[1].type, DataType::of(TypeId::varchar));
  EXPECT_TRUE(p.result.no_metadata());
}

TEST(Result, PreparedV5HasResultMetadataId) {
  auto p = decode_as<PreparedResult>(std::string("85 00 0002 08 0000003d 00000004 0004 01020304 0002 beef") +
                                     kPreparedMetadata);
  EXPECT_EQ(p.id, H("01020304"));
  EXPECT_EQ(p.result_metadata_id, H("beef"));
  EXPECT_EQ(p.variables.columns.size(), 2u);
}

TEST(Result, SchemaChange) {
  auto s = decode_as<SchemaChangeResult>(
      "84 00 0001 08 0000001f 00000005"
      "0007 43524541544544 0005 5441424c45"  // CREATED TABLE
      "0002 6b73 0005 7573657273");          // ks users
  EXPECT_EQ(s.change, (SchemaChange{"CREATED", "TABLE", "ks", "users", {}}));
  auto f = decode_as<SchemaChangeResult>(
      "84 00 0001 08 0000002b 00000005"
      "0007 43524541544544 0008 46554e4354494f4e"  // CREATED FUNCTION
      "0002 6b73 0001 66"                          // ks f
      "0002 0003 696e74 0004 74657874");           // (int, text)
  EXPECT_EQ(f.change, (SchemaChange{"CREATED", "FUNCTION", "ks", "f", {"int", "text"}}));
}

TEST(Event, StatusTopologyAndSchema) {
  auto up = decode_as<EventResponse>(
      "84 00 ffff 0c 0000001c"                 // EVENT on stream -1
      "000d 5354415455535f4348414e4745"        // STATUS_CHANGE
      "0002 5550"                              // UP
      "04 0a000001 00002352");                 // [inet] 10.0.0.1:9042
  EXPECT_EQ(up.type, "STATUS_CHANGE");
  EXPECT_EQ(up.change, "UP");
  EXPECT_EQ(up.address.address(), "10.0.0.1");
  EXPECT_EQ(up.address.port, 9042);
  auto node = decode_as<EventResponse>(
      "84 00 ffff 0c 00000030"
      "000f 544f504f4c4f47595f4348414e4745"   // TOPOLOGY_CHANGE
      "0008 4e45575f4e4f4445"                 // NEW_NODE
      "10 00000000000000000000000000000001 00002352");  // [inet] [::1]:9042
  EXPECT_EQ(node.change, "NEW_NODE");
  EXPECT_EQ(node.address.address(), "::1");
  auto ks = decode_as<EventResponse>(
      "84 00 ffff 0c 00000026"
      "000d 534348454d415f4348414e4745"       // SCHEMA_CHANGE
      "0007 43524541544544 0008 4b45595350414345 0002 6b73");  // CREATED KEYSPACE ks
  EXPECT_EQ(ks.schema, (SchemaChange{"CREATED", "KEYSPACE", "ks", "", {}}));
}

TEST(Frame, TracingIdWarningsAndCustomPayloadComeFirst) {
  Frame f = decode_frame(H(
      "84 0e 0003 08 00000027"                    // flags: tracing | custom payload | warning
      "109cc0291c6746d9981a8ac3dfeac5cd"          // tracing id [uuid]
      "0001 0005 7761726e21"                      // warnings [string list]: "warn!"
      "0001 0001 6b 00000001 01"                  // custom payload [bytes map] {"k": 0x01}
      "00000001"));                               // the message: RESULT Void
  EXPECT_EQ(f.tracing_id, uuid("109cc029-1c67-46d9-981a-8ac3dfeac5cd"));
  EXPECT_EQ(f.warnings, std::vector<std::string>{"warn!"});
  EXPECT_EQ(f.custom_payload.at("k"), H("01"));
  EXPECT_TRUE(std::holds_alternative<VoidResult>(decode_response(f)));
}

TEST(Frame, TrailingBytesAreIgnored) {
  decode_as<VoidResult>("84 00 0005 08 00000006 00000001 abcd");
}

TEST(Truncated, TracingIdSaysWhatItExpected) {
  FrameDecoder d;
  try {
    d.feed(H("84 02 0003 08 00000007 01020304050607"));  // tracing flag, 7 of a 16-byte uuid
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), Errc::truncated);
    EXPECT_EQ(std::string(e.what()), "truncated frame: expected 16 bytes for a [uuid], 7 left (at offset 0)");
  }
}

TEST(Truncated, CellNamesOpcodeStreamAndOffset) {
  try {
    decode("84 00 0005 08 0000001b"
           "00000002 00000004 00000001"   // Rows, no metadata, 1 column
           "00000001"                     // 1 row
           "00000010 01020304050607");    // a cell of 16 bytes with only 7 there
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), Errc::truncated);
    EXPECT_EQ(std::string(e.what()),
              "RESULT on stream 5: truncated frame: expected 16 bytes for a [bytes], 7 left (at offset 20)");
  }
}

TEST(Truncated, RowCountAboveWhatTheBodyHolds) {
  // 1,000,000 rows of 1,000 columns claimed in a 20-byte body: refused before reserving.
  EXPECT_THROW(decode("84 00 0005 08 00000014 00000002 00000004 000003e8 000f4240 00000000"), ProtocolError);
}

TEST(Errors, UnknownResultKindAndRequestOpcodes) {
  EXPECT_THROW(decode("84 00 0005 08 00000004 00000009"), ProtocolError);
  Frame f;
  f.header.version = 4;
  f.header.response = true;
  f.header.opcode = Opcode::query;
  EXPECT_THROW(decode_response(f), ProtocolError);
}

TEST(Errors, DeeplyNestedTypeIsRefused) {
  std::string hex = "00000002 00000001 00000001 0002 6b73 0001 74 0001 6d";
  for (int i = 0; i < 40; ++i) hex += "0020";  // list<list<list<...
  hex += "0009 00000000";
  std::string body = H(hex);
  FrameHeader h;
  h.version = 4;
  h.response = true;
  h.opcode = Opcode::result;
  EXPECT_THROW(decode_response(decode_frame(encode_frame(h, body))), ProtocolError);
}

}  // namespace
}  // namespace sluice::cql
