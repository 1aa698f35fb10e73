// The native EVTX reader on public data:
//   - every SigmaHQ regression .evtx dumps to the same records as the .json
//     published beside it (made by the evtx crate), compared as parsed JSON;
//   - its events carry the same fields json_reader gives that .json;
//   - every attack EVTX yields at least the records libevtx counts
//     (MANIFEST.tsv), the damaged parser samples too, with the damage reported;
//   - output does not depend on the thread count.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "ariadne/core/text.hpp"
#include "ariadne/ingest/evtx.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

namespace fs = std::filesystem;
using namespace ingest;

struct dumped {
  std::vector<std::string> json;
  std::vector<evtx::problem> problems;
  evtx::file_stats stats;
  std::string text;
};

dumped dump_sources(const std::vector<evtx::source>& srcs, unsigned threads) {
  dumped d;
  evtx::reader_options o;
  o.threads = threads;
  evtx::read_sources(
      srcs, o,
      [](const evtx::record& r, evtx::chunk_output& out) {
        evtx::render_json(r, out.text, &out.render);
        out.text.push_back('\n');
      },
      [&](evtx::chunk_output& out) {
        d.text += out.text;
        std::istringstream in(out.text);
        for (std::string l; std::getline(in, l);) d.json.push_back(l);
        d.problems.insert(d.problems.end(), out.problems.begin(), out.problems.end());
      },
      [&](std::size_t, const evtx::file_stats& fs, const std::vector<evtx::problem>& ps) {
        d.stats.records += fs.records;
        d.stats.bad_records += fs.bad_records;
        d.stats.chunks_skipped += fs.chunks_skipped;
        d.problems.insert(d.problems.end(), ps.begin(), ps.end());
      });
  return d;
}

dumped dump_file(const std::string& path, unsigned threads = 1) { return dump_sources({{path, path, {}}}, threads); }

// JSON equality with object key order ignored; reports the first difference.
bool same_json(const simdjson::dom::element& a, const simdjson::dom::element& b, const std::string& path,
               std::string& why) {
  using simdjson::dom::element_type;
  auto num = [](const simdjson::dom::element& e, double& out) {
    switch (e.type()) {
      case element_type::INT64: out = static_cast<double>(e.get_int64().value_unsafe()); return true;
      case element_type::UINT64: out = static_cast<double>(e.get_uint64().value_unsafe()); return true;
      case element_type::DOUBLE: out = e.get_double().value_unsafe(); return true;
      default: return false;
    }
  };
  double x, y;
  if (num(a, x) && num(b, y)) {
    if (x == y) return true;
    why = path + ": " + std::to_string(x) + " != " + std::to_string(y);
    return false;
  }
  if (a.type() != b.type()) {
    why = path + ": types differ";
    return false;
  }
  switch (a.type()) {
    case element_type::OBJECT: {
      std::map<std::string_view, simdjson::dom::element> ma, mb;
      simdjson::dom::object oa = a.get_object().value_unsafe();
      simdjson::dom::object ob = b.get_object().value_unsafe();
      for (auto [k, v] : oa) ma[k] = v;
      for (auto [k, v] : ob) mb[k] = v;
      for (const auto& [k, v] : ma) {
        auto it = mb.find(k);
        if (it == mb.end()) {
          why = path + "/" + std::string(k) + ": missing";
          return false;
        }
        if (!same_json(v, it->second, path + "/" + std::string(k), why)) return false;
      }
      for (const auto& [k, v] : mb)
        if (!ma.count(k)) {
          why = path + "/" + std::string(k) + ": unexpected";
          return false;
        }
      return true;
    }
    case element_type::ARRAY: {
      simdjson::dom::array aa = a.get_array().value_unsafe();
      simdjson::dom::array ab = b.get_array().value_unsafe();
      if (aa.size() != ab.size()) {
        why = path + ": array sizes differ";
        return false;
      }
      std::size_t k = 0;
      auto ib = ab.begin();
      for (auto ea : aa) {
        if (!same_json(ea, *ib, path + "[" + std::to_string(k) + "]", why)) return false;
        ++ib;
        ++k;
      }
      return true;
    }
    case element_type::STRING:
      if (a.get_string().value_unsafe() == b.get_string().value_unsafe()) return true;
      why = path + ": \"" + std::string(a.get_string().value_unsafe()) + "\" != \"" +
            std::string(b.get_string().value_unsafe()) + "\"";
      return false;
    case element_type::BOOL:
      if (a.get_bool().value_unsafe() == b.get_bool().value_unsafe()) return true;
      why = path + ": booleans differ";
      return false;
    default:
      return true;  // null == null
  }
}

