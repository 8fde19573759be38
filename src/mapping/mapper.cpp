#include "mapping/mapper.h"

#include <simdjson.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "common/copy_bytes.h"
#include "common/json_writer.h"
#include "common/uuid.h"

namespace sluice::mapping {
namespace od = simdjson::ondemand;

namespace {

// The paths of a Mapping as a tree: walking a record visits only these branches.
struct Node {
  std::string name;
  int slot = -1;  // >= 0: a leaf whose value fills this slot
  std::vector<Node> children;
};

using Problem = FieldValue::State;  // why a slot has no value (never `value`)

}  // namespace

struct Mapper::State {
  explicit State(const Mapping& m) : mapping(m) {
    for (size_t s = 0; s < m.paths().size(); ++s) {
      Node* n = &root;
      for (const auto& comp : m.paths()[s]) {
        Node* next = nullptr;
        for (auto& c : n->children)
          if (c.name == comp) next = &c;
        if (!next) {
          n->children.push_back(Node{comp, -1, {}});
          next = &n->children.back();
        }
        n = next;
      }
      n->slot = static_cast<int>(s);
    }
    values.resize(m.paths().size());
    uses.resize(m.paths().size(), 0);
    for (const Field& field : m.fields()) {
      fixed_bytes += field.json_prefix.size() + 1;
      for (const Part& part : field.parts) {
        if (part.kind == Part::Kind::text) fixed_bytes += part.json_text.size();
        else if (part.kind == Part::Kind::uuid) fixed_bytes += 36;
        else ++uses[part.slot];
      }
    }
    plain.resize(m.paths().size(), 0);
    seen.resize(m.paths().size(), 0);
    problem.resize(m.paths().size(), Problem::missing);
  }

  // Fills the slots below `node` from `obj`. Returns a simdjson error only when the
  // JSON itself is broken; a record that lacks a field is not an error here.
  simdjson::error_code walk(od::object obj, const Node& node) {
    for (auto field_result : obj) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) return e;
      od::raw_json_string key = field.key();
      const char* k = key.raw();
      const Node* child = nullptr;
      for (const auto& c : node.children)
        if (k[0] == c.name[0] && key == c.name) {  // first byte before memcmp: most keys differ there
          child = &c;
          break;
        }
      if (!child) continue;  // not needed: On-Demand skips the value
      od::value v = field.value();
      od::json_type type;
      if (auto e = v.type().get(type)) return e;
      if (child->slot >= 0) {
        auto slot = static_cast<size_t>(child->slot);
        switch (type) {
          case od::json_type::string: {
            std::string_view s;
            if (auto e = v.get_string().get(s)) return e;
            set(slot, s);
            break;
          }
          case od::json_type::number: {
            std::string_view tok = v.raw_json_token();
            while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' || tok.back() == '\t'))
              tok.remove_suffix(1);
            set(slot, tok);
            break;
          }
          case od::json_type::boolean: {
            bool b;
            if (auto e = v.get_bool().get(b)) return e;
            set(slot, b ? "true" : "false");
            break;
          }
          case od::json_type::null:
            problem[slot] = Problem::null;
            break;
          default:
            problem[slot] = Problem::not_scalar;
            break;
        }
      } else if (type == od::json_type::object) {
        od::object sub;
        if (auto e = v.get_object().get(sub)) return e;
        if (auto e = walk(sub, *child)) return e;
      }
    }
    return simdjson::SUCCESS;
  }

  void set(size_t slot, std::string_view v, bool is_plain = false) {
    values[slot] = v;
    plain[slot] = is_plain;
    seen[slot] = generation;
  }

  // The reason the current record cannot be mapped, empty if it can.
  std::string check(BadRecord& kind) const {
    for (size_t s = 0; s < seen.size(); ++s) {
      if (seen[s] == generation) continue;
      switch (problem[s]) {
        case Problem::null:
          kind = BadRecord::null_field;
          return "field " + mapping.path_text(s) + " is null";
        case Problem::not_scalar:
          kind = BadRecord::not_a_value;
          return "field " + mapping.path_text(s) + " is an object or array, not a value";
        case Problem::missing:
        case Problem::value:
          kind = BadRecord::missing_field;
          return "missing field " + mapping.path_text(s);
      }
    }
    return {};
  }

  // Writes the record's JSON into `out` (and the key field's text into `key`): into a
  // buffer sized for the longest the record can be, without a call per piece.
  void render() {
    size_t bound = fixed_bytes;
    for (size_t slot = 0; slot < values.size(); ++slot)
      bound += uses[slot] * values[slot].size() * (plain[slot] ? 1 : 6);
    if (buffer.size() < bound) buffer.resize(std::max(bound, 2 * buffer.size()));
    char* p = buffer.data();
    key.clear();
    const auto& fields = mapping.fields();
    for (size_t f = 0; f < fields.size(); ++f) {
      const Field& field = fields[f];
      bool is_key = static_cast<int>(f) == mapping.key_field();
      p = copy_bytes(p, field.json_prefix);
      for (const Part& part : field.parts) {
        switch (part.kind) {
          case Part::Kind::text:
            p = copy_bytes(p, part.json_text);
            if (is_key) key += part.text;
            break;
          case Part::Kind::path: {
            std::string_view v = values[part.slot];
            p = plain[part.slot] ? copy_bytes(p, v) : write_json_escaped(p, v);
            if (is_key) key += v;
            break;
          }
          case Part::Kind::uuid: {
            format_uuid(uuid_v4(), p);
            if (is_key) key.append(p, 36);
            p += 36;
            break;
          }
        }
      }
      *p++ = '"';
    }
    *p++ = '}';
    out = std::string_view(buffer.data(), static_cast<size_t>(p - buffer.data()));
  }

  void begin_record() {
    ++generation;
    std::fill(problem.begin(), problem.end(), Problem::missing);
  }

  const Mapping& mapping;
  Node root;
  od::parser parser;
  std::vector<std::string_view> values;
  std::vector<uint8_t> plain;  // plain[slot]: values[slot] needs no escaping
  std::vector<uint64_t> seen;  // seen[slot] == generation: filled for this record
  std::vector<Problem> problem;
  uint64_t generation = 0;
  std::vector<char> buffer;  // render()'s output
  std::string_view out;      // the rendered record, in `buffer`
  size_t fixed_bytes = 1;    // of every record: prefixes, literal text, quotes, ids, '}'
  std::vector<size_t> uses;  // uses[slot]: placeholders of the slot in all templates
  std::string key;
};

