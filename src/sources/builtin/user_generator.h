#pragma once
// UserGenerator: draws builtin users from an Rng, with the nationalities' tables escaped
// once at construction. Owns what a seed's users are; how they are written is
// user_json.cpp's, how they are handed out builtin_source.cpp's and projection.cpp's.
//
// A seed's output must stay the same across builds (tests/fixtures/builtin/seed1.jsonl
// pins seed 1): see the draw-order rules at the top of user_generator.cpp before
// editing generate().
#include <cstdint>
#include <string>
#include <vector>

#include "sources/builtin/rng.h"
#include "sources/builtin/user.h"

namespace sluice::sources::builtin {

class UserGenerator {
 public:
  // `codes`: the nationalities to draw from (e.g. {"US","IR"}), empty: all 21, in
  // nationalities()'s order either way. Throws UsageError naming the known codes for an
  // unknown one.
  explicit UserGenerator(const std::vector<std::string>& codes);
  ~UserGenerator();
  UserGenerator(const UserGenerator&) = delete;
  UserGenerator& operator=(const UserGenerator&) = delete;

  // Draws the next user from `r`, formatting the leaves in `need` (a mask of Leaf bits)
  // into `u`. Makes the same draws whatever `need` is, so the users after this one do
  // not depend on it. Const and without state of its own: callable from several threads
  // at once, each with its own `u` and `r`. `u` views this generator's tables.
  void generate(User& u, uint64_t need, Rng& r) const;

 private:
  struct Nat;
  std::vector<Nat> nats_;
};

}  // namespace sluice::sources::builtin