// The records of a concatenated-JSON oracle file, each re-serialised alone.
std::vector<std::string> oracle_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::vector<std::string> out;
  simdjson::dom::parser p;
  simdjson::dom::document_stream stream;
  if (p.parse_many(text).get(stream)) return out;
  for (auto doc : stream) {
    simdjson::dom::element e;
    if (doc.get(e)) break;
    out.push_back(simdjson::minify(e));
  }
  return out;
}

std::vector<std::string> regression_evtx_files() {
  std::vector<std::string> files;
  fs::path root = test::shared("sigma/regression");
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".evtx") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(EvtxOracle, EveryRegressionFileDumpsLikeItsJson) {
  ARIADNE_REQUIRE_SHARED();
  std::size_t files = 0, records = 0;
  std::vector<std::string> differences;
  simdjson::dom::parser pa, pb;
  for (const auto& evtx_path : regression_evtx_files()) {
    std::string json_path = evtx_path.substr(0, evtx_path.size() - 5) + ".json";
    if (!fs::exists(json_path)) continue;
    ++files;
    auto want = oracle_records(json_path);
    auto got = dump_file(evtx_path);
    EXPECT_TRUE(got.problems.empty()) << evtx::describe(evtx_path, got.problems[0]);
    if (want.size() != got.json.size()) {
      differences.push_back(evtx_path + ": " + std::to_string(got.json.size()) + " records, oracle has " +
                            std::to_string(want.size()));
      continue;
    }
    for (std::size_t k = 0; k < want.size(); ++k) {
      ++records;
      simdjson::padded_string ws(want[k]), gs(got.json[k]);
      simdjson::dom::element we, ge;
      ASSERT_FALSE(pa.parse(ws).get(we));
      ASSERT_FALSE(pb.parse(gs).get(ge)) << "our JSON does not parse: " << got.json[k];
      std::string why;
      if (!same_json(we, ge, "", why)) differences.push_back(evtx_path + " record " + std::to_string(k) + ": " + why);
    }
  }
  EXPECT_EQ(files, 138u);
  EXPECT_EQ(records, 168u);
  EXPECT_TRUE(differences.empty()) << differences.size() << " difference(s), first: " << differences[0];
}

// Hunting an .evtx sees exactly the fields hunting its .json sees.
TEST(EvtxOracle, EventFieldsEqualThoseOfTheJson) {
  ARIADNE_REQUIRE_SHARED();
  std::size_t compared = 0;
  for (const auto& evtx_path : regression_evtx_files()) {
    std::string json_path = evtx_path.substr(0, evtx_path.size() - 5) + ".json";
    if (!fs::exists(json_path)) continue;
    std::vector<std::multiset<std::string>> from_evtx;
    evtx::read_events({{evtx_path, evtx_path, {}}}, {}, 0, nullptr,
                      [&](evtx::chunk_output& o) {
                        for (const auto& ev : o.batch.events()) from_evtx.push_back(test::field_set(o.batch, ev));
                      },
                      [](std::size_t, const evtx::file_stats&, const std::vector<evtx::problem>&) {});
    json_reader jr;
    jr.batch_events = SIZE_MAX;
    event_batch jb;
    std::vector<input_problem> ps;
    auto text = simdjson::padded_string::load(json_path);
    ASSERT_FALSE(text.error());
    jr.read(json_path, text.value(), 0, jb, nullptr, nullptr, ps);
    ASSERT_EQ(from_evtx.size(), jb.size()) << evtx_path;
    for (std::size_t k = 0; k < jb.size(); ++k) {
      EXPECT_EQ(from_evtx[k], test::field_set(jb, jb.events()[k])) << evtx_path << " record " << k;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 168u);
}

struct manifest_row {
  std::string path;
  std::uint64_t records = 0;
};

std::vector<manifest_row> attack_evtx_rows() {
  std::vector<manifest_row> rows;
  std::ifstream in(test::shared("attacks/MANIFEST.tsv"));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    auto cols = split(line, '\t');
    if (cols.size() < 6 || cols[4] != "evtx") continue;
    rows.push_back({std::string(cols[0]), static_cast<std::uint64_t>(parse_int64(cols[5]).value_or(0))});
  }
  return rows;
}

