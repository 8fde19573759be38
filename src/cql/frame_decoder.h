#pragma once
// Incremental decoding of the bytes a server sends: feed any chunk as it comes off the
// socket, get back every frame it completes. A frame (or a v5 segment) split anywhere,
// even inside its header, is kept until the rest arrives; the decoder keeps only the
// bytes of the incomplete frame and drops what it used.
//
// Framing:
//   v3/v4: frames back to back; a body with the compression flag is decompressed (lz4).
//   v5:    the same until the handshake is over, then segments (segment.h). With
//          `v5_segments_after_startup` the decoder switches by itself right after the
//          first v5 READY or AUTHENTICATE frame, at that exact byte, as the server does
//          (spec v5 2.3.1). The connection's writer wraps its frames in segments
//          (SegmentEncoder) from the moment in_segments() turns true. A server that
//          refuses v5 answers STARTUP with an unframed ERROR (protocol error, often as
//          v4): no switch happens, and the connection retries with v4 on a new socket.
//
// Every frame returned has its tracing id, warnings and custom payload parsed
// (read_body_prefix) and an uncompressed body. Frames are responses: a frame without
// the response bit is a protocol error.
//
// Errors: feed() throws ProtocolError on the first malformed byte (bad version, body
// above max_body_bytes, bad CRC, corrupt LZ4, a segment that cuts an envelope). Frames
// completed earlier in the same call are lost with it; the stream cannot be trusted
// past that point, so the decoder stays failed and the caller must close the
// connection. One decoder per connection, used by the thread that reads the socket.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cql/compression.h"
#include "cql/frame.h"

namespace sluice::cql {

struct DecoderOptions {
  uint32_t max_body_bytes = kDefaultMaxBodyBytes;  // checked on each header, before allocating
  Compression compression = Compression::none;     // as asked for in STARTUP
  bool v5_segments_after_startup = false;          // the STARTUP sent was v5
};

class FrameDecoder {
 public:
  explicit FrameDecoder(DecoderOptions opts = {}) : opts_(opts) {}

  std::vector<Frame> feed(std::span<const uint8_t> bytes);
  std::vector<Frame> feed(std::string_view bytes);

  // Reads segments from the next byte on (tests; a caller that tracks the handshake).
  void start_segments() { segments_ = true; }
  bool in_segments() const { return segments_; }
  // Bytes held for an incomplete frame or segment.
  size_t buffered() const { return buf_.size() - pos_ + large_.size(); }

 private:
  void decode_frames(std::vector<Frame>& out);
  void decode_segments(std::vector<Frame>& out);
  void read_envelopes(std::string_view payload, std::vector<Frame>& out);
  FrameHeader header_of(std::string_view bytes, bool in_segment) const;
  Frame finish(const FrameHeader& h, std::string_view body) const;

  DecoderOptions opts_;
  bool segments_ = false;
  bool failed_ = false;
  std::string failure_;
  std::string buf_;    // bytes received and not used yet, from pos_
  size_t pos_ = 0;
  std::string large_;  // v5: parts of a large envelope gathered from non-self-contained segments
};

}  // namespace sluice::cql
