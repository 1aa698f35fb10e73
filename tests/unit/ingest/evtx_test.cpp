// EVTX reader: rendering of a real file (fixture), the JSON/XML/field rules
// on synthetic binary XML, thread-order independence, and damaged input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <random>
#include <sstream>

#include "ariadne/ingest/evtx.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "test_support.hpp"

namespace ariadne::ingest::evtx {
namespace {

std::vector<std::uint8_t> fixture() {
  std::vector<std::uint8_t> out;
  std::vector<input_problem> problems;
  for_each_member(
      std::string(ARIADNE_SOURCE_DIR) + "/tests/data/evtx/netexec_file_event.evtx.gz",
      [&](const member& m) { out.assign(m.data->data(), m.data->data() + m.data->size()); }, problems);
  EXPECT_TRUE(problems.empty());
  return out;
}

std::vector<std::string> expected_lines() {
  std::ifstream in(std::string(ARIADNE_SOURCE_DIR) + "/tests/data/evtx/netexec_file_event.expected.jsonl");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

struct dump_result {
  std::vector<std::string> json;
  std::vector<problem> problems;
  file_stats stats;
  std::string text;  // all chunk outputs concatenated, in delivery order
};

dump_result dump(std::span<const std::uint8_t> image, unsigned threads = 1, bool xml = false) {
  dump_result r;
  std::vector<source> srcs{{"mem.evtx", {}, image}};
  reader_options o;
  o.threads = threads;
  read_sources(
      srcs, o,
      [&](const record& rec, chunk_output& out) {
        if (xml) {
          render_xml(rec, out.text, &out.render);
        } else {
          render_json(rec, out.text, &out.render);
          out.text.push_back('\n');
        }
        // Exercise the event path on every record too.
        event_batch b;
        b.begin_event(0, rec.record_id);
        (void)emit_fields(rec, b, &out.render);
        b.end_event();
      },
      [&](chunk_output& out) {
        r.text += out.text;
        std::istringstream in(out.text);
        if (!xml)
          for (std::string l; std::getline(in, l);) r.json.push_back(l);
        r.problems.insert(r.problems.end(), out.problems.begin(), out.problems.end());
      },
      [&](std::size_t, const file_stats& fs, const std::vector<problem>& ps) {
        r.stats = fs;
        r.problems.insert(r.problems.end(), ps.begin(), ps.end());
      });
  return r;
}

bool has_reason(const std::vector<problem>& ps, std::string_view reason) {
  for (const auto& p : ps)
    if (p.reason == reason) return true;
  return false;
}

// ---- the real fixture ------------------------------------------------------------

TEST(EvtxFixture, DumpsTheSevenRecordsAsExpected) {
  auto img = fixture();
  ASSERT_EQ(img.size(), k_file_header_size + k_chunk_size);
  auto r = dump(img);
  EXPECT_EQ(r.json, expected_lines());
  EXPECT_EQ(r.stats.records, 7u);
  EXPECT_EQ(r.stats.bad_records, 0u);
  EXPECT_TRUE(r.problems.empty()) << describe("mem", r.problems[0]);
}

TEST(EvtxFixture, XmlFollowsWindowsEventXml) {
  auto img = fixture();
  auto r = dump(img, 1, true);
  EXPECT_NE(r.text.find("<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n  <System>\n"),
            std::string::npos);
  EXPECT_NE(r.text.find("<Provider Name=\"Microsoft-Windows-Sysmon\" Guid=\"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}\"/>"),
            std::string::npos);
  EXPECT_NE(r.text.find("<Correlation/>"), std::string::npos);
  // Seven fraction digits, as Windows writes SystemTime.
  EXPECT_NE(r.text.find("SystemTime=\"20"), std::string::npos);
  auto pos = r.text.find("SystemTime=\"");
  ASSERT_NE(pos, std::string::npos);
  std::string fraction = r.text.substr(pos + 12 + 20, 7);
  EXPECT_TRUE(std::all_of(fraction.begin(), fraction.end(), [](char c) { return c >= '0' && c <= '9'; })) << fraction;
  EXPECT_EQ(r.text[pos + 12 + 19], '.');
  EXPECT_EQ(r.text[pos + 12 + 27], 'Z');
  std::size_t events = 0;
  for (auto at = r.text.find("<Event "); at != std::string::npos; at = r.text.find("<Event ", at + 1)) ++events;
  EXPECT_EQ(events, 7u);
  EXPECT_EQ(r.text.back(), '\n');
}

// Fields from the EVTX record equal the fields json_reader gives its JSON.
TEST(EvtxFixture, FieldsEqualJsonReaderOnTheDump) {
  auto img = fixture();
  auto r = dump(img);
  ASSERT_EQ(r.json.size(), 7u);
  std::vector<source> srcs{{"mem.evtx", {}, img}};
  event_batch from_evtx;
  read_events(srcs, {}, 0, nullptr, [&](chunk_output& o) {
    for (const auto& ev : o.batch.events()) {
      auto& e = from_evtx.begin_event(0, ev.source.record);
      e.time = ev.time;
      for (const auto& f : o.batch.fields(ev)) {
        if (f.val.kind == value_kind::string) from_evtx.add_string(f.id, f.val.text);
        else from_evtx.add_value(f.id, f.val);
      }
      from_evtx.end_event();
    }
  }, [](std::size_t, const file_stats&, const std::vector<problem>&) {});
  ASSERT_EQ(from_evtx.size(), 7u);
  for (std::size_t k = 0; k < 7; ++k) {
    json_reader jr;
    event_batch jb;
    std::vector<input_problem> ps;
    simdjson::padded_string text(r.json[k]);
    jr.read("x.json", text, 0, jb, nullptr, nullptr, ps);
    ASSERT_EQ(jb.size(), 1u);
    EXPECT_EQ(test::field_set(from_evtx, from_evtx.events()[k]), test::field_set(jb, jb.events()[0])) << "record " << k;
    EXPECT_NE(from_evtx.events()[k].time, k_no_time);
  }
}

TEST(EvtxTime, FiletimeConversionCoversTheWholeRange) {
  EXPECT_EQ(filetime_to_ns(116444736000000000ULL), 0);
  EXPECT_EQ(filetime_to_ns(132000000001234567ULL), 1555526400123456700LL);
  // Outside what nanoseconds since 1970 can hold: no time, never overflow.
  EXPECT_EQ(filetime_to_ns(0), k_no_time);
  EXPECT_EQ(filetime_to_ns(UINT64_MAX), k_no_time);
  EXPECT_EQ(filetime_to_ns(100000000000000000ULL), -1644473600000000000LL);  // 1917: before 1970 is fine
}

// ---- threads ---------------------------------------------------------------------

// A file image of `n` copies of the fixture's chunk.
std::vector<std::uint8_t> repeated(const std::vector<std::uint8_t>& img, std::size_t n) {
  std::vector<std::uint8_t> out(img.begin(), img.begin() + k_file_header_size);
  for (std::size_t k = 0; k < n; ++k)
    out.insert(out.end(), img.begin() + k_file_header_size, img.begin() + k_file_header_size + k_chunk_size);
  return out;
}

TEST(EvtxThreads, OutputDoesNotDependOnThreadCount) {
  auto img = repeated(fixture(), 23);
  auto one = dump(img, 1);
  auto three = dump(img, 3);
  EXPECT_EQ(one.json.size(), 7u * 23);
  EXPECT_EQ(one.text, three.text);
}

TEST(EvtxThreads, ManySourcesKeepTheirOrder) {
  auto img = fixture();
  std::vector<std::vector<std::uint8_t>> images;
  for (int k = 1; k <= 5; ++k) images.push_back(repeated(img, static_cast<std::size_t>(k)));
  std::vector<source> srcs;
  for (int k = 0; k < 5; ++k) srcs.push_back({"s" + std::to_string(k), {}, images[static_cast<std::size_t>(k)]});
  for (unsigned threads : {1u, 2u, 4u}) {
    reader_options o;
    o.threads = threads;
    o.max_in_flight = 3;
    std::vector<std::size_t> order;
    std::vector<std::size_t> done;
    read_sources(
        srcs, o, [](const record&, chunk_output&) {}, [&](chunk_output& out) { order.push_back(out.source_idx); },
        [&](std::size_t idx, const file_stats& fs, const std::vector<problem>&) {
          done.push_back(idx);
          EXPECT_EQ(fs.records, 7u * (idx + 1));
        });
    EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4})) << threads;
    EXPECT_EQ(done, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  }
}

// ---- damage ----------------------------------------------------------------------

TEST(EvtxDamage, BadChunkMagicSkipsOnlyThatChunk) {
  auto img = repeated(fixture(), 3);
  img[k_file_header_size + k_chunk_size] = 'X';        // chunk 1 signature
  img[k_file_header_size + k_chunk_size + 512] = 'X';  // and its first record
  auto r = dump(img);
  EXPECT_EQ(r.json.size(), 14u);
  EXPECT_EQ(r.stats.chunks_skipped, 1u);
  ASSERT_TRUE(has_reason(r.problems, "bad-chunk-magic"));
  for (const auto& p : r.problems)
    if (p.reason == "bad-chunk-magic") {
      EXPECT_EQ(p.chunk_index, 1u);
      EXPECT_EQ(describe("f.evtx", p), "f.evtx: chunk 1: chunk signature is not ElfChnk and no record follows; skipped");
    }
}

TEST(EvtxDamage, DamagedSignatureOverIntactRecordsLosesNothing) {
  auto img = repeated(fixture(), 2);
  img[k_file_header_size + k_chunk_size + 3] = 'X';  // chunk 1 signature only
  auto r = dump(img);
  EXPECT_EQ(r.json.size(), 14u);
  EXPECT_TRUE(has_reason(r.problems, "bad-chunk-magic"));
  for (const auto& p : r.problems) EXPECT_FALSE(p.fatal) << p.message;
}

TEST(EvtxDamage, ChecksumMismatchIsAWarningAndRecordsAreKept) {
  auto img = fixture();
  // Flip a byte of the first record's written time: structure stays valid.
  img[k_file_header_size + 512 + 16] ^= 0x01;
  auto r = dump(img);
  EXPECT_EQ(r.json.size(), 7u);
  ASSERT_TRUE(has_reason(r.problems, "chunk-data-checksum"));
  for (const auto& p : r.problems) EXPECT_FALSE(p.fatal) << p.message;
}

TEST(EvtxDamage, RecordCutShortIsSkippedAndTheRestRead) {
  auto img = fixture();
  // Find the third record and break its trailing size copy.
  std::size_t off = k_file_header_size + 512;
  for (int k = 0; k < 2; ++k) {
    std::uint32_t size;
    std::memcpy(&size, &img[off + 4], 4);
    off += size;
  }
  std::uint32_t size;
  std::memcpy(&size, &img[off + 4], 4);
  img[off + size - 4] ^= 0xff;
  auto r = dump(img);
  EXPECT_EQ(r.json.size(), 6u);
  EXPECT_EQ(r.stats.bad_records, 1u);
  EXPECT_TRUE(has_reason(r.problems, "record-cut-short"));
}

TEST(EvtxDamage, TruncatedFilesGiveWhatIsComplete) {
  auto full = fixture();
  auto all = dump(full);
  std::size_t prev = 0;
  for (std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{100}, k_file_header_size,
                          k_file_header_size + 300, k_file_header_size + 1500, k_file_header_size + 5000,
                          full.size() - 1}) {
    std::vector<std::uint8_t> img(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    auto r = dump(img);
    EXPECT_LE(r.json.size(), 7u);
    EXPECT_GE(r.json.size(), prev) << "cut " << cut;
    prev = r.json.size();
    for (std::size_t k = 0; k < r.json.size(); ++k) EXPECT_EQ(r.json[k], all.json[k]);
    if (cut > k_file_header_size) {
      EXPECT_TRUE(has_reason(r.problems, "truncated-file")) << cut;
    }
  }
  EXPECT_EQ(prev, 7u);  // the cut before the last byte loses nothing: the chunk tail is free space
}

// A file cut exactly at a chunk boundary has only whole chunks, so nothing
// looked wrong (107 of 3,561 records, --strict exit 0): the header's chunk
// count tells.
TEST(EvtxDamage, CutAtAChunkBoundaryIsReported) {
  auto one = fixture();
  std::vector<std::uint8_t> two(one);
  two.insert(two.end(), one.begin() + static_cast<std::ptrdiff_t>(k_file_header_size), one.end());
  two[42] = 2;  // the header's chunk count
  two[43] = 0;
  auto whole = dump(two);
  EXPECT_EQ(whole.json.size(), 14u);
  EXPECT_FALSE(has_reason(whole.problems, "truncated-file"));
  std::vector<std::uint8_t> cut(two.begin(), two.begin() + static_cast<std::ptrdiff_t>(k_file_header_size + k_chunk_size));
  auto r = dump(cut);
  EXPECT_EQ(r.json.size(), 7u);
  ASSERT_TRUE(has_reason(r.problems, "truncated-file"));
  for (const auto& p : r.problems)
    if (p.reason == "truncated-file") {
      EXPECT_NE(p.message.find("counts 2 chunks but the file holds 1"), std::string::npos);
    }
}

TEST(EvtxDamage, BadFileHeaderStillReadsChunks) {
  auto img = fixture();
  img[0] = 'X';
  auto r = dump(img);
  EXPECT_EQ(r.json.size(), 7u);
  EXPECT_TRUE(has_reason(r.problems, "bad-file-header"));
}

TEST(EvtxDamage, NotEvtxAtAll) {
  std::string text = "{\"a\": 1}\n";
  std::vector<std::uint8_t> img(text.begin(), text.end());
  auto r = dump(img);
  EXPECT_TRUE(r.json.empty());
  EXPECT_TRUE(has_reason(r.problems, "not-evtx"));
  EXPECT_FALSE(sniff(img));
}

// Random byte damage inside the chunk: never a crash, a hang, or a record
// invented from nothing (the sanitizer build checks memory safety).
TEST(EvtxDamage, RandomCorruptionNeverCrashes) {
  auto base = fixture();
  std::mt19937 rng(20261126);
  std::size_t delivered = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    auto img = base;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) {
      std::size_t at = k_file_header_size + rng() % 12000;  // header, tables and records
      img[at] = static_cast<std::uint8_t>(rng());
    }
    auto r = dump(img, 1, iter % 2 == 1);
    delivered += r.stats.records;
    EXPECT_LE(r.stats.records + r.stats.bad_records, 8u);
  }
  EXPECT_GT(delivered, 0u);
}

