#include "ariadne/event/event.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ariadne/core/result.hpp"
#include "ariadne/core/text.hpp"
#include "ariadne/core/unicode.hpp"

namespace ariadne {

namespace {

// Copies n bytes from src to dst (not overlapping) and tells whether all
// were ASCII: one pass, ORing what it copies. Tails are copied as blocks
// overlapping the last whole one, so short values take two moves at most.
bool copy_noting_high_bit(char* dst, const char* src, std::size_t n) {
#if defined(__SSE2__)
  if (n >= 16) {
    __m128i seen = _mm_setzero_si128();
    std::size_t k = 0;
    for (; k + 32 <= n; k += 32) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k));
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k + 16));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + k), a);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + k + 16), b);
      seen = _mm_or_si128(seen, _mm_or_si128(a, b));
    }
    if (k + 16 <= n) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + k), a);
      seen = _mm_or_si128(seen, a);
      k += 16;
    }
    if (k < n) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + n - 16));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + n - 16), a);
      seen = _mm_or_si128(seen, a);
    }
    return _mm_movemask_epi8(seen) == 0;
  }
#endif
  std::uint64_t seen = 0;
  if (n >= 8) {
    std::size_t k = 0;
    for (; k + 8 <= n; k += 8) {
      std::uint64_t w;
      std::memcpy(&w, src + k, sizeof w);
      std::memcpy(dst + k, &w, sizeof w);
      seen |= w;
    }
    if (k < n) {
      std::uint64_t w;
      std::memcpy(&w, src + n - 8, sizeof w);
      std::memcpy(dst + n - 8, &w, sizeof w);
      seen |= w;
    }
    return (seen & 0x8080808080808080ULL) == 0;
  }
  if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
    return ((a | b) & 0x80808080U) == 0;
  }
  for (std::size_t k = 0; k < n; ++k) {
    dst[k] = src[k];
    seen |= static_cast<unsigned char>(src[k]);
  }
  return (seen & 0x80) == 0;
}

}  // namespace

field_table::field_table() {
  static std::atomic<std::uint64_t> next{1};
  serial_ = next.fetch_add(1);
}

namespace {

// A thread's map of the names it has seen: open addressing with an inline
// hash, as interning runs for every field of every event.
class name_cache {
 public:
  [[nodiscard]] static std::uint64_t hash(std::string_view s) { return hash_text(s); }
  // k_no_field if absent.
  [[nodiscard]] field_id find(std::string_view name, std::uint64_t h) const {
    if (slots_.empty()) return k_no_field;
    for (std::size_t at = h & mask_;; at = (at + 1) & mask_) {
      const slot& sl = slots_[at];
      if (sl.id == k_no_field) return k_no_field;
      if (sl.hash == h && same_text(sl.name, name)) return sl.id;
    }
  }
  // `name` must outlive the cache (the table's own copy).
  void add(std::string_view name, std::uint64_t h, field_id id) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    place({h, name, id});
    ++used_;
  }
  void clear() {
    slots_.clear();
    used_ = 0;
    mask_ = 0;
  }

 private:
  struct slot {
    std::uint64_t hash = 0;
    std::string_view name;
    field_id id = k_no_field;
  };
  void place(const slot& s) {
    std::size_t at = s.hash & mask_;
    while (slots_[at].id != k_no_field) at = (at + 1) & mask_;
    slots_[at] = s;
  }
  void grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 256 : old.size() * 2, slot{});
    mask_ = slots_.size() - 1;
    for (const auto& s : old)
      if (s.id != k_no_field) place(s);
  }
  std::vector<slot> slots_;
  std::size_t used_ = 0, mask_ = 0;
};

}  // namespace

field_id field_table::intern(std::string_view name) {
  // Each thread keeps its own map of the names it has seen: the common case
  // (a known name) takes no lock, so parser threads do not contend on mu_.
  // Keys view the table's own strings, which never move; the serial tells
  // tables apart (a new table may reuse a freed one's address).
  struct cache {
    std::uint64_t serial = 0;
    name_cache names;
  };
  thread_local cache local;
  if (local.serial != serial_) {
    local.names.clear();
    local.serial = serial_;
  }
  const std::uint64_t h = name_cache::hash(name);
  if (field_id id = local.names.find(name, h); id != k_no_field) return id;
  field_id id = intern_locked(name);
  local.names.add(names_view(id), h, id);
  return id;
}

