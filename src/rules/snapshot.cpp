// Rule-set snapshots (see snapshot.hpp), written and read with
// core/bytes.hpp (this machine's byte order, the same executable only, read
// defensively); nesting is limited too.
#include "ariadne/rules/snapshot.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <type_traits>

#include "ariadne/core/bytes.hpp"
#include "ariadne/core/cache.hpp"
#include "reader.hpp"

namespace ariadne::sigma {
namespace {

constexpr std::string_view k_magic = "ariadne-rules\n";
constexpr std::uint32_t k_format = 1;
constexpr std::size_t k_max_depth = 512;  // condition trees; the reader makes far shallower ones
constexpr std::size_t k_keep_files = 8;

// ---- writing

class writer : public byte_writer {
 public:
  // Field ids are written as indexes into a table of the names used, in id
  // order, so that restoring interns them in the same relative order.
  explicit writer(std::vector<field_id> fields) : fields_(std::move(fields)) {}

  void field(field_id id) {
    if (id == k_no_field) return u32(UINT32_MAX);
    auto it = std::lower_bound(fields_.begin(), fields_.end(), id);
    u32(static_cast<std::size_t>(it - fields_.begin()));
  }

  void put(const string_test& t) {
    pod(t.op);
    pod(t.cased);
    str(t.needle);
    u32(t.tokens.size());
    for (const auto& g : t.tokens) {
      pod(g.k);
      str(g.text);
    }
  }
  void put(const matcher& m) {
    pod(m.k);
    u32(m.alternatives.size());
    for (const auto& t : m.alternatives) put(t);
    pod<std::uint8_t>(m.re ? 1 : 0);
    if (m.re) str(m.re->pattern());
    pod(m.run);
    pod(m.run_dot_all);
    strs(m.re_atoms);
    pod(m.net.addr);
    pod(m.net.prefix);
    pod(m.net.v4);
    pod(m.op);
    pod(m.number);
    str(m.number_text);
    pod(m.flag);
    field(m.ref);
    pod(m.ref_op);
    pod(m.part);
  }
  void put(const detection_item& d) {
    field(d.field);
    pod(d.all);
    pod(d.negate);
    u32(d.values.size());
    for (const auto& m : d.values) put(m);
    pod(d.line);
  }
  void put(const condition_node& c) {
    pod(c.k);
    pod(c.constant);
    pod(c.search_idx);
    u32(c.kids.size());
    for (const auto& k : c.kids) put(k);
  }
  void put(const rule_header& h) {
    str(h.id);
    str(h.name);
    str(h.title);
    str(h.status);
    str(h.description);
    pod(h.lvl);
    strs(h.tags);
    str(h.path);
    pod(h.line);
    pod(h.standalone);
  }
  void put(const rule& r) {
    put(static_cast<const rule_header&>(r));
    str(r.author);
    strs(r.references);
    strs(r.falsepositives);
    str(r.source.product);
    str(r.source.category);
    str(r.source.service);
    u32(r.searches.size());
    for (const auto& s : r.searches) {
      str(s.name);
      u32(s.alternatives.size());
      for (const auto& alt : s.alternatives) {
        u32(alt.size());
        for (const auto& d : alt) put(d);
      }
    }
    put(r.condition);
    strs(r.filters_applied);
  }
  void put(const correlation_rule& c) {
    put(static_cast<const rule_header&>(c));
    pod(c.type);
    strs(c.rule_refs);
    strs(c.group_by);
    pod(c.timespan_ns);
    str(c.timespan_text);
    u32(c.condition.size());
    for (const auto& t : c.condition) {
      pod(t.op);
      pod(t.value);
    }
    str(c.field);
    pod(c.percentile);
    u32(c.aliases.size());
    for (const auto& [alias, map] : c.aliases) {
      str(alias);
      u32(map.size());
      for (const auto& [rule_name, f] : map) {
        str(rule_name);
        str(f);
      }
    }
    pod(c.generate);
    pod(c.legacy);
    u32(c.refs.size());
    for (const auto& ref : c.refs) {
      pod(ref.is_correlation);
      pod(ref.index);
    }
  }
  void put(const diagnostic& d) {
    pod(d.sev);
    str(d.code);
    str(d.message);
    str(d.where.file);
    pod(d.where.line);
    pod(d.where.column);
    str(d.rule_id);
    str(d.rule_title);
  }

