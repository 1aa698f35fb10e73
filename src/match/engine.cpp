#include "ariadne/match/engine.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <system_error>
#include <thread>
#include <utility>

#include "ariadne/core/bytes.hpp"
#include "ariadne/core/cache.hpp"
#include "ariadne/core/unicode.hpp"
#include "literals.hpp"

namespace ariadne::match {

namespace {

// Needles are case-folded at load time; the scan is case-insensitive over
// ASCII and sees the folded text of any non-ASCII value, so a needle is
// spelled as it is.
std::optional<std::string> value_literal(std::string_view needle) { return std::string(needle); }

// The most bytes value_text() can give for a number or boolean.
std::size_t longest_text(const value& v) {
  switch (v.kind) {
    case value_kind::integer: {
      std::size_t n = v.integer < 0 ? 2 : 1;
      for (std::uint64_t u = v.integer < 0 ? 0 - static_cast<std::uint64_t>(v.integer) : static_cast<std::uint64_t>(v.integer);
           u >= 10; u /= 10)
        ++n;
      return n;
    }
    case value_kind::floating: return 32;  // the shortest round-trip form of a double is at most 24
    case value_kind::boolean: return 5;
    default: return SIZE_MAX;
  }
}

}  // namespace

namespace {

// Compiles case-insensitive literals (each reported once per scan) into a
// block-mode database; null with `why` set on failure.
::hs_database* compile_literals(const std::vector<std::pair<std::string_view, std::uint32_t>>& lits, std::string& why) {
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags(lits.size(), HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH), ids;
  for (const auto& [text, id] : lits) {
    exprs.push_back(text.data());
    lens.push_back(text.size());
    ids.push_back(id);
  }
  ::hs_database* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(lits.size()),
                           HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    why = std::string("vectorscan could not compile the literals: ") + (err && err->message ? err->message : "?");
    if (err) hs_free_compile_error(err);
    return nullptr;
  }
  return db;
}

// The compiled databases of a large rule set are cached on disk (see
// core/cache.hpp), as compiling them is most of the time of loading it: one
// file per set of databases, named by a hash of vectorscan's version and
// every database's literals with their ids and flags; one that cannot be
// read or that vectorscan refuses (another version or CPU) is compiled anew
// and replaced. The directory keeps the 16 newest such files.
// Keyword databases (compiled when a logsource first needs one) are cached
// the same way, one per file named "kw-"; the directory keeps 64 of those.
constexpr std::size_t k_cache_min_literals = 256;
constexpr std::size_t k_cache_max_files = 16;
constexpr std::size_t k_cache_max_keyword_files = 64;
// The index itself ("lix-", see literal_index::save) is cached under the
// rules' digest; its file names the database file it uses.
constexpr std::string_view k_index_magic = "ariadne-literal-index\n";
constexpr std::uint64_t k_index_format = 3;
using literal_group = std::vector<std::pair<std::string_view, std::uint32_t>>;

std::string cache_name(const std::vector<literal_group>& groups, std::string_view prefix = "hs-") {
  cache::hasher h;
  h.add(hs_version());
  h.add_u64(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
  for (const auto& g : groups) {
    h.add_u64(g.size());
    for (const auto& [text, id] : g) {
      h.add(text);
      h.add_u64(id);
    }
  }
  return std::string(prefix) + h.hex() + ".db";
}

// The file: per database, its length (8 bytes, little-endian as written by
// this machine) and vectorscan's serialised bytes. All or nothing.
bool load_cached(const std::filesystem::path& file, std::vector<::hs_database*>& dbs) {
  std::string bytes;
  if (!cache::read(file, bytes)) return false;
  std::size_t at = 0;
  for (auto& db : dbs) {
    std::uint64_t len = 0;
    if (bytes.size() - at < sizeof len) break;
    std::memcpy(&len, bytes.data() + at, sizeof len);
    at += sizeof len;
    if (len > bytes.size() - at || hs_deserialize_database(bytes.data() + at, len, &db) != HS_SUCCESS) break;
    at += len;
  }
  if (at == bytes.size() && std::all_of(dbs.begin(), dbs.end(), [](auto* d) { return d != nullptr; })) return true;
  for (auto*& db : dbs) {
    if (db) hs_free_database(db);
    db = nullptr;
  }
  return false;
}

bool store_cached(const std::filesystem::path& dir, const std::string& name, const std::vector<::hs_database*>& dbs,
                  std::string_view prefix = "hs-", std::size_t max_files = k_cache_max_files) {
  std::string bytes;
  for (const auto* db : dbs) {
    char* data = nullptr;
    std::size_t len = 0;
    if (hs_serialize_database(db, &data, &len) != HS_SUCCESS) return false;
    std::uint64_t n = len;
    bytes.append(reinterpret_cast<const char*>(&n), sizeof n);
    bytes.append(data, len);
    std::free(data);
  }
  return cache::store(dir, name, bytes, prefix, ".db", max_files);
}

// Every text is scanned with detail::k_scan_pad NUL bytes after it (see
// literals.hpp). No text holds a NUL (scannable()), so the padding adds no
// match.
using detail::k_scan_pad;

// A text the scan can look for: long enough not to occur everywhere, and
// free of the NUL byte that keeps values apart in the scanned text.
bool scannable(std::string_view t) {
  return t.size() >= literal_index::k_min_literal && t.find('\0') == std::string_view::npos;
}

}  // namespace

std::string literal_index::cache_file(std::string_view rules_digest) {
  cache::hasher h;
  h.add(k_index_magic);
  h.add_u64(k_index_format);
  h.add(rules_digest);
  return "lix-" + h.hex() + ".bin";
}

literal_index::literal_index(const std::vector<sigma::rule>& rules, unsigned threads, std::string_view rules_digest) {
  event_id_field_ = field_names().intern("EventID");
  std::filesystem::path dir = rules_digest.empty() ? std::filesystem::path() : cache::directory();
  std::string name;
  if (!dir.empty()) {
    name = cache_file(rules_digest);
    std::string bytes;
    if (cache::read(dir / name, bytes) && restore(bytes)) {
      if (fits(rules)) {
        restored_ = from_cache_ = true;
        return;
      }
      clear();
    }
  }
  build(rules, threads);
  // An index keyed by matcher addresses is this process's alone.
  if (!name.empty() && active_ && needle_at_.empty() && !db_file_.empty())
    cache::store(dir, name, save(), "lix-", ".bin", k_cache_max_files);
}

std::shared_ptr<literal_index> literal_index::cached(std::string_view rules_digest) {
  std::filesystem::path dir = rules_digest.empty() ? std::filesystem::path() : cache::directory();
  if (dir.empty()) return nullptr;
  std::shared_ptr<literal_index> ix(new literal_index());
  ix->event_id_field_ = field_names().intern("EventID");
  std::string bytes;
  if (!cache::read(dir / cache_file(rules_digest), bytes) || !ix->restore(bytes)) return nullptr;
  ix->restored_ = ix->from_cache_ = true;
  return ix;
}

bool literal_index::fits(const std::vector<sigma::rule>& rules) const {
  if (!active_ || rule_count_ != rules.size()) return false;
  // Needle rows: each matcher's row must fit (it is as long as the
  // matcher's alternatives).
  for (const auto& r : rules)
    for (const auto& s : r.searches)
      for (const auto& conj : s.alternatives)
        for (const auto& item : conj)
          for (const auto& m : item.values) {
            if (m.ordinal >= needle_by_ordinal_.size()) continue;
            std::uint32_t at = needle_by_ordinal_[m.ordinal];
            if (at != needle_ids_.size() && (at > needle_ids_.size() || needle_ids_.size() - at < m.alternatives.size()))
              return false;
          }
  return true;
}

void literal_index::clear() {
  active_ = false;
  rule_count_ = 0;
  indexed_.clear();
  keyword_rule_.clear();
  event_ids_.clear();
  event_id_rules_ = 0;
  lit_rules_.clear();
  post_begin_.clear();
  posts_.clear();
  needle_by_ordinal_.clear();
  needle_ids_.clear();
  texts_.clear();
  keyword_texts_.clear();
  field_db_.clear();
  db_texts_.clear();
  db_file_.clear();
  for (auto* db : dbs_)
    if (db) hs_free_database(db);
  dbs_.clear();
}

void literal_index::build(const std::vector<sigma::rule>& rules, unsigned threads) {
  rule_count_ = rules.size();
  indexed_.assign(rules.size(), 0);
  keyword_rule_.assign(rules.size(), 0);
  event_ids_.assign(rules.size(), {});
  for (std::uint32_t r = 0; r < rules.size(); ++r)
    if (auto ids = detail::required_integers(rules[r], event_id_field_)) {
      event_ids_[r] = std::move(*ids);
      ++event_id_rules_;
    }
  // Text -> id, ids in order of first use (hashed: a lookup per needle of
  // every rule).
  std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> text_ids;
  auto text_id = [&](std::string_view t) {
    auto it = text_ids.find(t);
    if (it == text_ids.end()) it = text_ids.emplace(std::string(t), static_cast<std::uint32_t>(text_ids.size())).first;
    return it->second;
  };
  // The texts of each field's database.
  std::map<field_id, std::vector<std::uint32_t>> db_texts;
  // Literals: (field, text) -> rules.
  std::map<std::pair<field_id, std::string>, std::uint32_t> ids;
  if (rules.size() > k_max_rules) {
    why_ = "too many rules to index";
    return;
  }
  for (std::uint32_t r = 0; r < rules.size(); ++r) {
    auto sets = detail::required_literal_groups(rules[r], {value_literal, false});
    if (!sets) continue;
    // A very short literal occurs in nearly every event and slows the whole
    // scan down: a set with one is not used (a rule left with none is
    // evaluated on every event). Of the rest, the most selective few.
    std::erase_if(*sets, [](const std::vector<detail::literal>& set) {
      return !std::all_of(set.begin(), set.end(), [](const detail::literal& l) { return scannable(l.text); });
    });
    if (sets->size() > k_max_sets) sets->resize(k_max_sets);
    indexed_[r] = static_cast<std::uint8_t>(sets->size());
    for (std::uint32_t g = 0; g < sets->size(); ++g)
      for (auto& l : (*sets)[g]) {
        if (l.field == k_no_field) keyword_rule_[r] = 1;
        auto [it, fresh] = ids.emplace(std::make_pair(l.field, std::move(l.text)), static_cast<std::uint32_t>(lit_rules_.size()));
        if (fresh) lit_rules_.emplace_back();
        auto& v = lit_rules_[it->second];
        const std::uint32_t entry = r << k_set_bits | g;
        if (v.empty() || v.back() != entry) v.push_back(entry);
      }
  }
  std::vector<std::pair<std::uint32_t, posting>> by_text;
  keyword_texts_.resize(rules.size());
  for (const auto& [key, lit] : ids) {
    std::uint32_t t = text_id(key.second);
    by_text.push_back({t, {key.first, lit}});
    if (key.first == k_no_field) {
      for (std::uint32_t e : lit_rules_[lit]) keyword_texts_[e >> k_set_bits].push_back(t);
    } else {
      db_texts[key.first].push_back(t);
    }
  }
  // Needles of string tests on a field that a scan of its values can
  // settle (not `cased`: the scan is case-insensitive; not globs). Their
  // rows are keyed by matcher ordinal when every matcher has one and none
  // twice (a loaded rule set), else by the matcher's address.
  struct needle_row {
    const sigma::matcher* m;
    std::uint32_t at;
  };
  std::vector<needle_row> needle_rows;
  bool ordinals = true;
  std::vector<std::uint8_t> seen;  // by ordinal
  for (const auto& r : rules)
    for (const auto& s : r.searches)
      for (const auto& conj : s.alternatives)
        for (const auto& item : conj)
          for (const auto& m : item.values) {
            if (ordinals && (m.ordinal == 0 || m.ordinal > 64u * 1024 * 1024)) ordinals = false;
            if (ordinals) {
              if (m.ordinal >= seen.size()) seen.resize(m.ordinal + 1, 0);
              if (seen[m.ordinal]++) ordinals = false;
            }
            if (item.field == k_no_field || m.k != sigma::matcher::kind::strings || m.alternatives.empty()) continue;
            std::vector<std::uint32_t> row(m.alternatives.size(), needle_oracle::k_none);
            bool any = false;
            for (std::size_t k = 0; k < row.size(); ++k) {
              const auto& t = m.alternatives[k];
              if (t.cased || t.op == sigma::string_op::glob || t.op == sigma::string_op::any || !scannable(t.needle))
                continue;
              row[k] = text_id(t.needle);
              db_texts[item.field].push_back(row[k]);
              any = true;
            }
            if (!any) continue;
            needle_rows.push_back({&m, static_cast<std::uint32_t>(needle_ids_.size())});
            needle_ids_.insert(needle_ids_.end(), row.begin(), row.end());
          }
  if (ordinals && !needle_rows.empty()) {
    needle_by_ordinal_.assign(seen.size(), static_cast<std::uint32_t>(needle_ids_.size()));  // size: none
    for (const auto& row : needle_rows) needle_by_ordinal_[row.m->ordinal] = row.at;
  } else {
    for (const auto& row : needle_rows) needle_at_.emplace(row.m->alternatives.data(), row.at);
  }
  if (text_ids.empty()) {
    why_ = "no rule has a literal every match contains";
    return;
  }
  std::stable_sort(by_text.begin(), by_text.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  post_begin_.assign(text_ids.size() + 1, 0);
  for (const auto& [t, p] : by_text) ++post_begin_[t + 1];
  for (std::size_t t = 1; t < post_begin_.size(); ++t) post_begin_[t] += post_begin_[t - 1];
  for (const auto& [t, p] : by_text) posts_.push_back(p);
  texts_.resize(text_ids.size());
  for (auto& [t, id] : text_ids) texts_[id] = t;
  // One database per field; compiled on all cores (largest first), as they
  // are independent.
  std::vector<field_id> group_field;
  std::vector<std::vector<std::pair<std::string_view, std::uint32_t>>> groups;
  for (auto& [field, ts] : db_texts) {
    std::sort(ts.begin(), ts.end());
    ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
    group_field.push_back(field);
    groups.emplace_back();
    for (std::uint32_t t : ts) groups.back().emplace_back(texts_[t], t);
    db_texts_.push_back(ts);
  }
  std::vector<std::size_t> order(groups.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return groups[a].size() > groups[b].size(); });
  dbs_.assign(groups.size(), nullptr);
  std::size_t total = 0;
  for (const auto& g : groups) total += g.size();
  std::filesystem::path dir = total >= k_cache_min_literals ? cache::directory() : std::filesystem::path();
  std::string name = dir.empty() ? std::string() : cache_name(groups);
  if (!dir.empty() && load_cached(dir / name, dbs_)) {
    from_cache_ = true;
    db_file_ = name;
  } else {
    std::vector<std::string> whys(groups.size());
    std::atomic<std::size_t> next{0};
    auto compile_some = [&] {
      for (std::size_t k; (k = next.fetch_add(1)) < order.size();)
        dbs_[order[k]] = compile_literals(groups[order[k]], whys[order[k]]);
    };
    if (threads == 0) threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), 8));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) {
      try {
        pool.emplace_back(compile_some);
      } catch (const std::system_error&) {
        break;  // the threads that started (and this one) do the rest
      }
    }
    compile_some();
    for (auto& t : pool) t.join();
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (!dbs_[g]) {
        why_ = whys[g];
        std::fill(indexed_.begin(), indexed_.end(), 0);
        needle_at_.clear();
        needle_by_ordinal_.clear();
        return;  // the destructor frees what was compiled
      }
    if (!dir.empty() && store_cached(dir, name, dbs_)) db_file_ = name;
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (group_field[g] >= field_db_.size()) field_db_.resize(group_field[g] + 1, -1);
    field_db_[group_field[g]] = static_cast<std::int32_t>(g);
  }
  active_ = true;
}

