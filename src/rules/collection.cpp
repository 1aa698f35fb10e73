// The collector: walks files, reads documents, applies meta-filters.
#include "ariadne/rules/collection.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <unordered_map>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <set>
#include <sstream>
#include <unordered_map>

#include "ariadne/core/ordered_pool.hpp"
#include "ariadne/core/text.hpp"
#include "ariadne/core/yaml.hpp"
#include "reader.hpp"

namespace ariadne::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_rules();
}

namespace ariadne::sigma {

std::string_view corr_type_name(corr_type t) {
  switch (t) {
    case corr_type::event_count: return "event_count";
    case corr_type::value_count: return "value_count";
    case corr_type::temporal: return "temporal";
    case corr_type::temporal_ordered: return "temporal_ordered";
    case corr_type::value_sum: return "value_sum";
    case corr_type::value_avg: return "value_avg";
    case corr_type::value_percentile: return "value_percentile";
    case corr_type::value_median: return "value_median";
  }
  return "?";
}

std::string_view cmp_op_name(cmp_op op) {
  switch (op) {
    case cmp_op::gt: return "gt";
    case cmp_op::gte: return "gte";
    case cmp_op::lt: return "lt";
    case cmp_op::lte: return "lte";
    case cmp_op::eq: return "eq";
    case cmp_op::neq: return "neq";
  }
  return "?";
}

bool compare(double a, cmp_op op, double b) {
  switch (op) {
    case cmp_op::eq: return a == b;
    case cmp_op::gt: return a > b;
    case cmp_op::gte: return a >= b;
    case cmp_op::lt: return a < b;
    case cmp_op::lte: return a <= b;
    case cmp_op::neq: return a != b;
  }
  return false;
}

bool corr_test::holds(double x) const { return compare(x, op, value); }

std::string_view correlation_rule::resolve_field(std::string_view group_field, std::string_view rule_name) const {
  for (const auto& [alias, per_rule] : aliases) {
    if (alias != group_field) continue;
    for (const auto& [rname, f] : per_rule)
      if (rname == rule_name) return f;
  }
  return group_field;
}

std::string_view level_name(level l) {
  switch (l) {
    case level::informational: return "informational";
    case level::low: return "low";
    case level::medium: return "medium";
    case level::high: return "high";
    case level::critical: return "critical";
  }
  return "medium";
}

bool parse_level(std::string_view text, level& out) {
  static constexpr std::pair<std::string_view, level> k_levels[] = {
      {"informational", level::informational}, {"info", level::informational}, {"low", level::low},
      {"medium", level::medium}, {"high", level::high}, {"critical", level::critical}};
  for (const auto& [name, l] : k_levels)
    if (iequals_ascii(text, name)) {
      out = l;
      return true;
    }
  return false;
}

bool logsource::accepts(const event_logsource& ev) const {
  if (product_id && product_id != ev.product) return false;
  if (service_id && service_id != ev.service) return false;
  if (category_id && !ev.has_category(category_id)) return false;
  return true;
}

std::string diagnostic::to_string() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line) out += ":" + std::to_string(where.line);
    if (where.column) out += ":" + std::to_string(where.column);
    out += ": ";
  }
  out += sev == severity::error ? "error" : "warning";
  out += "[" + code + "]: " + message;
  return out;
}

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

// Appends the filter's searches to the rule and ANDs its condition in.
void apply_filter(rule& r, const detail::filter_rule& f, std::size_t filter_idx) {
  auto offset = static_cast<std::uint32_t>(r.searches.size());
  for (const auto& s : f.searches) {
    search copy = s;
    copy.name = "__filter" + std::to_string(filter_idx) + "_" + s.name;
    r.searches.push_back(std::move(copy));
  }
  condition_node fc = f.condition;
  std::vector<condition_node*> stack{&fc};
  while (!stack.empty()) {
    condition_node* n = stack.back();
    stack.pop_back();
    if (n->k == condition_node::kind::search_ref) n->search_idx += offset;
    for (auto& kid : n->kids) stack.push_back(&kid);
  }
  condition_node both;
  both.k = condition_node::kind::op_and;
  both.kids.push_back(std::move(r.condition));
  both.kids.push_back(std::move(fc));
  r.condition = std::move(both);
  r.filters_applied.push_back(f.id.empty() ? f.title : f.id);
}