// ---- synthetic binary XML ----------------------------------------------------------
//
// A tiny writer for chunks, so each rendering rule is tested on its own.

class chunk_writer {
 public:
  chunk_writer() : c_(k_chunk_size, 0) {
    std::memcpy(c_.data(), "ElfChnk", 8);
    pos_ = 512;
  }
  // Starts a record; returns its start offset.
  void begin_record(std::uint64_t id) {
    rec_ = pos_;
    put32(0x00002a2a);
    put32(0);  // size, patched
    put64(id);
    put64(132000000000000000ULL);  // written time
    u8(0x0f), u8(1), u8(1), u8(0);  // fragment header
  }
  void end_record() {
    u8(0x00);  // EOF
    std::uint32_t size = pos_ + 4 - rec_;
    put32(size);
    std::memcpy(&c_[rec_ + 4], &size, 4);
    std::uint32_t free_off = pos_;
    std::memcpy(&c_[48], &free_off, 4);
  }
  // Element start with an inline name (or a reference to an earlier one).
  void open(const std::string& name, bool attrs = false) {
    u8(attrs ? 0x41 : 0x01);
    put16(0xffff);  // dependency id
    put32(0);       // data size (unused by readers)
    name_ref(name);
    if (attrs) put32(0);
  }
  void attr(const std::string& name, bool more = false) {
    u8(more ? 0x46 : 0x06);
    name_ref(name);
  }
  void text(const std::string& s) {
    u8(0x05), u8(0x01);
    put16(static_cast<std::uint16_t>(s.size()));
    for (char ch : s) put16(static_cast<std::uint8_t>(ch));
  }
  void close_start() { u8(0x02); }
  void close_empty() { u8(0x03); }
  void end() { u8(0x04); }
  void subst(std::uint16_t id, std::uint8_t type, bool optional = false) {
    u8(optional ? 0x0e : 0x0d);
    put16(id);
    u8(type);
  }
  // Template instance with an inline definition built by `body`, then values.
  // `tail`, if given, writes one more value of type BinXml in place (so
  // chunk offsets inside it are right); its size is patched afterwards.
  template <class Body>
  void instance(Body&& body, const std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>>& values,
                const std::function<void(chunk_writer&)>& tail = nullptr) {
    u8(0x0c), u8(0x01);
    put32(1);
    std::uint32_t def = pos_ + 4;
    put32(def);
    put32(0);                        // next
    for (int k = 0; k < 16; ++k) u8(0);  // guid
    std::uint32_t size_at = pos_;
    put32(0);
    std::uint32_t body_start = pos_;
    u8(0x0f), u8(1), u8(1), u8(0);
    body(*this);
    u8(0x00);
    std::uint32_t size = pos_ - body_start;
    std::memcpy(&c_[size_at], &size, 4);
    put32(static_cast<std::uint32_t>(values.size() + (tail ? 1 : 0)));
    for (const auto& [t, bytes] : values) {
      put16(static_cast<std::uint16_t>(bytes.size()));
      u8(t), u8(0);
    }
    std::uint32_t tail_desc = pos_;
    if (tail) put16(0), u8(v_binxml), u8(0);
    for (const auto& v : values)
      for (auto b : v.second) u8(b);
    if (tail) {
      std::uint32_t start = pos_;
      tail(*this);
      auto n = static_cast<std::uint16_t>(pos_ - start);
      std::memcpy(&c_[tail_desc], &n, 2);
    }
  }
  void fragment_header() { u8(0x0f), u8(1), u8(1), u8(0); }
  void eof() { u8(0x00); }
  void raw(const std::vector<std::uint8_t>& bytes) {
    for (auto b : bytes) u8(b);
  }
  std::vector<std::uint8_t> file() const {
    std::vector<std::uint8_t> f(k_file_header_size + c_.size(), 0);
    std::memcpy(f.data(), "ElfFile", 8);
    std::copy(c_.begin(), c_.end(), f.begin() + static_cast<std::ptrdiff_t>(k_file_header_size));
    return f;
  }
  std::uint32_t pos() const { return pos_; }

