// Details profiles: which fields of an event the table and CSV timeline
// show, and which make two alerts repeats (data/details/windows.yml).
#include "ariadne/report/details.hpp"

#include "ariadne/core/text.hpp"
#include "ariadne/core/yaml.hpp"

namespace ariadne::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& details_data();
}

namespace ariadne::report {
namespace {

constexpr std::string_view k_separator = " \xC2\xA6 ";  // " ¦ ", as Hayabusa separates details

// A value on one line: runs of whitespace (line ends, tabs) become one space,
// leading and trailing ones go.
void append_one_line(std::string& out, std::string_view v) {
  bool space = false;
  std::size_t start = out.size();
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
      space = true;
      continue;
    }
    if (space && out.size() > start) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
}

}  // namespace

result<details_profile> details_profile::parse(std::string_view text, std::string_view file) {
  auto docs = yaml::parse(text, file);
  if (!docs) return unexpected(docs.error());
  if (docs->size() != 1 || !(*docs)[0].root.is_mapping())
    return make_error(errc::parse, "a details profile is one YAML mapping", {std::string(file), 1});
  const yaml::node& root = (*docs)[0].root;
  details_profile p;
  auto& names = field_names();
  p.f_channel_ = names.intern("Channel");
  p.f_event_id_ = names.intern("EventID");
  auto fail = [&](const yaml::node& n, std::string msg) {
    return make_error(errc::parse, std::move(msg), {std::string(file), n.line});
  };
  auto read_entry = [&](const yaml::node& n, entry& e) -> result<void> {
    const yaml::node* fields = n.find("fields");
    if (!fields || !fields->is_mapping() || fields->map_size() == 0)
      return fail(n, "an entry needs `fields`: a mapping of label to field (or list of fields)");
    for (std::size_t k = 0; k < fields->map_size(); ++k) {
      column c;
      c.label = fields->key(k).text;
      for (const auto& f : yaml::scalar_list(&fields->val(k))) c.fields.push_back(names.intern(f));
      if (c.fields.empty()) return fail(fields->val(k), "label '" + c.label + "' names no field");
      e.columns.push_back(std::move(c));
    }
    if (const yaml::node* key = n.find("key")) {
      for (auto& c : e.columns) c.key = false;
      for (const auto& label : yaml::scalar_list(key)) {
        bool found = false;
        for (auto& c : e.columns)
          if (c.label == label) found = c.key = true;
        if (!found) return fail(*key, "key '" + label + "' is not one of the entry's labels");
      }
    }
    return {};
  };
  const yaml::node* def = root.find("default");
  if (!def || !def->is_mapping()) return fail(root, "a details profile needs a `default` entry");
  p.entries_.emplace_back();
  if (auto r = read_entry(*def, p.entries_.back()); !r) return unexpected(r.error());
  if (const yaml::node* events = root.find("events")) {
    if (!events->is_sequence()) return fail(*events, "`events` is a list of entries");
    for (const auto& n : events->items) {
      if (!n.is_mapping()) return fail(n, "an entry is a mapping");
      entry e;
      if (auto r = read_entry(n, e); !r) return unexpected(r.error());
      std::size_t idx = p.entries_.size();
      p.entries_.push_back(std::move(e));
      const yaml::node* ch = n.find("channel");
      const yaml::node* cat = n.find("category");
      if (ch && cat) return fail(n, "an entry names a channel or a category, not both");
      if (ch) {
        auto& ids = p.by_channel_[to_lower_ascii(ch->text)];
        auto list = yaml::scalar_list(n.find("ids"));
        if (list.empty()) return fail(n, "a channel entry needs `ids`");
        for (const auto& id : list) {
          auto v = parse_int64(id);
          if (!v) return fail(n, "event id '" + id + "' is not a number");
          ids.emplace(*v, idx);  // the first entry naming an id wins
        }
      } else if (cat) {
        p.by_category_.emplace(intern_logsource_value(to_lower_ascii(cat->text)), idx);
      } else {
        return fail(n, "an entry names a `channel` (with `ids`) or a `category`");
      }
    }
  }
  return p;
}

const details_profile& details_profile::builtin() {
  static const details_profile p = [] {
    const auto& files = embedded::details_data();
    ARIADNE_ASSERT(files.size() == 1, "exactly one details profile is embedded (src/CMakeLists.txt)");
    auto r = parse(files[0].second, files[0].first);
    ARIADNE_ASSERT(r.has_value(), "the embedded details profile is valid (a unit test loads it)");
    return std::move(*r);
  }();
  return p;
}

const details_profile::entry& details_profile::pick(const event_batch& batch, const event& ev) const {
  const value* ch = batch.find(ev, f_channel_);
  if (ch && ch->kind == value_kind::string) {
    auto it = by_channel_.find(to_lower_ascii(ch->text));
    if (it != by_channel_.end()) {
      std::int64_t id = -1;
      if (const value* v = batch.find(ev, f_event_id_)) {
        if (v->kind == value_kind::integer) id = v->integer;
        else if (v->kind == value_kind::string) id = parse_int64(v->text).value_or(-1);
      }
      if (auto e = it->second.find(id); e != it->second.end()) return entries_[e->second];
    }
  }
  for (std::uint8_t k = 0; k < ev.logsource.n_categories; ++k)
    if (auto it = by_category_.find(ev.logsource.categories[k]); it != by_category_.end()) return entries_[it->second];
  return entries_[0];
}

event_details details_profile::render(const event_batch& batch, const event& ev) const {
  event_details d;
  const entry& e = pick(batch, ev);
  std::string scratch;
  for (const auto& c : e.columns) {
    const value* v = nullptr;
    for (field_id f : c.fields)
      if ((v = batch.find(ev, f)) && v->kind != value_kind::null) break;
    if (!v || v->kind == value_kind::null) {
      if (c.key) d.key.push_back('\x1f');
      continue;
    }
    std::string_view text = value_text(*v, scratch);
    std::size_t before = d.text.size();
    if (!d.text.empty()) d.text += k_separator;
    d.text += c.label;
    d.text += ": ";
    std::size_t at = d.text.size();
    append_one_line(d.text, text);
    if (d.text.size() == at) {  // an empty value: not shown
      d.text.resize(before);
    } else if (c.key) {
      d.key.append(d.text, at, std::string::npos);
    }
    if (c.key) d.key.push_back('\x1f');
  }
  return d;
}

std::string group_id(std::string_view rule_id, std::string_view host, std::string_view key) {
  std::string s;
  s.reserve(rule_id.size() + host.size() + key.size() + 2);
  s.append(rule_id).push_back('\x1e');
  s += to_lower_ascii(host);
  s.push_back('\x1e');
  s.append(key);
  return stable_id_hex(s).substr(0, 16);
}

}  // namespace ariadne::report
