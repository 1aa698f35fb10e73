#include "ariadne/ingest/json_reader.hpp"

#include <cstring>

#include "ariadne/core/text.hpp"

namespace ariadne::ingest {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Finds the end of the JSON value that starts at text[pos] ('{' or '['),
// honouring strings. Counts newlines into `lines`. Returns npos if the value
// is not closed before the end.
std::size_t match_value(std::string_view text, std::size_t pos, std::uint64_t& lines) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t idx = pos; idx < text.size(); ++idx) {
    char c = text[idx];
    if (c == '\n') ++lines;
    if (in_string) {
      if (c == '\\') {
        ++idx;
        if (idx < text.size() && text[idx] == '\n') ++lines;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return idx + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

namespace {

// Where the body starts: after a byte-order mark and blank lines.
std::size_t skip_preamble(std::string_view text, std::uint64_t& line) {
  std::size_t pos = 0;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  line = 1;
  while (pos < text.size() && is_ws(text[pos])) {
    if (text[pos] == '\n') ++line;
    ++pos;
  }
  return pos;
}

// The layout is decided on a sample of lines, not on the first record
// alone: a first line that is garbage, cut short or a stray `[` must not
// decide how the whole file is read. Counts the non-blank lines of the
// first 64 (within about 1 MiB) and how many of them are one whole JSON
// object each.
struct line_sample {
  int lines = 0;
  int objects = 0;
};

line_sample sample_lines(std::string_view text, std::size_t pos) {
  constexpr int k_lines = 64;
  constexpr std::size_t k_bytes = std::size_t{1} << 20;
  line_sample s;
  const std::size_t start = pos;
  while (pos < text.size() && s.lines < k_lines && (s.lines == 0 || pos - start < k_bytes)) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::size_t a = pos, b = end;
    while (a < b && is_ws(text[a])) ++a;
    while (b > a && is_ws(text[b - 1])) --b;
    if (a < b) {
      ++s.lines;
      if (text[a] == '{') {
        std::uint64_t dummy = 0;
        std::string_view line = text.substr(a, b - a);
        if (match_value(line, 0, dummy) == line.size()) ++s.objects;
      }
    }
    pos = end + 1;
  }
  return s;
}

bool mostly_objects(const line_sample& s) { return s.objects > 0 && 2 * s.objects >= s.lines; }

}  // namespace

bool json_reader::sniff(std::string_view text) {
  std::uint64_t line = 1;
  std::size_t pos = skip_preamble(text, line);
  if (pos >= text.size()) return false;
  if (text[pos] == '{' || text[pos] == '[') return true;
  return mostly_objects(sample_lines(text, pos));  // JSON lines behind a bad first line
}

bool json_reader::is_json_lines(std::string_view text, std::size_t& body, std::uint64_t& body_line) {
  std::uint64_t line = 1;
  std::size_t pos = skip_preamble(text, line);
  if (pos >= text.size()) return false;
  if (!mostly_objects(sample_lines(text, pos))) return false;
  body = pos;
  body_line = line;
  return true;
}

void json_reader::take_record(std::string_view name, const char* data, std::size_t len, std::uint64_t line,
                              std::uint32_t source_idx, event_batch& batch, const event_fn& on_event,
                              const batch_fn& on_batch_full, read_stats& stats, std::vector<input_problem>& problems) {
  ++stats.records;
  switch (parse_record(name, data, len, line, source_idx, batch, on_event, problems)) {
    case outcome::event:
      ++stats.events;
      if (batch.size() >= batch_events && on_batch_full) on_batch_full(batch);
      break;
    case outcome::filtered: ++stats.filtered; break;
    case outcome::bad: ++stats.bad; break;
  }
}

read_stats json_reader::read_lines(std::string_view name, simdjson::padded_string_view padded, std::size_t begin,
                                   std::size_t end_of_segment, std::uint64_t first_line, std::uint32_t source_idx,
                                   event_batch& batch, const event_fn& on_event, const batch_fn& on_batch_full,
                                   std::vector<input_problem>& problems) {
  read_stats stats;
  std::string_view text(padded.data(), std::min(end_of_segment, padded.size()));
  std::size_t pos = begin;
  std::uint64_t line = first_line;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::size_t a = pos, b = end;
    while (a < b && is_ws(text[a])) ++a;
    while (b > a && is_ws(text[b - 1])) --b;
    if (a < b)
      take_record(name, text.data() + a, b - a, line, source_idx, batch, on_event, on_batch_full, stats, problems);
    stats.newlines += nl != std::string_view::npos;
    pos = end + 1;
    ++line;
  }
  return stats;
}

bool line_segmenter::next(line_segment& seg) {
  if (pos_ >= text_.size()) return false;
  std::size_t end = pos_ + std::min(target_, text_.size() - pos_);
  if (end < text_.size()) {
    std::size_t nl = text_.find('\n', end - 1);  // the line holding byte end-1 ends the segment
    end = nl == std::string_view::npos ? text_.size() : nl + 1;
  }
  seg.begin = pos_;
  seg.end = end;
  seg.seq = seq_++;
  pos_ = end;
  return true;
}

void line_segmenter::number(line_segment& seg, std::uint64_t newlines) { try_number(seg, newlines, true); }

bool line_segmenter::try_number(line_segment& seg, std::uint64_t newlines, bool wait) {
  std::unique_lock lk(mu_);
  if (wait) cv_.wait(lk, [&] { return numbered_ == seg.seq; });
  else if (numbered_ != seg.seq) return false;
  seg.first_line = next_line_;
  next_line_ += newlines;
  ++numbered_;
  lk.unlock();
  cv_.notify_all();
  return true;
}

read_stats json_reader::read(std::string_view name, simdjson::padded_string_view padded, std::uint32_t source_idx,
                             event_batch& batch, const event_fn& on_event, const batch_fn& on_batch_full,
                             std::vector<input_problem>& problems) {
  std::string_view text(padded.data(), padded.size());
  // JSON lines (the first record closes on its own line) go line by line.
  std::size_t body = 0;
  std::uint64_t body_line = 0;
  if (is_json_lines(text, body, body_line))
    return read_lines(name, padded, body, text.size(), body_line, source_idx, batch, on_event, on_batch_full, problems);
  read_stats stats;
  std::size_t pos = 0;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  std::uint64_t line = 1;
  auto skip_ws = [&] {
    while (pos < text.size() && is_ws(text[pos])) {
      if (text[pos] == '\n') ++line;
      ++pos;
    }
  };
  auto handle = [&](std::size_t start, std::size_t end, std::uint64_t start_line) {
    take_record(name, text.data() + start, end - start, start_line, source_idx, batch, on_event, on_batch_full, stats,
                problems);
  };
  skip_ws();
  if (pos >= text.size()) return stats;

  if (text[pos] == '[') {
    ++pos;
    for (;;) {
      while (pos < text.size() && (is_ws(text[pos]) || text[pos] == ',')) {
        if (text[pos] == '\n') ++line;
        ++pos;
      }
      if (pos >= text.size()) {
        problems.push_back({std::string(name) + ":" + std::to_string(line), "bad-json", "JSON array is not closed"});
        ++stats.bad;
        break;
      }
      if (text[pos] == ']') break;
      std::uint64_t start_line = line;
      if (text[pos] != '{') {
        // A scalar element: skip to the next comma at this level.
        std::size_t next = text.find_first_of(",]", pos);
        problems.push_back({std::string(name) + ":" + std::to_string(line), "not-an-object",
                            "array element is not a JSON object; skipped"});
        ++stats.records;
        ++stats.bad;
        pos = next == std::string_view::npos ? text.size() : next;
        continue;
      }
      std::size_t end = match_value(text, pos, line);
      if (end == std::string_view::npos) {
        problems.push_back({std::string(name) + ":" + std::to_string(start_line), "bad-json",
                            "record is not closed before the end of the input (truncated?)"});
        ++stats.records;
        ++stats.bad;
        break;
      }
      handle(pos, end, start_line);
      pos = end;
    }
    return stats;
  }
  // Concatenated values, possibly pretty-printed.
  while (pos < text.size()) {
    skip_ws();
    if (pos >= text.size()) break;
    std::uint64_t start_line = line;
    if (text[pos] != '{' && text[pos] != '[') {
      std::size_t nl = text.find('\n', pos);
      problems.push_back({std::string(name) + ":" + std::to_string(line), "bad-json",
                          "expected a JSON object; skipping to the next line"});
      ++stats.records;
      ++stats.bad;
      pos = nl == std::string_view::npos ? text.size() : nl;
      continue;
    }
    std::size_t end = match_value(text, pos, line);
    if (end == std::string_view::npos) {
      // Truncated: try to resume at the next line that starts with '{'.
      problems.push_back({std::string(name) + ":" + std::to_string(start_line), "bad-json",
                          "record is not closed before the end of the input (truncated?)"});
      ++stats.records;
      ++stats.bad;
      std::size_t resume = text.find("\n{", pos);
      if (resume == std::string_view::npos) break;
      line = start_line;
      for (std::size_t k = pos; k < resume + 1; ++k)
        if (text[k] == '\n') ++line;
      pos = resume + 1;
      continue;
    }
    handle(pos, end, start_line);
    pos = end;
  }
  return stats;
}

json_reader::outcome json_reader::parse_record(std::string_view name, const char* data, std::size_t len, std::uint64_t line,
                               std::uint32_t source_idx, event_batch& batch, const event_fn& on_event,
                               std::vector<input_problem>& problems) {
  if (len > max_record_bytes) {
    problems.push_back({std::string(name) + ":" + std::to_string(line), "too-large",
                        "record of " + std::to_string(len) + " bytes is larger than the limit of " +
                            std::to_string(max_record_bytes) + "; skipped"});
    return outcome::bad;
  }
  if (keep_record) {
    // No rule can match a record without one of the prefilter's literals:
    // such a record is not parsed, only checked for a whole object's shape
    // (a line cut short is still reported); --no-prefilter parses all.
    std::string_view raw = trim(std::string_view(data, len));
    if (raw.size() >= 2 && raw.front() == '{' && raw.back() == '}' && !keep_record(raw)) {
      return outcome::filtered;
    }
  }
  simdjson::dom::element root;
  auto err = parser_.parse(reinterpret_cast<const std::uint8_t*>(data), len, false).get(root);
  if (err) {
    const bool memory = err == simdjson::MEMALLOC || err == simdjson::CAPACITY;
    problems.push_back({std::string(name) + ":" + std::to_string(line), memory ? "out-of-memory" : "bad-json",
                        memory ? "not enough memory to parse a record of " + std::to_string(len) + " bytes; skipped"
                               : std::string("invalid JSON: ") + simdjson::error_message(err)});
    // A parser whose allocation failed is not used again: the next record
    // gets a fresh one (and its own, smaller, buffers).
    if (memory) parser_ = simdjson::dom::parser();
    return outcome::bad;
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    problems.push_back({std::string(name) + ":" + std::to_string(line), "not-an-object",
                        "record is not a JSON object; skipped"});
    return outcome::bad;
  }

  batch.begin_event(source_idx, line);
  truncated_depth_ = false;
  fields_left_ = max_fields;
  last_id_ = k_no_field;
  simdjson::dom::object event_obj, system_obj;
  if (!obj["Event"].get_object().get(event_obj) && !event_obj["System"].get_object().get(system_obj)) {
    flatten_evtx(event_obj, batch);
  } else {
    std::string path;
    flatten(root, path, batch, 0);
  }
  if (truncated_depth_)
    problems.push_back({std::string(name) + ":" + std::to_string(line), "too-deep",
                        "JSON nested deeper than " + std::to_string(max_depth) + " levels; deeper values ignored"});
  if (fields_left_ == 0)
    problems.push_back({std::string(name) + ":" + std::to_string(line), "too-many-fields",
                        "record has more than " + std::to_string(max_fields) + " values; the rest ignored"});
  batch.end_event();
  if (on_event) on_event(batch, batch.events().back());
  return outcome::event;
}

void json_reader::emit_scalar(field_id id, const simdjson::dom::element& el, event_batch& batch) {
  using simdjson::dom::element_type;
  if (fields_left_ == 0) return;
  --fields_left_;
  switch (el.type()) {
    case element_type::STRING: {
      std::string_view s;
      if (el.get_string().get(s)) break;
      batch.add_string(id, s);
      break;
    }
    case element_type::INT64: batch.add_value(id, value::make_int(el.get_int64().value_unsafe())); break;
    case element_type::UINT64: {
      std::uint64_t u = el.get_uint64().value_unsafe();
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) batch.add_value(id, value::make_int(static_cast<std::int64_t>(u)));
      else batch.add_value(id, value::make_double(static_cast<double>(u)));
      break;
    }
    case element_type::DOUBLE: batch.add_value(id, value::make_double(el.get_double().value_unsafe())); break;
    case element_type::BOOL: batch.add_value(id, value::make_bool(el.get_bool().value_unsafe())); break;
    case element_type::NULL_VALUE: batch.add_value(id, value::make_null()); break;
    default: break;
  }
}