 private:
  void u8(std::uint8_t v) { c_.at(pos_++) = v; }
  void put16(std::uint16_t v) { u8(static_cast<std::uint8_t>(v & 0xff)), u8(static_cast<std::uint8_t>(v >> 8)); }
  void put32(std::uint32_t v) {
    put16(static_cast<std::uint16_t>(v & 0xffff)), put16(static_cast<std::uint16_t>(v >> 16));
  }
  void put64(std::uint64_t v) { put32(static_cast<std::uint32_t>(v)), put32(static_cast<std::uint32_t>(v >> 32)); }
  void name_ref(const std::string& name) {
    auto it = names_.find(name);
    if (it != names_.end()) {
      put32(it->second);
      return;
    }
    std::uint32_t here = pos_ + 4;
    put32(here);
    names_[name] = here;
    put32(0);
    put16(0);
    put16(static_cast<std::uint16_t>(name.size()));
    for (char ch : name) put16(static_cast<std::uint8_t>(ch));
    put16(0);
  }

  std::vector<std::uint8_t> c_;
  std::uint32_t pos_ = 0, rec_ = 0;
  std::map<std::string, std::uint32_t> names_;
};

std::vector<std::uint8_t> utf16(const std::string& s, bool nul = true) {
  std::vector<std::uint8_t> v;
  for (char ch : s) v.push_back(static_cast<std::uint8_t>(ch)), v.push_back(0);
  if (nul) v.push_back(0), v.push_back(0);
  return v;
}
template <class T>
std::vector<std::uint8_t> le(T x) {
  std::vector<std::uint8_t> v(sizeof(T));
  std::memcpy(v.data(), &x, sizeof(T));
  return v;
}

