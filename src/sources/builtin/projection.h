#pragma once
// UserProjection: the builtin source's project() (projection pushdown, sources/source.h).
// Owns the mapping from paths to leaves (resolve()) and the per-record values; the
// users themselves are UserGenerator's, drawn with the source's Rng, so the projection
// gives the same users in the same order as next_batch() would, with only the leaves
// its paths read formatted and no JSON written (except json(), for dead letters).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sources/builtin/rng.h"
#include "sources/builtin/user.h"
#include "sources/source.h"

namespace sluice::sources {
class BuiltinSource;
}

namespace sluice::sources::builtin {

class UserGenerator;

// Where a path (split into its components) leads in a user record.
struct PathTarget {
  enum class Kind : uint8_t {
    leaf,     // a leaf: `leaf` says which
    object,   // an object holding leaves ("location", "location.street")
    nowhere,  // no such path ("nope", "name.first.x", "loc")
  };
  Kind kind = Kind::nowhere;
  Leaf leaf = kGender;  // kind == leaf only
};
PathTarget resolve(const std::vector<std::string>& path);

class UserProjection final : public Projection, ProjectedRecord {
 public:
  // `generator` and `rng` are `source`'s; the three must outlive this projection, and
  // nothing else may draw from `rng` while it is used (source.h: either the projection
  // or next_batch()). One thread, as every Projection.
  UserProjection(BuiltinSource& source, const UserGenerator& generator, Rng& rng,
                 const std::vector<std::vector<std::string>>& paths);

  bool next_records(uint32_t n, ProjectedVisitor& visitor) override;
  std::span<const FieldValue> values() const override { return values_; }
  // Regenerates the current user from the Rng's state before it, with every leaf.
  std::string json() const override;

 private:
  BuiltinSource& source_;
  const UserGenerator& generator_;
  Rng& rng_;
  std::vector<PathTarget> slots_;  // where each path leads, by slot
  uint64_t need_ = 0;              // the leaves of slots_ (Leaf bits)
  std::vector<FieldValue> values_;
  User user_;
  Rng at_{0};  // the generator's state before the current user
};

}  // namespace sluice::sources::builtin