// The cached index: its derived tables, with field ids written as indexes
// into a table of their names (ids differ between processes), the name of
// its database file, and a hash of all that, checked before anything is
// trusted. Only an active index keyed by matcher ordinals is saved.
std::string literal_index::save() const {
  std::vector<field_id> fields;  // local index -> id
  std::unordered_map<field_id, std::uint32_t> local;
  auto field_ix = [&](field_id f) -> std::uint32_t {
    if (f == k_no_field) return UINT32_MAX;
    auto [it, fresh] = local.try_emplace(f, static_cast<std::uint32_t>(fields.size()));
    if (fresh) fields.push_back(f);
    return it->second;
  };
  byte_writer body;
  body.u32(indexed_.size());
  body.pods(indexed_);
  body.pods(keyword_rule_);
  for (const auto& ids : event_ids_) body.pods(ids);
  body.pod<std::uint64_t>(event_id_rules_);
  body.u32(lit_rules_.size());
  for (const auto& rs : lit_rules_) body.pods(rs);
  body.pods(post_begin_);
  body.u32(posts_.size());
  for (const auto& p : posts_) {
    body.u32(field_ix(p.field));
    body.u32(p.lit);
  }
  body.pods(needle_by_ordinal_);
  body.pods(needle_ids_);
  body.strs(texts_);
  for (const auto& ts : keyword_texts_) body.pods(ts);
  std::vector<std::uint32_t> db_fields(dbs_.size(), UINT32_MAX);
  for (std::size_t f = 0; f < field_db_.size(); ++f)
    if (field_db_[f] >= 0) db_fields[static_cast<std::size_t>(field_db_[f])] = field_ix(static_cast<field_id>(f));
  body.pods(db_fields);
  for (const auto& ts : db_texts_) body.pods(ts);
  body.str(db_file_);
  byte_writer out;
  out.u32(fields.size());
  for (field_id f : fields) out.str(field_names().name(f));
  out.out += body.out;
  cache::hasher h;
  h.add(out.out);
  out.str(h.hex());
  return std::move(out.out);
}

