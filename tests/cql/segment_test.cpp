// Protocol v5 segments: the two checksums, the header layout, packing and splitting,
// and the decoder fed every split of a segment stream.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cql/frame_decoder.h"
#include "cql/hex.h"
#include "cql/hex_bytes.h"
#include "cql/protocol_error.h"
#include "cql/request.h"
#include "cql/segment.h"
#include "cql/segment_crc.h"

namespace sluice::cql {
namespace {

// CRC24 (spec v5 2.1: initial value 0x875060, polynomial 0x1974F0B, MSB first).
//
// Over no bytes the register is never touched: the value is the initial 0x875060.
// Over the single byte 0x00, the byte xors nothing into bits 16-23, then eight shifts,
// each followed by an xor with the polynomial when bit 24 comes out set:
//   0x875060 <<1 = 0x10ea0c0 ^ 0x1974f0b = 0x99efcb
//            <<1 = 0x133df96 ^ poly      = 0xa4909d
//            <<1 = 0x149213a ^ poly      = 0xde6e31
//            <<1 = 0x1bcdc62 ^ poly      = 0x2b9369
//            <<1 = 0x05726d2             (bit 24 clear)
//            <<1 = 0x0ae4da4             (bit 24 clear)
//            <<1 = 0x15c9b48 ^ poly      = 0xcbd443
//            <<1 = 0x197a886 ^ poly      = 0x00e78d
// A CRC without final xor also has the residue property: running it over a message
// followed by its own CRC (most significant byte first) leaves 0, whatever the
// initial value. The other two values were computed with the same bitwise loop,
// written independently in Python.
TEST(SegmentCrc, Crc24) {
  EXPECT_EQ(crc24("", 0), 0x875060u);
  EXPECT_EQ(crc24("\x00", 1), 0x00e78du);
  EXPECT_EQ(crc24("\x00\x00\x02", 3), 0xc4366au);  // header of an empty self-contained segment
  EXPECT_EQ(crc24("123456789", 9), 0x4b3f02u);
  std::string m = H("050002");
  uint32_t c = crc24(m.data(), m.size());
  m += std::string{static_cast<char>(c >> 16), static_cast<char>(c >> 8), static_cast<char>(c)};
  EXPECT_EQ(crc24(m.data(), m.size()), 0u);
}

// CRC32: the IEEE CRC-32 (zlib), over the bytes FA 2D 55 CA then the payload.
// Sanity of the underlying CRC-32: its catalogue check value over "123456789" is
// 0xCBF43926. With the seed bytes first, the values below were computed with Python's
// zlib.crc32(b"\xfa\x2d\x55\xca" + payload). The CRC-32 residue: a message followed by
// its CRC, least significant byte first, checks to the constant 0x2144DF1C (the
// seed is just more message).
TEST(SegmentCrc, Crc32WithCassandraSeed) {
  EXPECT_EQ(segment_crc32(""), 0x44777ed3u);
  EXPECT_EQ(segment_crc32("123456789"), 0xe2a261a7u);
  EXPECT_EQ(segment_crc32("hello"), 0xb60e8074u);
}

TEST(Segment, UncompressedLayoutByHand) {
  std::string ready = H("85 00 0000 02 00000000");  // a v5 READY envelope: 9 bytes
  std::string out;
  encode_segment(ready, true, Compression::none, out);
  EXPECT_EQ(to_hex(out), to_hex(H("09 00 02"                     // length 9 | self-contained (bit 17), LE
                                  "a4 c8 c1"                     // CRC24 0xc1c8a4 of those 3 bytes, LE
                                  "85 00 0000 02 00000000"       // payload
                                  "4f 5a 5d 99")));              // CRC32 0x995d5a4f of the payload, LE
  Segment s;
  EXPECT_EQ(decode_segment(out, Compression::none, s), out.size());
  EXPECT_TRUE(s.self_contained);
  EXPECT_EQ(s.payload, ready);
  for (size_t n = 0; n < out.size(); ++n) EXPECT_EQ(decode_segment(out.substr(0, n), Compression::none, s), 0u);
}

TEST(Segment, Lz4LayoutSendsIncompressiblePayloadAsIs) {
  std::string ready = H("85 00 0000 02 00000000");
  std::string out;
  encode_segment(ready, true, Compression::lz4, out);
  EXPECT_EQ(to_hex(out), to_hex(H("09 00 00 00 04"          // compressed length 9, uncompressed 0 (as is), self-contained bit 34
                                  "c2 b8 95"                // CRC24 of those 5 bytes
                                  "85 00 0000 02 00000000"  // the payload, not compressed
                                  "4f 5a 5d 99")));
  Segment s;
  EXPECT_EQ(decode_segment(out, Compression::lz4, s), out.size());
  EXPECT_EQ(s.payload, ready);
}

TEST(Segment, Lz4CompressesWhatShrinks) {
  std::string payload(5000, 'a');
  std::string out;
  encode_segment(payload, false, Compression::lz4, out);
  EXPECT_LT(out.size(), 200u);
  uint64_t h = 0;
  for (int i = 4; i >= 0; --i) h = h << 8 | static_cast<uint8_t>(out[static_cast<size_t>(i)]);
  EXPECT_EQ((h >> 17) & 0x1ffff, 5000u);  // uncompressed length
  EXPECT_EQ((h >> 34) & 1, 0u);           // not self-contained
  Segment s;
  EXPECT_EQ(decode_segment(out, Compression::lz4, s), out.size());
  EXPECT_EQ(s.payload, payload);
  EXPECT_FALSE(s.self_contained);
}

TEST(Segment, CorruptHeaderIsRefusedBeforeThePayloadArrives) {
  std::string out;
  encode_segment(std::string(100, 'x'), true, Compression::none, out);
  out[0] ^= 1;
  Segment s;
  try {
    decode_segment(out.substr(0, 6), Compression::none, s);  // the header alone
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), Errc::bad_crc);
    EXPECT_NE(std::string(e.what()).find("corrupt v5 segment header: CRC24 is"), std::string::npos) << e.what();
  }
}