void json_reader::flatten(const simdjson::dom::element& el, std::string& path, event_batch& batch, std::size_t depth) {
  using simdjson::dom::element_type;
  if (depth > max_depth) {
    truncated_depth_ = true;
    return;
  }
  switch (el.type()) {
    case element_type::OBJECT: {
      std::size_t base = path.size();
      simdjson::dom::object obj1 = el.get_object().value_unsafe();
      for (auto [key, child] : obj1) {
        if (base) path.push_back('.');
        path.append(key);
        flatten(child, path, batch, depth + 1);
        path.resize(base);
      }
      break;
    }
    case element_type::ARRAY: {
      simdjson::dom::array arr8 = el.get_array().value_unsafe();
      for (auto child : arr8) flatten(child, path, batch, depth + 1);
      break;
    }
    default:
      if (!path.empty() && fields_left_) emit_scalar(name_id(path), el, batch);
  }
}

// Emits `el` under `name`: scalars directly, arrays as multi-valued,
// {"#text": ...} as its text, other objects by their leaves.
void json_reader::emit(std::string_view name, const simdjson::dom::element& el, event_batch& batch, std::size_t depth) {
  using simdjson::dom::element_type;
  if (depth > max_depth) {
    truncated_depth_ = true;
    return;
  }
  if (el.type() == element_type::ARRAY) {
    simdjson::dom::array arr9 = el.get_array().value_unsafe();
    for (auto child : arr9) emit(name, child, batch, depth + 1);
    return;
  }
  if (el.type() == element_type::OBJECT) {
    simdjson::dom::element text;
    if (!el["#text"].get(text)) {
      emit(name, text, batch, depth + 1);
      return;
    }
    flatten_leaves(el, name, batch, depth + 1);
    return;
  }
  if (fields_left_) emit_scalar(name_id(name), el, batch);
}

