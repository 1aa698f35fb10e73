// EVTX chunk parsing: records, binary XML tokens, templates, substitutions.
//
// Every read is bounds-checked against the chunk; every loop advances or
// stops; nesting (elements, template instances, BinXml values) is limited by
// max_depth and the node count per record by k_max_nodes. A record that
// fails is reported with its chunk, record id, offset and reason, and the
// next record is read.
#include <cstring>
#include <string>

#include "ariadne/ingest/evtx.hpp"
#include "evtx_internal.hpp"

namespace ariadne::ingest::evtx {

namespace {

constexpr std::size_t k_max_nodes = 1u << 20;
// Steps (tokens read, template nodes instantiated) one record may take. A
// substitution may hold an instance of a template whose substitutions hold
// another: K substitutions over L levels are K^L steps that need not add a
// node, so the node limit alone does not bound the work. A real record
// takes hundreds of steps; this allows thousands of times that.
constexpr std::size_t k_max_work = 1u << 23;

bool all_zero(const std::uint8_t* p, std::size_t n) {
  std::uint64_t acc = 0;
  std::size_t k = 0;
  for (; k + 64 <= n; k += 64) {
    std::uint64_t w[8];
    std::memcpy(w, p + k, 64);
    acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
    if (acc) return false;
  }
  for (; k < n; ++k) acc |= p[k];
  return acc == 0;
}

}  // namespace

// ---- helpers on chunk bytes -------------------------------------------------

namespace {

inline std::int32_t add_child(std::vector<xnode>& out, std::int32_t parent, const xnode& n) {
  auto idx = static_cast<std::int32_t>(out.size());
  out.push_back(n);
  xnode& added = out.back();
  added.first_child = added.last_child = added.next = -1;
  if (parent >= 0) {
    xnode& p = out[static_cast<std::size_t>(parent)];
    if (p.last_child >= 0) out[static_cast<std::size_t>(p.last_child)].next = idx;
    else p.first_child = idx;
    p.last_child = idx;
  }
  return idx;
}

}  // namespace

// The parser proper. Positions are offsets from the chunk start.
class chunk_parser::token_parser {
 public:
  token_parser(chunk_parser& cp, parse_error& err) : cp_(cp), b_(cp.chunk_.data()), n_(static_cast<std::uint32_t>(cp.chunk_.size())), err_(err) {}

