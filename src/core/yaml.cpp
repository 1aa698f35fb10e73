#include "ariadne/core/yaml.hpp"

#include <libfyaml.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

namespace ariadne::yaml {

bool node::is_null() const {
  return kind == node_kind::scalar && style == scalar_style::plain &&
         (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL");
}

const node* node::find(std::string_view k) const {
  if (kind != node_kind::mapping) return nullptr;
  for (std::size_t idx = 0; idx + 1 < items.size(); idx += 2)
    if (items[idx].is_scalar() && items[idx].text == k) return &items[idx + 1];
  return nullptr;
}

namespace {

struct parser_deleter {
  void operator()(fy_parser* p) const { fy_parser_destroy(p); }
};
struct diag_deleter {
  void operator()(fy_diag* d) const { fy_diag_destroy(d); }
};

scalar_style to_style(fy_scalar_style s) {
  switch (s) {
    case FYSS_SINGLE_QUOTED: return scalar_style::single_quoted;
    case FYSS_DOUBLE_QUOTED: return scalar_style::double_quoted;
    case FYSS_LITERAL: return scalar_style::literal;
    case FYSS_FOLDED: return scalar_style::folded;
    default: return scalar_style::plain;
  }
}

class builder {
 public:
  builder(fy_parser* p, std::string_view file) : p_(p), file_(file) {}

  result<std::vector<document>> run() {
    std::vector<document> docs;
    for (;;) {
      event_ptr ev = next();
      if (!ev) return failure();
      if (ev->type == FYET_STREAM_END) break;
      if (ev->type != FYET_DOCUMENT_START) continue;
      document doc;
      doc.line = mark_line(ev.get());
      anchors_.clear();
      nodes_ = bytes_ = 0;
      event_ptr first = next();
      if (!first) return failure();
      if (first->type == FYET_DOCUMENT_END) {
        doc.root.kind = node_kind::scalar;  // empty document = null
        docs.push_back(std::move(doc));
        continue;
      }
      auto root = build(std::move(first), 0);
      if (!root) return unexpected(root.error());
      doc.root = std::move(*root);
      event_ptr end = next();
      if (!end) return failure();
      docs.push_back(std::move(doc));
    }
    return docs;
  }

 private:
  struct event_free {
    fy_parser* p;
    void operator()(fy_event* e) const { fy_parser_event_free(p, e); }
  };
  using event_ptr = std::unique_ptr<fy_event, event_free>;

  event_ptr next() { return event_ptr(fy_parser_parse(p_), event_free{p_}); }

  static std::uint32_t mark_line(fy_event* ev) {
    const fy_mark* m = fy_event_start_mark(ev);
    return m ? static_cast<std::uint32_t>(m->line + 1) : 0;
  }
  static std::uint32_t mark_col(fy_event* ev) {
    const fy_mark* m = fy_event_start_mark(ev);
    return m ? static_cast<std::uint32_t>(m->column + 1) : 0;
  }

  unexpected_t<error> failure() {
    // The diagnostic callback captured libfyaml's text, formatted as
    // "LINE:COL: error: MESSAGE" (show_position on, source off).
    std::string msg = captured_ ? *captured_ : std::string();
    std::uint32_t line = 0, col = 0;
    // "<source>:LINE:COL: error: MESSAGE"
    if (auto tag = msg.find(": error: "); tag != std::string::npos) {
      std::string head = msg.substr(0, tag);
      msg = msg.substr(tag + 9);
      auto c2 = head.rfind(':');
      if (c2 != std::string::npos) {
        auto c1 = head.rfind(':', c2 - 1);
        if (c1 != std::string::npos) {
          line = static_cast<std::uint32_t>(std::strtoul(head.c_str() + c1 + 1, nullptr, 10));
          col = static_cast<std::uint32_t>(std::strtoul(head.c_str() + c2 + 1, nullptr, 10));
        }
      }
    }
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (msg.empty()) msg = "syntax error";
    return make_error(errc::parse, "YAML: " + msg, {std::string(file_), line, col});
  }

 public:
  std::string* captured_ = nullptr;

 private:
  static std::string anchor_name(fy_token* t) {
    if (!t) return {};
    std::size_t len = 0;
    const char* s = fy_token_get_text(t, &len);
    return s ? std::string(s, len) : std::string();
  }

  // What a subtree costs: its nodes and the bytes of its texts.
  struct cost {
    std::uint64_t nodes = 0, bytes = 0;
  };
  struct anchored {
    node n;
    cost c;
  };

  // Charges a node (or an alias's copy of a subtree) to the document's
  // budget: aliases copy their anchor, so nested aliases (a "billion
  // laughs" document, also through `<<` merges) grow exponentially in a
  // few hundred bytes.
  [[nodiscard]] bool charge(cost c) {
    nodes_ += c.nodes;
    bytes_ += c.bytes;
    return nodes_ <= k_max_nodes && bytes_ <= k_max_bytes;
  }
  unexpected_t<error> over_budget(const node& n) const {
    return make_error(errc::limit,
                      "YAML: aliases expand this document past " + std::to_string(k_max_nodes) + " nodes or " +
                          std::to_string(k_max_bytes >> 20) + " MiB of text (an alias bomb?); document skipped",
                      {std::string(file_), n.line, n.column});
  }

  result<node> build(event_ptr ev, int depth) {
    cost unused;
    return build(std::move(ev), depth, unused);
  }

  // Builds a node; `spent` gets what its subtree cost.
  result<node> build(event_ptr ev, int depth, cost& spent) {
    if (depth > 64)
      return make_error(errc::limit, "YAML nesting deeper than 64 levels", {std::string(file_), mark_line(ev.get())});
    node n;
    n.line = mark_line(ev.get());
    n.column = mark_col(ev.get());
    spent = {1, 0};
    switch (ev->type) {
      case FYET_SCALAR: {
        std::size_t len = 0;
        const char* s = ev->scalar.value ? fy_token_get_text(ev->scalar.value, &len) : nullptr;
        n.kind = node_kind::scalar;
        if (s) n.text.assign(s, len);
        n.style = ev->scalar.value ? to_style(fy_token_scalar_style(ev->scalar.value)) : scalar_style::plain;
        spent.bytes = n.text.size();
        if (!charge(spent)) return over_budget(n);
        if (auto a = anchor_name(ev->scalar.anchor); !a.empty()) anchors_[a] = {n, spent};
        return n;
      }
      case FYET_ALIAS: {
        auto name = anchor_name(ev->alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end())
          return make_error(errc::parse, "YAML: unknown alias '*" + name + "'", {std::string(file_), n.line, n.column});
        if (!charge(it->second.c)) return over_budget(n);
        spent = it->second.c;
        node copy = it->second.n;
        copy.line = n.line;
        copy.column = n.column;
        return copy;
      }
      case FYET_SEQUENCE_START: {
        n.kind = node_kind::sequence;
        if (!charge(spent)) return over_budget(n);
        auto anchor = anchor_name(ev->sequence_start.anchor);
        for (;;) {
          event_ptr child = next();
          if (!child) return failure();
          if (child->type == FYET_SEQUENCE_END) break;
          cost sub;
          auto c = build(std::move(child), depth + 1, sub);
          if (!c) return c;
          spent.nodes += sub.nodes;
          spent.bytes += sub.bytes;
          n.items.push_back(std::move(*c));
        }
        if (!anchor.empty()) anchors_[anchor] = {n, spent};
        return n;
      }
      case FYET_MAPPING_START: {
        n.kind = node_kind::mapping;
        if (!charge(spent)) return over_budget(n);
        auto anchor = anchor_name(ev->mapping_start.anchor);
        std::set<std::string> seen;
        for (;;) {
          event_ptr k = next();
          if (!k) return failure();
          if (k->type == FYET_MAPPING_END) break;
          cost sub;
          auto key = build(std::move(k), depth + 1, sub);
          if (!key) return key;
          spent.nodes += sub.nodes;
          spent.bytes += sub.bytes;
          if (key->is_scalar() && !seen.insert(key->text).second)
            return make_error(errc::parse, "YAML: duplicate key '" + key->text + "'",
                              {std::string(file_), key->line, key->column});
          event_ptr v = next();
          if (!v) return failure();
          auto val = build(std::move(v), depth + 1, sub);
          if (!val) return val;
          spent.nodes += sub.nodes;
          spent.bytes += sub.bytes;
          n.items.push_back(std::move(*key));
          n.items.push_back(std::move(*val));
        }
        if (!anchor.empty()) anchors_[anchor] = {n, spent};
        return n;
      }
      default:
        return make_error(errc::parse, "YAML: unexpected parser event", {std::string(file_), n.line, n.column});
    }
  }

  // A document's budget: far above any rule, mapping or placeholder file
  // (the whole SigmaHQ tree is about 400,000 nodes in 3,700 files).
  static constexpr std::uint64_t k_max_nodes = 1'000'000;
  static constexpr std::uint64_t k_max_bytes = 64ULL << 20;

  fy_parser* p_;
  std::string_view file_;
  std::map<std::string, anchored> anchors_;
  std::uint64_t nodes_ = 0, bytes_ = 0;
};

}  // namespace

namespace {

// YAML text is UTF-8 without C0 controls other than tab, LF and CR, and
// its directive lines (`%YAML`, `%TAG`) are ASCII. Checked before libfyaml
// sees the text: libfyaml 0.7.12 loops forever on invalid UTF-8 in a
// directive and on some non-ASCII directive names (found by
// tests/fuzz/rules_fuzz).
bool valid_text(std::string_view text, std::uint32_t& line, std::uint32_t& col, std::string& why) {
  line = 1;
  col = 1;
  bool directive = !text.empty() && text[0] == '%';
  for (std::size_t k = 0; k < text.size();) {
    auto c = static_cast<unsigned char>(text[k]);
    if (directive && c >= 0x80) {
      why = "non-ASCII character in a YAML directive line";
      return false;
    }
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        why = c == 0 ? "NUL byte in YAML text" : "control character in YAML text";
        return false;
      }
      if (c == '\n') {
        ++line;
        col = 1;
        directive = k + 1 < text.size() && text[k + 1] == '%';
      } else {
        ++col;
      }
      ++k;
      continue;
    }
    std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    bool ok = len != 0 && c < 0xf5 && k + len <= text.size() && !(c == 0xc0 || c == 0xc1);
    for (std::size_t j = 1; ok && j < len; ++j) ok = (static_cast<unsigned char>(text[k + j]) & 0xc0) == 0x80;
    if (!ok) {
      why = "invalid UTF-8 in YAML text";
      return false;
    }
    k += len;
    ++col;
  }
  return true;
}

}  // namespace