field_id json_reader::name_id(std::string_view name) {
  const std::size_t slot = last_id_ == k_no_field ? 0 : std::size_t{last_id_} + 1;
  if (slot >= next_.size()) next_.resize(slot + 64);
  successor& s = next_[slot];
  if (s.id == k_no_field || !same_text(s.name, name)) {
    s.name.assign(name);
    s.id = field_names().intern(name);
  }
  return last_id_ = s.id;
}

void json_reader::flatten_leaves(const simdjson::dom::element& el, std::string_view parent, event_batch& batch,
                                 std::size_t depth) {
  using simdjson::dom::element_type;
  if (depth > max_depth) {
    truncated_depth_ = true;
    return;
  }
  if (el.type() != element_type::OBJECT) {
    emit(parent, el, batch, depth);
    return;
  }
  simdjson::dom::object obj2 = el.get_object().value_unsafe();
  for (auto [key, child] : obj2) {
    if (key == "#attributes") {
      if (child.type() == element_type::OBJECT) {
        simdjson::dom::object obj3 = child.get_object().value_unsafe();
        for (auto [akey, aval] : obj3)
          if (akey != "xmlns") emit(remove_spaces(akey), aval, batch, depth + 1);
      }
    } else if (key == "#text") {
      emit(parent, child, batch, depth + 1);
    } else {
      emit(remove_spaces(key), child, batch, depth + 1);
    }
  }
}

