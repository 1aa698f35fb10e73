#include "ariadne/normalize/normalizer.hpp"

#include <algorithm>
#include <array>
#include <atomic>

#include <fstream>
#include <sstream>

#include "ariadne/core/text.hpp"
#include "ariadne/core/unicode.hpp"
#include "ariadne/core/yaml.hpp"

namespace ariadne::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& normalize_data();
}

namespace ariadne {
namespace {

constexpr field_id k_unknown = UINT32_MAX - 1;

std::string category_key(std::string_view channel_lower, std::int64_t eid) {
  std::string k(channel_lower);
  k.push_back('\x1f');
  k += std::to_string(eid);
  return k;
}

}  // namespace

result<normalizer> normalizer::from_yaml(std::string_view text, std::string_view name) {
  auto docs = yaml::parse(text, name);
  if (!docs) return unexpected(docs.error());
  if (docs->empty() || !docs->front().root.is_mapping())
    return make_error(errc::parse, "mapping file must be a YAML mapping", {std::string(name)});
  const auto& root = docs->front().root;
  auto& fields = field_names();
  normalizer n;
  n.channel_ = fields.intern("Channel");
  n.event_id_ = fields.intern("EventID");
  n.windows_ = intern_logsource_value("windows");
  n.linux_ = intern_logsource_value("linux");
  if (const auto* a = root.find("aliases"); a && a->is_mapping())
    for (std::size_t idx = 0; idx < a->map_size(); ++idx) {
      std::vector<field_id> srcs;
      for (const auto& s : yaml::scalar_list(&a->val(idx))) srcs.push_back(fields.intern(s));
      n.aliases_.emplace_back(fields.intern(a->key(idx).text), std::move(srcs));
    }
  n.strip_prefixes_ = yaml::scalar_list(root.find("strip_prefixes"));
  for (const auto& s : yaml::scalar_list(root.find("time_fields"))) n.time_fields_.push_back(fields.intern(s));
  for (const auto& s : yaml::scalar_list(root.find("record_time_fields")))
    n.record_time_fields_.push_back(fields.intern(s));
  for (const auto& s : yaml::scalar_list(root.find("host_fields"))) n.host_fields_.push_back(fields.intern(s));
  for (const auto& s : yaml::scalar_list(root.find("windows_when_field"))) n.windows_fields_.push_back(fields.intern(s));
  for (const auto& s : yaml::scalar_list(root.find("linux_channels"))) n.linux_channels_.push_back(fold_case(s));
  if (const auto* s = root.find("services"); s && s->is_mapping())
    for (std::size_t idx = 0; idx < s->map_size(); ++idx) {
      ls_id svc = intern_logsource_value(to_lower_ascii(s->key(idx).text));
      for (const auto& ch : yaml::scalar_list(&s->val(idx))) n.services_[fold_case(ch)] = svc;
    }
  if (const auto* cats = root.find("categories"); cats && cats->is_sequence()) {
    for (const auto& c : cats->items) {
      if (!c.is_mapping()) return make_error(errc::parse, "category entries must be mappings", {std::string(name), c.line});
      const auto* cat = c.find("category");
      const auto* ch = c.find("channel");
      if (!cat || !ch || !cat->is_scalar() || !ch->is_scalar())
        return make_error(errc::parse, "category entry needs 'category' and 'channel'", {std::string(name), c.line});
      category_rule rule;
      rule.category = intern_logsource_value(to_lower_ascii(cat->text));
      if (const auto* w = c.find("where"); w && w->is_mapping())
        for (std::size_t idx = 0; idx < w->map_size(); ++idx) {
          std::vector<std::string> vals;
          for (const auto& v : yaml::scalar_list(&w->val(idx))) vals.push_back(fold_case(v));
          rule.where.emplace_back(fields.intern(w->key(idx).text), std::move(vals));
        }
      if (const auto* f = c.find("fields"); f && f->is_mapping())
        for (std::size_t idx = 0; idx < f->map_size(); ++idx)
          rule.fields.emplace_back(fields.intern(f->key(idx).text), fields.intern(f->val(idx).text));
      for (const auto& e : yaml::scalar_list(c.find("event_ids"))) {
        auto eid = parse_int64(e);
        if (!eid) return make_error(errc::parse, "event id '" + e + "' is not an integer", {std::string(name), c.line});
        auto [it, fresh] = n.categories_.try_emplace(category_key(fold_case(ch->text), *eid),
                                                     static_cast<std::uint32_t>(n.category_lists_.size()));
        if (fresh) n.category_lists_.emplace_back();
        n.category_lists_[it->second].push_back(rule);
      }
    }
  }
  return n;
}

result<normalizer> normalizer::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::io, "cannot read mapping file", {path});
  std::ostringstream ss;
  ss << in.rdbuf();
  return from_yaml(ss.str(), path);
}

