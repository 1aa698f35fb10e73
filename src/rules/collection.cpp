// The collector: walks files, reads documents, applies meta-filters.
#include "ariadne/rules/collection.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "ariadne/core/text.hpp"
#include "ariadne/core/yaml.hpp"
#include "reader.hpp"

namespace ariadne::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_rules();
}

namespace ariadne::sigma {

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

  void add_text(const std::string& name, std::string_view text) {
    ++set_.files;
    auto docs = yaml::parse(text, name);
    if (!docs) {
      diagnostic d;
      d.sev = severity::error;
      d.code = "yaml-syntax";
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
        case detail::doc_kind::correlation: {
          ++set_.correlations;
          ++set_.skipped;
          diagnostic d;
          d.sev = severity::error;
          d.code = "unsupported-correlation";
          d.message = "correlation rules are not evaluated yet; the rule is skipped";
          d.where = {name, doc.line, 0};
          if (const auto* id = doc.root.find("id")) d.rule_id = id->text;
          if (const auto* t = doc.root.find("title")) d.rule_title = t->text;
          set_.diagnostics.push_back(std::move(d));
          break;
        }
        case detail::doc_kind::filter:
          if (res.filter) filters_.push_back(std::move(*res.filter));
          else ++set_.skipped;
          break;
        case detail::doc_kind::detection:
          if (res.detection) {
            add_rule(std::move(*res.detection));
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
    namespace fs = std::filesystem;
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      unreadable(path, "no such file or directory");
      return;
    }
    std::vector<std::string> files;
    if (fs::is_directory(status)) {
      fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        auto ext = it->path().extension().string();
        if (ext == ".yml" || ext == ".yaml") files.push_back(it->path().string());
      }
      if (ec) unreadable(path, ec.message());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(path);
    }
    for (const auto& f : files) {
      std::string text;
      if (!read_file(f, text)) {
        unreadable(f, "cannot read file");
        continue;
      }
      add_text(f, text);
    }
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
  std::set<std::string> seen_ids_;
};

}  // namespace

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

}  // namespace ariadne::sigma