// A filter's logsource accepts a rule's when every attribute the filter
// names is equal in the rule (sigma-semantics.md §10).
bool filter_accepts(const logsource& f, const logsource& r) {
  return (f.product.empty() || f.product == r.product) && (f.category.empty() || f.category == r.category) &&
         (f.service.empty() || f.service == r.service);
}

class collector {
 public:
  explicit collector(const load_options& opts) : opts_(opts) {}

  void add_text(const std::string& name, std::string_view text) { add_docs(name, yaml::parse(text, name)); }

  void add_docs(const std::string& name, const result<std::vector<yaml::document>>& docs) {
    ++set_.files;
    if (!docs) {
      diagnostic d;
      d.sev = severity::error;
      d.code = docs.error().code == errc::limit ? "yaml-limit" : "yaml-syntax";
      d.message = docs.error().message;
      d.where = docs.error().where;
      set_.diagnostics.push_back(std::move(d));
      ++set_.skipped;
      return;
    }
    for (const auto& doc : *docs) {
      if (doc.root.is_null()) continue;
      ++set_.documents;
      auto res = detail::read_document(doc, name, opts_, set_.diagnostics);
      switch (res.kind) {
        case detail::doc_kind::correlation:
          ++set_.correlations;
          if (res.correlation) correlations_.push_back(std::move(*res.correlation));
          else ++set_.skipped;
          break;
        case detail::doc_kind::filter:
          if (res.filter) filters_.push_back(std::move(*res.filter));
          else ++set_.skipped;
          break;
        case detail::doc_kind::detection:
          if (res.detection) {
            add_rule(std::move(*res.detection));
            if (res.correlation) {  // legacy aggregation
              ++set_.correlations;
              correlations_.push_back(std::move(*res.correlation));
            }
          } else {
            ++set_.skipped;
          }
          break;
        case detail::doc_kind::other:
          if (res.failed) ++set_.skipped;
          break;
      }
    }
  }

  void add_path(const std::string& path) {
    std::vector<std::string> files;
    std::string problem;
    bool exists = detail::list_rule_files(path, files, problem);
    if (!problem.empty()) unreadable(path, problem);
    if (!exists) return;
    // Files are read and their YAML parsed on all cores; the documents are
    // then read in file order on this thread (so ids, diagnostics and rule
    // order do not depend on threads). At most 64 files per thread wait.
    struct parsed {
      bool readable = false;
      std::optional<result<std::vector<yaml::document>>> docs;
    };
    std::size_t next = 0;
    unsigned threads = opts_.threads ? opts_.threads : std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
    run_ordered<std::size_t, parsed>(
        files.size() < 64 ? 1 : threads, 64ULL * threads,
        [&](std::size_t& k) {
          if (next >= files.size()) return false;
          k = next++;
          return true;
        },
        [](unsigned) { return 0; },
        [&](int, std::size_t& k, parsed& out) {
          std::string text;
          out.readable = read_file(files[k], text);
          out.docs.reset();
          if (out.readable) out.docs.emplace(yaml::parse(text, files[k]));
        },
        [&](std::size_t& k, parsed& out) {
          if (!out.readable) unreadable(files[k], "cannot read file");
          else add_docs(files[k], *out.docs);
          out.docs.reset();
        });
  }

  rule_set finish() {
    for (std::size_t fi = 0; fi < filters_.size(); ++fi) {
      const auto& f = filters_[fi];
      std::size_t applied = 0;
      for (auto& r : set_.rules) {
        if (!filter_accepts(f.source, r.source)) continue;
        if (!f.any_rule && std::find(f.rule_refs.begin(), f.rule_refs.end(), r.id) == f.rule_refs.end() &&
            (r.name.empty() || std::find(f.rule_refs.begin(), f.rule_refs.end(), r.name) == f.rule_refs.end()))
          continue;
        apply_filter(r, f, fi);
        ++applied;
      }
      ++set_.filters;
      if (applied == 0) {
        diagnostic d;
        d.sev = severity::warning;
        d.code = "filter-unused";
        d.message = "filter applies to no loaded rule";
        d.where = {f.path, f.line, 0};
        d.rule_id = f.id;
        d.rule_title = f.title;
        set_.diagnostics.push_back(std::move(d));
      }
    }
    resolve_correlations();
    number_matchers(set_.rules);
    return std::move(set_);
  }