  // Parses tokens in [pos, end) into `out` under `parent`. Stops at an EOF
  // token, at `end`, or (for a BinXml value) when its top element closes.
  bool fragment(std::uint32_t pos, std::uint32_t end, std::vector<xnode>& out, std::int32_t parent, bool definition,
                bool binxml_value, std::size_t depth, std::uint32_t* stop = nullptr) {
    if (depth > cp_.max_depth) return fail(pos, "too-deep", "binary XML nested too deeply");
    if (end > n_) end = n_;
    std::vector<std::int32_t> stack;
    std::int32_t cur_attr = -1;
    bool in_start = false;
    auto content_parent = [&]() -> std::int32_t {
      if (in_start && cur_attr >= 0) return cur_attr;
      return stack.empty() ? parent : stack.back();
    };
    while (pos < end) {
      if (out.size() > k_max_nodes) return fail(pos, "too-large", "record expands to too many XML nodes");
      if (++work_ > k_max_work) return fail(pos, "too-much-work", "record takes too many steps to expand (nested templates)");
      const std::uint8_t tok = b_[pos];
      const std::uint8_t base = tok & 0xbf;
      if ((tok & 0x40) && base != 0x01 && base != 0x05 && base != 0x06 && base != 0x07 && base != 0x08 && base != 0x09)
        return fail(pos, "bad-token", "unknown binary XML token 0x" + hex2(tok));
      switch (base) {
        case 0x00:  // end of fragment
          if (stop) *stop = pos + 1;
          return true;
        case 0x0f:  // fragment header
          if (!need(pos, 4, end)) return false;
          pos += 4;
          break;
        case 0x0c: {  // template instance
          if (definition) return fail(pos, "bad-token", "template instance inside a template definition");
          if (!instance(pos, end, out, content_parent(), depth)) return false;
          break;
        }
        case 0x01: {  // open start element
          if (in_start) return fail(pos, "bad-token", "element starts inside a start tag");
          if (stack.size() >= cp_.max_depth) return fail(pos, "too-deep", "elements nested too deeply");
          std::uint32_t p = pos + 1;
          // Records written without templates (and BinXml values) may lack
          // the 2-byte dependency identifier: take the layout that fits.
          bool dep = has_dependency_id(pos, end);
          if (dep) p += 2;
          if (!need(p, 8, end)) return false;
          p += 4;  // data size
          std::uint32_t name_off = rd32(p);
          p += 4;
          std::uint32_t name_idx = 0;
          if (!name(name_off, p, end, name_idx)) return false;
          if (tok & 0x40) {
            if (!need(p, 4, end)) return false;
            p += 4;  // attribute list size
          }
          xnode el;
          el.kind = node_kind::element;
          el.name = name_idx;
          std::int32_t idx = add_child(out, stack.empty() ? parent : stack.back(), el);
          stack.push_back(idx);
          in_start = true;
          cur_attr = -1;
          pos = p;
          break;
        }
        case 0x02:  // close start element
          if (!in_start) return fail(pos, "bad-token", "unexpected close-start-element token");
          in_start = false;
          cur_attr = -1;
          ++pos;
          break;
        case 0x03:  // close empty element
          if (!in_start || stack.empty()) return fail(pos, "bad-token", "unexpected close-empty-element token");
          in_start = false;
          cur_attr = -1;
          stack.pop_back();
          ++pos;
          if (binxml_value && stack.empty() && ends_value(pos, end, stop)) return true;
          break;
        case 0x04:  // end element
          if (in_start || stack.empty()) return fail(pos, "bad-token", "unexpected end-element token");
          stack.pop_back();
          ++pos;
          if (binxml_value && stack.empty() && ends_value(pos, end, stop)) return true;
          break;
        case 0x06: {  // attribute
          if (!in_start || stack.empty()) return fail(pos, "bad-token", "attribute outside a start tag");
          std::uint32_t p = pos + 1;
          if (!need(p, 4, end)) return false;
          std::uint32_t name_off = rd32(p);
          p += 4;
          std::uint32_t name_idx = 0;
          if (!name(name_off, p, end, name_idx)) return false;
          xnode at;
          at.kind = node_kind::attribute;
          at.name = name_idx;
          cur_attr = add_child(out, stack.back(), at);
          pos = p;
          break;
        }
        case 0x05: {  // value text
          if (!need(pos, 2, end)) return false;
          std::uint8_t type = b_[pos + 1];
          std::uint32_t p = pos + 2;
          xnode v;
          v.kind = node_kind::value;
          if (type == v_string) {
            if (!need(p, 2, end)) return false;
            std::uint32_t chars = rd16(p);
            p += 2;
            if (!need(p, chars * 2, end)) return false;
            v.type = v_string;
            v.data = b_ + p;
            v.size = chars * 2;
            p += chars * 2;
          } else if (type == v_null) {
            pos = p;
            break;
          } else {
            std::uint32_t sz = fixed_size(type);
            if (sz == 0) return fail(pos, "bad-value", "value token of unsupported type 0x" + hex2(type));
            if (!need(p, sz, end)) return false;
            v.type = type;
            v.data = b_ + p;
            v.size = sz;
            p += sz;
          }
          if (in_start && cur_attr < 0) return fail(pos, "bad-token", "value inside a start tag without an attribute");
          add_child(out, content_parent(), v);
          pos = p;
          break;
        }
        case 0x07: {  // CDATA section
          if (!need(pos, 3, end)) return false;
          std::uint32_t chars = rd16(pos + 1);
          if (!need(pos + 3, chars * 2, end)) return false;
          xnode v;
          v.kind = node_kind::value;
          v.type = v_string;
          v.data = b_ + pos + 3;
          v.size = chars * 2;
          add_child(out, content_parent(), v);
          pos += 3 + chars * 2;
          break;
        }
        case 0x08: {  // character reference
          if (!need(pos, 3, end)) return false;
          xnode v;
          v.kind = node_kind::value;
          v.type = v_charref;
          v.data = b_ + pos + 1;
          v.size = 2;
          add_child(out, content_parent(), v);
          pos += 3;
          break;
        }
        case 0x09: {  // entity reference
          if (!need(pos, 5, end)) return false;
          std::uint32_t p = pos + 5;
          std::uint32_t name_idx = 0;
          if (!name(rd32(pos + 1), p, end, name_idx)) return false;
          xnode v;
          v.kind = node_kind::value;
          v.type = v_entityref;
          v.size = name_idx;
          add_child(out, content_parent(), v);
          pos = p;
          break;
        }
        case 0x0a: {  // PI target (ignored)
          if (!need(pos, 5, end)) return false;
          std::uint32_t p = pos + 5;
          std::uint32_t name_idx = 0;
          if (!name(rd32(pos + 1), p, end, name_idx)) return false;
          pos = p;
          break;
        }
        case 0x0b: {  // PI data (ignored)
          if (!need(pos, 3, end)) return false;
          std::uint32_t chars = rd16(pos + 1);
          if (!need(pos + 3, chars * 2, end)) return false;
          pos += 3 + chars * 2;
          break;
        }
        case 0x0d:
        case 0x0e: {  // normal / optional substitution
          if (!need(pos, 4, end)) return false;
          if (!definition) return fail(pos, "bad-token", "substitution outside a template definition");
          if (in_start && cur_attr < 0) return fail(pos, "bad-token", "substitution inside a start tag without an attribute");
          xnode s;
          s.kind = node_kind::subst;
          s.optional = base == 0x0e;
          s.subst_id = rd16(pos + 1);
          s.type = b_[pos + 3];
          add_child(out, content_parent(), s);
          pos += 4;
          break;
        }
        default:
          return fail(pos, "bad-token", "unknown binary XML token 0x" + hex2(tok));
      }
    }
    if (!stack.empty()) return fail(pos, "truncated", "binary XML ends inside an element");
    if (stop) *stop = pos;
    return true;
  }

