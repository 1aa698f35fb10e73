#include "ariadne/rules/condition.hpp"

#include <algorithm>

namespace ariadne::sigma {

bool name_matches(std::string_view pattern, std::string_view name) {
  // Iterative glob with backtracking to the last '*'.
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

struct token {
  enum class kind { word, lparen, rparen, pipe, end } k;
  std::string_view text;
  std::size_t column;  // 1-based
};

class condition_parser {
 public:
  condition_parser(std::string_view text, const std::vector<std::string>& names) : text_(text), names_(names) {
    tokenize();
  }

  result<condition_node> run() {
    if (!error_.empty()) return fail(error_, error_col_, error_code_);
    auto node = parse_or(0);
    if (!node) return node;
    if (peek().k != token::kind::end) return fail("unexpected '" + std::string(peek().text) + "'", peek().column);
    return node;
  }

 private:
  void tokenize() {
    std::size_t pos = 0;
    while (pos < text_.size()) {
      char c = text_[pos];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos;
      } else if (c == '(') {
        toks_.push_back({token::kind::lparen, text_.substr(pos, 1), pos + 1});
        ++pos;
      } else if (c == ')') {
        toks_.push_back({token::kind::rparen, text_.substr(pos, 1), pos + 1});
        ++pos;
      } else if (c == '|') {
        toks_.push_back({token::kind::pipe, text_.substr(pos, 1), pos + 1});
        ++pos;
      } else {
        std::size_t start = pos;
        while (pos < text_.size() && text_[pos] != ' ' && text_[pos] != '\t' && text_[pos] != '\n' &&
               text_[pos] != '\r' && text_[pos] != '(' && text_[pos] != ')')
          ++pos;
        toks_.push_back({token::kind::word, text_.substr(start, pos - start), start + 1});
      }
    }
    toks_.push_back({token::kind::end, {}, text_.size() + 1});
    for (const auto& t : toks_)
      if (t.k == token::kind::pipe) {
        error_ = "legacy aggregation ('| count() ...', 'near') is not a detection condition; write a Sigma "
                 "correlation rule instead";
        error_col_ = t.column;
        error_code_ = errc::legacy;
        return;
      }
  }

  const token& peek() const { return toks_[idx_]; }
  const token& take() { return toks_[idx_ < toks_.size() - 1 ? idx_++ : idx_]; }
  bool is_word(std::string_view w) const { return peek().k == token::kind::word && peek().text == w; }

  unexpected_t<error> fail(std::string msg, std::size_t column, errc code = errc::invalid_rule) {
    return make_error(code, "condition: " + std::move(msg), {"", 0, static_cast<std::uint32_t>(column)});
  }

  static condition_node combine(condition_node::kind k, std::vector<condition_node> kids) {
    if (kids.size() == 1) return std::move(kids.front());
    condition_node n;
    n.k = k;
    n.kids = std::move(kids);
    return n;
  }

  result<condition_node> parse_or(int depth) {
    if (depth > 100) return fail("nesting too deep", peek().column);
    std::vector<condition_node> kids;
    auto first = parse_and(depth);
    if (!first) return first;
    kids.push_back(std::move(*first));
    while (is_word("or")) {
      take();
      auto next = parse_and(depth);
      if (!next) return next;
      kids.push_back(std::move(*next));
    }
    return combine(condition_node::kind::op_or, std::move(kids));
  }

  result<condition_node> parse_and(int depth) {
    std::vector<condition_node> kids;
    auto first = parse_not(depth);
    if (!first) return first;
    kids.push_back(std::move(*first));
    while (is_word("and")) {
      take();
      auto next = parse_not(depth);
      if (!next) return next;
      kids.push_back(std::move(*next));
    }
    return combine(condition_node::kind::op_and, std::move(kids));
  }

  result<condition_node> parse_not(int depth) {
    if (is_word("not")) {
      take();
      if (depth > 100) return fail("nesting too deep", peek().column);
      auto inner = parse_not(depth + 1);
      if (!inner) return inner;
      condition_node n;
      n.k = condition_node::kind::op_not;
      n.kids.push_back(std::move(*inner));
      return n;
    }
    return parse_primary(depth);
  }

  result<condition_node> parse_primary(int depth) {
    const token& t = peek();
    if (t.k == token::kind::lparen) {
      take();
      auto inner = parse_or(depth + 1);
      if (!inner) return inner;
      if (peek().k != token::kind::rparen) return fail("expected ')'", peek().column);
      take();
      return inner;
    }
    if (t.k == token::kind::end) return fail("expected a search identifier at the end", t.column);
    if (t.k != token::kind::word) return fail("unexpected '" + std::string(t.text) + "'", t.column);
    if (t.text == "and" || t.text == "or" || t.text == "of")
      return fail("expected a search identifier, found '" + std::string(t.text) + "'", t.column);
    // quantifier?
    if ((t.text == "1" || t.text == "any" || t.text == "all") && idx_ + 1 < toks_.size() &&
        toks_[idx_ + 1].k == token::kind::word && toks_[idx_ + 1].text == "of") {
      bool all = t.text == "all";
      take();
      take();
      const token& pat = peek();
      if (pat.k != token::kind::word) return fail("expected a pattern or 'them' after 'of'", pat.column);
      take();
      std::vector<condition_node> kids;
      bool them = pat.text == "them";
      for (std::uint32_t k = 0; k < names_.size(); ++k) {
        const auto& name = names_[k];
        bool hidden = !name.empty() && name.front() == '_';
        bool ok = them ? !hidden : (name_matches(pat.text, name) && (!hidden || pat.text.front() == '_'));
        if (!ok) continue;
        condition_node ref;
        ref.k = condition_node::kind::search_ref;
        ref.search_idx = k;
        kids.push_back(std::move(ref));
      }
      if (kids.empty())
        return fail("'" + std::string(pat.text) + "' matches no search identifier", pat.column);
      return combine(all ? condition_node::kind::op_and : condition_node::kind::op_or, std::move(kids));
    }
    take();
    auto it = std::find(names_.begin(), names_.end(), t.text);
    if (it == names_.end()) return fail("unknown search identifier '" + std::string(t.text) + "'", t.column);
    condition_node ref;
    ref.k = condition_node::kind::search_ref;
    ref.search_idx = static_cast<std::uint32_t>(it - names_.begin());
    return ref;
  }

  std::string_view text_;
  const std::vector<std::string>& names_;
  std::vector<token> toks_;
  std::size_t idx_ = 0;
  std::string error_;
  std::size_t error_col_ = 0;
  errc error_code_ = errc::invalid_rule;
};

}  // namespace

result<condition_node> parse_condition(std::string_view text, const std::vector<std::string>& names) {
  condition_parser p(text, names);
  return p.run();
}

}  // namespace ariadne::sigma
