// `ariadne search` and `ariadne metrics`: what analysts reach for after a
// hunt, on the same readers, normaliser and threads as `hunt` (the pipeline
// executor). A search is compiled into one Sigma rule (keywords, a regex
// over every value, field=value selections, ANDed), so it means exactly
// what the same test means in a rule. Metrics count every event: event ids
// per channel, events per computer, and logons by user, source and type.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "ariadne/core/text.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "ariadne/pipeline/pipeline.hpp"
#include "ariadne/report/alert.hpp"
#include "ariadne/report/details.hpp"
#include "ariadne/rules/collection.hpp"
#include "commands.hpp"
#include "terminal.hpp"
#include "timeline.hpp"

namespace ariadne::cli {
namespace {

std::string yaml_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The search as one Sigma rule; "" with a message in `why` when the query is not usable.
std::string search_rule(const search_options& o, std::string& why) {
  std::string det, cond;
  auto add = [&](const std::string& name, const std::string& body) {
    det += "  " + name + ": " + body + "\n";
    cond += (cond.empty() ? "" : " and ") + name;
  };
  for (std::size_t k = 0; k < o.keywords.size(); ++k) {
    // A keyword is found inside any value (Sigma keywords with wildcards).
    std::string kw = o.keywords[k];
    std::string escaped;
    for (char c : kw) {
      if (c == '*' || c == '?' || c == '\\') escaped.push_back('\\');
      escaped.push_back(c);
    }
    add("kw" + std::to_string(k), "[" + yaml_quote("*" + escaped + "*") + "]");
  }
  for (std::size_t k = 0; k < o.regexes.size(); ++k) add("re" + std::to_string(k), "{'|re': " + yaml_quote(o.regexes[k]) + "}");
  for (std::size_t k = 0; k < o.fields.size(); ++k) {
    auto eq = o.fields[k].find('=');
    if (eq == std::string::npos || eq == 0) {
      why = "'" + o.fields[k] + "' is not FIELD=VALUE";
      return {};
    }
    add("f" + std::to_string(k), "{" + yaml_quote(o.fields[k].substr(0, eq)) + ": " + yaml_quote(o.fields[k].substr(eq + 1)) + "}");
  }
  if (cond.empty()) {
    why = "nothing to search for: give -k KEYWORD, -e REGEX or -F FIELD=VALUE";
    return {};
  }
  return "title: search\nid: 5ea7c400-0000-4000-8000-000000000001\nlogsource: {}\ndetection:\n" + det +
         "  condition: " + cond + "\nlevel: informational\n";
}

// Every event, for metrics.
constexpr const char* k_every_event =
    "title: every event\nid: 5ea7c400-0000-4000-8000-000000000002\nlogsource: {}\ndetection:\n"
    "  any: {'EventID|exists': true}\n  condition: any or not any\nlevel: informational\n";

result<sigma::rule_set> load_one(const std::string& text) {
  sigma::load_options lo;
  lo.threads = 1;
  auto set = sigma::load_rules_from_texts({{"(search)", text}}, lo);
  if (set.rules.size() != 1) {
    std::string msg = "the search cannot be compiled";
    for (const auto& d : set.diagnostics)
      if (d.sev == sigma::severity::error) msg += ": " + d.message;
    return make_error(errc::usage, msg);
  }
  return set;
}

// A sink that takes a callback per hit (rendered on the workers).
class callback_sink final : public pipeline::sink {
 public:
  using render_fn = std::function<std::string(const pipeline::hit_context&, const report::alert*)>;
  using alert_fn = std::function<void(const pipeline::hit_context&, std::string&)>;
  callback_sink(bool want_alert, render_fn r, alert_fn a, std::size_t max_problems)
      : want_(want_alert), render_(std::move(r)), alert_(std::move(a)), max_problems_(max_problems) {}
  [[nodiscard]] bool wants_alert(const sigma::rule&) const override { return want_; }
  [[nodiscard]] std::string render(const pipeline::hit_context& h, const report::alert* a) const override {
    return render_(h, a);
  }
  void on_alert(const pipeline::hit_context& h, const report::alert*, std::string& line) override { alert_(h, line); }
  void on_problems(std::vector<ingest::input_problem>& problems) override {
    for (const auto& p : problems)
      if (++problems_ <= max_problems_)
        std::fprintf(stderr, "ariadne: warning: %s: %s\n", printable(p.where).c_str(), printable(p.message).c_str());
    problems.clear();
  }
  void on_correlation(const correlate::result&, const sigma::correlation_rule&) override {}
  void on_incidents(const graph::graph&, const std::vector<graph::incident>&) override {}
  [[nodiscard]] std::uint64_t problems() const { return problems_; }

