#include <gtest/gtest.h>

#include "common/copy_bytes.h"
#include "common/crc32c.h"
#include "common/json_writer.h"
#include "common/murmur2.h"
#include "common/units.h"
#include "common/uuid.h"

namespace sluice {
namespace {

TEST(Crc32c, KnownVectors) {
  // RFC 3720 (iSCSI) appendix B.4 test vectors.
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(crc32c(inc), 0x46DD794Eu);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
}

TEST(Crc32c, IncrementalEqualsWhole) {
  std::string s = "the quick brown fox jumps over the lazy dog, twice over";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t c = crc32c(0, s.data(), cut);
    c = crc32c(c, s.data() + cut, s.size() - cut);
    EXPECT_EQ(c, crc32c(s)) << cut;
  }
}

TEST(Murmur2, MatchesKafkaUtils) {
  // Values from Kafka's UtilsTest.testMurmur2.
  EXPECT_EQ(murmur2("21"), -973932308);
  EXPECT_EQ(murmur2("foobar"), -790332482);
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(murmur2("abc"), 479470107);
}

TEST(Murmur2, PartitionIsNonNegativeAndStable) {
  for (int n : {1, 3, 4, 7}) {
    for (auto key : {"", "a", "user-1", "109cc029-1c67-46d9-981a-8ac3dfeac5cd"}) {
      int32_t p = partition_for_key(key, n);
      EXPECT_GE(p, 0);
      EXPECT_LT(p, n);
      EXPECT_EQ(p, partition_for_key(key, n));
    }
  }
}

TEST(Uuid, V4FormatAndRoundTrip) {
  for (int i = 0; i < 1000; ++i) {
    Uuid u = uuid_v4();
    std::string s = format_uuid(u);
    ASSERT_EQ(s.size(), 36u);
    EXPECT_EQ(s[14], '4');
    EXPECT_TRUE(s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b') << s;
    auto back = parse_uuid(s);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, u);
  }
  EXPECT_NE(format_uuid(uuid_v4()), format_uuid(uuid_v4()));
}

TEST(Uuid, RejectsMalformed) {
  EXPECT_FALSE(parse_uuid(""));
  EXPECT_FALSE(parse_uuid("109cc029-1c67-46d9-981a-8ac3dfeac5c"));
  EXPECT_FALSE(parse_uuid("109cc029x1c67-46d9-981a-8ac3dfeac5cd"));
  EXPECT_FALSE(parse_uuid("109cc029-1c67-46d9-981a-8ac3dfeac5cg"));
  EXPECT_TRUE(parse_uuid("109CC029-1C67-46D9-981A-8AC3DFEAC5CD"));
}

TEST(JsonWriter, EscapesOnlyWhatMust) {
  std::string out;
  append_json_string(out, "Seán \"Old\" back\\slash\n\t\x01 آرمین");
  EXPECT_EQ(out, "\"Seán \\\"Old\\\" back\\\\slash\\n\\t\\u0001 آرمین\"");
  EXPECT_TRUE(valid_utf8("Ліліана"));
  EXPECT_FALSE(valid_utf8("\xc3\x28"));
}

TEST(JsonWriter, FastPathAgreesWithByteByByteEscaping) {
  auto naive = [](std::string_view in) {
    std::string out;
    for (unsigned char c : in) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c < 0x20) {
        out += (c == '\n') ? "\\n" : (c == '\r') ? "\\r" : (c == '\t') ? "\\t" : (c == '\b') ? "\\b" : (c == '\f') ? "\\f" : "";
        if (c != '\n' && c != '\r' && c != '\t' && c != '\b' && c != '\f') {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        }
      } else out += static_cast<char>(c);
    }
    return out;
  };
  // Every special byte at every position of strings around the 8-byte block size.
  for (size_t len = 1; len <= 24; ++len)
    for (size_t pos = 0; pos < len; ++pos)
      for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
        std::string in(len, 'a');
        in[pos] = special;
        if (pos + 1 < len) in[pos + 1] = '\xc3';  // UTF-8 lead bytes never count as special
        std::string out = "x";
        append_json_escaped(out, in);
        EXPECT_EQ(out, "x" + naive(in)) << len << " " << pos;
        std::string buf(6 * len + 1, '#');  // the pointer form, into room for the worst case
        char* end = write_json_escaped(buf.data(), in);
        EXPECT_EQ(std::string(buf.data(), end), naive(in)) << len << " " << pos;
        EXPECT_EQ(buf.back(), '#');
      }
}

TEST(CopyBytes, EverySizeUpTo80CopiesExactlyTheBytes) {
  std::string src(100, '\0');
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<char>('A' + i % 50);
  for (size_t n = 0; n <= 80; ++n)
    for (size_t at : {0, 1, 7}) {
      std::string dst(100, '.');
      char* end = copy_bytes(dst.data() + at, src.data() + 3, n);
      ASSERT_EQ(end, dst.data() + at + n);
      EXPECT_EQ(dst.substr(at, n), src.substr(3, n)) << n << " at " << at;
      EXPECT_EQ(dst.substr(0, at), std::string(at, '.')) << n;
      EXPECT_EQ(dst.substr(at + n), std::string(100 - at - n, '.')) << n << " at " << at;
    }
}

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration("100ms")->count(), 100);
  EXPECT_EQ(parse_duration("10s")->count(), 10000);
  EXPECT_EQ(parse_duration("10")->count(), 10000);
  EXPECT_EQ(parse_duration("1.5s")->count(), 1500);
  EXPECT_EQ(parse_duration("2m")->count(), 120000);
  EXPECT_EQ(parse_duration("7d")->count(), 7ll * 86400000);
  EXPECT_FALSE(parse_duration("10 parsecs"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_EQ(format_duration(std::chrono::milliseconds(60000)), "1m");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(1500)), "1500ms");
}

TEST(Units, Bytes) {
  EXPECT_EQ(*parse_bytes("4096"), 4096);
  EXPECT_EQ(*parse_bytes("64MiB"), 64ll << 20);
  EXPECT_EQ(*parse_bytes("1GiB"), 1ll << 30);
  EXPECT_EQ(*parse_bytes("10MB"), 10'000'000);
  EXPECT_EQ(*parse_bytes("-1"), -1);
  EXPECT_FALSE(parse_bytes("-2"));
  EXPECT_FALSE(parse_bytes("12 parsecs"));
}

}  // namespace
}  // namespace sluice