Mapper::Mapper(const Mapping& mapping) : state_(std::make_unique<State>(mapping)) {}
Mapper::~Mapper() = default;

std::string Mapper::map_values(std::span<const FieldValue> values, RecordHandler& handler, BadRecord* kind) {
  State& st = *state_;
  if (values.size() != st.values.size())
    throw std::logic_error("map_values: " + std::to_string(values.size()) + " values for " +
                           std::to_string(st.values.size()) + " paths");
  st.begin_record();
  for (size_t s = 0; s < values.size(); ++s) {
    if (values[s].state == FieldValue::State::value) st.set(s, values[s].text, values[s].plain);
    else st.problem[s] = values[s].state;
  }
  BadRecord k = BadRecord::missing_field;
  std::string reason = st.check(k);
  if (!reason.empty()) {
    if (kind) *kind = k;
    return reason;
  }
  st.render();
  handler.on_record(st.mapping.key_field() >= 0, st.key, st.out);
  return reason;
}

MapResult Mapper::map_response(std::string_view body, RecordHandler& handler) {
  State& st = *state_;
  MapResult result;
  auto malformed = [&](std::string why) {
    result.malformed = true;
    result.malformed_reason = std::move(why);
    return result;
  };
  od::document doc;
  if (auto e = st.parser.iterate(body.data(), body.size(), body.size() + simdjson::SIMDJSON_PADDING).get(doc))
    return malformed(std::string("not JSON: ") + simdjson::error_message(e));
  od::object top;
  if (doc.get_object().get(top) != simdjson::SUCCESS) return malformed("response is not a JSON object");
  od::array results;
  if (auto e = top.find_field_unordered("results").get_array().get(results))
    return malformed(e == simdjson::NO_SUCH_FIELD ? "response has no \"results\" array"
                                                  : std::string("bad \"results\": ") + simdjson::error_message(e));
  for (auto elem_result : results) {
    od::value elem;
    if (auto e = std::move(elem_result).get(elem)) return malformed(std::string("broken JSON: ") + simdjson::error_message(e));
    const char* start = elem.raw_json_token().data();
    od::json_type type;
    if (auto e = elem.type().get(type)) return malformed(std::string("broken JSON: ") + simdjson::error_message(e));
    if (type != od::json_type::object) {
      std::string_view tok = elem.raw_json_token();
      handler.on_bad_record(tok, BadRecord::not_an_object, "record is not a JSON object");
      ++result.failed;
      continue;
    }
    od::object obj;
    if (auto e = elem.get_object().get(obj)) return malformed(std::string("broken JSON: ") + simdjson::error_message(e));
    st.begin_record();
    if (auto e = st.walk(obj, st.root)) return malformed(std::string("broken JSON: ") + simdjson::error_message(e));
    BadRecord kind = BadRecord::missing_field;
    std::string reason = st.check(kind);
    if (!reason.empty()) {
      const char* end = nullptr;
      if (doc.current_location().get(end) != simdjson::SUCCESS || end < start) end = body.data() + body.size();
      std::string_view raw(start, static_cast<size_t>(end - start));
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t' ||
                              raw.back() == ',' || raw.back() == ']'))
        raw.remove_suffix(1);
      handler.on_bad_record(raw, kind, reason);
      ++result.failed;
      continue;
    }
    st.render();
    handler.on_record(st.mapping.key_field() >= 0, st.key, st.out);
    ++result.mapped;
  }
  return result;
}

}  // namespace sluice::mapping