result<std::vector<document>> parse(std::string_view text, std::string_view file) {
  {
    std::uint32_t line = 0, col = 0;
    std::string why;
    if (!valid_text(text, line, col, why))
      return make_error(errc::parse, why, {std::string(file), line, col});
  }
  // Errors are captured as text through the output callback. (Collecting
  // them with fy_diag_set_collect_errors leaks the diag object in libfyaml
  // 0.7.12 on error paths.)
  std::string captured;
  fy_diag_cfg dcfg;
  fy_diag_cfg_default(&dcfg);
  dcfg.fp = nullptr;
  dcfg.user = &captured;
  dcfg.level = FYET_ERROR;
  dcfg.colorize = false;
  dcfg.show_source = false;
  dcfg.show_position = true;
  dcfg.show_type = true;
  dcfg.show_module = false;
  dcfg.position_width = 0;
  dcfg.type_width = 0;
  dcfg.output_fn = [](fy_diag*, void* user, const char* buf, size_t len) {
    auto* out = static_cast<std::string*>(user);
    if (out->empty()) out->assign(buf, len);  // keep the first error
  };
  std::unique_ptr<fy_diag, diag_deleter> diag(fy_diag_create(&dcfg));
  if (!diag) return make_error(errc::io, "YAML: cannot create diagnostics", {std::string(file)});
  fy_parse_cfg cfg{};
  cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_1 | FYPCF_JSON_NONE);
  cfg.diag = diag.get();
  std::unique_ptr<fy_parser, parser_deleter> p(fy_parser_create(&cfg));
  if (!p) return make_error(errc::io, "YAML: cannot create parser", {std::string(file)});
  if (fy_parser_set_string(p.get(), text.data(), text.size()) != 0)
    return make_error(errc::io, "YAML: cannot read input", {std::string(file)});
  builder b(p.get(), file);
  b.captured_ = &captured;
  return b.run();
}

std::vector<std::string> scalar_list(const node* n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n->is_scalar() && !n->is_null()) out.push_back(n->text);
  if (n->is_sequence())
    for (const auto& it : n->items)
      if (it.is_scalar()) out.push_back(it.text);
  return out;
}

}  // namespace ariadne::yaml