void json_reader::flatten_evtx(const simdjson::dom::object& ev, event_batch& batch) {
  using simdjson::dom::element_type;
  for (auto [section, body] : ev) {
    if (section == "#attributes") continue;
    if (section == "System") {
      if (body.type() != element_type::OBJECT) continue;
      simdjson::dom::object obj4 = body.get_object().value_unsafe();
      for (auto [key, val] : obj4) {
        if (val.type() == element_type::OBJECT) {
          simdjson::dom::object obj5 = val.get_object().value_unsafe();
          for (auto [k2, v2] : obj5) {
            if (k2 == "#attributes") {
              if (v2.type() != element_type::OBJECT) continue;
              simdjson::dom::object obj6 = v2.get_object().value_unsafe();
              for (auto [akey, aval] : obj6) {
                scratch_.assign(key);
                scratch_.push_back('_');
                scratch_.append(akey);
                emit(scratch_, aval, batch, 3);
              }
            } else if (k2 == "#text") {
              emit(key, v2, batch, 3);
            } else {
              scratch_.assign(key);
              scratch_.push_back('_');
              scratch_.append(k2);
              emit(scratch_, v2, batch, 3);
            }
          }
        } else {
          emit(key, val, batch, 2);
        }
      }
    } else if (section == "EventData") {
      if (body.type() != element_type::OBJECT) continue;
      simdjson::dom::object obj7 = body.get_object().value_unsafe();
      for (auto [key, val] : obj7) {
        if (key == "#attributes") continue;
        emit(remove_spaces(key), val, batch, 2);
      }
    } else if (section == "UserData") {
      flatten_leaves(body, "UserData", batch, 1);
    } else {
      std::string path(section);
      flatten(body, path, batch, 1);
    }
  }
}

}  // namespace ariadne::ingest
