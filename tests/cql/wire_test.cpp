// The notations of spec section 3, written and read back, and the reader's bounds.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

#include "cql/hex.h"
#include "cql/hex_bytes.h"
#include "cql/protocol_error.h"
#include "cql/wire_reader.h"
#include "cql/wire_writer.h"

namespace sluice::cql {
namespace {

std::string truncation_message(const std::function<void(WireReader&)>& read, std::string_view bytes) {
  WireReader r(bytes);
  try {
    read(r);
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), Errc::truncated);
    return e.what();
  }
  return "no error";
}

TEST(Wire, ScalarsAreBigEndian) {
  std::string out;
  WireWriter w(out);
  w.put_byte(0xab);
  w.put_short(0x0102);
  w.put_int(-2);
  w.put_long(0x0102030405060708);
  w.put_consistency(Consistency::local_one);
  EXPECT_EQ(to_hex(out), "ab" "0102" "fffffffe" "0102030405060708" "000a");
  WireReader r(out);
  EXPECT_EQ(r.read_byte(), 0xab);
  EXPECT_EQ(r.read_short(), 0x0102);
  EXPECT_EQ(r.read_int(), -2);
  EXPECT_EQ(r.read_long(), 0x0102030405060708);
  EXPECT_EQ(r.read_consistency(), Consistency::local_one);
  EXPECT_TRUE(r.empty());
}

TEST(Wire, StringsAndBytes) {
  std::string out;
  WireWriter w(out);
  w.put_string("ab");
  w.put_long_string("c");
  w.put_string_list({"x", ""});
  w.put_bytes(Bytes{});             // null
  w.put_bytes(std::string_view()); // empty, not null
  w.put_short_bytes(H("ff"));
  EXPECT_EQ(to_hex(out), to_hex(H("0002 6162"             // [string] "ab"
                                  "00000001 63"           // [long string] "c"
                                  "0002 0001 78 0000"     // [string list] ["x", ""]
                                  "ffffffff"              // [bytes] null
                                  "00000000"              // [bytes] empty
                                  "0001 ff")));           // [short bytes] ff
  WireReader r(out);
  EXPECT_EQ(r.read_string(), "ab");
  EXPECT_EQ(r.read_long_string(), "c");
  EXPECT_EQ(r.read_string_list(), (std::vector<std::string>{"x", ""}));
  EXPECT_EQ(r.read_bytes(), std::nullopt);
  EXPECT_EQ(r.read_bytes(), std::string());
  EXPECT_EQ(r.read_short_bytes(), H("ff"));
  EXPECT_TRUE(r.empty());
}

TEST(Wire, ValueNullAndNotSet) {
  std::string out;
  WireWriter w(out);
  w.put_value(BindValue::of(H("07")));
  w.put_value(BindValue::null());
  w.put_value(BindValue::unset());
  EXPECT_EQ(to_hex(out), "0000000107" "ffffffff" "fffffffe");
  WireReader r(out);
  EXPECT_EQ(r.read_value(), BindValue::of(H("07")));
  EXPECT_EQ(r.read_value(), BindValue::null());
  EXPECT_EQ(r.read_value(), BindValue::unset());
  std::string minus_three = H("fffffffd");  // -3: invalid
  WireReader bad(minus_three);
  EXPECT_THROW(bad.read_value(), ProtocolError);
}

TEST(Wire, UuidInetConsistency) {
  Uuid u = *parse_uuid("109cc029-1c67-46d9-981a-8ac3dfeac5cd");
  Inet v4;
  v4.size = 4;
  v4.bytes = {127, 0, 0, 1};
  v4.port = 9042;
  Inet v6;
  v6.size = 16;
  v6.bytes[15] = 1;
  std::string out;
  WireWriter w(out);
  w.put_uuid(u);
  w.put_inet(v4);
  w.put_inetaddr(v6);
  EXPECT_EQ(to_hex(out), to_hex(H("109cc0291c6746d9981a8ac3dfeac5cd"         // [uuid]
                                  "04 7f000001 00002352"                      // [inet] 127.0.0.1:9042
                                  "10 00000000000000000000000000000001")));  // [inetaddr] ::1
  WireReader r(out);
  EXPECT_EQ(r.read_uuid(), u);
  Inet a = r.read_inet();
  EXPECT_EQ(a, v4);
  EXPECT_EQ(a.address(), "127.0.0.1");
  Inet b = r.read_inetaddr();
  EXPECT_EQ(b.address(), "::1");
  std::string five_bytes = H("05 0102030405");
  WireReader five(five_bytes);
  EXPECT_THROW(five.read_inetaddr(), ProtocolError);
}

