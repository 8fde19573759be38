// The v3/v4 frame decoder: headers, limits, compression and feeding in pieces.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cql/compression.h"
#include "cql/frame_decoder.h"
#include "cql/hex.h"
#include "cql/hex_bytes.h"
#include "cql/protocol_error.h"

namespace sluice::cql {
namespace {

Errc error_code_of(FrameDecoder& d, std::string_view bytes, std::string* what = nullptr) {
  try {
    d.feed(bytes);
  } catch (const ProtocolError& e) {
    if (what) *what = e.what();
    return e.code();
  }
  throw std::runtime_error("no error");
}

TEST(FrameHeader, EncodeDecode) {
  FrameHeader h;
  h.version = 4;
  h.response = true;
  h.flags = kFlagWarning;
  h.stream = -1;
  h.opcode = Opcode::event;
  h.length = 0x01020304;
  char buf[9];
  encode_header(h, buf);
  EXPECT_EQ(to_hex(std::string_view(buf, 9)), "8408ffff0c01020304");
  FrameHeader back = decode_header(std::string_view(buf, 9), 0x7fffffff);
  EXPECT_EQ(back.version, 4);
  EXPECT_TRUE(back.response);
  EXPECT_EQ(back.flags, kFlagWarning);
  EXPECT_EQ(back.stream, -1);
  EXPECT_EQ(back.opcode, Opcode::event);
  EXPECT_EQ(back.length, 0x01020304u);
}

TEST(FrameHeader, Refusals) {
  EXPECT_THROW(decode_header(H("82 00 0000 02 00000000")), ProtocolError);  // v2: 8-byte header, not ours
  EXPECT_THROW(decode_header(H("86 00 0000 02 00000000")), ProtocolError);  // v6
  EXPECT_THROW(decode_header(H("84 00 0000 04 00000000")), ProtocolError);  // opcode 0x04 does not exist
  EXPECT_THROW(decode_header(H("84 00 0000 11 00000000")), ProtocolError);
  EXPECT_THROW(decode_header(H("84 00 0000 08 10000001")), ProtocolError);  // 256 MiB + 1
  EXPECT_NO_THROW(decode_header(H("84 00 0000 08 10000000")));
}

TEST(FrameDecoder, SeveralFramesAtEverySplit) {
  std::string wire = H("84 00 0000 02 00000000"             // READY
                       "84 00 0001 08 00000004 00000001"    // RESULT Void
                       "84 08 0002 08 00000009"             // RESULT with a warning
                       "0001 0001 77 00000001");            //   ["w"], Void
  for (size_t a = 0; a <= wire.size(); ++a) {
    for (size_t b = a; b <= wire.size(); b += 3) {
      FrameDecoder d;
      std::vector<Frame> frames;
      for (auto part : {std::string_view(wire).substr(0, a), std::string_view(wire).substr(a, b - a),
                        std::string_view(wire).substr(b)})
        for (auto& f : d.feed(part)) frames.push_back(std::move(f));
      ASSERT_EQ(frames.size(), 3u) << a << " " << b;
      EXPECT_EQ(frames[1].header.stream, 1);
      EXPECT_EQ(frames[2].warnings, std::vector<std::string>{"w"});
      EXPECT_EQ(frames[2].message(), H("00000001"));
      EXPECT_EQ(d.buffered(), 0u);
    }
  }
}

TEST(FrameDecoder, KeepsOnlyTheIncompleteFrame) {
  FrameDecoder d;
  EXPECT_TRUE(d.feed(H("84 00 0000 02 00000000 84 00 0001 08")).size() == 1);
  EXPECT_EQ(d.buffered(), 5u);
  EXPECT_EQ(d.feed(H("00000004 000000")).size(), 0u);
  EXPECT_EQ(d.feed(H("01")).size(), 1u);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(FrameDecoder, OversizeIsRefusedFromTheHeaderAlone) {
  DecoderOptions o;
  o.max_body_bytes = 1024;
  FrameDecoder d(o);
  std::string what;
  EXPECT_EQ(error_code_of(d, H("84 00 0003 08 00000401"), &what), Errc::oversize);  // 1025 bytes announced
  EXPECT_EQ(what, "RESULT frame on stream 3 announces a body of 1025 bytes, above the limit of 1024");
  EXPECT_EQ(d.buffered(), 9u);  // nothing allocated for the body
  FrameDecoder spec_limit;
  EXPECT_EQ(error_code_of(spec_limit, H("84 00 0000 08 7fffffff")), Errc::oversize);
}

TEST(FrameDecoder, RequestsAndBadVersionsAreRefused) {
  FrameDecoder d;
  std::string what;
  EXPECT_EQ(error_code_of(d, H("04 00 0000 05 00000000"), &what), Errc::bad_frame);
  EXPECT_EQ(what, "OPTIONS frame on stream 0 is a request (version byte 0x04), expected a response");
  EXPECT_THROW(d.feed(H("84 00 0000 02 00000000")), ProtocolError);  // failed for good
  FrameDecoder v2;
  EXPECT_EQ(error_code_of(v2, H("82 00 00 02 00000000 00")), Errc::bad_frame);
}

TEST(FrameDecoder, Lz4BodiesAreDecompressed) {
  std::string message = H("00000003 0100") + std::string(256, 'k');  // Set_keyspace, compressible
  std::string body = lz4_compress_body(message);
  FrameHeader h;
  h.version = 4;
  h.response = true;
  h.flags = kFlagCompression;
  h.opcode = Opcode::result;
  std::string wire = encode_frame(h, body);
  EXPECT_LT(wire.size(), message.size());
  DecoderOptions o;
  o.compression = Compression::lz4;
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    FrameDecoder d(o);
    auto frames = d.feed(std::string_view(wire).substr(0, cut));
    auto rest = d.feed(std::string_view(wire).substr(cut));
    frames.insert(frames.end(), rest.begin(), rest.end());
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].body, message);
  }
  FrameDecoder none;
  EXPECT_EQ(error_code_of(none, wire), Errc::compression);
}

TEST(FrameDecoder, CorruptOrLyingLz4) {
  DecoderOptions o;
  o.compression = Compression::lz4;
  o.max_body_bytes = 1 << 20;
  FrameDecoder big(o);
  // An uncompressed length above the limit: refused before allocating it.
  EXPECT_EQ(error_code_of(big, H("84 01 0000 08 00000006 7fffffff 0000")), Errc::oversize);
  FrameDecoder lie(o);
  // 1000 bytes claimed from a 2-byte block: LZ4 cannot expand that much.
  EXPECT_EQ(error_code_of(lie, H("84 01 0000 08 00000006 000003e8 1000")), Errc::compression);
  FrameDecoder garbage(o);
  EXPECT_EQ(error_code_of(garbage, H("84 01 0000 08 00000008 00000010 ffffffff")), Errc::compression);
  FrameDecoder short_prefix(o);
  EXPECT_EQ(error_code_of(short_prefix, H("84 01 0000 08 00000002 0000")), Errc::truncated);
}

TEST(Compression, BodyRoundTrip) {
  std::string body = "hello hello hello hello hello hello";
  std::string packed = lz4_compress_body(body);
  EXPECT_EQ(to_hex(packed.substr(0, 4)), "00000023");  // [int] 35, the uncompressed length
  EXPECT_EQ(lz4_decompress_body(packed, 1000), body);
  EXPECT_EQ(lz4_decompress_body(lz4_compress_body(""), 10), "");
}

}  // namespace
}  // namespace sluice::cql