std::string one_json(chunk_writer& w) {
  auto f = w.file();
  auto r = dump(f);
  for (const auto& p : r.problems)
    if (p.fatal) ADD_FAILURE() << describe("synthetic", p) << " [" << p.reason << "]";
  return r.json.empty() ? std::string() : r.json[0];
}

TEST(EvtxSynthetic, ValueTypesRenderLikeTheEvtxCrate) {
  chunk_writer w;
  w.begin_record(1);
  w.instance(
      [](chunk_writer& t) {
        t.open("Event");
        t.close_start();
        t.open("EventData");
        t.close_start();
        const char* names[] = {"S", "I8", "U16", "I64", "F64", "B", "G", "Ft", "Sid", "H32", "H64", "Bin", "Sys", "Empty"};
        for (int k = 0; k < 14; ++k) {
          t.open("Data", true);
          t.attr("Name");
          t.text(names[k]);
          t.close_start();
          t.subst(static_cast<std::uint16_t>(k), 0);
          t.end();
        }
        t.end();
        t.end();
      },
      {{v_string, utf16("a\"b\\c ")},
       {v_i8, le<std::int8_t>(-5)},
       {v_u16, le<std::uint16_t>(65535)},
       {v_i64, le<std::int64_t>(-1234567890123LL)},
       {v_f64, le<double>(1.5)},
       {v_bool, le<std::uint32_t>(7)},
       {v_guid, {0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43, 0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9}},
       {v_filetime, le<std::uint64_t>(132000000001234567ULL)},
       {v_sid, {1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0}},
       {v_hex32, le<std::uint32_t>(0xc000006d)},
       {v_hex64, le<std::uint64_t>(0x8020000000000000ULL)},
       {v_binary, {0x0a, 0xff}},
       {v_systime, {0xe4, 0x07, 3, 0, 2, 0, 17, 0, 8, 0, 9, 0, 10, 0, 0x7b, 0}},
       {v_string, {}}});
  w.end_record();
  EXPECT_EQ(one_json(w),
            "{\"Event\":{\"EventData\":{\"S\":\"a\\\"b\\\\c\",\"I8\":-5,\"U16\":65535,\"I64\":-1234567890123,"
            "\"F64\":1.5,\"B\":true,\"G\":\"5770385F-C22A-43E0-BF4C-06F5698FFBD9\","
            "\"Ft\":\"2019-04-17T18:40:00.123456Z\",\"Sid\":\"S-1-5-32-544\",\"H32\":\"0xc000006d\","
            "\"H64\":\"0x8020000000000000\",\"Bin\":\"0AFF\",\"Sys\":\"2020-03-17T08:09:10.123000Z\",\"Empty\":\"\"}}}");
}