const normalizer& normalizer::builtin() {
  static const normalizer instance = [] {
    const auto& files = embedded::normalize_data();
    ARIADNE_ASSERT(files.size() == 1, "exactly one mapping file is embedded (src/CMakeLists.txt)");
    auto n = from_yaml(files[0].second, files[0].first);
    ARIADNE_ASSERT(n.has_value(), "the embedded mapping file is valid (a unit test loads it)");
    return std::move(*n);
  }();
  return instance;
}

std::uint64_t normalizer::next_serial() {
  static std::atomic<std::uint64_t> n{0};
  return ++n;
}

normalizer::channel_memo& normalizer::channel_of(std::string_view raw) const {
  thread_local std::uint64_t owner = 0;
  thread_local std::array<channel_memo, 8> memos;
  thread_local std::size_t used = 0, next = 0;
  if (owner != serial_) {
    owner = serial_;
    used = next = 0;
  }
  for (std::size_t k = 0; k < used; ++k)
    if (same_text(memos[k].raw, raw)) return memos[k];
  channel_memo& memo = memos[next];  // the oldest entry goes
  next = (next + 1) % memos.size();
  used = std::max(used, next == 0 ? memos.size() : next);
  memo.raw.assign(raw);
  memo.lower = fold_case(raw);
  auto svc = services_.find(memo.lower);
  memo.service = svc == services_.end() ? 0 : svc->second;
  memo.is_linux = std::find(linux_channels_.begin(), linux_channels_.end(), memo.lower) != linux_channels_.end();
  memo.lists.clear();
  return memo;
}

std::vector<field_id>& normalizer::strip_cache() const {
  thread_local std::uint64_t owner = 0;
  thread_local std::vector<field_id> cache;
  if (owner != serial_) {
    owner = serial_;
    cache.clear();
  }
  return cache;
}

