#include "web/auth.h"

#include <sys/random.h>

#include "common/error.h"

namespace sluice::web {

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    auto n = getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw FatalError("cannot read random bytes for a session token");
    }
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool equal_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

Auth::Auth(std::string user, std::string password, std::string metrics_token)
    : user_(std::move(user)),
      password_(std::move(password)),
      metrics_token_(std::move(metrics_token)),
      open_csrf_(random_hex(16)) {}

std::optional<std::string> Auth::login(std::string_view user, std::string_view password) {
  if (!login_required()) return std::nullopt;
  // Both compared, whatever the first one gave, so the time says nothing of which failed.
  bool user_ok = equal_secret(user, user_), password_ok = equal_secret(password, password_);
  if (!user_ok || !password_ok) return std::nullopt;
  auto token = random_hex(32);
  std::lock_guard lk(mu_);
  auto now = std::chrono::steady_clock::now();
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires < now; });
  sessions_[token] = Session{random_hex(16), now + kSessionLife};
  return token;
}

void Auth::logout(std::string_view token) {
  std::lock_guard lk(mu_);
  if (auto it = sessions_.find(token); it != sessions_.end()) sessions_.erase(it);
}

std::optional<std::string> Auth::session(std::string_view token) {
  if (!login_required()) return open_csrf_;
  if (token.empty()) return std::nullopt;
  std::lock_guard lk(mu_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires < std::chrono::steady_clock::now()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.csrf;
}

bool Auth::metrics_token_ok(std::string_view bearer) const {
  return !metrics_token_.empty() && equal_secret(bearer, metrics_token_);
}

std::string Auth::cookie_token(std::string_view header) {
  std::string_view name = kCookie;
  while (!header.empty()) {
    auto semi = header.find(';');
    auto item = header.substr(0, semi);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.size() > name.size() && item.starts_with(name) && item[name.size()] == '=')
      return std::string(item.substr(name.size() + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return "";
}

}  // namespace sluice::web