TEST(EvtxSynthetic, OptionalNullDropsAttributesAndUnnamedDataGather) {
  chunk_writer w;
  w.begin_record(1);
  w.instance(
      [](chunk_writer& t) {
        t.open("Event");
        t.close_start();
        t.open("System");
        t.close_start();
        t.open("Correlation", true);
        t.attr("ActivityID");
        t.subst(0, v_guid, true);
        t.close_empty();
        t.open("EventID", true);
        t.attr("Qualifiers");
        t.subst(1, v_u16, true);
        t.close_start();
        t.subst(2, v_u16);
        t.end();
        t.end();
        t.open("EventData");
        t.close_start();
        for (std::uint16_t k = 3; k < 6; ++k) {
          t.open("Data");
          t.close_start();
          t.subst(k, v_string);
          t.end();
        }
        t.open("Binary");
        t.close_start();
        t.subst(6, v_binary);
        t.end();
        t.end();
        t.end();
      },
      {{v_null, {}}, {v_u16, le<std::uint16_t>(16384)}, {v_u16, le<std::uint16_t>(7036)}, {v_string, utf16("one")},
       {v_string, utf16("two")}, {v_string, utf16("three")}, {v_binary, {0xde, 0xad}}});
  w.end_record();
  EXPECT_EQ(one_json(w),
            "{\"Event\":{\"System\":{\"Correlation\":null,\"EventID\":{\"#attributes\":{\"Qualifiers\":16384},"
            "\"#text\":7036}},\"EventData\":{\"Data\":{\"#text\":[\"one\",\"two\",\"three\"]},\"Binary\":\"DEAD\"}}}");
}