 private:
  std::vector<field_id> fields_;
};

void collect_fields(const rule& r, std::vector<field_id>& out) {
  for (const auto& s : r.searches)
    for (const auto& alt : s.alternatives)
      for (const auto& d : alt) {
        if (d.field != k_no_field) out.push_back(d.field);
        for (const auto& m : d.values)
          if (m.ref != k_no_field) out.push_back(m.ref);
      }
}

// ---- reading

class reader : public byte_reader {
 public:
  using byte_reader::byte_reader;

  // An enum stored as its underlying byte, checked against its last value.
  template <class E>
  E enumerated(E last) {
    auto v = pod<std::underlying_type_t<E>>();
    if (v > static_cast<std::underlying_type_t<E>>(last)) ok = false;
    return ok ? static_cast<E>(v) : E{};
  }
  field_id field() {
    auto k = pod<std::uint32_t>();
    if (k == UINT32_MAX) return k_no_field;
    if (k >= fields.size()) {
      ok = false;
      return k_no_field;
    }
    return fields[k];
  }

  void get(string_test& t) {
    t.op = enumerated(string_op::any);
    t.cased = flag();
    t.needle = str();
    t.tokens.resize(count(5));
    for (auto& g : t.tokens) {
      g.k = enumerated(glob_token::kind::any_one);
      g.text = str();
    }
  }
  void get(matcher& m) {
    m.k = enumerated(matcher::kind::timepart);
    m.alternatives.resize(count(6));
    for (auto& t : m.alternatives) get(t);
    if (flag()) {
      m.re = std::make_shared<const lazy_regex>(str());  // it compiled when it was saved
    }
    m.run = pod<std::uint32_t>();
    m.run_dot_all = flag();
    m.re_atoms = strs();
    m.net.addr = pod<decltype(m.net.addr)>();
    m.net.prefix = pod<std::uint8_t>();
    m.net.v4 = flag();
    if (m.net.prefix > 128) ok = false;
    m.op = enumerated(cmp_op::neq);
    m.number = pod<double>();
    m.number_text = str();
    m.flag = flag();
    m.ref = field();
    m.ref_op = enumerated(string_op::any);
    m.part = enumerated(time_part::year);
  }
  void get(detection_item& d) {
    d.field = field();
    d.all = flag();
    d.negate = flag();
    d.values.resize(count(8));
    for (auto& m : d.values) get(m);
    d.line = pod<std::uint32_t>();
  }
  void get(condition_node& c, std::size_t depth) {
    if (depth > k_max_depth) ok = false;
    if (!ok) return;
    c.k = enumerated(condition_node::kind::constant);
    c.constant = flag();
    c.search_idx = pod<std::uint32_t>();
    c.kids.resize(count(7));
    for (auto& k : c.kids) get(k, depth + 1);
  }
  void get(rule_header& h) {
    h.id = str();
    h.name = str();
    h.title = str();
    h.status = str();
    h.description = str();
    h.lvl = enumerated(level::critical);
    h.tags = strs();
    h.path = str();
    h.line = pod<std::uint32_t>();
    h.standalone = flag();
  }
  void get(rule& r) {
    get(static_cast<rule_header&>(r));
    r.author = str();
    r.references = strs();
    r.falsepositives = strs();
    r.source.product = str();
    r.source.category = str();
    r.source.service = str();
    if (!ok) return;
    // As the reader does (reader.cpp), in the same order.
    r.source.product_id = r.source.product.empty() ? 0 : intern_logsource_value(r.source.product);
    r.source.category_id = r.source.category.empty() ? 0 : intern_logsource_value(r.source.category);
    r.source.service_id = r.source.service.empty() ? 0 : intern_logsource_value(r.source.service);
    r.searches.resize(count(8));
    for (auto& s : r.searches) {
      s.name = str();
      s.alternatives.resize(count(4));
      for (auto& alt : s.alternatives) {
        alt.resize(count(14));
        for (auto& d : alt) get(d);
      }
    }
    get(r.condition, 0);
    r.filters_applied = strs();
    if (ok && !search_refs_valid(r.condition, r.searches.size())) ok = false;
  }
  void get(correlation_rule& c) {
    get(static_cast<rule_header&>(c));
    c.type = enumerated(corr_type::value_median);
    c.rule_refs = strs();
    c.group_by = strs();
    c.timespan_ns = pod<std::int64_t>();
    c.timespan_text = str();
    c.condition.resize(count(9));
    for (auto& t : c.condition) {
      t.op = enumerated(cmp_op::neq);
      t.value = pod<double>();
    }
    c.field = str();
    c.percentile = pod<double>();
    c.aliases.resize(count(8));
    for (auto& [alias, map] : c.aliases) {
      alias = str();
      map.resize(count(8));
      for (auto& [rule_name, f] : map) {
        rule_name = str();
        f = str();
      }
    }
    c.generate = flag();
    c.legacy = flag();
    c.refs.resize(count(5));
    for (auto& ref : c.refs) {
      ref.is_correlation = flag();
      ref.index = pod<std::uint32_t>();
    }
    if (c.refs.size() > c.rule_refs.size()) ok = false;
  }
  void get(diagnostic& d) {
    d.sev = enumerated(severity::error);
    d.code = str();
    d.message = str();
    d.where.file = str();
    d.where.line = pod<std::uint32_t>();
    d.where.column = pod<std::uint32_t>();
    d.rule_id = str();
    d.rule_title = str();
  }

