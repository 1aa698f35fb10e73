// Native EVTX (Windows XML Event Log) reader.
//
// An EVTX file is a 4 KiB file header followed by independent 64 KiB chunks.
// Each chunk holds event records whose body is binary XML: a token stream
// with element names and templates stored once per chunk and referenced by
// chunk offset, and typed substitution values per record. The format notes
// are in libyal/libevtx's documentation folder; docs/evtx.md says what we do
// with each odd case.
//
// Layers, bottom up:
//   chunk_parser   one chunk's bytes -> record_tree per record (zero-copy:
//                  values point into the chunk bytes)
//   render_json / render_xml / emit_fields
//                  one record_tree -> evtx-crate style JSON, Windows event
//                  XML, or fields of an event_batch
//   evtx_reader    a whole file (or in-memory member): header checks, chunk
//                  iteration, damaged-chunk reporting, optional thread pool
//                  with results delivered in file order
//
//   ingest::evtx::chunk_parser p;
//   p.parse(chunk_bytes, chunk_index, [&](const evtx::record& r) {
//     std::string json; evtx::render_json(r, json);
//   }, problems_sink);
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ariadne/event/event.hpp"
#include "ariadne/ingest/input.hpp"

namespace ariadne::ingest::evtx {

inline constexpr std::size_t k_file_header_size = 4096;
inline constexpr std::size_t k_chunk_size = 65536;
inline constexpr std::size_t k_chunk_header_size = 512;

// Binary XML value types (low 7 bits; 0x80 marks an array).
enum vtype : std::uint8_t {
  v_null = 0x00,
  v_string = 0x01,
  v_ansi = 0x02,
  v_i8 = 0x03,
  v_u8 = 0x04,
  v_i16 = 0x05,
  v_u16 = 0x06,
  v_i32 = 0x07,
  v_u32 = 0x08,
  v_i64 = 0x09,
  v_u64 = 0x0a,
  v_f32 = 0x0b,
  v_f64 = 0x0c,
  v_bool = 0x0d,
  v_binary = 0x0e,
  v_guid = 0x0f,
  v_sizet = 0x10,
  v_filetime = 0x11,
  v_systime = 0x12,
  v_sid = 0x13,
  v_hex32 = 0x14,
  v_hex64 = 0x15,
  v_evt_handle = 0x20,
  v_binxml = 0x21,
  v_evt_xml = 0x23,
  v_array = 0x80,
  // Internal kinds for content that is not a typed value.
  v_charref = 0x70,    // data: 2-byte code point
  v_entityref = 0x71,  // data: name index in `size`
};

enum class node_kind : std::uint8_t { element, attribute, value, subst };

// One node of a record's XML tree. Element children are attributes first,
// then content (values and elements) in document order.
struct xnode {
  node_kind kind = node_kind::element;
  std::uint8_t type = 0;        // value/subst: value type
  bool optional = false;        // subst: optional substitution
  std::uint16_t subst_id = 0;   // subst: index into the instance values
  std::uint32_t name = 0;       // element/attribute: index into the chunk's names
  std::uint32_t size = 0;       // value: byte size
  const std::uint8_t* data = nullptr;  // value: bytes (little-endian, in the chunk)
  std::int32_t first_child = -1;
  std::int32_t last_child = -1;
  std::int32_t next = -1;
};

// A parsed record. Valid only during the on_record callback.
struct record {
  std::uint64_t record_id = 0;
  std::uint64_t written_filetime = 0;  // record header time (FILETIME)
  std::uint32_t chunk_index = 0;
  const std::vector<xnode>* nodes = nullptr;
  std::int32_t root = -1;                        // the <Event> element
  const std::vector<std::string>* names = nullptr;  // UTF-8 element/attribute names
};

// Where and why a record or chunk was not read, or was read with a warning.
struct problem {
  std::uint32_t chunk_index = 0;  // meaningless when file_level
  std::uint64_t record_id = 0;   // 0: chunk level
  std::uint32_t offset = 0;      // within the chunk
  bool fatal = true;             // false: a warning, the data was still read
  std::string reason;            // stable slug
  std::string message;
  bool file_level = false;       // about the file (header, size), not a chunk
};

struct chunk_stats {
  std::uint64_t records = 0;     // records delivered
  std::uint64_t bad_records = 0; // records seen but not readable
  bool skipped = false;          // the whole chunk was unreadable
  bool empty = false;            // never used (all zero)
};

class chunk_parser {
 public:
  using record_fn = std::function<void(const record&)>;

  std::size_t max_depth = 64;  // nesting limit for elements, templates and BinXml values

  // Parses `chunk` (normally 64 KiB; shorter when a file is cut short).
  chunk_stats parse(std::span<const std::uint8_t> chunk, std::uint32_t chunk_index, const record_fn& on_record,
                    std::vector<problem>& problems);

 private:
  struct tmpl {
    std::vector<xnode> nodes;
    std::int32_t root = -1;  // a synthetic container element
    bool ok = false;
  };
  struct parse_error {
    std::uint32_t offset;
    const char* reason;
    std::string message;
  };
  class token_parser;
  friend class token_parser;

  bool parse_record(std::uint32_t off, std::uint32_t size, std::uint64_t id, std::vector<problem>& problems,
                    std::uint32_t chunk_index);
  const tmpl* template_at(std::uint32_t def_offset, std::size_t depth, parse_error& err);
  bool name_at(std::uint32_t offset, std::uint32_t& index, parse_error& err);

