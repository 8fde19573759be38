#pragma once
// One user record of the builtin generator, between drawing it (user_generator.h) and
// handing it out: its leaves in the API's order with their paths, the User that holds
// each leaf's text, and write_json() (user_json.cpp), which writes it as the API does.
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::sources::builtin {

// The leaves of a user record, in the API's order (the order write_json() writes them;
// the generator draws them in this order too, see user_generator.cpp).
enum Leaf : uint8_t {
  kGender, kTitle, kFirst, kLast, kStreetNumber, kStreetName, kCity, kState, kCountry, kPostcode, kLatitude,
  kLongitude, kTzOffset, kTzDescription, kEmail, kUuid, kUsername, kPassword, kSalt, kMd5, kSha1, kSha256, kDob,
  kDobAge, kRegistered, kRegisteredAge, kPhone, kCell, kIdName, kIdValue, kPictureLarge, kPictureMedium,
  kPictureThumbnail, kNat, kLeafCount
};
// Each leaf's path in the record, components joined with '.'.
constexpr std::string_view kLeafPaths[kLeafCount] = {
    "gender", "name.title", "name.first", "name.last", "location.street.number", "location.street.name",
    "location.city", "location.state", "location.country", "location.postcode", "location.coordinates.latitude",
    "location.coordinates.longitude", "location.timezone.offset", "location.timezone.description", "email",
    "login.uuid", "login.username", "login.password", "login.salt", "login.md5", "login.sha1", "login.sha256",
    "dob.date", "dob.age", "registered.date", "registered.age", "phone", "cell", "id.name", "id.value",
    "picture.large", "picture.medium", "picture.thumbnail", "nat"};
// A mask of leaves (bit l: leaf l): which ones UserGenerator::generate() formats.
constexpr uint64_t kAllLeaves = (uint64_t{1} << kLeafCount) - 1;

// One generated user: every leaf's text, views into the generator's tables or into
// `buf`, valid until the next generate() into this User or the generator's end. Leaves
// left out of the `need` mask it was generated with keep the previous user's views
// (their random draws were still made, so the next user is the same either way).
struct User {
  std::string_view text[kLeafCount];
  std::string_view json[kLeafCount];  // the text escaped for a JSON string (only table strings differ)
  bool numeric_postcode = false;      // postcode is a JSON number, not a string
  bool null_id = false;               // id.value is JSON null (text and json empty)
  // The formatted leaves: about 600 bytes at most (hashes, dates, URLs, the email of
  // the longest names); the whole user, keys and table strings included, is < 1200.
  char buf[2048];
};

// Appends `u` as the API writes one element of "results" (compact, the API's key
// order and JSON types). Every leaf must have been generated (need = kAllLeaves).
void write_json(const User& u, std::string& out);

}  // namespace sluice::sources::builtin