  std::vector<field_id> fields;

 private:
  static bool search_refs_valid(const condition_node& c, std::size_t searches) {
    if (c.k == condition_node::kind::search_ref && c.search_idx >= searches) return false;
    return std::all_of(c.kids.begin(), c.kids.end(), [&](const auto& k) { return search_refs_valid(k, searches); });
  }
};

// ---- the cache key

// Size, inode and times of a file; false if it could not be stat'ed.
// `newest` keeps the latest change time seen (ns since the epoch).
bool add_stamp(cache::hasher& h, const detail::file_stamp& s, std::int64_t& newest) {
  if (!s.ok) return false;
  newest = std::max<std::int64_t>(newest, s.ctime_sec * 1'000'000'000 + s.ctime_nsec);
  newest = std::max<std::int64_t>(newest, s.mtime_sec * 1'000'000'000 + s.mtime_nsec);
  h.add_u64(s.size);
  h.add_u64(s.inode);
  h.add_u64(static_cast<std::uint64_t>(s.mtime_sec));
  h.add_u64(static_cast<std::uint64_t>(s.mtime_nsec));
  h.add_u64(static_cast<std::uint64_t>(s.ctime_sec));
  h.add_u64(static_cast<std::uint64_t>(s.ctime_nsec));
  return true;
}

bool add_stat(cache::hasher& h, const char* path, std::int64_t& newest) {
  return add_stamp(h, detail::stamp_file(path), newest);
}

// The snapshot's file name, or empty when the inputs cannot be pinned down
// (then no snapshot is read or written). `newest`: the latest change time
// of a rule file.
std::string snapshot_name(const std::vector<std::string>& paths, const load_options& opts, std::int64_t& newest) {
  cache::hasher h;
  h.add(k_magic);
  h.add_u64(k_format);
  std::int64_t exe_time = 0;
  if (!add_stat(h, "/proc/self/exe", exe_time)) return {};
  h.add_u64(opts.strict_placeholders);
  h.add_u64(opts.placeholders.values.size());
  for (const auto& [name, values] : opts.placeholders.values) {
    h.add(name);
    h.add_u64(values.size());
    for (const auto& v : values) h.add(v);
  }
  h.add_u64(paths.size());
  for (const auto& p : paths) {
    h.add(p);
    std::vector<std::string> files;
    std::vector<detail::file_stamp> stamps;
    std::string problem;
    bool exists = detail::list_rule_files(p, files, problem, &stamps);
    if (!problem.empty() && exists) return {};  // a directory not listed whole
    h.add_u64(exists);
    h.add_u64(files.size());
    for (std::size_t k = 0; k < files.size(); ++k) {
      h.add(files[k]);
      if (!add_stamp(h, stamps[k], newest)) return {};
    }
  }
  return "rules-" + h.hex() + ".bin";
}

}  // namespace

std::string save_snapshot(const rule_set& set) {
  std::vector<field_id> fields;
  for (const auto& r : set.rules) collect_fields(r, fields);
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  writer w(fields);
  w.out.append(k_magic);
  w.pod(k_format);
  w.u32(fields.size());
  for (field_id f : fields) w.str(field_names().name(f));
  w.u32(set.rules.size());
  for (const auto& r : set.rules) w.put(r);
  w.u32(set.correlation_rules.size());
  for (const auto& c : set.correlation_rules) w.put(c);
  w.u32(set.diagnostics.size());
  for (const auto& d : set.diagnostics) w.put(d);
  for (std::size_t n : {set.files, set.documents, set.skipped, set.filters, set.correlations, set.unreadable_files})
    w.pod<std::uint64_t>(n);
  return std::move(w.out);
}

std::optional<rule_set> restore_snapshot(std::string_view bytes) {
  if (bytes.substr(0, k_magic.size()) != k_magic) return std::nullopt;
  reader r(bytes.substr(k_magic.size()));
  if (r.pod<std::uint32_t>() != k_format) return std::nullopt;
  std::size_t nfields = r.count(4);
  std::vector<std::string> names(nfields);
  for (auto& n : names) n = r.str();
  if (!r.ok) return std::nullopt;
  for (const auto& n : names) r.fields.push_back(field_names().intern(n));
  rule_set set;
  set.rules.resize(r.count(64));
  for (auto& x : set.rules) {
    r.get(x);
    if (!r.ok) return std::nullopt;  // stop early: later rules would only fail too
  }
  set.correlation_rules.resize(r.count(64));
  for (auto& c : set.correlation_rules) r.get(c);
  set.diagnostics.resize(r.count(29));
  for (auto& d : set.diagnostics) r.get(d);
  for (std::size_t* n : {&set.files, &set.documents, &set.skipped, &set.filters, &set.correlations, &set.unreadable_files})
    *n = static_cast<std::size_t>(r.pod<std::uint64_t>());
  for (const auto& c : set.correlation_rules)
    for (const auto& ref : c.refs)
      if (ref.index >= (ref.is_correlation ? set.correlation_rules.size() : set.rules.size())) return std::nullopt;
  if (!r.done()) return std::nullopt;
  number_matchers(set.rules);  // as the loader numbered them
  return set;
}

rule_set load_rules_cached(const std::vector<std::string>& paths, const load_options& opts, bool* from_cache,
                           unsigned settle_ms, const std::function<void(std::string_view)>& on_digest) {
  if (from_cache) *from_cache = false;
  auto dir = cache::directory();
  const std::int64_t began = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  std::int64_t newest = 0;
  std::string name = dir.empty() ? std::string() : snapshot_name(paths, opts, newest);
  if (name.empty()) return load_rules(paths, opts);
  if (on_digest) on_digest(name);
  std::string bytes;
  if (cache::read(dir / name, bytes)) {
    if (auto set = restore_snapshot(bytes)) {
      if (from_cache) *from_cache = true;
      set->digest = name;
      return std::move(*set);
    }
  }
  rule_set set = load_rules(paths, opts);
  if (newest < began - std::int64_t{settle_ms} * 1'000'000 &&
      cache::store(dir, name, save_snapshot(set), "rules-", ".bin", k_keep_files))
    set.digest = name;
  return set;
}

}  // namespace ariadne::sigma
