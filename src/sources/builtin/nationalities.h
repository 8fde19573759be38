#pragma once
// Per-nationality tables of the builtin source: names (with the ASCII form the API
// uses in emails and usernames), streets, cities, states, and the formats of
// postcodes, phones and national ids. Patterns: '#' a digit, 'A' an upper-case letter,
// anything else as is.
#include <string_view>
#include <vector>

namespace sluice::sources::builtin {

struct Name {
  std::string_view native;
  std::string_view ascii;
};

struct Nationality {
  std::string_view code;
  std::string_view country;
  std::vector<Name> male, female, last;
  std::vector<std::string_view> streets, cities, states;
  std::string_view postcode;   // pattern
  bool numeric_postcode;       // the API sends it as a JSON number
  std::string_view phone, cell;
  std::string_view id_name;    // "" with id_pattern "" -> {"name":"","value":null}
  std::string_view id_pattern;
  std::string_view title_f2;   // second female title (Miss, Mademoiselle, ...)
};

const std::vector<Nationality>& nationalities();

}  // namespace sluice::sources::builtin