 private:
  bool fail(std::uint32_t pos, const char* reason, std::string message) {
    err_.offset = pos;
    err_.reason = reason;
    err_.message = std::move(message);
    return false;
  }
  bool need(std::uint32_t pos, std::uint64_t len, std::uint32_t end) {
    if (static_cast<std::uint64_t>(pos) + len > end)
      return fail(pos, "truncated", "binary XML runs past the end of its data");
    return true;
  }
  [[nodiscard]] std::uint16_t rd16(std::uint32_t p) const { return load_le<std::uint16_t>(b_ + p); }
  [[nodiscard]] std::uint32_t rd32(std::uint32_t p) const { return load_le<std::uint32_t>(b_ + p); }

  static std::string hex2(std::uint8_t v) {
    static const char* digits = "0123456789abcdef";
    return {digits[v >> 4], digits[v & 15]};
  }

  // A name referenced at `name_off`. If it is stored inline (right here, at
  // `p`), `p` moves past it.
  bool name(std::uint32_t name_off, std::uint32_t& p, std::uint32_t end, std::uint32_t& idx) {
    if (!cp_.name_at(name_off, idx, err_)) return false;
    if (name_off == p) {
      std::uint32_t chars = rd16(p + 6);
      std::uint64_t skip = 8 + 2ULL * chars + 2;
      if (!need(p, skip, end)) return false;
      p += static_cast<std::uint32_t>(skip);
    }
    return true;
  }

  // Inside BinXml values, the element start may lack its 2-byte dependency
  // identifier. Prefer the layout whose name offset is plausible.
  [[nodiscard]] bool has_dependency_id(std::uint32_t pos, std::uint32_t end) const {
    auto plausible = [&](std::uint32_t name_field) {
      if (static_cast<std::uint64_t>(name_field) + 4 > end) return false;
      std::uint32_t off = rd32(name_field);
      if (off == name_field + 4) return true;  // inline name right here
      return off >= k_chunk_header_size && off < name_field && static_cast<std::uint64_t>(off) + 8 <= n_;
    };
    if (plausible(pos + 7)) return true;
    return !plausible(pos + 5);
  }

  // After a BinXml value's top element closes: the value may go on with an
  // EOF token; anything else ends it too.
  bool ends_value(std::uint32_t& pos, std::uint32_t end, std::uint32_t* stop) {
    if (pos < end && b_[pos] == 0x00) ++pos;
    if (stop) *stop = pos;
    return true;
  }

