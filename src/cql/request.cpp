#include "cql/request.h"

#include <fmt/format.h>

#include "cql/frame.h"
#include "cql/protocol_error.h"
#include "cql/wire_writer.h"

namespace sluice::cql {
namespace {

struct OpcodeOf {
  Opcode operator()(const StartupRequest&) const { return Opcode::startup; }
  Opcode operator()(const AuthResponseRequest&) const { return Opcode::auth_response; }
  Opcode operator()(const OptionsRequest&) const { return Opcode::options; }
  Opcode operator()(const QueryRequest&) const { return Opcode::query; }
  Opcode operator()(const PrepareRequest&) const { return Opcode::prepare; }
  Opcode operator()(const ExecuteRequest&) const { return Opcode::execute; }
  Opcode operator()(const BatchRequest&) const { return Opcode::batch; }
  Opcode operator()(const RegisterRequest&) const { return Opcode::register_; }
};

bool carries_payload(Opcode op) {
  return op == Opcode::query || op == Opcode::prepare || op == Opcode::execute || op == Opcode::batch;
}

}  // namespace

Opcode opcode_of(const Request& r) { return std::visit(OpcodeOf{}, r); }

std::string encode_request(const Request& r, int version, int16_t stream, const EncodeOptions& opts) {
  if (version < kMinVersion || version > kMaxVersion)
    throw ProtocolError(Errc::bad_value, fmt::format("protocol version {}: sluice speaks v{} to v{}", version,
                                                     kMinVersion, kMaxVersion));
  if (stream < 0)
    throw ProtocolError(Errc::bad_value, fmt::format("request stream id {}: negative ids belong to the server", stream));
  FrameHeader h;
  h.version = static_cast<uint8_t>(version);
  h.stream = stream;
  h.opcode = opcode_of(r);
  if (opts.tracing) h.flags |= kFlagTracing;
  if (opts.beta) h.flags |= kFlagBeta;

  std::string body;
  WireWriter w(body);
  if (opts.custom_payload) {
    if (version < 4 || !carries_payload(h.opcode))
      throw ProtocolError(Errc::unsupported, fmt::format("a custom payload on {} (v{}): only QUERY, PREPARE, "
                                                         "EXECUTE and BATCH carry one, from v4",
                                                         opcode_name(h.opcode), version));
    h.flags |= kFlagCustomPayload;
    w.put_bytes_map(*opts.custom_payload);
  }
  std::visit([&](const auto& req) { write_body(w, req, version); }, r);

  if (opts.compression == Compression::lz4 && version < 5 && h.opcode != Opcode::startup && !body.empty()) {
    body = lz4_compress_body(body);
    h.flags |= kFlagCompression;
  }
  return encode_frame(h, body);
}

}  // namespace sluice::cql