 private:
  void add_rule(rule r) {
    if (!seen_ids_.insert(r.id).second) {
      diagnostic d;
      d.sev = severity::error;
      d.code = "duplicate-id";
      d.message = "rule id " + r.id + " was already loaded; this copy is skipped";
      d.where = {r.path, r.line, 0};
      d.rule_id = r.id;
      d.rule_title = r.title;
      set_.diagnostics.push_back(std::move(d));
      ++set_.skipped;
      return;
    }
    set_.rules.push_back(std::move(r));
  }

  void unreadable(const std::string& path, const std::string& why) {
    ++set_.unreadable_files;
    diagnostic d;
    d.sev = severity::error;
    d.code = "io";
    d.message = why;
    d.where = {path, 0, 0};
    set_.diagnostics.push_back(std::move(d));
  }

  const load_options& opts_;
  rule_set set_;
  std::vector<detail::filter_rule> filters_;
  std::vector<correlation_rule> correlations_;

  void corr_error(const correlation_rule& c, std::string code, std::string msg) {
    diagnostic d;
    d.sev = severity::error;
    d.code = std::move(code);
    d.message = std::move(msg);
    d.where = {c.path, c.line, 0};
    d.rule_id = c.id;
    d.rule_title = c.title;
    set_.diagnostics.push_back(std::move(d));
  }

  // Resolves each correlation's `rules` (id or name; base rules first, then
  // correlations), drops those that cannot be resolved or form a cycle, and
  // orders the rest so a correlation comes after everything it refers to.
  void resolve_correlations() {
    std::unordered_map<std::string, std::uint32_t> rule_by_key;
    for (std::uint32_t k = 0; k < set_.rules.size(); ++k) {
      rule_by_key.emplace(set_.rules[k].id, k);
      if (!set_.rules[k].name.empty()) rule_by_key.emplace(set_.rules[k].name, k);
    }
    auto& pending = correlations_;
    std::unordered_map<std::string, std::size_t> corr_by_key;
    std::vector<int> state(pending.size(), 0);  // 0 new, 1 visiting, 2 ok, 3 failed
    for (std::size_t k = 0; k < pending.size(); ++k) {
      const auto& c = pending[k];
      if (rule_by_key.count(c.id) || !corr_by_key.emplace(c.id, k).second) {
        corr_error(c, "duplicate-id", "rule id " + c.id + " was already loaded; this correlation is skipped");
        state[k] = 3;
        ++set_.skipped;
        continue;
      }
      if (!c.name.empty()) corr_by_key.emplace(c.name, k);
    }
    std::vector<std::size_t> order;
    std::function<bool(std::size_t)> visit = [&](std::size_t i) -> bool {
      if (state[i] == 2) return true;
      if (state[i] == 3) return false;
      auto& c = pending[i];
      if (state[i] == 1) {
        corr_error(c, "correlation-cycle", "correlation rules refer to each other in a cycle");
        return false;
      }
      state[i] = 1;
      bool ok = true;
      c.refs.clear();
      for (const auto& ref : c.rule_refs) {
        if (auto it = rule_by_key.find(ref); it != rule_by_key.end()) {
          c.refs.push_back({false, it->second});
        } else if (auto jt = corr_by_key.find(ref); jt != corr_by_key.end()) {
          if (!visit(jt->second)) {
            corr_error(c, "unresolved-rule-reference", "refers to correlation '" + ref + "', which cannot be used");
            ok = false;
          } else {
            c.refs.push_back({true, static_cast<std::uint32_t>(jt->second)});
          }
        } else {
          corr_error(c, "unresolved-rule-reference",
                     "no loaded rule or correlation has the id or name '" + ref + "'; the correlation is skipped");
          ok = false;
        }
      }
      state[i] = ok ? 2 : 3;
      if (ok) order.push_back(i);
      else ++set_.skipped;
      return ok;
    };
    for (std::size_t k = 0; k < pending.size(); ++k) visit(k);

    std::vector<std::uint32_t> new_index(pending.size(), UINT32_MAX);
    for (std::size_t k = 0; k < order.size(); ++k) new_index[order[k]] = static_cast<std::uint32_t>(k);
    set_.correlation_rules.clear();
    for (std::size_t i : order) {
      auto c = std::move(pending[i]);
      for (auto& r : c.refs)
        if (r.is_correlation) r.index = new_index[r.index];
      set_.correlation_rules.push_back(std::move(c));
    }
    correlations_.clear();
    // A rule referenced by correlations is reported on its own only if one
    // of them says `generate: true`.
    std::vector<int> rule_ref(set_.rules.size(), 0), corr_ref(set_.correlation_rules.size(), 0);
    for (const auto& c : set_.correlation_rules)
      for (const auto& r : c.refs) {
        int& slot = r.is_correlation ? corr_ref[r.index] : rule_ref[r.index];
        slot = std::max(slot, c.generate ? 2 : 1);
      }
    for (std::size_t k = 0; k < set_.rules.size(); ++k) set_.rules[k].standalone = rule_ref[k] != 1;
    for (std::size_t k = 0; k < set_.correlation_rules.size(); ++k)
      set_.correlation_rules[k].standalone = corr_ref[k] != 1;
  }
  std::set<std::string> seen_ids_;
};

}  // namespace