  bool instance(std::uint32_t& pos, std::uint32_t end, std::vector<xnode>& out, std::int32_t parent, std::size_t depth) {
    if (depth + 1 > cp_.max_depth) return fail(pos, "too-deep", "template instances nested too deeply");
    if (!need(pos, 10, end)) return false;
    std::uint32_t def_off = rd32(pos + 6);
    std::uint32_t p = pos + 10;
    if (def_off == p) {  // definition stored inline: skip it
      if (!need(p, 24, end)) return false;
      std::uint32_t size = rd32(p + 20);
      if (!need(p + 24, size, end)) return false;
      p += 24 + size;
    }
    const tmpl* t = cp_.template_at(def_off, depth + 1, err_);
    if (t == nullptr) return false;
    if (!need(p, 4, end)) return false;
    std::uint32_t count = rd32(p);
    p += 4;
    if (!need(p, 4ULL * count, end)) return false;
    if (count > 0x10000) return fail(p, "bad-values", "template instance declares too many values");
    values_.resize(values_base_ + count);
    std::size_t base = values_base_;
    std::uint64_t vpos = p + 4ULL * count;
    for (std::uint32_t k = 0; k < count; ++k) {
      std::uint16_t size = rd16(p + 4 * k);
      std::uint8_t type = b_[p + 4 * k + 2];
      if (vpos + size > end) return fail(static_cast<std::uint32_t>(vpos), "truncated", "template values run past the end of the record");
      values_[base + k] = {type, size, static_cast<std::uint32_t>(vpos)};
      vpos += size;
    }
    pos = static_cast<std::uint32_t>(vpos);
    // Nested instances (in BinXml values) use the slots after ours.
    std::size_t saved = values_base_;
    values_base_ = base + count;
    bool ok = instantiate(*t, t->root, out, parent, base, count, depth + 1);
    values_base_ = saved;
    values_.resize(base + count);
    return ok;
  }

  struct value_ref {
    std::uint8_t type;
    std::uint16_t size;
    std::uint32_t offset;
  };

  bool instantiate(const tmpl& t, std::int32_t src, std::vector<xnode>& out, std::int32_t parent, std::size_t base,
                   std::uint32_t count, std::size_t depth) {
    for (std::int32_t c = t.nodes[static_cast<std::size_t>(src)].first_child; c >= 0;
         c = t.nodes[static_cast<std::size_t>(c)].next) {
      if (out.size() > k_max_nodes) return fail(0, "too-large", "record expands to too many XML nodes");
      if (++work_ > k_max_work) return fail(0, "too-much-work", "record takes too many steps to expand (nested templates)");
      const xnode& n = t.nodes[static_cast<std::size_t>(c)];
      switch (n.kind) {
        case node_kind::element:
        case node_kind::attribute: {
          std::int32_t idx = add_child(out, parent, n);
          if (!instantiate(t, c, out, idx, base, count, depth)) return false;
          break;
        }
        case node_kind::value:
          add_child(out, parent, n);
          break;
        case node_kind::subst: {
          if (n.subst_id >= count) break;  // no value given: nothing to substitute
          value_ref v = values_[base + n.subst_id];
          if (v.type == v_null) break;  // absent; an empty string stays ""
          if (v.type == v_binxml) {
            std::uint32_t stop = 0;
            if (!fragment(v.offset, v.offset + v.size, out, parent, false, true, depth + 1, &stop)) return false;
            break;
          }
          xnode val;
          val.kind = node_kind::value;
          val.type = v.type;
          val.data = b_ + v.offset;
          val.size = v.size;
          add_child(out, parent, val);
          break;
        }
      }
    }
    return true;
  }

