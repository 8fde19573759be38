#pragma once
// The dashboard's login: one user and password from the config, sessions held in
// memory (a restart logs everyone out) and named by a random token in an HttpOnly,
// SameSite=Strict cookie. Every session (and, without a login, the server itself) has
// a CSRF token the pages send back in the X-Sluice-Csrf header of each POST, so a page
// of another site cannot make a logged-in browser trigger a run or a redrive.
//
// Threading: every member is safe from any thread (the HTTP server's pool).
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::web {

// `bytes` random bytes from the kernel, as lower-case hex.
std::string random_hex(size_t bytes);
// Compares in time that depends only on the lengths.
bool equal_secret(std::string_view a, std::string_view b);

class Auth {
 public:
  static constexpr const char* kCookie = "sluice_session";
  static constexpr std::chrono::hours kSessionLife{12};

  // No user: no login (every request is let in; POSTs still need the CSRF token).
  Auth(std::string user, std::string password, std::string metrics_token = {});

  bool login_required() const { return !user_.empty(); }
  const std::string& user() const { return user_; }

  // A new session's token when user and password are right; nullopt otherwise.
  std::optional<std::string> login(std::string_view user, std::string_view password);
  void logout(std::string_view token);
  // The session's CSRF token if `token` names a live session (without a login: the
  // server's CSRF token for any token).
  std::optional<std::string> session(std::string_view token);
  bool metrics_token_ok(std::string_view bearer) const;

  // The session token in a Cookie header ("" if none).
  static std::string cookie_token(std::string_view cookie_header);

 private:
  struct Session {
    std::string csrf;
    std::chrono::steady_clock::time_point expires;
  };
  const std::string user_, password_, metrics_token_;
  const std::string open_csrf_;  // without a login
  std::mutex mu_;
  std::map<std::string, Session, std::less<>> sessions_;
};

}  // namespace sluice::web