TEST(EvtxSynthetic, RepeatedElementsGetNumberedKeysAndArraysStayArrays) {
  chunk_writer w;
  w.begin_record(1);
  w.instance(
      [](chunk_writer& t) {
        t.open("Event");
        t.close_start();
        t.open("UserData");
        t.close_start();
        for (std::uint16_t k = 0; k < 3; ++k) {
          t.open("Header");
          t.close_start();
          t.subst(k, v_string);
          t.end();
        }
        t.open("List");
        t.close_start();
        t.subst(3, v_string | v_array);
        t.end();
        t.open("Nums");
        t.close_start();
        t.subst(4, v_u16 | v_array);
        t.end();
        t.end();
        t.end();
      },
      {{v_string, utf16("a")},
       {v_string, utf16("b")},
       {v_string, utf16("c")},
       {v_string | v_array, [] {
          auto a = utf16("x");
          auto b = utf16("y");
          a.insert(a.end(), b.begin(), b.end());
          return a;
        }()},
       {v_u16 | v_array, {1, 0, 2, 0}}});
  w.end_record();
  EXPECT_EQ(one_json(w),
            "{\"Event\":{\"UserData\":{\"Header\":\"c\",\"Header_1\":\"a\",\"Header_2\":\"b\",\"List\":[\"x\",\"y\"],"
            "\"Nums\":[1,2]}}}");
}