  chunk_parser& cp_;
  const std::uint8_t* b_;
  std::uint32_t n_;
  parse_error& err_;
  std::vector<value_ref> values_;
  std::size_t values_base_ = 0;
  std::size_t work_ = 0;  // steps taken for this record (k_max_work)
};

// ---- chunk_parser -----------------------------------------------------------

bool chunk_parser::offset_cache::find(std::uint32_t k, std::uint32_t g, std::uint32_t& v) const {
  std::uint32_t h = (k * 2654435761u) >> 22;  // 10 bits
  for (std::uint32_t probe = 0; probe < k_slots; ++probe) {
    std::uint32_t i = (h + probe) & (k_slots - 1);
    if (gen[i] != g) return false;
    if (key[i] == k) {
      v = val[i];
      return true;
    }
  }
  return false;
}

void chunk_parser::offset_cache::put(std::uint32_t k, std::uint32_t g, std::uint32_t v) {
  if (used >= k_slots / 2) return;  // keep probes short; uncached entries are re-read
  std::uint32_t h = (k * 2654435761u) >> 22;
  for (std::uint32_t probe = 0; probe < k_slots; ++probe) {
    std::uint32_t i = (h + probe) & (k_slots - 1);
    if (gen[i] != g) {
      gen[i] = g;
      key[i] = k;
      val[i] = v;
      ++used;
      return;
    }
  }
}

void chunk_parser::offset_cache::reset_all() { std::fill(gen.begin(), gen.end(), 0); }

bool chunk_parser::name_at(std::uint32_t offset, std::uint32_t& index, parse_error& err) {
  if (names_cache_.find(offset, gen_, index)) return true;
  if (static_cast<std::uint64_t>(offset) + 8 > chunk_.size()) {
    err = {offset, "bad-name", "element name offset points outside the chunk"};
    return false;
  }
  std::uint32_t chars = load_le<std::uint16_t>(chunk_.data() + offset + 6);
  if (static_cast<std::uint64_t>(offset) + 8 + 2ULL * chars > chunk_.size()) {
    err = {offset, "bad-name", "element name runs past the end of the chunk"};
    return false;
  }
  if (names_used_ == names_.size()) names_.emplace_back();
  std::string& s = names_[names_used_];
  s.clear();
  append_utf16(s, chunk_.data() + offset + 8, chars, nullptr);
  index = static_cast<std::uint32_t>(names_used_++);
  names_cache_.put(offset, gen_, index);
  return true;
}

const chunk_parser::tmpl* chunk_parser::template_at(std::uint32_t def_offset, std::size_t depth, parse_error& err) {
  if (std::uint32_t cached = 0; tmpl_cache_.find(def_offset, gen_, cached)) {
    const tmpl& t = templates_[cached];
    if (!t.ok) {
      err = {def_offset, "bad-template", "template definition could not be read"};
      return nullptr;
    }
    return &t;
  }
  if (static_cast<std::uint64_t>(def_offset) + 24 > chunk_.size() || def_offset < k_chunk_header_size) {
    err = {def_offset, "bad-template", "template definition offset points outside the chunk"};
    return nullptr;
  }
  if (templates_used_ == templates_.size()) templates_.emplace_back();
  std::size_t idx = templates_used_++;
  tmpl& t = templates_[idx];
  t.nodes.clear();
  t.ok = false;
  tmpl_cache_.put(def_offset, gen_, static_cast<std::uint32_t>(idx));
  std::uint32_t size = load_le<std::uint32_t>(chunk_.data() + def_offset + 20);
  std::uint64_t body = def_offset + 24ULL;
  std::uint64_t end = body + size;
  if (end > chunk_.size()) {
    err = {def_offset, "bad-template", "template definition runs past the end of the chunk"};
    return nullptr;
  }
  xnode root;
  root.kind = node_kind::element;
  root.name = UINT32_MAX;
  t.nodes.push_back(root);
  t.root = 0;
  token_parser tp(*this, err);
  if (!tp.fragment(static_cast<std::uint32_t>(body), static_cast<std::uint32_t>(end), t.nodes, 0, true, false, depth))
    return nullptr;
  t.ok = true;
  return &t;
}

bool chunk_parser::parse_record(std::uint32_t off, std::uint32_t size, std::uint64_t id, std::vector<problem>& problems,
                                std::uint32_t chunk_index) {
  nodes_.clear();
  xnode doc;
  doc.kind = node_kind::element;
  doc.name = UINT32_MAX;
  nodes_.push_back(doc);
  parse_error err{0, "", {}};
  token_parser tp(*this, err);
  if (!tp.fragment(off + 24, off + size - 4, nodes_, 0, false, false, 0)) {
    problems.push_back({chunk_index, id, err.offset, true, err.reason, err.message});
    return false;
  }
  root_ = -1;
  for (std::int32_t c = nodes_[0].first_child; c >= 0; c = nodes_[static_cast<std::size_t>(c)].next)
    if (nodes_[static_cast<std::size_t>(c)].kind == node_kind::element) {
      root_ = c;
      break;
    }
  if (root_ < 0) {
    problems.push_back({chunk_index, id, off, true, "no-event", "record holds no XML element"});
    return false;
  }
  return true;
}

chunk_stats chunk_parser::parse(std::span<const std::uint8_t> chunk, std::uint32_t chunk_index,
                                const record_fn& on_record, std::vector<problem>& problems) {
  chunk_stats st;
  chunk_ = chunk;
  if (++gen_ == 0) {  // wrapped: clear the caches once
    names_cache_.reset_all();
    tmpl_cache_.reset_all();
    gen_ = 1;
  }
  names_cache_.used = 0;
  tmpl_cache_.used = 0;
  names_used_ = 0;
  templates_used_ = 0;

  const std::uint8_t* b = chunk.data();
  const std::size_t n = chunk.size();
  if (n < k_chunk_header_size || std::memcmp(b, "ElfChnk", 8) != 0) {
    if (all_zero(b, n)) {  // never used (preallocated)
      st.empty = true;
      return st;
    }
    // A damaged signature over intact records: read them anyway.
    bool records_follow = n >= k_chunk_header_size + 28 && std::memcmp(b + k_chunk_header_size, "\x2a\x2a\x00\x00", 4) == 0;
    if (!records_follow) {
      st.skipped = true;
      problems.push_back({chunk_index, 0, 0, true, "bad-chunk-magic",
                          n < k_chunk_header_size ? "chunk is shorter than its header; skipped"
                                                  : "chunk signature is not ElfChnk and no record follows; skipped"});
      return st;
    }
    problems.push_back({chunk_index, 0, 0, false, "bad-chunk-magic",
                        "chunk signature is not ElfChnk but records follow; they are read and checked one by one"});
  }
  std::uint32_t free_off = load_le<std::uint32_t>(b + 48);
  const std::uint32_t data_crc = load_le<std::uint32_t>(b + 52);
  const std::uint32_t header_crc = load_le<std::uint32_t>(b + 124);
  {
    std::uint32_t c = crc32(0, b, 120);
    c = crc32(c, b + 128, k_chunk_header_size - 128);
    if (c != header_crc)
      problems.push_back({chunk_index, 0, 124, false, "chunk-header-checksum",
                          "chunk header checksum mismatch; records are still read and checked one by one"});
  }
  bool free_ok = free_off >= k_chunk_header_size && free_off <= n;
  if (free_ok) {
    std::uint32_t c = crc32(0, b + k_chunk_header_size, free_off - k_chunk_header_size);
    if (c != data_crc)
      problems.push_back({chunk_index, 0, 52, false, "chunk-data-checksum",
                          "event records checksum mismatch; records are still read and checked one by one"});
  } else {
    free_off = static_cast<std::uint32_t>(n);
  }

  std::uint32_t off = k_chunk_header_size;
  std::uint64_t expect_id = 0;
  while (static_cast<std::size_t>(off) + 28 <= n) {
    const bool in_use = off < free_off;
    if (std::memcmp(b + off, "\x2a\x2a\x00\x00", 4) != 0) {
      if (in_use && !(off == free_off))
        problems.push_back({chunk_index, 0, off, true, "bad-record-magic",
                            "record signature missing before the chunk's free space; rest of chunk skipped"});
      if (in_use) ++st.bad_records;
      break;
    }
    std::uint32_t size = load_le<std::uint32_t>(b + off + 4);
    std::uint64_t id = load_le<std::uint64_t>(b + off + 8);
    // Past the free-space offset, only records that continue the sequence
    // are taken (a chunk of a file that was not closed cleanly); older
    // leftovers in slack space are not.
    if (!in_use && (expect_id == 0 || id != expect_id)) break;
    if (size < 28 || static_cast<std::size_t>(off) + size > n) {
      problems.push_back({chunk_index, id, off, true, "bad-record-size",
                          "record size " + std::to_string(size) + " does not fit in the chunk; rest of chunk skipped"});
      ++st.bad_records;
      break;
    }
    if (load_le<std::uint32_t>(b + off + size - 4) != size) {
      problems.push_back({chunk_index, id, off, true, "record-cut-short",
                          "record's trailing size copy does not match; record skipped"});
      ++st.bad_records;
      off += size;
      expect_id = id + 1;
      continue;
    }
    if (parse_record(off, size, id, problems, chunk_index)) {
      record r;
      r.record_id = id;
      r.written_filetime = load_le<std::uint64_t>(b + off + 16);
      r.chunk_index = chunk_index;
      r.nodes = &nodes_;
      r.root = root_;
      r.names = &names_;
      ++st.records;
      on_record(r);
    } else {
      ++st.bad_records;
    }
    expect_id = id + 1;
    off += size;
  }
  return st;
}

}  // namespace ariadne::ingest::evtx