void normalizer::apply(event_batch& batch, event& ev) const {
  auto& fields = field_names();
  auto& strip_cache_ = strip_cache();
  // Which fields the event has (aliases included as they are added).
  thread_local field_spans spans;
  spans.reset(batch.fields(ev));
  auto has = [&](field_id id) { return spans.find(id) != nullptr; };
  // The event's first value of a field (as event_batch::find gives it).
  auto find = [&](field_id id) -> const value* {
    const field_spans::span* at = spans.find(id);
    return at ? &batch.fields(ev)[at->first].val : nullptr;
  };
  auto alias = [&](field_id from, field_id to) {
    auto before = static_cast<std::uint32_t>(batch.fields(ev).size());
    const field_spans::span* at = spans.find(from);
    if (!at) return;
    batch.alias_field(ev, from, to, at->first, at->last);
    auto fields_now = batch.fields(ev);
    for (std::uint32_t idx = before; idx < fields_now.size(); ++idx) spans.add(fields_now[idx], idx);
  };
  // 1. Prefix-stripped aliases (winlog.event_data.X -> X).
  if (!strip_prefixes_.empty()) {
    std::uint32_t end = ev.field_end;
    for (std::uint32_t idx = ev.field_begin; idx < end; ++idx) {
      field_id id = batch.fields(ev)[idx - ev.field_begin].id;
      if (id >= strip_cache_.size()) strip_cache_.resize(fields.size() + 64, k_unknown);
      field_id target = strip_cache_[id];
      if (target == k_unknown) {
        target = k_no_field;
        std::string_view name = fields.name(id);
        for (const auto& p : strip_prefixes_)
          if (name.size() > p.size() && name.substr(0, p.size()) == p) {
            target = fields.intern(remove_spaces(name.substr(p.size())));
            break;
          }
        if (id >= strip_cache_.size()) strip_cache_.resize(fields.size() + 64, k_unknown);
        strip_cache_[id] = target;
      }
      if (target != k_no_field && !has(target)) alias(id, target);
    }
  }
  // 2. Layout aliases.
  for (const auto& [target, sources] : aliases_) {
    if (has(target)) continue;
    for (field_id src : sources)
      if (has(src)) {
        alias(src, target);
        break;
      }
  }
  // 3. Logsource.
  channel_memo* ch_memo = nullptr;
  if (const value* ch = find(channel_)) {
    std::string scratch;
    ch_memo = &channel_of(value_text(*ch, scratch));
    if (ch_memo->service) ev.logsource.service = ch_memo->service;
  }
  if (ch_memo && ch_memo->is_linux) {
    ev.logsource.product = linux_;
  } else {
    for (field_id f : windows_fields_)
      if (has(f)) {
        ev.logsource.product = windows_;
        break;
      }
  }
  if (const value* eidv = find(event_id_); eidv && ch_memo && !ch_memo->lower.empty()) {
    std::optional<std::int64_t> eid;
    if (eidv->kind == value_kind::integer) eid = eidv->integer;
    else if (eidv->kind == value_kind::string) eid = parse_int64(trim(eidv->text));
    if (eid) {
      std::uint32_t list = k_no_list;
      auto known = std::find_if(ch_memo->lists.begin(), ch_memo->lists.end(), [&](const auto& p) { return p.first == *eid; });
      if (known != ch_memo->lists.end()) {
        list = known->second;
      } else {
        auto it = categories_.find(category_key(ch_memo->lower, *eid));
        if (it != categories_.end()) list = it->second;
        if (ch_memo->lists.size() < 64) ch_memo->lists.emplace_back(*eid, list);
      }
      if (list != k_no_list) {
        for (const auto& rule : category_lists_[list]) {
          bool ok = true;
          for (const auto& [fid, vals] : rule.where) {
            const value* v = find(fid);
            std::string scratch;
            if (!v) {
              ok = false;
              break;
            }
            std::string folded = fold_case(value_text(*v, scratch));
            bool any = false;
            for (const auto& want : vals) any = any || folded == want;
            ok = ok && any;
          }
          if (!ok) continue;
          ev.logsource.add_category(rule.category);
          for (const auto& [sigma_name, src] : rule.fields)
            if (!has(sigma_name) && has(src)) alias(src, sigma_name);
        }
      }
    }
  }
  // 4. Time.
  for (field_id f : time_fields_) {
    const value* v = find(f);
    if (!v) continue;
    if (v->kind == value_kind::string) {
      if (auto t = parse_timestamp(v->text)) {
        ev.time = *t;
        break;
      }
    } else if (v->kind == value_kind::integer) {
      if (auto t = parse_timestamp(std::to_string(v->integer))) {
        ev.time = *t;
        break;
      }
    }
  }
}

std::string_view normalizer::host(const event_batch& batch, const event& ev) const {
  for (field_id f : host_fields_)
    if (const value* v = batch.find(ev, f); v && v->kind == value_kind::string) return v->text;
  return {};
}

}  // namespace ariadne