// Thousands of same-named elements: each was renamed by a linear scan per
// candidate name, cubic in their number (minutes for one 64 KiB chunk). The
// keys are the same as before: the last value under the name, the earlier
// ones under name_1, name_2, ... in order.
TEST(EvtxSynthetic, ManySameNamedElementsAreRenamedInLinearTime) {
  constexpr int k_count = 2900;
  chunk_writer w;
  w.begin_record(1);
  w.instance(
      [&](chunk_writer& t) {
        t.open("Event");
        t.close_start();
        t.open("UserData");
        t.close_start();
        for (int k = 0; k < k_count; ++k) {
          t.open("H");
          t.close_start();
          t.text(std::to_string(k % 10));
          t.end();
        }
        t.end();
        t.end();
      },
      {});
  w.end_record();
  std::string json = one_json(w);
  EXPECT_NE(json.find("\"H\":\"" + std::to_string((k_count - 1) % 10) + "\""), std::string::npos);
  EXPECT_NE(json.find("\"H_1\":\"0\",\"H_2\":\"1\""), std::string::npos);
  EXPECT_NE(json.find("\"H_" + std::to_string(k_count - 1) + "\":"), std::string::npos);
  EXPECT_EQ(json.find("\"H_" + std::to_string(k_count) + "\":"), std::string::npos);
}

TEST(EvtxSynthetic, NestedBinXmlValueIsExpandedInPlace) {
  // <Event><UserData>%0</UserData></Event> where value 0 is BinXml holding a
  // template instance of its own (as in UserData of many Windows events).
  chunk_writer w;
  w.begin_record(1);
  w.instance(
      [](chunk_writer& t) {
        t.open("Event");
        t.close_start();
        t.open("UserData");
        t.close_start();
        t.subst(0, v_binxml);
        t.end();
        t.end();
      },
      {}, [](chunk_writer& t) {
        t.fragment_header();
        t.instance(
            [](chunk_writer& in) {
              in.open("Rule", true);
              in.attr("Id");
              in.subst(0, v_string);
              in.close_start();
              in.open("Path");
              in.close_start();
              in.subst(1, v_string);
              in.end();
              in.end();
            },
            {{v_string, utf16("R1")}, {v_string, utf16("C:\\x")}});
        t.eof();
      });
  w.end_record();
  EXPECT_EQ(one_json(w), "{\"Event\":{\"UserData\":{\"Rule\":{\"#attributes\":{\"Id\":\"R1\"},\"Path\":\"C:\\\\x\"}}}}");
  // And the UserData leaves become fields by their element and attribute names.
  auto f = w.file();
  std::vector<source> srcs{{"m", {}, f}};
  std::map<std::string, std::string> fields;
  read_events(srcs, {}, 0, nullptr, [&](chunk_output& o) {
    std::string scratch;
    for (const auto& ev : o.batch.events())
      for (const auto& fe : o.batch.fields(ev))
        fields[std::string(field_names().name(fe.id))] = std::string(value_text(fe.val, scratch));
  }, [](std::size_t, const file_stats&, const std::vector<problem>&) {});
  EXPECT_EQ(fields["Id"], "R1");
  EXPECT_EQ(fields["Path"], "C:\\x");
}