void number_matchers(std::vector<rule>& rules) {
  std::uint32_t n = 0;
  for (auto& r : rules)
    for (auto& s : r.searches)
      for (auto& alt : s.alternatives)
        for (auto& item : alt)
          for (auto& m : item.values) m.ordinal = ++n;
}

rule_set load_rules(const std::vector<std::string>& paths, const load_options& opts) {
  collector c(opts);
  for (const auto& p : paths) c.add_path(p);
  return c.finish();
}

rule_set load_rules_from_texts(const std::vector<std::pair<std::string, std::string>>& files,
                               const load_options& opts) {
  collector c(opts);
  for (const auto& [name, text] : files) c.add_text(name, text);
  return c.finish();
}

rule_set load_builtin_rules(const load_options& opts) {
  collector c(opts);
  for (const auto& [name, text] : embedded::builtin_rules()) c.add_text("builtin:" + std::string(name), text);
  return c.finish();
}

result<placeholder_set> load_placeholders(std::string_view path) {
  std::string text;
  if (!read_file(std::string(path), text))
    return make_error(errc::io, "cannot read placeholder file", {std::string(path)});
  auto docs = yaml::parse(text, path);
  if (!docs) return unexpected(docs.error());
  placeholder_set out;
  if (docs->empty() || docs->front().root.is_null()) return out;
  const auto& root = docs->front().root;
  if (!root.is_mapping())
    return make_error(errc::parse, "placeholder file must be a mapping of name to values", {std::string(path), root.line});
  for (std::size_t idx = 0; idx < root.map_size(); ++idx) {
    const auto& k = root.key(idx);
    const auto& v = root.val(idx);
    std::vector<std::string> vals;
    if (v.is_scalar() && !v.is_null()) vals.push_back(v.text);
    else if (v.is_sequence())
      for (const auto& it : v.items) {
        if (!it.is_scalar())
          return make_error(errc::parse, "placeholder values must be scalars", {std::string(path), it.line, it.column});
        vals.push_back(it.text);
      }
    std::string name = k.text;
    if (name.size() > 2 && name.front() == '%' && name.back() == '%') name = name.substr(1, name.size() - 2);
    out.values[name] = std::move(vals);
  }
  return out;
}

