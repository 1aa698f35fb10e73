// Byte-level writing and defensive reading of the on-disk cache files
// (rule-set snapshots, literal indexes). The format is this machine's byte
// order, written and read by the same executable only (the cache names hold
// the executable's identity). A file may still be cut short or damaged, so
// every read is bounds-checked and counts are checked against the bytes
// left: a bad file makes `ok` false, never a crash or a huge allocation.
//
//   byte_writer w; w.u32(v.size()); for (auto x : v) w.pod(x); w.str(name);
//   byte_reader r(w.out); auto n = r.count(sizeof(T)); ...; if (!r.done()) ...
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ariadne {

class byte_writer {
 public:
  std::string out;

  template <class T>
  void pod(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void u32(std::uint64_t v) { pod(static_cast<std::uint32_t>(v)); }
  void str(std::string_view s) {
    u32(s.size());
    out.append(s);
  }
  void strs(const std::vector<std::string>& v) {
    u32(v.size());
    for (const auto& s : v) str(s);
  }
  // A count, then the elements' bytes.
  template <class T>
  void pods(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    u32(v.size());
    out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
};

class byte_reader {
 public:
  explicit byte_reader(std::string_view in) : in_(in) {}

  bool ok = true;

  // Everything read, and nothing was wrong.
  [[nodiscard]] bool done() const { return ok && at_ == in_.size(); }

  template <class T>
  T pod() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    if (!ok || in_.size() - at_ < sizeof v) {
      ok = false;
      return v;
    }
    std::memcpy(&v, in_.data() + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }
  bool flag() {
    auto v = pod<std::uint8_t>();
    if (v > 1) ok = false;
    return v == 1;
  }
  // A count of items each taking at least `min_bytes`: more than the bytes
  // left is a damaged file, not a reason to allocate.
  std::size_t count(std::size_t min_bytes = 1) {
    auto n = pod<std::uint32_t>();
    if (ok && n > (in_.size() - at_) / min_bytes) ok = false;
    return ok ? n : 0;
  }
  std::string str() {
    std::size_t n = count();
    std::string s(in_.substr(at_, n));
    at_ += n;
    return s;
  }
  std::vector<std::string> strs() {
    std::vector<std::string> v(count(4));
    for (auto& s : v) s = str();
    return v;
  }
  template <class T>
  std::vector<T> pods() {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<T> v(count(sizeof(T)));
    if (!v.empty()) std::memcpy(v.data(), in_.data() + at_, v.size() * sizeof(T));
    at_ += v.size() * sizeof(T);
    return v;
  }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
};

}  // namespace ariadne