 private:
  bool want_;
  render_fn render_;
  alert_fn alert_;
  std::size_t max_problems_;
  std::uint64_t problems_ = 0;
};

struct run_inputs {
  ingest::input_spool spool;
  std::vector<ingest::input_file> files;
};

int expand(const std::vector<std::string>& paths, run_inputs& in) {
  std::vector<ingest::input_problem> problems;
  in.files = ingest::expand_inputs(paths, problems, in.spool);
  for (const auto& p : problems)
    std::fprintf(stderr, "ariadne: warning: %s: %s\n", printable(p.where).c_str(), printable(p.message).c_str());
  if (in.files.empty()) {
    std::fprintf(stderr, "ariadne: no input files\n");
    return k_exit_fatal;
  }
  return k_exit_ok;
}

std::string field_text(const event_batch& b, const event& ev, std::string_view name) {
  static thread_local std::string scratch;
  field_id f = field_names().find(name);
  if (f == k_no_field) return {};
  const value* v = b.find(ev, f);
  return v ? std::string(value_text(*v, scratch)) : std::string();
}

}  // namespace

int run_search(const search_options& o) {
  std::string why;
  std::string text = search_rule(o, why);
  if (text.empty()) {
    std::fprintf(stderr, "ariadne: %s\n", why.c_str());
    return k_exit_usage;
  }
  auto set = load_one(text);
  if (!set) {
    std::fprintf(stderr, "ariadne: %s\n", set.error().message.c_str());
    return k_exit_usage;
  }
  run_inputs in;
  if (!output_is_safe(o.output, o.inputs, false)) return k_exit_usage;
  if (int rc = expand(o.inputs, in); rc != k_exit_ok) return rc;
  output_file out;
  if (!out.open(o.output)) return k_exit_fatal;
  const bool jsonl = o.format == "jsonl";
  const bool to_stdout = o.output.empty() || o.output == "-";
  std::size_t width = to_stdout && !o.wide ? terminal_width(stdout) : 0;
  const auto& details = report::details_profile::builtin();
  std::uint64_t found = 0;
  callback_sink sink(
      jsonl,
      [&](const pipeline::hit_context& h, const report::alert* a) {
        if (jsonl) {
          std::string line = "{\"time\":";
          line += h.ev.time == k_no_time ? "null" : "\"" + format_rfc3339(h.ev.time) + "\"";
          line += ",\"host\":";
          append_json_string(line, h.host);
          line += ",\"source\":{\"file\":";
          append_json_string(line, h.source);
          line += ",\"record\":" + std::to_string(h.ev.source.record) + "},\"event\":" + a->event_json + "}\n";
          return line;
        }
        std::string d = details.render(h.batch, h.ev).text;
        std::string line = fmt::format("{}  {}  {}:{}  {}  {}", clock_text(h.ev.time, std::string(19, '-')), printable(h.host),
                                       printable(field_text(h.batch, h.ev, "Channel")),
                                       printable(field_text(h.batch, h.ev, "EventID")), printable(d),
                                       printable(short_source(h.source + ":" + std::to_string(h.ev.source.record))));
        return fit(line, width) + "\n";
      },
      [&](const pipeline::hit_context&, std::string& line) {
        if (o.max && found >= o.max) return;
        ++found;
        out.write(line);
      },
      10);
  pipeline::options po;
  po.threads = clamp_threads(o.threads);
  po.incidents = false;
  po.prefilter = true;
  pipeline::executor ex(set->rules, set->correlation_rules, nullptr, po, sink);
  ex.read(in.files);
  ex.finish();
  if (int rc = out.commit("the search results"); rc != k_exit_ok) return rc;
  if (!o.quiet)
    std::fprintf(stderr, "ariadne: %llu of %llu events matched%s; %llu input problem(s)\n",
                 static_cast<unsigned long long>(found), static_cast<unsigned long long>(ex.stats().events),
                 o.max && found >= o.max ? fmt::format(" (stopped printing at --max {})", o.max).c_str() : "",
                 static_cast<unsigned long long>(sink.problems()));
  return k_exit_ok;
}

int run_metrics(const metrics_options& o) {
  auto set = load_one(k_every_event);
  if (!set) {
    std::fprintf(stderr, "ariadne: %s\n", set.error().message.c_str());
    return k_exit_fatal;
  }
  run_inputs in;
  if (!output_is_safe(o.output, o.inputs, false)) return k_exit_usage;
  if (int rc = expand(o.inputs, in); rc != k_exit_ok) return rc;
  std::map<std::pair<std::string, std::string>, std::uint64_t> by_id;   // (channel, event id)
  std::map<std::string, std::uint64_t> by_computer;
  struct logon_counts {
    std::uint64_t ok = 0, failed = 0;
  };
  std::map<std::tuple<std::string, std::string, std::string>, logon_counts> logons;  // user, source, type
  std::uint64_t events = 0;
  callback_sink sink(
      false,
      [&](const pipeline::hit_context& h, const report::alert*) {
        // channel \x1f id \x1f computer [\x1f user \x1f source \x1f type \x1f ok]
        std::string channel = field_text(h.batch, h.ev, "Channel"), id = field_text(h.batch, h.ev, "EventID");
        std::string s = channel + "\x1f" + id + "\x1f" + std::string(h.host);
        bool security = to_lower_ascii(channel) == "security";
        if (security && (id == "4624" || id == "4625")) {
          std::string dom = field_text(h.batch, h.ev, "TargetDomainName");
          std::string user = field_text(h.batch, h.ev, "TargetUserName");
          s += "\x1f" + (dom.empty() || dom == "-" ? user : dom + "\\" + user) + "\x1f" +
               field_text(h.batch, h.ev, "IpAddress") + "\x1f" + field_text(h.batch, h.ev, "LogonType") + "\x1f" +
               (id == "4624" ? "1" : "0");
        }
        return s;
      },
      [&](const pipeline::hit_context&, std::string& s) {
        ++events;
        std::vector<std::string> parts;
        std::size_t from = 0;
        for (std::size_t k = 0; k <= s.size(); ++k)
          if (k == s.size() || s[k] == '\x1f') {
            parts.push_back(s.substr(from, k - from));
            from = k + 1;
          }
        ++by_id[{parts[0].empty() ? "(none)" : parts[0], parts[1].empty() ? "-" : parts[1]}];
        ++by_computer[parts[2].empty() ? "(unknown)" : parts[2]];
        if (parts.size() == 7) {
          auto& c = logons[{parts[3], parts[4].empty() ? "-" : parts[4], parts[5]}];
          (parts[6] == "1" ? c.ok : c.failed)++;
        }
      },
      10);
  pipeline::options po;
  po.threads = clamp_threads(o.threads);
  po.incidents = false;
  po.use_index = false;
  po.prefilter = false;
  pipeline::executor ex(set->rules, set->correlation_rules, nullptr, po, sink);
  ex.read(in.files);
  ex.finish();
  std::string out;
  if (o.format == "json") {
    out = "{\"events\":" + std::to_string(events) + ",\"event_ids\":[";
    bool first = true;
    for (const auto& [k, n] : by_id) {
      out += first ? "" : ",";
      first = false;
      out += "{\"channel\":";
      append_json_string(out, k.first);
      out += ",\"event_id\":";
      append_json_string(out, k.second);
      out += ",\"count\":" + std::to_string(n) + "}";
    }
    out += "],\"computers\":[";
    first = true;
    for (const auto& [c, n] : by_computer) {
      out += first ? "" : ",";
      first = false;
      out += "{\"computer\":";
      append_json_string(out, c);
      out += ",\"count\":" + std::to_string(n) + "}";
    }
    out += "],\"logons\":[";
    first = true;
    for (const auto& [k, c] : logons) {
      out += first ? "" : ",";
      first = false;
      out += "{\"user\":";
      append_json_string(out, std::get<0>(k));
      out += ",\"source\":";
      append_json_string(out, std::get<1>(k));
      out += ",\"logon_type\":";
      append_json_string(out, std::get<2>(k));
      out += ",\"succeeded\":" + std::to_string(c.ok) + ",\"failed\":" + std::to_string(c.failed) + "}";
    }
    out += "]}\n";
    return write_output(o.output, out);
  }
  const bool to_stdout = o.output.empty() || o.output == "-";
  palette pal(!o.no_color && to_stdout && is_tty(stdout));
  std::size_t width = to_stdout && !o.wide ? terminal_width(stdout) : 0;
  auto line = [&](const std::string& s) { out += fit(s, width) + "\n"; };
  line(pal.bold(fmt::format("Event ids by channel ({} events)", events)));
  std::vector<std::pair<std::uint64_t, std::pair<std::string, std::string>>> ids;
  for (const auto& [k, n] : by_id) ids.emplace_back(n, k);
  std::stable_sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  line(fmt::format("  {:>9}  {:>8}  {}", "EVENTS", "EVENT ID", "CHANNEL"));
  for (const auto& [n, k] : ids) line(fmt::format("  {:>9}  {:>8}  {}", n, printable(k.second), printable(k.first)));
  line("");
  line(pal.bold("Computers"));
  std::vector<std::pair<std::uint64_t, std::string>> comps;
  for (const auto& [c, n] : by_computer) comps.emplace_back(n, c);
  std::stable_sort(comps.begin(), comps.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [n, c] : comps) line(fmt::format("  {:>9}  {}", n, printable(c)));
  if (!logons.empty()) {
    line("");
    line(pal.bold("Logons (Security 4624 succeeded, 4625 failed)"));
    line(fmt::format("  {:>9}  {:>9}  {:>4}  {:<39}  {}", "SUCCEEDED", "FAILED", "TYPE", "SOURCE", "USER"));
    std::vector<std::pair<std::tuple<std::string, std::string, std::string>, logon_counts>> ls(logons.begin(), logons.end());
    std::stable_sort(ls.begin(), ls.end(), [](const auto& a, const auto& b) {
      return a.second.ok + a.second.failed > b.second.ok + b.second.failed;
    });
    for (const auto& [k, c] : ls)
      line(fmt::format("  {:>9}  {:>9}  {:>4}  {:<39}  {}", c.ok, c.failed, printable(std::get<2>(k)),
                       printable(std::get<1>(k)), printable(std::get<0>(k))));
  }
  return write_output(o.output, out);
}

}  // namespace ariadne::cli
