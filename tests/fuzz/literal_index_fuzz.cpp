// libFuzzer target: a cached literal index (lix-*.bin) read back from the
// cache directory. The file ends in a hash of its body, which restoring
// checks first, and is stored with the cache's checksum after that; to
// reach the structural checks behind both, the fuzzer's bytes are the body
// and the hash and checksum are added here. Restoring must refuse the body
// or give an index that matching can use without reading out of bounds; a
// refused file must leave a state the index is derived from anew. The same
// holds for the index read back before its rules (literal_index::cached),
// used only where it fits them.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "ariadne/core/bytes.hpp"
#include "ariadne/core/cache.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/rules/collection.hpp"
#include "rule_fixtures.hpp"

namespace {

namespace fs = std::filesystem;

// 300 needles (enough for the index to be cached), keywords, EventIDs and a
// negation: every table of the index has rows.
std::string rules_yaml() {
  std::string y = ariadne::test::many_needles_rule();
  y += "---\ntitle: kw\nid: 22222222-2222-2222-2222-222222222222\nlogsource:\n  product: windows\n"
       "detection:\n  keywords:\n    - 'sekurlsa::logonpasswords'\n  condition: keywords\n---\ntitle: eid\n"
       "id: 33333333-3333-3333-3333-333333333333\nlogsource:\n  product: windows\ndetection:\n  sel:\n    EventID: 4688\n"
       "    Image|endswith: '\\\\cmd.exe'\n  filter:\n    CommandLine|contains: 'safe'\n  condition: sel and not filter\n";
  return y;
}

fs::path& cache_dir() {
  static fs::path dir = fs::temp_directory_path() / ("ariadne-lix-fuzz-" + std::to_string(::getpid()));
  return dir;
}

struct setup {
  ariadne::sigma::rule_set set;
  fs::path file;  // the index file the rules' digest names
  ariadne::event_batch batch;
};

setup& state() {
  static setup s = [] {
    setup st;
    const fs::path& dir = cache_dir();
    fs::create_directories(dir);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(cache_dir(), ec);
    });
    ::setenv("ARIADNE_CACHE_DIR", dir.c_str(), 1);
    st.set = ariadne::sigma::load_rules_from_texts({{"fuzz.yml", rules_yaml()}}, {});
    { ariadne::match::literal_index first(st.set.rules, 1, "fuzz"); }  // writes the file
    for (const auto& e : fs::directory_iterator(ariadne::cache::directory()))
      if (e.path().filename().string().rfind("lix-", 0) == 0) st.file = e.path();
    if (st.file.empty() || st.set.rules.empty()) std::abort();
    auto& names = ariadne::field_names();
    ariadne::field_id cmd = names.intern("CommandLine"), img = names.intern("Image"), eid = names.intern("EventID");
    for (const char* line : {"a NEEDLE17X b", "ran sekurlsa::logonpasswords", "safe", "nothing"}) {
      auto& ev = st.batch.begin_event(0, st.batch.size() + 1);
      ev.logsource.product = st.set.rules[0].source.product_id;
      st.batch.add_value(eid, ariadne::value::make_int(4688));
      st.batch.add_string(img, "C:\\cmd.exe");
      st.batch.add_string(cmd, line);
      st.batch.end_event();
    }
    return st;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  setup& st = state();
  std::string body(reinterpret_cast<const char*>(data), size);
  ariadne::cache::hasher h;
  h.add(body);
  ariadne::byte_writer tail;
  tail.str(h.hex());
  // Stored as the cache stores it (with the checksum every cache file
  // ends with), so the fuzzer's bytes reach the index's own checks.
  if (!ariadne::cache::store(st.file.parent_path(), st.file.filename().string(), body + tail.out, "lix-", ".bin", 64))
    std::abort();
  // Read ahead of the rules (as hunt does on a second thread): used only
  // if it fits them, and then as safe as the restored one below.
  if (auto ahead = ariadne::match::literal_index::cached("fuzz"); ahead && ahead->fits(st.set.rules)) {
    ariadne::match::engine eng(st.set.rules, {}, ahead);
    std::vector<ariadne::match::hit> hits;
    eng.match_batch(st.batch, hits);
  }
  auto ix = std::make_shared<const ariadne::match::literal_index>(st.set.rules, 1, "fuzz");
  if (!ix->active()) std::abort();  // restored or derived anew, it is usable
  ariadne::match::engine eng(st.set.rules, {}, ix);
  std::vector<ariadne::match::hit> hits;
  eng.match_batch(st.batch, hits);
  return 0;
}