bool literal_index::restore(std::string_view bytes) {
  // The trailing hash first: a damaged file is not read further.
  constexpr std::size_t k_hash = 4 + 32;
  if (bytes.size() < k_hash) return false;
  cache::hasher h;
  h.add(bytes.substr(0, bytes.size() - k_hash));
  byte_reader tail(bytes.substr(bytes.size() - k_hash));
  if (tail.str() != h.hex() || !tail.done()) return false;
  byte_reader in(bytes.substr(0, bytes.size() - k_hash));
  std::vector<field_id> fields(in.count(4));
  for (auto& f : fields) f = field_names().intern(in.str());
  auto field_of = [&](std::uint32_t k) {
    if (k == UINT32_MAX) return k_no_field;
    if (k >= fields.size()) in.ok = false;
    return in.ok ? fields[k] : k_no_field;
  };
  const std::size_t n = in.count(1);
  indexed_ = in.pods<std::uint8_t>();
  keyword_rule_ = in.pods<std::uint8_t>();
  event_ids_.assign(in.ok ? n : 0, {});
  for (auto& ids : event_ids_) ids = in.pods<std::int64_t>();
  event_id_rules_ = in.pod<std::uint64_t>();
  lit_rules_.resize(in.count(4));
  for (auto& rs : lit_rules_) rs = in.pods<std::uint32_t>();
  post_begin_ = in.pods<std::uint32_t>();
  posts_.resize(in.count(8));
  for (auto& p : posts_) {
    p.field = field_of(in.pod<std::uint32_t>());
    p.lit = in.pod<std::uint32_t>();
  }
  needle_by_ordinal_ = in.pods<std::uint32_t>();
  needle_ids_ = in.pods<std::uint32_t>();
  texts_ = in.strs();
  keyword_texts_.assign(in.ok ? n : 0, {});
  for (auto& ts : keyword_texts_) ts = in.pods<std::uint32_t>();
  auto db_fields = in.pods<std::uint32_t>();
  db_texts_.assign(in.ok ? db_fields.size() : 0, {});
  for (auto& ts : db_texts_) ts = in.pods<std::uint32_t>();
  db_file_ = in.str();
  // Every id in range, so that no later lookup leaves its table.
  auto fail = [&] {
    clear();
    return false;
  };
  if (!in.done() || indexed_.size() != n || keyword_rule_.size() != n || db_fields.empty() ||
      post_begin_.size() != texts_.size() + 1 || post_begin_.front() != 0 || post_begin_.back() != posts_.size() ||
      !std::is_sorted(post_begin_.begin(), post_begin_.end()))
    return fail();
  for (const auto& p : posts_)
    if (p.lit >= lit_rules_.size()) return fail();
  for (const auto& rs : lit_rules_)
    for (std::uint32_t e : rs)
      if ((e >> k_set_bits) >= n || (e & k_set_mask) >= indexed_[e >> k_set_bits]) return fail();
  for (std::uint8_t sets : indexed_)
    if (sets > k_max_sets) return fail();
  for (const auto& ts : keyword_texts_)
    for (std::uint32_t t : ts)
      if (t >= texts_.size()) return fail();
  for (std::uint32_t t : needle_ids_)
    if (t != needle_oracle::k_none && t >= texts_.size()) return fail();
  // The database file is named by its texts and ids (cache_name): the name
  // the stored lists give must be the file's, so that every id a scan
  // reports is one of these texts.
  std::vector<literal_group> groups(db_texts_.size());
  for (std::size_t g = 0; g < db_texts_.size(); ++g)
    for (std::uint32_t t : db_texts_[g]) {
      if (t >= texts_.size()) return fail();
      groups[g].emplace_back(texts_[t], t);
    }
  if (cache_name(groups) != db_file_) return fail();
  for (std::size_t g = 0; g < db_fields.size(); ++g) {
    field_id f = field_of(db_fields[g]);
    if (f == k_no_field) return fail();
    if (f >= field_db_.size()) field_db_.resize(f + 1, -1);
    field_db_[f] = static_cast<std::int32_t>(g);
  }
  std::filesystem::path dir = cache::directory();
  dbs_.assign(db_fields.size(), nullptr);
  if (dir.empty() || db_file_.empty() || !load_cached(dir / db_file_, dbs_)) return fail();
  rule_count_ = n;
  active_ = true;
  return true;
}

