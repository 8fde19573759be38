#include "cql/frame_decoder.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/segment.h"

namespace sluice::cql {

std::vector<Frame> FrameDecoder::feed(std::span<const uint8_t> bytes) {
  return feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::vector<Frame> FrameDecoder::feed(std::string_view bytes) {
  if (failed_) throw ProtocolError(Errc::bad_frame, "frame decoder used after an error: " + failure_);
  std::vector<Frame> out;
  buf_.append(bytes);
  try {
    // A READY frame may switch to segments in the middle of the buffer: go on from there.
    for (;;) {
      bool was_segments = segments_;
      if (segments_)
        decode_segments(out);
      else
        decode_frames(out);
      if (segments_ == was_segments) break;
    }
  } catch (const ProtocolError& e) {
    failed_ = true;
    failure_ = e.what();
    throw;
  }
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return out;
}

FrameHeader FrameDecoder::header_of(std::string_view bytes, bool in_segment) const {
  FrameHeader h = decode_header(bytes, opts_.max_body_bytes);
  if (!h.response)
    throw ProtocolError(Errc::bad_frame, fmt::format("{} frame on stream {} is a request (version byte 0x{:02x}), "
                                                     "expected a response",
                                                     opcode_name(h.opcode), h.stream, static_cast<uint8_t>(bytes[0])));
  if (in_segment && h.version != 5)
    throw ProtocolError(Errc::bad_frame, fmt::format("v{} frame inside a v5 segment", h.version));
  return h;
}

Frame FrameDecoder::finish(const FrameHeader& h, std::string_view body) const {
  Frame f;
  f.header = h;
  if ((h.flags & kFlagCompression) && h.version < 5) {
    if (opts_.compression == Compression::none)
      throw ProtocolError(Errc::compression, fmt::format("{} frame on stream {} is compressed, but no compression "
                                                         "was negotiated",
                                                         opcode_name(h.opcode), h.stream));
    f.body = lz4_decompress_body(body, opts_.max_body_bytes);
  } else {
    f.body.assign(body);
  }
  read_body_prefix(f);
  return f;
}

void FrameDecoder::decode_frames(std::vector<Frame>& out) {
  while (buf_.size() - pos_ >= kFrameHeaderSize) {
    std::string_view rest = std::string_view(buf_).substr(pos_);
    FrameHeader h = header_of(rest, false);
    if (rest.size() - kFrameHeaderSize < h.length) return;
    out.push_back(finish(h, rest.substr(kFrameHeaderSize, h.length)));
    pos_ += kFrameHeaderSize + h.length;
    if (opts_.v5_segments_after_startup && h.version == 5 &&
        (h.opcode == Opcode::ready || h.opcode == Opcode::authenticate)) {
      segments_ = true;
      return;
    }
  }
}

void FrameDecoder::decode_segments(std::vector<Frame>& out) {
  for (;;) {
    Segment seg;
    size_t used = decode_segment(std::string_view(buf_).substr(pos_), opts_.compression, seg);
    if (used == 0) return;
    pos_ += used;
    if (seg.self_contained) {
      if (!large_.empty())
        throw ProtocolError(Errc::bad_frame, fmt::format("self-contained v5 segment while {} bytes of a large "
                                                         "envelope wait for their rest",
                                                         large_.size()));
      read_envelopes(seg.payload, out);
      continue;
    }
    large_.append(seg.payload);
    if (large_.size() < kFrameHeaderSize) continue;
    FrameHeader h = header_of(large_, true);
    size_t total = kFrameHeaderSize + size_t{h.length};
    if (large_.size() > total)
      throw ProtocolError(Errc::bad_frame, fmt::format("v5 segments of a large {} envelope run {} bytes past its end",
                                                       opcode_name(h.opcode), large_.size() - total));
    if (large_.size() == total) {
      out.push_back(finish(h, std::string_view(large_).substr(kFrameHeaderSize)));
      large_.clear();
      large_.shrink_to_fit();
    }
  }
}

void FrameDecoder::read_envelopes(std::string_view payload, std::vector<Frame>& out) {
  while (!payload.empty()) {
    if (payload.size() < kFrameHeaderSize)
      throw ProtocolError(Errc::truncated, fmt::format("self-contained v5 segment ends inside an envelope header "
                                                       "({} of 9 bytes)",
                                                       payload.size()));
    FrameHeader h = header_of(payload, true);
    if (payload.size() - kFrameHeaderSize < h.length)
      throw ProtocolError(Errc::truncated, fmt::format("self-contained v5 segment ends inside a {} envelope: expected "
                                                       "{} body bytes, {} left",
                                                       opcode_name(h.opcode), h.length,
                                                       payload.size() - kFrameHeaderSize));
    out.push_back(finish(h, payload.substr(kFrameHeaderSize, h.length)));
    payload.remove_prefix(kFrameHeaderSize + h.length);
  }
}

}  // namespace sluice::cql
