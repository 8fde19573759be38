// write_json(): a User as the randomuser.me API (version 1.4) writes it. Owns the keys,
// their order and each leaf's JSON type; the values are the generator's, escaped once.
#include "sources/builtin/user.h"

namespace sluice::sources::builtin {

void write_json(const User& u, std::string& out) {
  auto s = [&](Leaf l) { out += u.json[l]; };
  out += R"({"gender":")";
  s(kGender);
  out += R"(","name":{"title":")";
  s(kTitle);
  out += R"(","first":")";
  s(kFirst);
  out += R"(","last":")";
  s(kLast);
  out += R"("},"location":{"street":{"number":)";
  s(kStreetNumber);
  out += R"(,"name":")";
  s(kStreetName);
  out += R"("},"city":")";
  s(kCity);
  out += R"(","state":")";
  s(kState);
  out += R"(","country":")";
  s(kCountry);
  if (u.numeric_postcode) {
    out += R"(","postcode":)";
    s(kPostcode);
    out += R"(,"coordinates":{"latitude":")";
  } else {
    out += R"(","postcode":")";
    s(kPostcode);
    out += R"(","coordinates":{"latitude":")";
  }
  s(kLatitude);
  out += R"(","longitude":")";
  s(kLongitude);
  out += R"("},"timezone":{"offset":")";
  s(kTzOffset);
  out += R"(","description":")";
  s(kTzDescription);
  out += R"("}},"email":")";
  s(kEmail);
  out += R"(","login":{"uuid":")";
  s(kUuid);
  out += R"(","username":")";
  s(kUsername);
  out += R"(","password":")";
  s(kPassword);
  out += R"(","salt":")";
  s(kSalt);
  out += R"(","md5":")";
  s(kMd5);
  out += R"(","sha1":")";
  s(kSha1);
  out += R"(","sha256":")";
  s(kSha256);
  out += R"("},"dob":{"date":")";
  s(kDob);
  out += R"(","age":)";
  s(kDobAge);
  out += R"(},"registered":{"date":")";
  s(kRegistered);
  out += R"(","age":)";
  s(kRegisteredAge);
  out += R"(},"phone":")";
  s(kPhone);
  out += R"(","cell":")";
  s(kCell);
  out += R"(","id":{"name":")";
  s(kIdName);
  if (u.null_id) {
    out += R"(","value":null},"picture":{"large":")";
  } else {
    out += R"(","value":")";
    s(kIdValue);
    out += R"("},"picture":{"large":")";
  }
  s(kPictureLarge);
  out += R"(","medium":")";
  s(kPictureMedium);
  out += R"(","thumbnail":")";
  s(kPictureThumbnail);
  out += R"("},"nat":")";
  s(kNat);
  out += R"("})";
}

}  // namespace sluice::sources::builtin