literal_index::~literal_index() {
  for (auto* db : dbs_)
    if (db) hs_free_database(db);
  for (auto& [texts, db] : keyword_dbs_)
    if (db) hs_free_database(db);
}

std::size_t literal_index::keyword_database_count() const {
  std::lock_guard lock(keyword_mu_);
  return keyword_dbs_.size();
}

std::size_t literal_index::keyword_databases_from_cache() const {
  std::lock_guard lock(keyword_mu_);
  return keyword_dbs_from_cache_;
}

::hs_database* literal_index::keyword_db(const std::vector<std::uint32_t>& texts) const {
  std::lock_guard lock(keyword_mu_);
  auto it = keyword_dbs_.find(texts);
  if (it != keyword_dbs_.end()) return it->second;
  literal_group lits;
  for (std::uint32_t t : texts) lits.emplace_back(texts_[t], t);
  std::filesystem::path dir = cache::directory();
  std::string name = dir.empty() ? std::string() : cache_name({lits}, "kw-");
  std::vector<::hs_database*> one(1, nullptr);
  if (dir.empty() || !load_cached(dir / name, one)) {
    std::string why;
    one[0] = compile_literals(lits, why);
    if (one[0] && !dir.empty()) store_cached(dir, name, one, "kw-", k_cache_max_keyword_files);
  } else {
    ++keyword_dbs_from_cache_;
  }
  keyword_dbs_.emplace(texts, one[0]);
  return one[0];
}

