#pragma once
// URIs as they appear in messages. A sink or log URI may carry a password
// (cassandra://user:password@host/keyspace); anything that prints a URI the user gave
// prints redact_uri() of it.
#include <string>
#include <string_view>

namespace sluice {

// Any URI with its "user:password@" cut to "user@" (for messages about a URI that may
// not even parse). A URI without "://" or without a password comes back unchanged.
std::string redact_uri(std::string_view uri);

}  // namespace sluice