std::string_view field_table::names_view(field_id id) const {
  std::shared_lock lock(mu_);
  return names_[id];
}

field_id field_table::intern_locked(std::string_view name) {
  {
    std::shared_lock lock(mu_);
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto it = ids_.find(name);
  if (it != ids_.end()) return it->second;
  names_.emplace_back(name);
  auto id = static_cast<field_id>(names_.size() - 1);
  ids_.emplace(names_.back(), id);
  return id;
}

field_id field_table::find(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = ids_.find(name);
  return it == ids_.end() ? k_no_field : it->second;
}

std::string_view field_table::name(field_id id) const {
  // Per thread, the names asked for before, by id (an id's name never
  // changes and its text never moves): reports name every field of every
  // event they render, and take no lock for a name seen before.
  struct cache {
    std::uint64_t serial = 0;
    std::vector<std::string_view> names;
  };
  thread_local cache local;
  if (local.serial != serial_) {
    local.names.clear();
    local.serial = serial_;
  }
  if (id < local.names.size() && local.names[id].data()) return local.names[id];
  std::shared_lock lock(mu_);
  ARIADNE_ASSERT(id < names_.size(), "field ids come from intern()");
  if (id >= local.names.size()) local.names.resize(names_.size());
  local.names[id] = names_[id];
  return local.names[id];
}

std::size_t field_table::size() const {
  std::shared_lock lock(mu_);
  return names_.size();
}

field_table& field_names() {
  static field_table table;
  return table;
}

namespace {
struct ls_table {
  std::mutex mu;
  std::deque<std::string> names{""};
  std::unordered_map<std::string_view, ls_id> ids{{names.front(), 0}};
};
ls_table& logsource_table() {
  static ls_table table;
  return table;
}
}  // namespace

ls_id intern_logsource_value(std::string_view v) {
  auto& t = logsource_table();
  std::lock_guard lock(t.mu);
  auto it = t.ids.find(v);
  if (it != t.ids.end()) return it->second;
  ARIADNE_ASSERT(t.names.size() < 65535, "logsource values come from rules and mapping files");
  t.names.emplace_back(v);
  auto id = static_cast<ls_id>(t.names.size() - 1);
  t.ids.emplace(t.names.back(), id);
  return id;
}

std::string_view logsource_value_name(ls_id id) {
  auto& t = logsource_table();
  std::lock_guard lock(t.mu);
  return id < t.names.size() ? std::string_view(t.names[id]) : std::string_view();
}

std::string_view non_string_text(const value& v, std::string& scratch) {
  switch (v.kind) {
    case value_kind::string: return v.text;
    case value_kind::integer: {
      char buf[32];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v.integer);
      scratch.assign(buf, ptr);
      return scratch;
    }
    case value_kind::floating: {
      char buf[64];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v.floating);
      scratch.assign(buf, ptr);
      return scratch;
    }
    case value_kind::boolean: return v.boolean ? "true" : "false";
    case value_kind::null: return {};
  }
  return {};
}

event& event_batch::begin_event(std::uint32_t source_idx, std::uint64_t record) {
  ARIADNE_ASSERT(!open_, "end_event() or abandon_event() closes every event");
  open_ = true;
  auto& ev = events_.emplace_back();
  ev.source = {source_idx, record};
  ev.field_begin = static_cast<std::uint32_t>(fields_.size());
  ev.field_end = ev.field_begin;
  return ev;
}

std::string_view event_batch::store(std::string_view s) {
  bool ascii = false;
  return store(s, ascii);
}

