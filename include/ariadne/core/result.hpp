// result<T>: a value or an error, for expected failures (bad record, bad rule,
// missing file). Bugs use ARIADNE_ASSERT instead (see STYLE.md §4).
//
//   result<int> parse_port(std::string_view s);
//   auto port = parse_port("80");
//   if (!port) log(port.error().message);
//
// This is a drop-in for std::expected<T, error> (C++23), which the Debian 12
// toolchain does not offer in C++20 mode; only the subset we use exists here.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ariadne {

enum class errc : std::uint8_t {
  ok = 0,
  io,            // file missing, unreadable
  parse,         // malformed input (JSON, YAML, condition)
  invalid_rule,  // well-formed YAML, but not a usable Sigma rule
  unsupported,   // valid, but a feature we do not implement
  limit,         // input exceeds a documented limit (docs/limits.md)
  usage,         // bad command-line use
  legacy,        // a legacy construct (`| count()` aggregation) another path reads
};

// Where something went wrong: a file and either a line:column (rules,
// text) or a record number / byte offset (events).
struct location {
  std::string file;
  std::uint32_t line = 0;    // 1-based; 0 = unknown
  std::uint32_t column = 0;  // 1-based; 0 = unknown
};

struct error {
  errc code = errc::ok;
  std::string message;
  location where;

  // "file:line:col: message" (parts that are unknown are left out).
  [[nodiscard]] std::string to_string() const;
};

template <class E>
struct unexpected_t {
  E value;
};
[[nodiscard]] inline unexpected_t<error> unexpected(error e) { return {std::move(e)}; }
[[nodiscard]] inline unexpected_t<error> make_error(errc code, std::string message,
                                                    location where = {}) {
  return {error{code, std::move(message), std::move(where)}};
}

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  result(unexpected_t<ariadne::error> e) : v_(std::in_place_index<1>, std::move(e.value)) {}  // NOLINT
  [[nodiscard]] bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const ariadne::error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ariadne::error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(unexpected_t<ariadne::error> e) : err_(std::move(e.value)), ok_(false) {}  // NOLINT
  [[nodiscard]] bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] const ariadne::error& error() const { return err_; }

 private:
  ariadne::error err_;
  bool ok_ = true;
};

// The error `e` with `context` put in front of its message ("context: ..."),
// keeping its code and location: how an error travels up (ARIADNE_TRY).
[[nodiscard]] inline unexpected_t<error> with_context(const error& e, std::string_view context) {
  error out = e;
  if (!context.empty()) out.message = std::string(context) + ": " + out.message;
  return {std::move(out)};
}

[[noreturn]] void assertion_failed(const char* cond, const char* why, const char* file, int line);

}  // namespace ariadne

// Propagates an error with its code and location, adding context; on
// success binds the value (or, for result<void>, just goes on):
//
//   ARIADNE_TRY(auto db, database::open(path), path);   // db is the value
//   ARIADNE_TRY_VOID(db->commit(), "case database");
//
// Callers decide by error().code, never by searching the message.
#define ARIADNE_TRY_CAT2(a, b) a##b
#define ARIADNE_TRY_CAT(a, b) ARIADNE_TRY_CAT2(a, b)
#define ARIADNE_TRY(decl, expr, context) ARIADNE_TRY_IMPL(decl, expr, context, ARIADNE_TRY_CAT(ariadne_try_, __LINE__))
#define ARIADNE_TRY_IMPL(decl, expr, context, tmp)                         \
  auto tmp = (expr);                                                       \
  if (!tmp) return ::ariadne::with_context(tmp.error(), (context));       \
  decl = std::move(*tmp)
#define ARIADNE_TRY_VOID(expr, context)                                                        \
  do {                                                                                         \
    if (auto ariadne_try_r = (expr); !ariadne_try_r)                                          \
      return ::ariadne::with_context(ariadne_try_r.error(), (context));                        \
  } while (0)

// A broken invariant: a bug, never input. Input must not be able to reach one.
#define ARIADNE_ASSERT(cond, why) \
  ((cond) ? static_cast<void>(0) : ::ariadne::assertion_failed(#cond, why, __FILE__, __LINE__))