std::size_t literal_index::unindexed_rules() const {
  return static_cast<std::size_t>(std::count(indexed_.begin(), indexed_.end(), 0));
}

const std::uint32_t* literal_index::needles(const sigma::matcher& m) const {
  if (!needle_by_ordinal_.empty()) {
    if (m.ordinal >= needle_by_ordinal_.size()) return nullptr;
    std::uint32_t at = needle_by_ordinal_[m.ordinal];
    return at == needle_ids_.size() ? nullptr : needle_ids_.data() + at;
  }
  auto it = needle_at_.find(m.alternatives.data());
  return it == needle_at_.end() ? nullptr : needle_ids_.data() + it->second;
}

engine::engine(const std::vector<sigma::rule>& rules, engine_options o, std::shared_ptr<const literal_index> index)
    : rules_(rules), opts_(o), index_(std::move(index)), mark_(rules.size(), 0), sets_(rules.size(), 0) {
  if (!opts_.use_index) return;
  if (!index_) index_ = std::make_shared<literal_index>(rules_);
  if (!index_->active()) return;
  for (auto* db : index_->dbs_)  // one scratch serves every database
    if (hs_alloc_scratch(db, &scratch_) != HS_SUCCESS) {
      if (scratch_) hs_free_scratch(scratch_);
      scratch_ = nullptr;
      return;
    }
  indexing_ = true;  // even with no field database: keyword ones come per logsource
  hit_epoch_.assign(index_->text_count(), 0);
  hit_val_.assign(index_->text_count(), 0);
  memo_.resize(k_memo_slots);
  long_memo_.resize(k_long_memo_slots);
  long_memo_use_.assign(index_->dbs_.size(), {0, 0});
  eval_.set_oracle(this);
}