namespace {

// Keeps the rules and correlations `own_rule` / `own_corr` say (by index),
// plus what a kept correlation refers to (those only feed it: standalone
// becomes false).
void keep_rules(rule_set& set, std::vector<char> own_rule, const std::vector<char>& own_corr) {
  const std::size_t nr = set.rules.size(), nc = set.correlation_rules.size();
  std::vector<char> keep_rule(nr, 0), keep_corr(own_corr);
  // Referenced correlations come before their users: walk backwards.
  for (std::size_t k = nc; k-- > 0;) {
    if (!keep_corr[k]) continue;
    for (const auto& r : set.correlation_rules[k].refs) {
      if (r.is_correlation) keep_corr[r.index] = 1;
      else keep_rule[r.index] = 1;
    }
  }
  for (std::size_t k = 0; k < nr; ++k) {
    own_rule[k] = own_rule[k] && set.rules[k].standalone;
    if (own_rule[k]) keep_rule[k] = 1;
  }
  std::vector<std::uint32_t> rule_map(nr, UINT32_MAX), corr_map(nc, UINT32_MAX);
  std::vector<rule> rules;
  for (std::size_t k = 0; k < nr; ++k) {
    if (!keep_rule[k]) continue;
    rule_map[k] = static_cast<std::uint32_t>(rules.size());
    rules.push_back(std::move(set.rules[k]));
    if (!own_rule[k]) rules.back().standalone = false;
  }
  std::vector<correlation_rule> corrs;
  for (std::size_t k = 0; k < nc; ++k) {
    if (!keep_corr[k]) continue;
    corr_map[k] = static_cast<std::uint32_t>(corrs.size());
    corrs.push_back(std::move(set.correlation_rules[k]));
    auto& c = corrs.back();
    if (!own_corr[k]) c.standalone = false;
    for (auto& r : c.refs) r.index = r.is_correlation ? corr_map[r.index] : rule_map[r.index];
  }
  set.rules = std::move(rules);
  set.correlation_rules = std::move(corrs);
}

bool status_runs(const rule_header& r, const rule_selection& sel) {
  if (sel.all_statuses) return true;
  std::string st = to_lower_ascii(r.status);
  if (sel.statuses.empty()) return st != "deprecated" && st != "unsupported";
  if (st.empty()) st = "none";
  for (const auto& s : sel.statuses)
    if (to_lower_ascii(s) == st) return true;
  return false;
}

level demoted(level l) { return l == level::informational ? l : static_cast<level>(static_cast<int>(l) - 1); }

}  // namespace

void restrict_to_level(rule_set& set, level min) {
  std::vector<char> own_rule, own_corr;
  for (const auto& r : set.rules) own_rule.push_back(r.lvl >= min);
  for (const auto& c : set.correlation_rules) own_corr.push_back(c.lvl >= min);
  keep_rules(set, std::move(own_rule), own_corr);
  set.digest = restricted_digest(set.digest, min);
}

bool rule_matches_pattern(const rule_header& r, std::string_view pattern) {
  if (pattern.empty()) return false;
  std::string p = to_lower_ascii(pattern);
  if (p == to_lower_ascii(r.id) || p == to_lower_ascii(r.title)) return true;
  std::string path = to_lower_ascii(r.path);
  auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (p == path || p == base) return true;
  // A path named as given on the command line ("rules/windows/x.yml") ends the rule's path.
  if (p.find('/') != std::string::npos && path.size() > p.size() && path.compare(path.size() - p.size(), p.size(), p) == 0 &&
      (p.front() == '/' || path[path.size() - p.size() - 1] == '/'))
    return true;
  if (p.find_first_of("*?[") == std::string::npos) return false;
  if (::fnmatch(p.c_str(), path.c_str(), 0) == 0 || ::fnmatch(p.c_str(), base.c_str(), 0) == 0) return true;
  return ::fnmatch(p.c_str(), to_lower_ascii(r.id).c_str(), 0) == 0 || ::fnmatch(p.c_str(), to_lower_ascii(r.title).c_str(), 0) == 0;
}

selection_counts select_rules(rule_set& set, const rule_selection& sel) {
  selection_counts n;
  auto matches_any = [](const rule_header& r, const std::vector<std::string>& pats) {
    for (const auto& p : pats)
      if (rule_matches_pattern(r, p)) return true;
    return false;
  };
  auto demote = [&](rule_header& r) {
    if (!sel.noisy.empty() && matches_any(r, sel.noisy)) {
      r.lvl = demoted(r.lvl);
      ++n.demoted;
    }
  };
  for (auto& r : set.rules) demote(r);
  for (auto& c : set.correlation_rules) demote(c);
  auto keep = [&](const rule_header& r) {
    if (!status_runs(r, sel)) return ++n.by_status, false;
    if (!sel.exclude.empty() && matches_any(r, sel.exclude)) return ++n.excluded, false;
    if (r.lvl < sel.min) return ++n.below_level, false;
    return true;
  };
  std::vector<char> own_rule, own_corr;
  for (const auto& r : set.rules) own_rule.push_back(r.standalone && keep(r));
  for (const auto& c : set.correlation_rules) own_corr.push_back(keep(c));
  keep_rules(set, std::move(own_rule), own_corr);
  set.digest = selection_digest(set.digest, sel);
  return n;
}