TEST(Wire, Maps) {
  StringMap sm{{"a", "1"}, {"b", "2"}};
  StringMultimap mm{{"k", {"x", "y"}}};
  BytesMap bm{{"n", std::nullopt}, {"v", H("01")}};
  std::string out;
  WireWriter w(out);
  w.put_string_map(sm);
  w.put_string_multimap(mm);
  w.put_bytes_map(bm);
  EXPECT_EQ(to_hex(out), to_hex(H("0002 0001 61 0001 31 0001 62 0001 32"      // {"a": "1", "b": "2"}
                                  "0001 0001 6b 0002 0001 78 0001 79"          // {"k": ["x", "y"]}
                                  "0002 0001 6e ffffffff 0001 76 00000001 01")));  // {"n": null, "v": 0x01}
  WireReader r(out);
  EXPECT_EQ(r.read_string_map(), sm);
  EXPECT_EQ(r.read_string_multimap(), mm);
  EXPECT_EQ(r.read_bytes_map(), bm);
}

TEST(Wire, TruncationSaysWhatWasExpectedAndWhatWasLeft) {
  EXPECT_EQ(truncation_message([](WireReader& r) { r.read_uuid(); }, H("01020304050607")),
            "truncated frame: expected 16 bytes for a [uuid], 7 left (at offset 0)");
  EXPECT_EQ(truncation_message([](WireReader& r) { r.read_int(); }, H("0102")),
            "truncated frame: expected 4 bytes for an [int], 2 left (at offset 0)");
  EXPECT_EQ(truncation_message(
                [](WireReader& r) {
                  r.read_short();
                  r.read_string();
                },
                H("0000 0005 6162")),
            "truncated frame: expected 5 bytes for a [string], 2 left (at offset 4)");
  EXPECT_EQ(truncation_message([](WireReader& r) { r.read_long(); }, ""),
            "truncated frame: expected 8 bytes for a [long], 0 left (at offset 0)");
  EXPECT_EQ(truncation_message([](WireReader& r) { r.read_bytes(); }, H("00000003 01")),
            "truncated frame: expected 3 bytes for a [bytes], 1 left (at offset 4)");
}

TEST(Wire, HostileCountsAreRefusedBeforeAllocating) {
  // 65535 strings announced, 2 bytes there.
  std::string list = H("ffff 0000"), map = H("ffff"), long_string = H("80000000");
  EXPECT_THROW(WireReader(list).read_string_list(), ProtocolError);
  EXPECT_THROW(WireReader(map).read_bytes_map(), ProtocolError);
  EXPECT_THROW(WireReader(long_string).read_long_string(), ProtocolError);  // negative length
}

TEST(Wire, WriterRefusesLengthsThatDoNotFit) {
  std::string out;
  WireWriter w(out);
  EXPECT_THROW(w.put_string(std::string(70000, 'x')), ProtocolError);
  EXPECT_THROW(w.put_short_bytes(std::string(70000, 'x')), ProtocolError);
  Inet bad;
  bad.size = 5;
  EXPECT_THROW(w.put_inet(bad), ProtocolError);
}

TEST(Wire, ConsistencyNames) {
  EXPECT_EQ(consistency_name(Consistency::local_quorum), "LOCAL_QUORUM");
  EXPECT_EQ(consistency_name(static_cast<Consistency>(0x42)), "0x0042");
  EXPECT_EQ(parse_consistency("local_one"), Consistency::local_one);
  EXPECT_EQ(parse_consistency("EACH_QUORUM"), Consistency::each_quorum);
  EXPECT_EQ(parse_consistency("most"), std::nullopt);
}

TEST(Hex, RoundTrip) {
  EXPECT_EQ(to_hex("\x01\xab"), "01ab");
  EXPECT_EQ(from_hex("0x01 AB\n"), std::string("\x01\xab"));
  EXPECT_EQ(from_hex("abc"), std::nullopt);
  EXPECT_EQ(from_hex("zz"), std::nullopt);
}

}  // namespace
}  // namespace sluice::cql
