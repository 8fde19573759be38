#include "common/uri.h"

namespace sluice {

std::string redact_uri(std::string_view uri) {
  auto scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::string(uri);  // no authority, no user info
  size_t start = scheme_end + 3;
  auto at = uri.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(uri);
  auto colon = uri.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(uri);
  return std::string(uri.substr(0, colon)) + std::string(uri.substr(at));
}

}  // namespace sluice