std::string selection_digest(std::string_view digest, const rule_selection& sel) {
  if (digest.empty()) return {};
  std::string s = restricted_digest(digest, sel.min);
  std::string extra;
  extra += sel.all_statuses ? "all" : "";
  for (const auto& v : sel.statuses) extra += "|s:" + to_lower_ascii(v);
  for (const auto& v : sel.exclude) extra += "|x:" + to_lower_ascii(v);
  for (const auto& v : sel.noisy) extra += "|n:" + to_lower_ascii(v);
  if (!extra.empty()) s += "|sel:" + stable_id_hex(extra);
  return s;
}

result<std::vector<std::string>> load_rule_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(errc::io, "cannot read rule list " + path + ": " + std::strerror(errno));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    auto e = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(b, e + 1 - b));
  }
  return out;
}

std::string restricted_digest(std::string_view digest, level min) {
  if (digest.empty()) return {};
  return std::string(digest) + "|min-level:" + std::to_string(static_cast<int>(min));
}

namespace detail {

namespace {

file_stamp stamp_of(const struct ::stat& st) {
  file_stamp s;
  s.ok = true;
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.mtime_sec = st.st_mtim.tv_sec;
  s.mtime_nsec = st.st_mtim.tv_nsec;
  s.ctime_sec = st.st_ctim.tv_sec;
  s.ctime_nsec = st.st_ctim.tv_nsec;
  return s;
}

// "x.yml", "x.yaml" (not ".yml" alone, whose name has no extension).
bool rule_file_name(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.size() > ext.size() && name.ends_with(ext); };
  return ends(".yml") || ends(".yaml");
}

struct walker {
  std::vector<std::pair<std::string, file_stamp>> found;
  std::vector<file_stamp>* stamps;
  std::string problem;

  // Adds the rule files under the directory open as `fd`, whose path text
  // is `at`; takes `fd`.
  void walk(int fd, const std::string& at) {
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      problem = std::strerror(errno);
      return;
    }
    const std::string prefix = at.empty() || at.back() == '/' ? at : at + "/";
    while (const dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      unsigned char type = e->d_type;
      struct ::stat st {};
      if (type == DT_UNKNOWN) {
        if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      if (type == DT_DIR) {
        int sub = ::openat(::dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
          if (errno != EACCES && errno != EPERM) problem = std::strerror(errno);
          continue;
        }
        walk(sub, prefix + e->d_name);
        continue;
      }
      if ((type != DT_REG && type != DT_LNK) || !rule_file_name(name)) continue;
      // A link counts when it leads to a regular file; a file's stamp is
      // taken when asked for.
      file_stamp stamp;
      if (type == DT_LNK || stamps) {
        if (::fstatat(::dirfd(d), e->d_name, &st, 0) != 0) {
          if (type == DT_LNK) continue;  // dangling
        } else {
          if (!S_ISREG(st.st_mode)) continue;
          stamp = stamp_of(st);
        }
      }
      found.emplace_back(prefix + e->d_name, stamp);
    }
    ::closedir(d);
  }
};

}  // namespace

file_stamp stamp_file(const char* path) {
  struct ::stat st {};
  return ::stat(path, &st) == 0 ? stamp_of(st) : file_stamp{};
}

bool list_rule_files(const std::string& path, std::vector<std::string>& files, std::string& problem,
                     std::vector<file_stamp>* stamps) {
  struct ::stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    problem = "no such file or directory";
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    files.push_back(path);
    if (stamps) stamps->push_back(stamp_of(st));
    return true;
  }
  walker w{{}, stamps, {}};
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) w.walk(fd, path);
  else if (errno != EACCES && errno != EPERM) w.problem = std::strerror(errno);
  problem = w.problem;
  std::sort(w.found.begin(), w.found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [f, stamp] : w.found) {
    files.push_back(std::move(f));
    if (stamps) stamps->push_back(stamp);
  }
  return true;
}

}  // namespace detail

}  // namespace ariadne::sigma