// A template whose K substitutions all hold one BinXml value holding an
// instance of another such template, L levels deep: K^L steps with no node
// made (each level's value is empty at the bottom), so the node limit never
// stopped it and a worker was held for hours. The work budget does.
TEST(EvtxSynthetic, NestedSubstitutionsHaveAWorkBudget) {
  constexpr int k_subst = 16, k_levels = 8;  // 16^8 = 4.3e9 steps without the budget
  chunk_writer w;
  w.begin_record(1);
  std::function<void(chunk_writer&, int)> level = [&](chunk_writer& t, int depth) {
    t.instance(
        [](chunk_writer& body) {
          for (int k = 0; k < k_subst; ++k) body.subst(0, v_binxml);
        },
        {},
        depth + 1 < k_levels ? std::function<void(chunk_writer&)>([&, depth](chunk_writer& in) {
          in.fragment_header();
          level(in, depth + 1);
          in.eof();
        })
                             : std::function<void(chunk_writer&)>([](chunk_writer& in) { in.eof(); }));
  };
  w.open("Event");
  w.close_start();
  level(w, 0);
  w.end();
  w.end_record();
  auto r = dump(w.file());
  EXPECT_TRUE(r.json.empty());
  EXPECT_TRUE(has_reason(r.problems, "too-much-work"));
}

TEST(EvtxSynthetic, DeepNestingIsRefusedWithAReason) {
  chunk_writer w;
  w.begin_record(1);
  for (int k = 0; k < 100; ++k) {
    w.open("A");
    w.close_start();
  }
  for (int k = 0; k < 100; ++k) w.end();
  w.end_record();
  auto r = dump(w.file());
  EXPECT_TRUE(r.json.empty());
  EXPECT_TRUE(has_reason(r.problems, "too-deep"));

  chunk_writer ok;
  ok.begin_record(1);
  for (int k = 0; k < 3; ++k) {
    ok.open(k == 0 ? "Event" : "A");
    ok.close_start();
  }
  ok.text("x");
  for (int k = 0; k < 3; ++k) ok.end();
  ok.end_record();
  EXPECT_EQ(one_json(ok), "{\"Event\":{\"A\":{\"A\":\"x\"}}}");
}

// XML 1.0 cannot hold most C0 controls, not even as references: they come
// out as U+FFFD so the document stays well-formed (JSON escapes them).
TEST(EvtxSynthetic, ControlCharactersKeepTheXmlWellFormed) {
  chunk_writer w;
  w.begin_record(1);
  w.open("Event");
  w.close_start();
  w.open("Host");
  w.close_start();
  w.text(std::string("a\x1b[2J\x07" "b\tc"));
  w.end();
  w.end();
  w.end_record();
  auto f = w.file();
  auto xml = dump(f, 1, true).text;
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  EXPECT_EQ(xml.find('\x07'), std::string::npos);
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_NE(xml.find("a" + fffd + "[2J" + fffd + "b\tc"), std::string::npos) << xml;
  EXPECT_NE(one_json(w).find("a\\u001b[2J\\u0007" "b\\tc"), std::string::npos) << one_json(w);
}

TEST(EvtxSynthetic, InvalidUtf16IsReplacedAndCounted) {
  chunk_writer w;
  w.begin_record(1);
  w.instance(
      [](chunk_writer& t) {
        t.open("Event");
        t.close_start();
        t.subst(0, v_string);
        t.end();
      },
      {{v_string, {0x41, 0x00, 0x00, 0xd8, 0x42, 0x00}}});  // "A", lone high surrogate, "B"
  w.end_record();
  auto r = dump(w.file());
  ASSERT_EQ(r.json.size(), 1u);
  EXPECT_EQ(r.json[0], "{\"Event\":\"A\xef\xbf\xbd" "B\"}");
  EXPECT_TRUE(has_reason(r.problems, "bad-utf16"));
}

}  // namespace
}  // namespace ariadne::ingest::evtx
