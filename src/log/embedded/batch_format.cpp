#include "log/embedded/batch_format.h"

#include <cstring>

#include "common/crc32c.h"

namespace sluice::log::embedded {
namespace {

void put_u32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put_i64(char* p, int64_t v) { std::memcpy(p, &v, 8); }
uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
int64_t get_i64(const char* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

void put_varint(std::string& out, uint64_t v) {
  char tmp[10];
  size_t n = 0;
  while (v >= 0x80) {
    tmp[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  tmp[n++] = static_cast<char>(v);
  out.append(tmp, n);
}

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

// A bounded reader over one record: every read checks what is left.
struct Reader {
  const char* p;
  const char* end;
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return false;
      auto b = static_cast<uint8_t>(*p++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool bytes(uint64_t n, std::string_view& out) {
    if (n > static_cast<uint64_t>(end - p)) return false;
    out = std::string_view(p, n);
    p += n;
    return true;
  }
};

}  // namespace

void BatchBuilder::clear() {
  buf_.assign(kBatchHeaderSize, '\0');
  count_ = 0;
  first_ts_ = max_ts_ = 0;
}

void BatchBuilder::add(const OutRecord& r, int64_t ts) {
  if (count_ == 0) first_ts_ = max_ts_ = ts;
  if (ts > max_ts_) max_ts_ = ts;
  uint64_t ts_delta = zigzag(ts - first_ts_);
  int64_t key_len = r.key ? static_cast<int64_t>(r.key->size()) : -1;
  size_t body = varint_size(count_) + varint_size(ts_delta) + varint_size(zigzag(key_len)) +
                (r.key ? r.key->size() : 0) + varint_size(r.value.size()) + r.value.size() +
                varint_size(r.headers.size());
  for (const auto& h : r.headers)
    body += varint_size(h.key.size()) + h.key.size() + varint_size(h.value.size()) + h.value.size();
  buf_.reserve(buf_.size() + body + 10);
  put_varint(buf_, body);
  put_varint(buf_, count_);
  put_varint(buf_, ts_delta);
  put_varint(buf_, zigzag(key_len));
  if (r.key) buf_.append(*r.key);
  put_varint(buf_, r.value.size());
  buf_.append(r.value);
  put_varint(buf_, r.headers.size());
  for (const auto& h : r.headers) {
    put_varint(buf_, h.key.size());
    buf_.append(h.key);
    put_varint(buf_, h.value.size());
    buf_.append(h.value);
  }
  ++count_;
}

std::string_view BatchBuilder::seal(int64_t base_offset) {
  char* p = buf_.data();
  put_i64(p, base_offset);
  put_u32(p + 8, static_cast<uint32_t>(buf_.size() - kLengthFieldEnd));
  p[16] = static_cast<char>(kBatchVersion);
  p[17] = 0;
  p[18] = p[19] = 0;
  put_u32(p + 20, count_);
  put_i64(p + 24, first_ts_);
  put_i64(p + 32, max_ts_);
  put_u32(p + 12, crc32c(0, p + 16, buf_.size() - 16));
  return buf_;
}

DecodeStatus decode_header(std::string_view b, BatchHeader& h) {
  if (b.size() < kBatchHeaderSize) return DecodeStatus::incomplete;
  const char* p = b.data();
  h.base_offset = get_i64(p);
  h.length = get_u32(p + 8);
  h.crc = get_u32(p + 12);
  h.version = static_cast<uint8_t>(p[16]);
  h.record_count = get_u32(p + 20);
  h.first_timestamp = get_i64(p + 24);
  h.max_timestamp = get_i64(p + 32);
  if (h.length < kBatchHeaderSize - kLengthFieldEnd || h.length > kMaxBatchBytes || h.base_offset < 0)
    return DecodeStatus::corrupt;
  if (h.version != kBatchVersion || h.record_count == 0) return DecodeStatus::corrupt;
  return DecodeStatus::ok;
}

DecodeStatus check_batch(std::string_view b, BatchHeader& h) {
  if (b.size() < kLengthFieldEnd) return DecodeStatus::incomplete;
  // The length alone decides whether the batch is all there, even if the rest of the
  // header is not yet.
  uint32_t length = get_u32(b.data() + 8);
  if (length >= kBatchHeaderSize - kLengthFieldEnd && length <= kMaxBatchBytes && b.size() < kLengthFieldEnd + length)
    return DecodeStatus::incomplete;
  auto st = decode_header(b, h);
  if (st != DecodeStatus::ok) return st;
  if (crc32c(0, b.data() + 16, h.total_size() - 16) != h.crc) return DecodeStatus::corrupt;
  return DecodeStatus::ok;
}

bool decode_records(std::string_view batch, const BatchHeader& h, const std::string& topic, int32_t partition,
                    int64_t from, std::vector<Message>& out) {
  Reader r{batch.data() + kBatchHeaderSize, batch.data() + h.total_size()};
  size_t start_size = out.size();
  uint32_t parsed = 0;
  for (uint32_t i = 0; i < h.record_count; ++i) {
    uint64_t body;
    if (!r.varint(body) || body > static_cast<uint64_t>(r.end - r.p)) break;
    Reader rec{r.p, r.p + body};
    r.p += body;
    uint64_t delta, ts_z, key_z, vlen, nh;
    std::string_view key, value;
    if (!rec.varint(delta) || !rec.varint(ts_z) || !rec.varint(key_z)) break;
    int64_t key_len = unzigzag(key_z);
    if (key_len < -1) break;
    if (key_len >= 0 && !rec.bytes(static_cast<uint64_t>(key_len), key)) break;
    if (!rec.varint(vlen) || !rec.bytes(vlen, value) || !rec.varint(nh)) break;
    if (nh > body) break;
    int64_t offset = h.base_offset + static_cast<int64_t>(delta);
    if (delta != i) break;  // offsets inside a batch are dense
    Message m;
    bool ok = true;
    for (uint64_t k = 0; k < nh && ok; ++k) {
      uint64_t kl, vl;
      std::string_view hk, hv;
      ok = rec.varint(kl) && rec.bytes(kl, hk) && rec.varint(vl) && rec.bytes(vl, hv);
      if (ok && offset >= from) m.headers.push_back({std::string(hk), std::string(hv)});
    }
    if (!ok) break;
    ++parsed;
    if (offset < from) continue;
    m.topic = topic;
    m.partition = partition;
    m.offset = offset;
    m.timestamp_ms = h.first_timestamp + unzigzag(ts_z);
    if (key_len >= 0) m.key = std::string(key);
    m.value.assign(value);
    out.push_back(std::move(m));
  }
  if (parsed == h.record_count && r.p == r.end) return true;
  out.resize(start_size);  // a malformed record: serve nothing of this batch
  return false;
}

std::string segment_name(int64_t base_offset, const char* ext) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%020lld.%s", static_cast<long long>(base_offset), ext);
  return buf;
}

std::optional<int64_t> parse_segment_name(std::string_view name, std::string_view ext) {
  if (name.size() != 21 + ext.size() || name[20] != '.' || name.substr(21) != ext) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

}  // namespace sluice::log::embedded
