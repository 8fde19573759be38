#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <limits>

#include "common/json_writer.h"

namespace sluice {
namespace {

TEST(JsonWriter, NestedObjectsAndArraysGetTheirCommas) {
  JsonWriter w;
  w.begin_object().field("a", 1).key("b").begin_array().value(1).value("x").begin_object().end_object().end_array();
  w.key("c").begin_object().field("d", true).field("e", false).key("f").null().end_object().end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[1,"x",{}],"c":{"d":true,"e":false,"f":null}})");
}

TEST(JsonWriter, EveryStringIsEscapedKeysToo) {
  JsonWriter w;
  std::string nasty = "q\"b\\s/\n\t\x01 ü";
  w.begin_object().field(nasty, nasty).end_object();
  simdjson::dom::parser p;
  simdjson::dom::object o = p.parse(w.str());
  ASSERT_EQ(o.size(), 1u);
  for (auto [k, v] : o) {
    EXPECT_EQ(std::string(k), nasty);
    EXPECT_EQ(std::string(std::string_view(v.get_string())), nasty);
  }
}

TEST(JsonWriter, NumbersIntegersAndDoubles) {
  JsonWriter w;
  w.begin_array()
      .value(int64_t{-5})
      .value(uint64_t{18446744073709551615ull})
      .value(2.5)
      .value(1.0 / 3, 3)
      .value(std::nan(""))
      .value(std::numeric_limits<double>::infinity(), 1)
      .value(0.1)
      .end_array();
  EXPECT_EQ(w.str(), "[-5,18446744073709551615,2.5,0.333,null,null,0.1]");
}

TEST(JsonWriter, RawEmbedsAnotherDocument) {
  JsonWriter inner;
  inner.begin_object().field("x", 1).end_object();
  JsonWriter w;
  w.begin_object().field("a", "b").key("inner").raw(inner.str()).field("z", 2).end_object();
  EXPECT_EQ(w.str(), R"({"a":"b","inner":{"x":1},"z":2})");
}

}  // namespace
}  // namespace sluice