std::string_view event_batch::store(std::string_view s, bool& ascii) {
  ascii = true;
  if (s.empty()) return {};
  if (blocks_.empty() || block_used_ + s.size() > blocks_[block_idx_].size) {
    std::size_t next = blocks_.empty() ? 0 : block_idx_ + 1;
    if (next >= blocks_.size() || blocks_[next].size < s.size()) {
      std::size_t size = std::max<std::size_t>(64 * 1024, s.size());
      blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(next),
                     block{std::make_unique_for_overwrite<char[]>(size), size});
    }
    block_idx_ = next;
    block_used_ = 0;
  }
  char* dst = blocks_[block_idx_].data.get() + block_used_;
  ascii = copy_noting_high_bit(dst, s.data(), s.size());
  block_used_ += s.size();
  return {dst, s.size()};
}

void event_batch::add_string(field_id id, std::string_view s) {
  // Noted while copying: matching asks it of every value.
  bool ascii = false;
  std::string_view kept = store(s, ascii);
  add_value(id, value::make_string(kept, ascii ? value::k_ascii : value::k_not_ascii));
}

bool value_text_is_ascii(const value& v) {
  if (v.kind != value_kind::string) return true;
  return v.ascii == value::k_ascii_unknown ? is_ascii(v.text) : v.ascii == value::k_ascii;
}

void event_batch::add_stored_string(field_id id, std::string_view s) { add_value(id, value::make_string(s)); }

void event_batch::add_value(field_id id, value v) {
  ARIADNE_ASSERT(open_, "fields are added between begin_event() and end_event()");
  fields_.push_back({id, v});
}

void event_batch::end_event() {
  ARIADNE_ASSERT(open_, "end_event() follows begin_event()");
  events_.back().field_end = static_cast<std::uint32_t>(fields_.size());
  open_ = false;
}

void event_batch::abandon_event() {
  ARIADNE_ASSERT(open_, "abandon_event() follows begin_event()");
  fields_.resize(events_.back().field_begin);
  events_.pop_back();
  open_ = false;
}

const value* event_batch::find(const event& ev, field_id id) const {
  for (std::uint32_t idx = ev.field_begin; idx < ev.field_end; ++idx)
    if (fields_[idx].id == id) return &fields_[idx].val;
  return nullptr;
}

void event_batch::alias_field(event& ev, field_id from, field_id to, std::uint32_t first, std::uint32_t last) {
  // Only for the event being built (the last one): its fields are at the end.
  ARIADNE_ASSERT(&ev == &events_.back(), "aliases are added to the newest event");
  const auto count = static_cast<std::uint32_t>(fields_.size()) - ev.field_begin;
  const std::uint32_t end = ev.field_begin + std::min(count, last == UINT32_MAX ? count : last + 1);
  for (std::uint32_t idx = ev.field_begin + std::min(first, count); idx < end; ++idx)
    if (fields_[idx].id == from) fields_.push_back({to, fields_[idx].val});
  ev.field_end = static_cast<std::uint32_t>(fields_.size());
}

void event_batch::clear() {
  events_.clear();
  fields_.clear();
  block_idx_ = 0;
  block_used_ = 0;
  open_ = false;
}

void field_spans::stamp(slot& sl, const field_entry& f, std::uint32_t idx) const {
  if (sl.epoch != epoch_) sl = {epoch_, {idx, idx, false}};
  sl.at.last = idx;
  if (f.val.kind == value_kind::null) sl.at.any_null = true;
}

void field_spans::reset(std::span<const field_entry> fields) {
  if (++epoch_ == 0) {  // wrapped: forget every old stamp
    for (auto& sl : slots_) sl.epoch = 0;
    epoch_ = 1;
  }
  field_id top = 0;
  for (const auto& f : fields) top = std::max(top, f.id);
  if (!fields.empty() && top >= slots_.size()) slots_.resize(static_cast<std::size_t>(top) + 64);
  // Every id has its slot now: no bounds check per field.
  slot* const slots = slots_.data();
  for (std::uint32_t idx = 0; idx < fields.size(); ++idx) stamp(slots[fields[idx].id], fields[idx], idx);
}

void field_spans::add(const field_entry& f, std::uint32_t idx) {
  if (f.id >= slots_.size()) slots_.resize(static_cast<std::size_t>(f.id) + 64);
  stamp(slots_[f.id], f, idx);
}

}  // namespace ariadne
