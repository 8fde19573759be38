#pragma once
// Reading what sluice prints with --json as JSON, not as substrings: the last line of the
// output that is a JSON object (the summary comes last), addressed by JSON pointer
// ("/query/written_rows").
#include <cstdint>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>

namespace sluice::testing {

class JsonOut {
 public:
  // Records a test failure (at the caller's line) if no line of `text` parses as an object.
  explicit JsonOut(std::string_view text, std::source_location where = std::source_location::current());
  ~JsonOut();
  JsonOut(JsonOut&&) noexcept;

  bool ok() const;
  bool has(std::string_view pointer) const;
  // The value at `pointer`; a missing value or another type records a test failure
  // naming the pointer and the document, and returns 0 / "" / false.
  int64_t integer(std::string_view pointer, std::source_location where = std::source_location::current()) const;
  double number(std::string_view pointer, std::source_location where = std::source_location::current()) const;
  std::string str(std::string_view pointer, std::source_location where = std::source_location::current()) const;
  bool boolean(std::string_view pointer, std::source_location where = std::source_location::current()) const;
  const std::string& text() const;  // the line that was parsed

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::testing