engine::~engine() {
  if (scratch_) hs_free_scratch(scratch_);
}

engine::event_id_key engine::event_id_of(const event_batch& batch, const event& ev) const {
  event_id_key k;
  if (!indexing_ || index_->event_id_rules_ == 0) return k;  // unknown: every rule
  k.s = event_id_key::state::absent;
  for (const field_entry& f : batch.fields(ev)) {
    if (f.id != index_->event_id_field_ || f.val.kind == value_kind::null) continue;
    // As numeric tests see it (string tests of digits see the same number).
    double x = 0;
    if (!numeric_value(f.val, x) || !(x >= 0 && x < static_cast<double>(detail::k_max_required_integer)) ||
        static_cast<double>(static_cast<std::int64_t>(x)) != x)
      return {};
    auto v = static_cast<std::int64_t>(x);
    if (k.s == event_id_key::state::one && k.value != v) return {};
    k.s = event_id_key::state::one;
    k.value = v;
  }
  return k;
}

const engine::plan& engine::plan_for(const event_logsource& ls, event_id_key eid) {
  // Explicit key (no struct padding), categories sorted; then the EventID.
  std::uint16_t parts[2 + event_logsource::k_max_categories] = {ls.product, ls.service, 0, 0, 0, 0};
  for (std::uint8_t k = 0; k < ls.n_categories; ++k) parts[2 + k] = ls.categories[k];
  for (std::size_t a = 3; a < 2u + ls.n_categories; ++a)  // insertion sort of at most 4
    for (std::size_t b = a; b > 2 && parts[b - 1] > parts[b]; --b) std::swap(parts[b - 1], parts[b]);
  char key_bytes[sizeof parts + 1 + sizeof eid.value];
  std::memcpy(key_bytes, parts, sizeof parts);
  key_bytes[sizeof parts] = static_cast<char>(eid.s);
  std::memcpy(key_bytes + sizeof parts + 1, &eid.value, sizeof eid.value);
  std::string_view key(key_bytes, sizeof key_bytes);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  // EventIDs come from the input: a log of ever new ones must not grow the
  // plans without bound (each holds a byte per rule). Past the limit they
  // are dropped and made again as needed; no plan is held across events.
  if (plans_.size() >= k_max_plans) plans_.clear();
  // The rules the logsource accepts (and its keyword database) are found
  // once per logsource; each EventID's plan filters those.
  std::string_view ls_key(key_bytes, sizeof parts);
  auto base_it = bases_.find(ls_key);
  if (base_it == bases_.end()) {
    base b;
    std::vector<std::uint32_t> keyword_texts;
    for (std::uint32_t idx = 0; idx < rules_.size(); ++idx) {
      if (!rules_[idx].source.accepts(ls)) continue;
      b.rules.push_back(idx);
      // The keyword database stays per logsource (few sets to compile); the
      // marks of rules an EventID rules out are dropped by `accepts`.
      if (indexing_ && index_->indexed(idx))
        keyword_texts.insert(keyword_texts.end(), index_->keyword_texts_[idx].begin(), index_->keyword_texts_[idx].end());
    }
    // The keyword literals of this logsource's rules only: few, so their
    // database is small and fast (one per distinct set, kept by the index).
    if (!keyword_texts.empty()) {
      std::sort(keyword_texts.begin(), keyword_texts.end());
      keyword_texts.erase(std::unique(keyword_texts.begin(), keyword_texts.end()), keyword_texts.end());
      ::hs_database* db = index_->keyword_db(keyword_texts);
      if (db && hs_alloc_scratch(db, &scratch_) == HS_SUCCESS) b.keyword_db = db;
      for (std::uint32_t t : keyword_texts) b.keyword_min = std::min(b.keyword_min, index_->texts_[t].size());
    }
    base_it = bases_.emplace(std::string(ls_key), std::move(b)).first;
  }
  const base& b = base_it->second;
  plan p;
  p.ls = &b;
  p.accepts.assign(rules_.size(), 0);
  for (std::uint32_t idx : b.rules) {
    if (eid.s != event_id_key::state::unknown && indexing_ && !index_->event_ids_[idx].empty()) {
      const auto& ids = index_->event_ids_[idx];
      if (eid.s == event_id_key::state::absent || !std::binary_search(ids.begin(), ids.end(), eid.value)) continue;
    }
    p.all.push_back(idx);
    p.accepts[idx] = 1;
    for (const auto& search : rules_[idx].searches)
      for (const auto& conj : search.alternatives)
        for (const auto& item : conj) {
          if (item.field == k_no_field) continue;
          if (item.field >= p.tested.size()) p.tested.resize(item.field + 1, 0);
          p.tested[item.field] = 1;
        }
  }
  for (std::uint32_t idx : p.all)
    if (!indexing_ || !index_->indexed(idx) || (!b.keyword_db && index_->uses_keywords(idx))) p.unindexed.push_back(idx);
  return plans_.emplace(std::string(key), std::move(p)).first->second;
}

