#include "cql/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "cql/protocol_error.h"

namespace sluice::cql {

// One EXECUTE in flight: what a re-PREPARE needs to send it again. `conn` is only used
// from callbacks of that same connection, which run while it is alive.
struct Session::Call {
  PreparedPtr prepared;
  ExecuteRequest request;
  Callback cb;
  Connection* conn = nullptr;
  bool reprepared = false;
};

Session::Session(SessionOptions o) : opts_(std::move(o)) {
  if (opts_.connections_per_host < 1) opts_.connections_per_host = 1;
  for (const auto& h : opts_.hosts)
    for (int i = 0; i < opts_.connections_per_host; ++i)
      slots_.push_back(Slot{h, nullptr, false, {}, Backoff({opts_.reconnect_min, opts_.reconnect_max}), {}});
}

Session::~Session() {
  std::vector<std::shared_ptr<Connection>> conns;
  {
    std::lock_guard lk(mu_);
    for (auto& s : slots_) conns.push_back(std::move(s.conn));
  }
  for (auto& c : conns)
    if (c) c->close();
}

void Session::connect() {
  std::vector<std::string> errors;
  bool any = false;
  for (size_t i = 0; i < slots_.size(); ++i) {
    reconnect(i);
    std::lock_guard lk(mu_);
    const Slot& s = slots_[i];
    if (s.conn) {
      any = true;
      continue;
    }
    // Credentials and a missing keyspace are the same on every host: stop at the first.
    if (s.last_error && (s.last_error->code == ClientErrc::authentication || s.last_error->code == ClientErrc::server))
      throw CqlError(*s.last_error);
    if (s.last_error) errors.push_back(s.last_error->message);
  }
  if (!any)
    throw CqlError(ClientError{ClientErrc::connect, fmt::format("cannot connect to Cassandra: {}", fmt::join(errors, "; ")), {}});
}

// Connects slot `i` on this thread. The session lock is not held while connecting, nor
// while a replaced connection is destroyed (its I/O thread may be running callbacks
// that take the lock).
void Session::reconnect(size_t i) {
  Endpoint ep;
  {
    std::lock_guard lk(mu_);
    if (slots_[i].connecting) return;
    slots_[i].connecting = true;
    ep = slots_[i].endpoint;
  }
  std::shared_ptr<Connection> fresh;
  std::optional<ClientError> err;
  try {
    fresh = Connection::open(ep, opts_.connection);
  } catch (const CqlError& e) {
    err = e.error();
  }
  std::shared_ptr<Connection> old;
  {
    std::lock_guard lk(mu_);
    Slot& s = slots_[i];
    s.connecting = false;
    old = std::move(s.conn);
    if (fresh) {
      s.conn = std::move(fresh);
      s.backoff.reset();
      if (s.last_error) spdlog::info("reconnected to {}", ep.str());
      s.last_error.reset();
    } else {
      // Not a wait: pick() skips the slot until then, and the caller fails at once.
      s.next_attempt = Connection::Clock::now() + s.backoff.next();
      s.last_error = err;
    }
  }
}

std::shared_ptr<Connection> Session::pick(ClientError& why) {
  std::optional<size_t> due;
  {
    std::lock_guard lk(mu_);
    auto now = Connection::Clock::now();
    for (size_t k = 0; k < slots_.size(); ++k) {
      size_t i = (rr_ + k) % slots_.size();
      const Slot& s = slots_[i];
      if ((!s.conn || !s.conn->alive()) && !s.connecting && s.next_attempt <= now) {
        due = i;
        break;
      }
    }
  }
  if (due) reconnect(*due);
  std::lock_guard lk(mu_);
  for (size_t k = 0; k < slots_.size(); ++k) {
    size_t i = (rr_ + k) % slots_.size();
    if (slots_[i].conn && slots_[i].conn->alive()) {
      rr_ = i + 1;
      return slots_[i].conn;
    }
  }
  why = ClientError{ClientErrc::connect, "", {}};
  auto now = Connection::Clock::now();
  std::vector<std::string> parts;
  for (const Slot& s : slots_) {
    std::string e = s.last_error ? s.last_error->message : s.conn ? s.conn->closed_reason() : s.endpoint.str() + ": not connected";
    if (s.last_error && s.last_error->code == ClientErrc::authentication) why.code = ClientErrc::authentication;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(s.next_attempt - now).count();
    if (wait > 0) e += fmt::format(" (next attempt in {:.1f} s)", static_cast<double>(wait) / 1000);
    if (std::find(parts.begin(), parts.end(), e) == parts.end()) parts.push_back(std::move(e));
  }
  why.message = fmt::format("no connection to Cassandra: {}", fmt::join(parts, "; "));
  return nullptr;
}

Result Session::run_sync(const Request& r) {
  ClientError why;
  auto c = pick(why);
  if (!c) return Result{why, {}};
  return c->execute(r);
}

Response Session::query(const std::string& cql, std::vector<BindValue> values) {
  QueryRequest q;
  q.query = cql;
  q.params.consistency = opts_.consistency;
  q.params.values = std::move(values);
  Result r = run_sync(q);
  return std::move(r.value());
}

void Session::for_each_page(const std::string& cql, std::vector<BindValue> values, int32_t page_size,
                            const std::function<void(const RowsResult&)>& on_page) {
  QueryRequest q;
  q.query = cql;
  q.params.consistency = opts_.consistency;
  q.params.values = std::move(values);
  q.params.page_size = page_size;
  for (;;) {
    Result r = run_sync(q);
    auto* rows = std::get_if<RowsResult>(&r.value());
    if (!rows) return;
    on_page(*rows);
    if (!rows->metadata.has_more_pages() || !rows->metadata.paging_state) return;
    q.params.paging_state = std::move(rows->metadata.paging_state);
  }
}

PreparedPtr Session::remember(const std::string& cql, const PreparedResult& p) {
  auto prep = std::make_shared<Prepared>(Prepared{cql, p.id, p.result_metadata_id, p.variables, p.result});
  std::lock_guard lk(mu_);
  prepared_[cql] = prep;
  return prep;
}

PreparedPtr Session::prepare(const std::string& cql) {
  {
    std::lock_guard lk(mu_);
    if (auto it = prepared_.find(cql); it != prepared_.end()) return it->second;
  }
  Result r = run_sync(PrepareRequest{cql, std::nullopt});
  auto* p = std::get_if<PreparedResult>(&r.value());
  if (!p) throw CqlError(ClientError{ClientErrc::unexpected, "PREPARE did not return a prepared statement: " + cql, {}});
  return remember(cql, *p);
}

void Session::execute(const PreparedPtr& p, std::vector<BindValue> values, Callback cb,
                      std::optional<int64_t> timestamp_us) {
  auto call = std::make_shared<Call>();
  call->prepared = p;
  call->request.id = p->id;
  call->request.result_metadata_id = p->result_metadata_id;
  call->request.params.consistency = opts_.consistency;
  call->request.params.values = std::move(values);
  call->request.params.skip_metadata = true;  // we know the result columns from PREPARE
  call->request.params.default_timestamp_us = timestamp_us;
  call->cb = std::move(cb);
  send_execute(call);
}

void Session::send_execute(const std::shared_ptr<Call>& call) {
  // A connection that closed between pick() and send() refuses the request: pick again
  // (bounded: each refusal means one slot fewer is alive).
  for (size_t attempt = 0; attempt <= slots_.size(); ++attempt) {
    ClientError why;
    auto c = pick(why);
    if (!c) {
      call->cb(Result{why, {}});
      return;
    }
    call->conn = c.get();
    try {
      if (c->send(call->request, [this, call](Result&& r) { on_execute_result(call, std::move(r)); })) return;
    } catch (const ProtocolError& e) {
      call->cb(Result::fail(ClientErrc::protocol, std::string("cannot encode EXECUTE: ") + e.what()));
      return;
    }
  }
  call->cb(Result::fail(ClientErrc::closed, "every connection closed while sending"));
}

// On the I/O thread of call->conn.
void Session::on_execute_result(const std::shared_ptr<Call>& call, Result&& r) {
  if (!r.error || !r.error->is(ErrorCode::unprepared) || call->reprepared) {
    call->cb(std::move(r));
    return;
  }
  call->reprepared = true;
  spdlog::debug("{}: statement unprepared, preparing it again: {}", call->conn->endpoint().str(), call->prepared->query);
  auto on_prepared = [this, call](Result&& pr) {
    auto* p = pr.ok() ? std::get_if<PreparedResult>(&pr.response) : nullptr;
    if (!p) {
      call->cb(pr.ok() ? Result::fail(ClientErrc::unexpected, "PREPARE did not return a prepared statement") : std::move(pr));
      return;
    }
    call->prepared = remember(call->prepared->query, *p);
    call->request.id = call->prepared->id;
    call->request.result_metadata_id = call->prepared->result_metadata_id;
    if (!call->conn->send(call->request, [call](Result&& again) { call->cb(std::move(again)); }))
      call->cb(Result::fail(ClientErrc::closed, call->conn->closed_reason()));
  };
  if (!call->conn->send(PrepareRequest{call->prepared->query, std::nullopt}, on_prepared))
    call->cb(Result::fail(ClientErrc::closed, call->conn->closed_reason()));
}

Result Session::execute_sync(const PreparedPtr& p, std::vector<BindValue> values) {
  auto pr = std::make_shared<std::promise<Result>>();
  auto f = pr->get_future();
  execute(p, std::move(values), [pr](Result&& r) { pr->set_value(std::move(r)); });
  return f.get();
}

int Session::protocol_version() {
  ClientError why;
  auto c = pick(why);
  return c ? c->version() : 0;
}

}  // namespace sluice::cql