TEST(Segment, CorruptPayloadAndTrailer) {
  std::string good;
  encode_segment("some payload", true, Compression::none, good);
  for (size_t at : {size_t{6}, good.size() - 5, good.size() - 1}) {
    std::string bad = good;
    bad[at] ^= 0x40;
    Segment s;
    try {
      decode_segment(bad, Compression::none, s);
      FAIL() << "expected ProtocolError at " << at;
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.code(), Errc::bad_crc);
      EXPECT_NE(std::string(e.what()).find("corrupt v5 segment payload (12 bytes): CRC32 is"), std::string::npos)
          << e.what();
    }
  }
}

TEST(SegmentEncoder, PacksSmallEnvelopesAndSplitsLargeOnes) {
  std::string a = encode_request(OptionsRequest{}, 5, 1);          // 9 bytes
  std::string b = encode_request(QueryRequest{"Q", {}}, 5, 2);     // 9 + 11
  std::string big = encode_request(QueryRequest{std::string(300'000, 'q'), {}}, 5, 3);
  SegmentEncoder enc;
  enc.add(a);
  enc.add(b);
  enc.add(big);
  enc.add(a);
  std::string wire = enc.flush();
  EXPECT_TRUE(enc.flush().empty());
  // Expect: one self-contained segment (a, b), three parts of big (131071 + 131071 +
  // the rest), one self-contained segment (a).
  std::vector<Segment> segs;
  std::string_view rest = wire;
  while (!rest.empty()) {
    Segment s;
    size_t n = decode_segment(rest, Compression::none, s);
    ASSERT_GT(n, 0u);
    segs.push_back(s);
    rest.remove_prefix(n);
  }
  ASSERT_EQ(segs.size(), 5u);
  EXPECT_TRUE(segs[0].self_contained);
  EXPECT_EQ(segs[0].payload, a + b);
  EXPECT_FALSE(segs[1].self_contained);
  EXPECT_EQ(segs[1].payload.size(), kMaxSegmentPayload);
  EXPECT_FALSE(segs[3].self_contained);
  EXPECT_EQ(segs[1].payload + segs[2].payload + segs[3].payload, big);
  EXPECT_TRUE(segs[4].self_contained);
  EXPECT_EQ(segs[4].payload, a);

  FrameDecoder d;
  d.start_segments();
  EXPECT_THROW(d.feed(wire), ProtocolError);  // these are requests: the decoder wants responses
}

// A v5 server's byte stream: the READY answer to STARTUP unframed, then segments. The
// decoder must switch at exactly the byte after READY, wherever the chunks are cut.
std::string v5_server_stream(Compression c, size_t max_payload) {
  auto response = [](Opcode op, int16_t stream, std::string body) {
    FrameHeader h;
    h.version = 5;
    h.response = true;
    h.opcode = op;
    h.stream = stream;
    return encode_frame(h, body);
  };
  std::string wire = response(Opcode::ready, 0, "");
  SegmentEncoder enc(c, max_payload);
  enc.add(response(Opcode::result, 1, H("00000001")));                                   // Void
  enc.add(response(Opcode::result, 2, H("00000003 0002 6b73")));                         // Set_keyspace ks
  enc.add(response(Opcode::result, 3, H("00000003 0100") + std::string(256, 'k')));      // large: split
  enc.add(response(Opcode::event, -1, H("000d 534348454d415f4348414e4745 0007 43524541544544 0008 4b45595350414345 0002 6b73")));
  return wire + enc.flush();
}

void expect_stream(const std::vector<Frame>& frames) {
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[0].header.opcode, Opcode::ready);
  EXPECT_EQ(frames[1].header.stream, 1);
  EXPECT_EQ(frames[2].message(), H("00000003 0002 6b73"));
  EXPECT_EQ(frames[3].message().size(), 4u + 2u + 256u);
  EXPECT_EQ(frames[4].header.stream, -1);
}

TEST(SegmentDecoder, SwitchesAfterReadyAtEverySplit) {
  for (Compression c : {Compression::none, Compression::lz4}) {
    std::string wire = v5_server_stream(c, 64);  // small segments: the large envelope spans several
    DecoderOptions o;
    o.compression = c;
    o.v5_segments_after_startup = true;
    {
      FrameDecoder d(o);
      expect_stream(d.feed(wire));
      EXPECT_TRUE(d.in_segments());
    }
    for (size_t cut = 0; cut <= wire.size(); ++cut) {
      FrameDecoder d(o);
      auto frames = d.feed(std::string_view(wire).substr(0, cut));
      auto more = d.feed(std::string_view(wire).substr(cut));
      frames.insert(frames.end(), more.begin(), more.end());
      expect_stream(frames);
      EXPECT_EQ(d.buffered(), 0u) << cut;
    }
    FrameDecoder bytewise(o);
    std::vector<Frame> frames;
    for (char ch : wire)
      for (auto& f : bytewise.feed(std::string_view(&ch, 1))) frames.push_back(std::move(f));
    expect_stream(frames);
  }
}

TEST(SegmentDecoder, AuthenticateAlsoEndsTheHandshake) {
  FrameHeader h;
  h.version = 5;
  h.response = true;
  h.opcode = Opcode::authenticate;
  std::string wire = encode_frame(h, H("0001 66"));
  h.opcode = Opcode::auth_success;
  SegmentEncoder enc;
  enc.add(encode_frame(h, H("ffffffff")));
  wire += enc.flush();
  DecoderOptions o;
  o.v5_segments_after_startup = true;
  FrameDecoder d(o);
  auto frames = d.feed(wire);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].header.opcode, Opcode::auth_success);
}

