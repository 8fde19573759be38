// UserProjection (projection.h): paths resolved to leaves once, then each user drawn
// with only those leaves formatted and handed to the visitor as FieldValues.
#include "sources/builtin/projection.h"

#include <memory>

#include "sources/builtin/builtin_source.h"
#include "sources/builtin/user_generator.h"

namespace sluice::sources::builtin {

PathTarget resolve(const std::vector<std::string>& path) {
  std::string joined;
  for (const auto& c : path) joined += (joined.empty() ? "" : ".") + c;
  for (int l = 0; l < kLeafCount; ++l)
    if (kLeafPaths[l] == joined) return {PathTarget::Kind::leaf, static_cast<Leaf>(l)};
  for (auto leaf : kLeafPaths)
    if (leaf.size() > joined.size() && leaf.starts_with(joined) && leaf[joined.size()] == '.')
      return {PathTarget::Kind::object};
  return {PathTarget::Kind::nowhere};
}

UserProjection::UserProjection(BuiltinSource& source, const UserGenerator& generator, Rng& rng,
                               const std::vector<std::vector<std::string>>& paths)
    : source_(source), generator_(generator), rng_(rng), values_(paths.size()) {
  for (const auto& path : paths) {
    PathTarget t = resolve(path);
    slots_.push_back(t);
    if (t.kind == PathTarget::Kind::leaf) need_ |= uint64_t{1} << t.leaf;
  }
}

bool UserProjection::next_records(uint32_t n, ProjectedVisitor& visitor) {
  n = source_.take(n);
  if (n == 0) return false;
  for (uint32_t i = 0; i < n; ++i) {
    at_ = rng_;
    generator_.generate(user_, need_, rng_);
    for (size_t s = 0; s < slots_.size(); ++s) {
      const PathTarget& t = slots_[s];
      FieldValue& v = values_[s];
      switch (t.kind) {
        case PathTarget::Kind::leaf:
          v.text = user_.text[t.leaf];
          v.plain = user_.json[t.leaf].size() == user_.text[t.leaf].size();  // escaping lengthens what it changes
          v.state = t.leaf == kIdValue && user_.null_id ? FieldValue::State::null : FieldValue::State::value;
          break;
        case PathTarget::Kind::object:
          v.text = {};
          v.state = FieldValue::State::not_scalar;
          break;
        case PathTarget::Kind::nowhere:
          v.text = {};
          v.state = FieldValue::State::missing;
          break;
      }
    }
    visitor.on_record(*this);
  }
  source_.count(n, 0);
  return true;
}

std::string UserProjection::json() const {
  Rng r = at_;
  auto u = std::make_unique<User>();
  generator_.generate(*u, kAllLeaves, r);
  std::string out;
  write_json(*u, out);
  return out;
}

}  // namespace sluice::sources::builtin
