// Feeds arbitrary bytes to the CQL frame decoder as a server (or an attacker between
// us and it) could send them: v4 frames plain and LZ4-compressed, and v5 segments
// after the handshake, whole and split in two. Every frame found is decoded as a
// response, and the cells of Rows results are decoded, formatted and re-serialised
// with their column types. Anything but a ProtocolError (a crash, a read past the
// bytes, another exception, a huge allocation) is a bug.
#include <cstdint>
#include <string_view>
#include <vector>

#include "cql/frame_decoder.h"
#include "cql/protocol_error.h"
#include "cql/response.h"
#include "cql/value_codec.h"
#include "cql/value_format.h"

namespace {

using namespace sluice::cql;

void use_rows(const RowsResult& rows) {
  const auto& cols = rows.metadata.columns;
  if (cols.empty()) return;
  for (size_t i = 0; i < rows.cells.size(); ++i) {
    const DataType& t = cols[i % cols.size()].type;
    (void)format_cell(rows.cells[i], t);
    try {
      Value v = decode_cell(rows.cells[i], t);
      if (!v.is_null()) (void)serialize(v, t);
    } catch (const ProtocolError&) {
    }
  }
}

void use(const std::vector<Frame>& frames) {
  for (const auto& f : frames) {
    try {
      Response r = decode_response(f);
      if (auto* rows = std::get_if<RowsResult>(&r)) use_rows(*rows);
      if (auto* e = std::get_if<ErrorResponse>(&r)) (void)describe(*e);
    } catch (const ProtocolError&) {
    }
  }
}

void run(std::string_view bytes, DecoderOptions opts, bool segments, size_t cut) {
  FrameDecoder d(opts);
  if (segments) d.start_segments();
  try {
    use(d.feed(bytes.substr(0, cut)));
    use(d.feed(bytes.substr(cut)));
  } catch (const ProtocolError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  DecoderOptions plain;
  DecoderOptions lz4;
  lz4.compression = Compression::lz4;
  DecoderOptions v5 = plain;
  v5.v5_segments_after_startup = true;
  for (size_t at : {size, cut}) {
    run(bytes, plain, false, at);
    run(bytes, lz4, false, at);
    run(bytes, v5, false, at);
    run(bytes, plain, true, at);
    run(bytes, lz4, true, at);
  }
  return 0;
}