TEST(SegmentDecoder, V4ErrorToAV5StartupStaysUnframed) {
  // A v4-only server answers a v5 STARTUP with a v4 protocol ERROR; then the client
  // reconnects with v4. Nothing here may be read as a segment.
  FrameHeader h;
  h.version = 4;
  h.response = true;
  h.opcode = Opcode::error;
  std::string err = encode_frame(h, H("0000000a 0002 6f6b"));
  DecoderOptions o;
  o.v5_segments_after_startup = true;
  FrameDecoder d(o);
  auto frames = d.feed(err + err);
  EXPECT_EQ(frames.size(), 2u);
  EXPECT_FALSE(d.in_segments());
}

TEST(SegmentDecoder, SelfContainedSegmentCuttingAnEnvelopeIsRefused) {
  std::string half = H("85 00 0001 08 00000004 0000");  // RESULT envelope with 2 of its 4 body bytes
  std::string wire;
  encode_segment(half, true, Compression::none, wire);
  FrameDecoder d;
  d.start_segments();
  try {
    d.feed(wire);
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), Errc::truncated);
    EXPECT_NE(std::string(e.what()).find("self-contained v5 segment ends inside a RESULT envelope"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(d.feed(""), ProtocolError);  // failed for good
}

TEST(SegmentDecoder, OversizeEnvelopeIsRefusedFromItsHeader) {
  // The first part of a large envelope announces 1 GiB: refused on its header, before
  // anything more arrives.
  std::string part = H("85 00 0001 08 40000000") + std::string(100, 'x');
  std::string wire;
  encode_segment(part, false, Compression::none, wire);
  FrameDecoder d;
  d.start_segments();
  try {
    d.feed(wire);
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), Errc::oversize);
  }
}

TEST(SegmentDecoder, LargeEnvelopeOverTheDefaultPayload) {
  FrameHeader h;
  h.version = 5;
  h.response = true;
  h.opcode = Opcode::result;
  std::string body = H("00000003 ffff") + std::string(65535, 'k');  // Set_keyspace with a 64 KiB name
  body += body;  // twice over: 131 KiB, above one segment
  std::string envelope = encode_frame(h, body);
  SegmentEncoder enc(Compression::lz4);
  enc.add(envelope);
  std::string wire = enc.flush();
  DecoderOptions o;
  o.compression = Compression::lz4;
  FrameDecoder d(o);
  d.start_segments();
  std::vector<Frame> frames;
  for (size_t off = 0; off < wire.size(); off += 1000) {
    auto got = d.feed(std::string_view(wire).substr(off, 1000));
    frames.insert(frames.end(), got.begin(), got.end());
  }
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].body, body);
}

}  // namespace
}  // namespace sluice::cql
