#include "cql/protocol_error.h"

namespace sluice::cql {

const char* errc_name(Errc c) {
  switch (c) {
    case Errc::truncated: return "truncated";
    case Errc::oversize: return "oversize";
    case Errc::bad_crc: return "bad_crc";
    case Errc::bad_frame: return "bad_frame";
    case Errc::bad_value: return "bad_value";
    case Errc::compression: return "compression";
    case Errc::unsupported: return "unsupported";
    case Errc::type_mismatch: return "type_mismatch";
  }
  return "unknown";
}

}  // namespace sluice::cql
