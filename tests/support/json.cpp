#include "support/json.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <vector>

namespace sluice::testing {

struct JsonOut::Impl {
  std::string line;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  bool ok = false;

  template <typename T>
  T get(std::string_view pointer, std::source_location where, T fallback) const {
    if (!ok) return fallback;
    T v;
    auto err = doc.at_pointer(pointer).get(v);
    if (err) {
      ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
          << "JSON " << pointer << ": " << simdjson::error_message(err) << " in " << line;
      return fallback;
    }
    return v;
  }
};

JsonOut::JsonOut(std::string_view text, std::source_location where) : impl_(std::make_unique<Impl>()) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->empty() || it->front() != '{') continue;
    impl_->line = std::string(*it);
    if (!impl_->parser.parse(impl_->line).get(impl_->doc) && impl_->doc.is_object()) {
      impl_->ok = true;
      return;
    }
  }
  ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line())) << "no JSON object in the output: " << text;
}

JsonOut::~JsonOut() = default;
JsonOut::JsonOut(JsonOut&&) noexcept = default;

bool JsonOut::ok() const { return impl_->ok; }

bool JsonOut::has(std::string_view pointer) const {
  if (!impl_->ok) return false;
  return !impl_->doc.at_pointer(pointer).error();
}

int64_t JsonOut::integer(std::string_view pointer, std::source_location where) const {
  return impl_->get<int64_t>(pointer, where, 0);
}

double JsonOut::number(std::string_view pointer, std::source_location where) const {
  return impl_->get<double>(pointer, where, 0.0);
}

std::string JsonOut::str(std::string_view pointer, std::source_location where) const {
  return std::string(impl_->get<std::string_view>(pointer, where, ""));
}

bool JsonOut::boolean(std::string_view pointer, std::source_location where) const {
  return impl_->get<bool>(pointer, where, false);
}

const std::string& JsonOut::text() const { return impl_->line; }

}  // namespace sluice::testing
