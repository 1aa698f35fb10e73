#include "ariadne/graph/baseline.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ariadne/core/text.hpp"
#include "ariadne/graph/anomaly.hpp"

namespace ariadne::graph {
namespace {
constexpr std::string_view k_header = "# ariadne baseline 1";
constexpr std::int64_t k_hour = 3600LL * 1'000'000'000;
// Counts in a file are at most this (no run sees more; sums cannot overflow).
constexpr std::int64_t k_max_count = std::int64_t{1} << 40;
}  // namespace

void baseline::note(const std::string& rule_id, std::string_view host, time_ns t) {
  if (t == k_no_time || rule_id.empty()) return;
  auto& h = hours_[{rule_id, to_lower_ascii(host)}];
  if (h.size() < k_routine_hours) h.insert(t >= 0 ? t / k_hour : (t - k_hour + 1) / k_hour);
}

std::string baseline::spawn_key(const entity& parent, const entity& child) {
  return base_name_lower(parent.image) + "\x1f" + base_name_lower(child.image) + "\x1f" + shape(child.command_line);
}

std::string baseline::shape(std::string_view text) {
  std::string shape;
  std::string cmd = to_lower_ascii(text.substr(0, 256));
  for (std::size_t k = 0; k < cmd.size();) {
    char c = cmd[k];
    bool digit = c >= '0' && c <= '9';
    if (digit || (c >= 'a' && c <= 'f')) {
      // A run of hex digits with a digit in it (an id, a pid, a GUID part) is '#'.
      std::size_t e = k;
      bool any_digit = false;
      while (e < cmd.size() && std::isxdigit(static_cast<unsigned char>(cmd[e]))) any_digit |= std::isdigit(static_cast<unsigned char>(cmd[e++])) != 0;
      if (any_digit) {
        shape.push_back('#');
        k = e;
        continue;
      }
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = ' ';
    shape.push_back(c);
    ++k;
  }
  return shape;
}

void baseline::see(const std::string& kind, const std::string& key, std::uint64_t n) {
  auto& v = seen_[kind][key];
  v = std::min<std::uint64_t>(v + n, static_cast<std::uint64_t>(k_max_count));
}

std::uint64_t baseline::seen(const std::string& kind, const std::string& key) const {
  auto k = seen_.find(kind);
  if (k == seen_.end()) return 0;
  auto it = k->second.find(key);
  return it == k->second.end() ? 0 : it->second;
}

const std::map<std::string, std::uint64_t>& baseline::seen_counts(const std::string& kind) const {
  static const std::map<std::string, std::uint64_t> k_empty;
  auto k = seen_.find(kind);
  return k == seen_.end() ? k_empty : k->second;
}

std::uint64_t baseline::spawns(const std::string& key) const {
  auto it = spawns_.find(key);
  return it == spawns_.end() ? 0 : it->second;
}

void baseline::learn(const graph& g) {
  for (const auto& a : g.alerts)
    if (a.rule && !a.correlation) note(a.rule->id, a.host, a.time);
  for (const auto& e : g.edges) {
    if (g.edge_kind_name(e.kind) != "spawned") continue;
    const entity& p = g.entities[e.from];
    const entity& c = g.entities[e.to];
    if (p.kind != entity_kind::process || c.kind != entity_kind::process || c.image.empty()) continue;
    ++spawns_[spawn_key(p, c)];
    ++spawn_total_;
  }
  for (const auto& x : g.entities) {
    if (auto key = anomaly_logon_key(x); !key.empty()) see("logon", key);
    if (auto key = anomaly_service_key(x); !key.empty()) see("service", key);
  }
  for (const auto& e : g.edges) {
    if (g.edge_kind_name(e.kind) != "accessed") continue;
    const entity& src = g.entities[e.from];
    const entity& dst = g.entities[e.to];
    if (src.kind == entity_kind::process && !src.image.empty() && base_name_lower(dst.image) == "lsass.exe")
      see("lsass", base_name_lower(src.image));
  }
  for (const auto& e : g.edges) {
    auto kind = g.edge_kind_name(e.kind);
    if (kind != "connected" && kind != "resolved") continue;
    const entity& p = g.entities[e.from];
    const entity& d = g.entities[e.to];
    if (p.kind == entity_kind::process && !p.image.empty() && !d.name.empty())
      see("destination", base_name_lower(p.image) + "|" + to_lower_ascii(d.name));
  }
}

const std::set<std::int64_t>* baseline::hours(const std::string& rule_id, std::string_view host) const {
  auto it = hours_.find({rule_id, to_lower_ascii(host)});
  return it == hours_.end() ? nullptr : &it->second;
}

std::string baseline::to_text() const {
  std::string out(k_header);
  out += '\n';
  for (const auto& [k, h] : hours_) {
    out += "rule\t" + k.first + "\t" + k.second + "\t";
    bool first = true;
    for (auto x : h) {
      if (!first) out.push_back(',');
      first = false;
      out += std::to_string(x);
    }
    out += '\n';
  }
  for (const auto& [k, n] : spawns_) {
    std::string line = k;
    for (char& c : line)
      if (c == '\x1f') c = '\t';
    out += "spawn\t" + line + "\t" + std::to_string(n) + "\n";
  }
  for (const auto& [kind, counts] : seen_)
    for (const auto& [key, n] : counts) out += "seen\t" + kind + "\t" + key + "\t" + std::to_string(n) + "\n";
  return out;
}

result<void> baseline::save(const std::string& path) const {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return make_error(errc::io, "cannot write baseline " + path + ": " + std::strerror(errno));
  f << to_text();
  f.close();
  if (!f) return make_error(errc::io, "error writing baseline " + path);
  return {};
}

result<baseline> baseline::parse(std::string_view text, std::string_view name) {
  baseline b;
  std::size_t line_no = 0;
  auto fail = [&](const std::string& msg) {
    return make_error(errc::parse, msg, {std::string(name), static_cast<std::uint32_t>(line_no)});
  };
  for (std::size_t from = 0; from < text.size();) {
    std::size_t nl = text.find('\n', from);
    std::string_view line = text.substr(from, nl == std::string_view::npos ? std::string_view::npos : nl - from);
    from = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1) {
      if (line != k_header) return fail("not an ariadne baseline (the first line is not '" + std::string(k_header) + "')");
      continue;
    }
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> cols;
    for (std::size_t c = 0; c <= line.size();) {
      std::size_t tab = line.find('\t', c);
      cols.push_back(line.substr(c, tab == std::string_view::npos ? std::string_view::npos : tab - c));
      if (tab == std::string_view::npos) break;
      c = tab + 1;
    }
    for (auto c : cols)
      if (c.find('\x1f') != std::string_view::npos) return fail("a field holds a control character (0x1f)");
    if (cols.size() == 5 && cols[0] == "spawn") {
      auto n = parse_int64(cols[4]);
      if (!n || *n < 0 || *n > k_max_count) return fail("a spawn count is not a number from 0 to 2^40");
      if (b.spawn_total_ + static_cast<std::uint64_t>(*n) > static_cast<std::uint64_t>(k_max_count))
        return fail("the spawn counts add up to more than 2^40");
      b.spawns_[std::string(cols[1]) + "\x1f" + std::string(cols[2]) + "\x1f" + std::string(cols[3])] +=
          static_cast<std::uint64_t>(*n);
      b.spawn_total_ += static_cast<std::uint64_t>(*n);
      continue;
    }
    if (cols.size() == 4 && cols[0] == "seen") {
      if (cols[1] != "logon" && cols[1] != "service" && cols[1] != "lsass" && cols[1] != "destination")
        return fail("unknown count kind '" + std::string(cols[1]) + "' (logon, service, lsass or destination)");
      if (cols[2].empty()) return fail("a count's key is empty");
      auto n = parse_int64(cols[3]);
      if (!n || *n < 0 || *n > k_max_count) return fail("a count is not a number from 0 to 2^40");
      b.see(std::string(cols[1]), std::string(cols[2]), static_cast<std::uint64_t>(*n));
      continue;
    }
    if (cols.size() != 4 || cols[0] != "rule" || cols[1].empty())
      return fail("expected 'rule<TAB>id<TAB>host<TAB>hours', 'spawn<TAB>parent<TAB>child<TAB>shape<TAB>count' "
                  "or 'seen<TAB>kind<TAB>key<TAB>count'");
    auto& h = b.hours_[{std::string(cols[1]), to_lower_ascii(cols[2])}];
    for (std::size_t c = 0; c < cols[3].size();) {
      std::size_t comma = cols[3].find(',', c);
      auto v = parse_int64(cols[3].substr(c, comma == std::string_view::npos ? std::string_view::npos : comma - c));
      if (!v) return fail("an hour is not a number");
      if (h.size() < k_routine_hours) h.insert(*v);
      if (comma == std::string_view::npos) break;
      c = comma + 1;
    }
  }
  if (line_no == 0) return fail("an empty file is not a baseline");
  return b;
}

result<baseline> baseline::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(errc::io, "cannot read baseline " + path + ": " + std::strerror(errno));
  std::stringstream buf;
  buf << f.rdbuf();
  return parse(buf.str(), path);
}

}  // namespace ariadne::graph