const std::vector<std::uint32_t>& engine::candidates(const event_logsource& ls) { return plan_for(ls, {}).all; }

// Scans one value against the field database `db_idx`, through the memo.
void engine::scan_value(std::int32_t db_idx, std::string_view text) {
  ++value_scans_;
  ::hs_database* db = index_->dbs_[static_cast<std::size_t>(db_idx)];
  // The memo this value's length goes to (the long one only while it pays
  // for this field, counting its tries and hits), if any.
  std::vector<memo_entry>* table = nullptr;
  std::pair<std::uint32_t, std::uint32_t>* use = nullptr;
  if (text.size() <= k_memo_max_text) {
    table = &memo_;
  } else if (text.size() <= k_long_memo_max_text && long_memo_pays(db_idx)) {
    table = &long_memo_;
    use = &long_memo_use_[static_cast<std::size_t>(db_idx)];
    ++use->first;
  }
  memo_entry* slot = nullptr;
  if (table) {
    std::uint64_t h = hash_text(text) ^ (static_cast<std::uint64_t>(db_idx) * 0x9e3779b97f4a7c15ULL);
    slot = &(*table)[h & (table->size() - 1)];
    if (slot->hash == h && slot->db == db_idx && same_text(slot->text, text)) {
      ++memo_hits_;
      if (use) ++use->second;
      for (std::uint32_t id : slot->ids) on_field_match(id, 0, 0, 0, this);
      return;
    }
    slot->hash = h;
    slot->db = db_idx;
    slot->text.assign(text);
    slot->ids.clear();
  }
  pad_.assign(text);
  pad_.append(k_scan_pad, '\0');
  recording_ = slot;
  hs_error_t rc = hs_scan(db, pad_.data(), static_cast<unsigned>(std::min<std::size_t>(pad_.size(), UINT32_MAX)), 0,
                          scratch_, slot ? on_field_match_recorded : on_field_match, this);
  recording_ = nullptr;
  if (rc != HS_SUCCESS && slot) slot->db = -1;  // not a whole scan: not remembered
}

int engine::on_field_match_recorded(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                                    void* self) {
  static_cast<engine*>(self)->recording_->ids.push_back(id);
  return on_field_match(id, from, to, flags, self);
}

// A literal or needle occurred in the value being scanned against its
// field's database: records the needle and marks the rules whose literal
// it is in this field.
int engine::on_field_match(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* self) {
  auto& e = *static_cast<engine*>(self);
  std::uint32_t val = e.scan_val_;
  if (e.hit_epoch_[id] != e.epoch_) {
    e.hit_epoch_[id] = e.epoch_;
    e.hit_val_[id] = val;
  } else if (e.hit_val_[id] == val) {
    return 0;  // its folded text, after its text
  } else {
    e.hit_val_[id] = k_multi;
  }
  const auto& ix = *e.index_;
  field_id f = e.fields_[val].id;
  for (std::uint32_t k = ix.post_begin_[id]; k < ix.post_begin_[id + 1]; ++k)
    if (ix.posts_[k].field == f) e.mark_rules(ix.posts_[k].lit);
  return 0;
}

// A keyword literal occurred in one of the event's values.
int engine::on_keyword_match(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* self) {
  auto& e = *static_cast<engine*>(self);
  const auto& ix = *e.index_;
  for (std::uint32_t k = ix.post_begin_[id]; k < ix.post_begin_[id + 1]; ++k)
    if (ix.posts_[k].field == k_no_field) e.mark_rules(ix.posts_[k].lit);
  return 0;
}