  std::span<const std::uint8_t> chunk_;
  std::vector<std::string> names_;  // reused across chunks; first names_used_ are live
  std::size_t names_used_ = 0;
  std::vector<xnode> nodes_;
  std::int32_t root_ = -1;
  std::deque<tmpl> templates_;  // deque: stable addresses while nested instances add more
  std::size_t templates_used_ = 0;
  // Chunk offset -> index, for names and templates: a small open-addressing
  // table whose entries are valid when their generation is the current
  // chunk's (no clearing between chunks). When a chunk has more entries than
  // fit, further ones are simply not cached.
  struct offset_cache {
    static constexpr std::uint32_t k_slots = 1024;
    std::vector<std::uint32_t> key = std::vector<std::uint32_t>(k_slots);
    std::vector<std::uint32_t> val = std::vector<std::uint32_t>(k_slots);
    std::vector<std::uint32_t> gen = std::vector<std::uint32_t>(k_slots);
    std::uint32_t used = 0;
    bool find(std::uint32_t k, std::uint32_t g, std::uint32_t& v) const;
    void put(std::uint32_t k, std::uint32_t g, std::uint32_t v);
    void reset_all();
  };
  offset_cache names_cache_, tmpl_cache_;
  std::uint32_t gen_ = 0;
};

// ---- rendering ------------------------------------------------------------

struct render_stats {
  std::uint32_t bad_utf16 = 0;  // invalid UTF-16 sequences replaced by U+FFFD
};

// Appends one JSON object (no newline) shaped like the evtx crate's JSON:
// {"Event":{"#attributes":{...},"System":{...},"EventData":{...}}}.
// FILETIMEs get six fraction digits as the crate writes them, or with
// `full_time` all seven (100 ns) the record holds.
void render_json(const record& r, std::string& out, render_stats* stats = nullptr, bool full_time = false);
// Appends the record as Windows event XML, indented by two spaces, with a
// trailing newline.
void render_xml(const record& r, std::string& out, render_stats* stats = nullptr);
// Adds the record's fields to the open event of `batch`, with the same names
// json_reader gives the JSON form (System_Attribute, EventData names without
// spaces, unnamed Data multi-valued, UserData leaves), and returns the event
// time from System/TimeCreated (k_no_time if absent).
time_ns emit_fields(const record& r, event_batch& batch, render_stats* stats = nullptr);

// FILETIME (100 ns ticks since 1601) to time_ns since 1970.
time_ns filetime_to_ns(std::uint64_t ft);

// ---- whole files ----------------------------------------------------------

struct file_stats {
  std::uint64_t chunks = 0;         // chunk slots in the file
  std::uint64_t chunks_read = 0;
  std::uint64_t chunks_skipped = 0; // unreadable (bad magic ...)
  std::uint64_t records = 0;
  std::uint64_t bad_records = 0;
  std::uint64_t bytes = 0;
  bool dirty = false;               // header flag: not cleanly closed
};

// True if `head` starts with the EVTX file or chunk signature.
bool sniff(std::span<const std::uint8_t> head);
// True if the file at `path` starts with one (false if it cannot be read).
bool file_is_evtx(const std::string& path);

// Reads EVTX sources (files by path, or images already in memory such as
// archive members) chunk by chunk. With threads > 1, chunks of all sources
// are parsed on a pool and delivered in order (source by source, chunk by
// chunk), so output does not depend on the thread count.
//
// `render(record, out)` runs on a worker for each record and appends to the
// chunk's output (text for dump, events for hunt). `on_chunk` runs on the
// calling thread, in order, for each chunk's output; `on_source` runs there
// after a source's last chunk with its totals and file-level problems (bad
// header, truncated file, unreadable). Memory stays bounded by the chunks in
// flight, whatever the file size: files are read with pread, 64 KiB at a time.
struct chunk_output {
  std::size_t source_idx = 0;
  std::uint32_t chunk_index = 0;
  std::string text;
  event_batch batch;
  // Free for reader_options::on_parsed to fill on the worker thread (hunt:
  // (event index, rule index) matches); cleared before each chunk.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> hits;
  std::vector<problem> problems;
  chunk_stats stats;
  render_stats render;
};

struct source {
  std::string name;                      // for messages
  std::string path;                      // read from this file, or
  std::span<const std::uint8_t> image;   // from this image when path is empty
};

struct reader_options {
  unsigned threads = 1;
  std::size_t max_in_flight = 0;  // chunks being parsed or waiting for delivery; 0: 8 per thread
  // Optional: runs on the worker thread right after a chunk is parsed, with
  // the worker's index (0..threads-1; 0 is the calling thread), before the
  // chunk is delivered in order.
  std::function<void(chunk_output&, unsigned worker)> on_parsed;
};

using render_fn = std::function<void(const record&, chunk_output&)>;
using chunk_fn = std::function<void(chunk_output&)>;
using source_fn = std::function<void(std::size_t source_idx, const file_stats&, const std::vector<problem>&)>;

void read_sources(const std::vector<source>& sources, const reader_options& opts, const render_fn& render,
                  const chunk_fn& on_chunk, const source_fn& on_source);

// Events for hunting: each record becomes an event of its chunk's batch
// (source index `first_source_idx` + the source's position, record number =
// EVTX record id), with emit_fields() and then `on_event` (the normaliser)
// run on the worker. The event time is the normaliser's, else System/
// TimeCreated. `on_chunk` gets each chunk's batch in order.
using event_fn = std::function<void(event_batch&, event&)>;
void read_events(const std::vector<source>& sources, const reader_options& opts, std::uint32_t first_source_idx,
                 const event_fn& on_event, const chunk_fn& on_chunk, const source_fn& on_source);

// Where a problem is: "file", or "file: chunk N[: record R]" (offsets are
// left to describe()).
std::string where(std::string_view file, const problem& p);
// The whole message: "file[: chunk N][: record R][ (offset O)]: message".
std::string describe(std::string_view file, const problem& p);

}  // namespace ariadne::ingest::evtx