TEST(EvtxAttacks, EveryFileYieldsAtLeastTheRecordsLibevtxCounts) {
  ARIADNE_REQUIRE_SHARED();
  auto rows = attack_evtx_rows();
  ASSERT_EQ(rows.size(), 407u);
  std::uint64_t want = 0, got = 0, fatal = 0;
  std::vector<std::string> short_files;
  for (const auto& r : rows) {
    auto d = dump_file(test::shared("attacks/" + r.path));
    want += r.records;
    got += d.json.size();
    for (const auto& p : d.problems) fatal += p.fatal;
    if (d.json.size() < r.records)
      short_files.push_back(r.path + ": " + std::to_string(d.json.size()) + " < " + std::to_string(r.records));
  }
  EXPECT_TRUE(short_files.empty()) << short_files.size() << " file(s) short, first: " << short_files[0];
  EXPECT_GE(got, want);
  EXPECT_EQ(want, 21688u);
  EXPECT_EQ(fatal, 0u) << "the attack files are intact";
}

TEST(EvtxAttacks, OutputIsTheSameWithOneOrTwoThreads) {
  ARIADNE_REQUIRE_SHARED();
  std::vector<evtx::source> srcs;
  for (const auto& r : attack_evtx_rows())
    if (r.path.rfind("deepbluecli/", 0) == 0 || r.path.rfind("hayabusa-yamato-samples/", 0) == 0)
      srcs.push_back({r.path, test::shared("attacks/" + r.path), {}});
  ASSERT_GE(srcs.size(), 20u);
  auto one = dump_sources(srcs, 1);
  auto two = dump_sources(srcs, 2);
  EXPECT_GT(one.json.size(), 7000u);
  EXPECT_EQ(one.text, two.text);
}

// The parser-sample tarball: each member yields at least libevtx's count
// (the member TSV), and the known damage is reported.
TEST(EvtxDamaged, ParserSamplesAreReadWithTheirDamageReported) {
  ARIADNE_REQUIRE_SHARED();
  std::map<std::string, std::uint64_t> want;
  {
    std::ifstream in(test::shared("attacks/evtx-parser-samples/evtx-parser-samples-dev.tsv"));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      auto cols = split(line, '\t');
      if (cols.size() >= 4) want[std::string(cols[0])] = static_cast<std::uint64_t>(parse_int64(cols[3]).value_or(0));
    }
  }
  ASSERT_EQ(want.size(), 21u);
  std::map<std::string, dumped> got;
  std::vector<input_problem> ps;
  const std::string tar = test::shared("attacks/evtx-parser-samples/evtx-parser-samples-dev.tar.xz");
  for_each_member(
      tar,
      [&](const member& m) {
        std::span<const std::uint8_t> img(reinterpret_cast<const std::uint8_t*>(m.data->data()), m.data->size());
        got[m.name.substr(m.name.find('!') + 1)] = dump_sources({{m.name, {}, img}}, 2);
      },
      ps);
  EXPECT_TRUE(ps.empty());
  ASSERT_EQ(got.size(), 21u);
  for (const auto& [name, n] : want) EXPECT_GE(got[name].json.size(), n) << name;

  auto reasons = [&](const std::string& name) {
    std::set<std::string> s;
    for (const auto& p : got[name].problems) s.insert(p.reason);
    return s;
  };
  EXPECT_TRUE(reasons("omerbenamram-evtx/sample_with_a_bad_chunk_magic.evtx").count("bad-chunk-magic"));
  EXPECT_TRUE(reasons("omerbenamram-evtx/Application_no_crc32.evtx").count("chunk-header-checksum"));
  // A corrupt string cache does not matter: names are read where they are.
  EXPECT_EQ(got["omerbenamram-evtx/security_bad_string_cache.evtx"].text, got["omerbenamram-evtx/security.evtx"].text);
  // Junk after the last real chunk is reported chunk by chunk, not fatal to the file.
  EXPECT_EQ(got["omerbenamram-evtx/sysmon.evtx"].stats.chunks_skipped, 8u);
  EXPECT_EQ(got["omerbenamram-evtx/sysmon.evtx"].json.size(), 358u);
}

}  // namespace
}  // namespace ariadne