void engine::mark_rules(std::uint32_t lit) {
  for (std::uint32_t e : index_->lit_rules_[lit]) {
    const std::uint32_t r = e >> literal_index::k_set_bits;
    if (!plan_->accepts[r]) continue;
    if (mark_[r] != epoch_) {
      mark_[r] = epoch_;
      sets_[r] = 0;
    }
    const auto all = static_cast<std::uint8_t>((1u << index_->indexed_[r]) - 1);
    if (sets_[r] == all) continue;  // marked already
    sets_[r] |= static_cast<std::uint8_t>(1u << (e & literal_index::k_set_mask));
    if (sets_[r] == all) marked_.push_back(r);
  }
}

int engine::occurs(std::uint32_t needle, std::uint32_t field_idx) const {
  if (field_idx >= scanned_.size() || scanned_[field_idx] == 0) return -1;
  if (hit_epoch_[needle] != epoch_) return 0;
  std::uint32_t at = hit_val_[needle];
  if (at == field_idx) return scanned_[field_idx] == 1 ? 1 : -1;  // a match in a folded text is checked
  return at == k_multi ? -1 : 0;
}

// Scans each value of a field the plan's rules test against that field's
// database (a non-ASCII value also as its case-folded text), recording the
// needles it holds and marking the indexed rules whose literals occur in
// their fields; when keyword rules apply, every text long enough to hold
// one of their literals once more against the keyword database, all in one
// text, apart by NUL bytes no literal contains. Every text scanned ends
// with k_scan_pad NUL bytes.
void engine::scan_event(const event_batch& batch, const event& ev, const plan& p) {
  marked_.clear();
  if (++epoch_ == 0) {  // wrapped: forget every old mark
    std::fill(mark_.begin(), mark_.end(), 0);
    std::fill(hit_epoch_.begin(), hit_epoch_.end(), 0);
    epoch_ = 1;
  }
  fields_ = batch.fields(ev);
  plan_ = &p;
  buf_.clear();
  scanned_.assign(fields_.size(), 0);
  const auto& field_db = index_->field_db_;
  ::hs_database* const keyword_db = p.ls->keyword_db;
  const std::size_t keyword_min = p.ls->keyword_min;
  for (std::uint32_t idx = 0; idx < fields_.size(); ++idx) {
    const field_entry& f = fields_[idx];
    if (f.val.kind == value_kind::null) continue;
    bool tested = f.id < p.tested.size() && p.tested[f.id];
    const std::int32_t db = tested && f.id < field_db.size() ? field_db[f.id] : -1;
    if (db < 0 && (!keyword_db || (f.val.kind != value_kind::string && longest_text(f.val) < keyword_min)))
      continue;  // a number or boolean too short to hold a keyword literal is not even written out
    std::string_view t = value_text(f.val, text_tmp_);
    bool ascii = value_text_is_ascii(f.val);
    if (!ascii) {
      folded_tmp_.clear();
      fold_case_append(t, folded_tmp_);
    }
    if (db >= 0) {
      scan_val_ = idx;
      scanned_[idx] = ascii ? 1 : 2;
      scan_value(db, t);
      if (!ascii) scan_value(db, folded_tmp_);
    }
    if (keyword_db) {  // a text shorter than every keyword literal holds none
      if (t.size() >= keyword_min) {
        buf_.append(t);
        buf_.push_back('\0');
      }
      if (!ascii && folded_tmp_.size() >= keyword_min) {
        buf_.append(folded_tmp_);
        buf_.push_back('\0');
      }
    }
  }
  if (keyword_db) {
    buf_.append(k_scan_pad, '\0');
    hs_scan(keyword_db, buf_.data(), static_cast<unsigned>(std::min<std::size_t>(buf_.size(), UINT32_MAX)), 0, scratch_,
            on_keyword_match, this);
  }
}

void engine::match_batch(const event_batch& batch, std::vector<hit>& out) {
  auto events = batch.events();
  for (std::uint32_t ev_idx = 0; ev_idx < events.size(); ++ev_idx) {
    const event& ev = events[ev_idx];
    const plan& p = plan_for(ev.logsource, event_id_of(batch, ev));
    ls_candidates_ += p.ls->rules.size();
    if (p.all.empty()) continue;
    const std::vector<std::uint32_t>* todo = &p.all;
    if (indexing_) {
      scan_event(batch, ev, p);
      if (marked_.empty()) {
        todo = &p.unindexed;
      } else {
        std::sort(marked_.begin(), marked_.end());
        order_.clear();
        std::merge(marked_.begin(), marked_.end(), p.unindexed.begin(), p.unindexed.end(), std::back_inserter(order_));
        todo = &order_;
      }
    }
    if (todo->empty()) continue;
    evaluated_ += todo->size();
    eval_.reset(batch, ev);
    for (std::uint32_t rule_idx : *todo)
      if (eval_.matches(rules_[rule_idx])) out.push_back({ev_idx, rule_idx});
  }
}

}  // namespace ariadne::match
