// Connection after the handshake: send(), the I/O thread, timeouts and close
// (contracts in connection.h; the handshake is in connection_setup.cpp).
#include "cql/connection.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "cql/protocol_error.h"

namespace sluice::cql {
namespace {

void patch_stream(std::string& frame, int16_t id) {
  frame[2] = static_cast<char>((static_cast<uint16_t>(id) >> 8) & 0xff);
  frame[3] = static_cast<char>(static_cast<uint16_t>(id) & 0xff);
}

}  // namespace

Connection::Connection(const Endpoint& ep, const ConnectionOptions& o) : endpoint_(ep), opts_(o) {}

Connection::~Connection() {
  close();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Connection::start() {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0)
    throw CqlError(ClientError{ClientErrc::connect, endpoint_.str() + ": eventfd: " + std::strerror(errno), {}});
  slots_.resize(kMaxStreams);
  free_ids_.reserve(kMaxStreams);
  for (int i = kMaxStreams - 1; i >= 0; --i) free_ids_.push_back(static_cast<int16_t>(i));
  io_ = std::thread([this] { run(); });
}

std::string Connection::closed_reason() const {
  std::lock_guard lk(mu_);
  return closed_why_;
}

size_t Connection::in_flight() const {
  std::lock_guard lk(mu_);
  return in_flight_;
}

void Connection::queue_locked(std::string frame, int16_t stream) {
  patch_stream(frame, stream);
  if (version_ >= 5)
    segments_.add(frame);
  else
    out_ += frame;
}

void Connection::wake_locked() {
  if (wake_pending_) return;
  wake_pending_ = true;
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

bool Connection::send(const Request& r, Callback cb, std::chrono::milliseconds timeout) {
  EncodeOptions eo;
  eo.compression = compression_;
  std::string frame = encode_request(r, version_, 0, eo);  // may throw ProtocolError: nothing queued
  if (timeout.count() <= 0) timeout = opts_.request_timeout;
  auto deadline = Clock::now() + timeout;
  std::lock_guard lk(mu_);
  if (closed_.load(std::memory_order_relaxed) || stopping_) return false;
  if (!free_ids_.empty() && waiting_.empty()) {
    int16_t id = free_ids_.back();
    free_ids_.pop_back();
    slots_[static_cast<size_t>(id)] = Slot{std::move(cb), deadline, true};
    queue_locked(std::move(frame), id);
  } else {
    waiting_.push_back(Waiting{std::move(frame), std::move(cb), deadline});
  }
  ++in_flight_;
  wake_locked();
  return true;
}

Result Connection::execute(const Request& r, std::chrono::milliseconds timeout) {
  auto p = std::make_shared<std::promise<Result>>();
  auto f = p->get_future();
  try {
    if (!send(r, [p](Result&& res) { p->set_value(std::move(res)); }, timeout))
      return Result::fail(ClientErrc::closed, closed_reason());
  } catch (const ProtocolError& e) {
    return Result::fail(ClientErrc::protocol, endpoint_.str() + ": cannot encode the request: " + e.what());
  }
  return f.get();
}

void Connection::close() {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (wake_fd_ >= 0) wake_locked();
  }
  if (!io_.joinable()) return;
  if (io_.get_id() == std::this_thread::get_id())
    io_.detach();  // the last owner let go inside a callback; the thread ends by itself
  else
    io_.join();
}

// The I/O thread: write what is queued, wait for the socket or a wake-up, read and
// dispatch, expire timed-out requests. Ends on close() or the first socket error.
void Connection::run() {
  std::string wbuf;
  size_t wpos = 0;
  std::vector<char> rbuf(256 * 1024);
  auto next_expiry = Clock::now() + std::chrono::milliseconds(100);
  std::string reason = endpoint_.str() + ": connection closed by the client";
  try {
    for (;;) {
      {
        std::lock_guard lk(mu_);
        if (stopping_) break;
        wake_pending_ = false;
        if (version_ >= 5) {
          wbuf += segments_.flush();
        } else {
          wbuf += out_;
          out_.clear();
        }
      }
      while (wpos < wbuf.size()) {
        size_t n = transport_->write(wbuf.data() + wpos, wbuf.size() - wpos);
        if (n == 0) break;
        wpos += n;
      }
      if (wpos == wbuf.size()) {
        wbuf.clear();
        wpos = 0;
      }
      pollfd fds[2] = {{transport_->fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (wpos < wbuf.size() || transport_->wants_write()) fds[0].events |= POLLOUT;
      int rc = ::poll(fds, 2, 100);
      if (rc < 0 && errno != EINTR)
        throw CqlError(ClientError{ClientErrc::closed, endpoint_.str() + ": poll: " + std::strerror(errno), {}});
      if (rc > 0 && fds[1].revents) {
        uint64_t v;
        [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof v);
      }
      if (rc > 0 && fds[0].revents) {
        // Everything available now (TLS may hold decrypted bytes poll cannot see).
        while (size_t n = transport_->read(rbuf.data(), rbuf.size())) {
          auto frames = decoder_.feed(std::string_view(rbuf.data(), n));
          dispatch(frames);
        }
      }
      auto now = Clock::now();
      if (now >= next_expiry) {
        expire(now);
        next_expiry = now + std::chrono::milliseconds(100);
      }
    }
  } catch (const CqlError& e) {
    reason = e.what();
  } catch (const ProtocolError& e) {
    reason = endpoint_.str() + ": protocol error, connection closed: " + e.what();
  } catch (const std::exception& e) {
    reason = endpoint_.str() + ": connection closed: " + e.what();
  }
  fail_all(reason);
}

void Connection::dispatch(std::vector<Frame>& frames) {
  for (Frame& f : frames) {
    int16_t id = f.header.stream;
    if (id < 0 || id >= kMaxStreams) continue;  // events: this connection registers for none
    Callback cb;
    {
      std::lock_guard lk(mu_);
      Slot& s = slots_[static_cast<size_t>(id)];
      if (!s.used) continue;  // not ours: ignore rather than misattribute
      cb = std::move(s.cb);
      s = Slot{};
      if (cb) --in_flight_;
      if (!waiting_.empty()) {
        Waiting w = std::move(waiting_.front());
        waiting_.pop_front();
        slots_[static_cast<size_t>(id)] = Slot{std::move(w.cb), w.deadline, true};
        queue_locked(std::move(w.frame), id);
      } else {
        free_ids_.push_back(id);
      }
    }
    if (!cb) continue;  // it timed out earlier
    Result res;
    try {
      Response r = decode_response(f);
      if (auto* e = std::get_if<ErrorResponse>(&r))
        res.error = server_error(*e, endpoint_.str());
      else
        res.response = std::move(r);
    } catch (const ProtocolError& e) {
      res = Result::fail(ClientErrc::protocol, endpoint_.str() + ": " + e.what());
    }
    cb(std::move(res));
  }
}

void Connection::expire(Clock::time_point now) {
  std::vector<Callback> expired;
  size_t reserved = 0;
  {
    std::lock_guard lk(mu_);
    if (in_flight_ == 0) return;
    for (Slot& s : slots_) {
      if (!s.used) continue;
      if (s.cb && s.deadline <= now) {
        expired.push_back(std::move(s.cb));
        s.cb = nullptr;
        --in_flight_;
      }
      if (!s.cb) ++reserved;
    }
    while (!waiting_.empty() && waiting_.front().deadline <= now) {
      expired.push_back(std::move(waiting_.front().cb));
      waiting_.pop_front();
      --in_flight_;
    }
  }
  auto message = fmt::format("{}: no response within the request timeout ({} ms)", endpoint_.str(),
                             opts_.request_timeout.count());
  for (auto& cb : expired) cb(Result::fail(ClientErrc::timeout, message));
  // Ids of timed-out requests stay reserved until their answer comes; a server that
  // owes half of them is not answering at all.
  if (reserved > kMaxStreams / 2)
    throw CqlError(ClientError{ClientErrc::closed, endpoint_.str() + ": the server stopped answering", {}});
}

void Connection::fail_all(const std::string& reason) {
  std::vector<Callback> cbs;
  {
    std::lock_guard lk(mu_);
    closed_why_ = reason;
    closed_.store(true, std::memory_order_release);
    for (Slot& s : slots_)
      if (s.cb) cbs.push_back(std::move(s.cb));
    for (auto& w : waiting_) cbs.push_back(std::move(w.cb));
    slots_.assign(slots_.size(), Slot{});
    waiting_.clear();
    in_flight_ = 0;
  }
  for (auto& cb : cbs) cb(Result::fail(ClientErrc::closed, reason));
}

}  // namespace sluice::cql
