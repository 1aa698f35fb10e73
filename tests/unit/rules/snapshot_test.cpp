// Rule-set snapshots: a restored set is the loaded set (same bytes again, same
// diagnostics, same hits on real events), damaged bytes are refused, and the
// cache notices every change to the rule files.
#include "ariadne/rules/snapshot.hpp"

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "ariadne/match/engine.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

namespace fs = std::filesystem;

const sigma::rule_set& whole_tree() {
  static const sigma::rule_set set = [] {
    std::vector<std::string> paths;
    for (const char* d : {"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder"})
      paths.push_back(test::shared(std::string("sigma/rules-tree/") + d));
    return sigma::load_rules(paths, {});
  }();
  return set;
}

std::vector<std::string> diagnostic_texts(const sigma::rule_set& s) {
  std::vector<std::string> out;
  for (const auto& d : s.diagnostics) out.push_back(d.to_string());
  return out;
}

// Rule ids hit by the reference path (every rule the logsource accepts,
// evaluated in full) on every event of the Sigma regression cases.
std::vector<std::string> regression_hits(const sigma::rule_set& rules) {
  match::engine reference(rules.rules, match::engine_options{false});
  std::vector<std::string> ids;
  for (const auto& file : test::expand(test::shared("sigma/regression"))) {
    if (fs::path(file).extension() != ".json") continue;
    std::ifstream in(file, std::ios::binary);
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    event_batch batch;
    std::vector<ingest::input_problem> problems;
    test::read_events(json, batch, problems);
    std::vector<match::hit> hits;
    reference.match_batch(batch, hits);
    for (const auto& h : hits) ids.push_back(rules.rules[h.rule_idx].id + "@" + file);
  }
  return ids;
}

TEST(Snapshot, TheWholeSigmaTreeComesBackAsLoaded) {
  ARIADNE_REQUIRE_SHARED();
  const auto& set = whole_tree();
  ASSERT_GT(set.rules.size(), 3000u);
  std::string bytes = sigma::save_snapshot(set);
  auto back = sigma::restore_snapshot(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(sigma::save_snapshot(*back), bytes);
  EXPECT_EQ(back->rules.size(), set.rules.size());
  EXPECT_EQ(back->correlation_rules.size(), set.correlation_rules.size());
  EXPECT_EQ(diagnostic_texts(*back), diagnostic_texts(set));
  EXPECT_EQ(back->files, set.files);
  EXPECT_EQ(back->skipped, set.skipped);
  std::size_t regexes = 0;
  for (std::size_t r = 0; r < set.rules.size(); ++r) {
    const auto& a = set.rules[r];
    const auto& b = back->rules[r];
    ASSERT_EQ(a.id, b.id);
    EXPECT_EQ(a.source.product_id, b.source.product_id);
    EXPECT_EQ(a.source.category_id, b.source.category_id);
    ASSERT_EQ(a.searches.size(), b.searches.size());
    for (std::size_t s = 0; s < a.searches.size(); ++s)
      for (std::size_t alt = 0; alt < a.searches[s].alternatives.size(); ++alt)
        for (std::size_t i = 0; i < a.searches[s].alternatives[alt].size(); ++i) {
          const auto& x = a.searches[s].alternatives[alt][i];
          const auto& y = b.searches[s].alternatives[alt][i];
          EXPECT_EQ(x.field, y.field) << a.id;  // interned again to the same ids
          for (std::size_t v = 0; v < x.values.size(); ++v)
            if (x.values[v].re) {
              ++regexes;
              ASSERT_TRUE(y.values[v].re && y.values[v].re->get().ok()) << a.id;
              EXPECT_EQ(x.values[v].re->pattern(), y.values[v].re->pattern());
            }
        }
  }
  EXPECT_GT(regexes, 100u);
  // The literal index sees the same literals, needles and regex atoms.
  match::literal_index a(set.rules), b(back->rules);
  EXPECT_EQ(a.literal_count(), b.literal_count());
  EXPECT_EQ(a.text_count(), b.text_count());
  EXPECT_EQ(a.database_count(), b.database_count());
  EXPECT_EQ(a.unindexed_rules(), b.unindexed_rules());
}

TEST(Snapshot, RestoredRulesHitWhatLoadedRulesHit) {
  ARIADNE_REQUIRE_SHARED();
  auto back = sigma::restore_snapshot(sigma::save_snapshot(whole_tree()));
  ASSERT_TRUE(back.has_value());
  auto expected = regression_hits(whole_tree());
  EXPECT_GT(expected.size(), 100u);
  EXPECT_EQ(regression_hits(*back), expected);
}

// A restored rule's regex is compiled when an event first reaches it, not
// when the set is restored; a loaded rule's was compiled by the reader
// (which refuses what RE2 cannot run). Either way it matches alike.
TEST(Snapshot, RestoredRegexesCompileOnFirstUse) {
  auto set = test::rules_from(
      "title: re\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
      "  sel:\n    CommandLine|re: 'who(ami|is) +/all'\n  condition: sel\n");
  ASSERT_EQ(set.rules.size(), 1u);
  const auto& loaded = set.rules[0].searches[0].alternatives[0][0].values[0];
  ASSERT_TRUE(loaded.re);
  EXPECT_TRUE(loaded.re->compiled());
  auto back = sigma::restore_snapshot(sigma::save_snapshot(set));
  ASSERT_TRUE(back.has_value());
  const auto& restored = back->rules[0].searches[0].alternatives[0][0].values[0];
  ASSERT_TRUE(restored.re);
  EXPECT_EQ(restored.re->pattern(), loaded.re->pattern());
  EXPECT_FALSE(restored.re->compiled());
  field_id cmd = field_names().intern("CommandLine");
  auto hits = [&](const sigma::rule_set& rules) {
    auto batch = test::one_field_events(cmd, {"whoami  /all", "whois /all", "whoami /priv"}, rules.rules[0].source.product_id);
    match::engine eng(rules.rules, match::engine_options{false});
    std::vector<match::hit> out;
    eng.match_batch(batch, out);
    return out.size();
  };
  EXPECT_EQ(hits(*back), 2u);
  EXPECT_TRUE(restored.re->compiled());
  EXPECT_EQ(hits(set), 2u);
}

// Threads asking a fresh regex at once all get the one compiled expression.
TEST(Snapshot, ALazyRegexCompilesOnceForAllThreads) {
  sigma::lazy_regex re("a+b");
  std::vector<const re2::RE2*> seen(4, nullptr);
  std::vector<std::thread> pool;
  for (std::size_t k = 0; k < seen.size(); ++k) pool.emplace_back([&, k] { seen[k] = &re.get(); });
  for (auto& t : pool) t.join();
  for (const auto* p : seen) EXPECT_EQ(p, seen[0]);
  EXPECT_TRUE(seen[0]->ok());
  EXPECT_TRUE(RE2::PartialMatch("xaab", *seen[0]));
  sigma::lazy_regex bad("a(");
  EXPECT_FALSE(bad.get().ok());  // refused at use, not a crash
}

TEST(Snapshot, DamagedBytesAreRefusedWithoutCrashing) {
  auto set = sigma::load_builtin_rules({});
  ASSERT_GT(set.rules.size(), 5u);
  std::string bytes = sigma::save_snapshot(set);
  ASSERT_TRUE(sigma::restore_snapshot(bytes).has_value());
  // Every cut is refused.
  for (std::size_t n = 0; n < bytes.size(); n += 1 + n / 64)
    EXPECT_FALSE(sigma::restore_snapshot(std::string_view(bytes).substr(0, n)).has_value()) << n;
  EXPECT_FALSE(sigma::restore_snapshot(bytes + "x").has_value());
  // A damaged byte anywhere is refused or read as some rule set: never a
  // crash or an out-of-bounds read (this runs under ASan in CI).
  std::size_t refused = 0;
  for (std::size_t at = 0; at < bytes.size(); at += 13) {
    for (int v : {0x00, 0x7f, 0xff}) {
      std::string bad = bytes;
      bad[at] = static_cast<char>(v);
      if (!sigma::restore_snapshot(bad)) ++refused;
    }
  }
  EXPECT_GT(refused, 0u);
}

// The cache in a directory of its own; the rule files in another.
class SnapshotCache : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(rules_dir()); }
  fs::path rules_dir() const { return cache_.dir.parent_path() / (cache_.dir.filename().string() + "-rules"); }
  void TearDown() override { fs::remove_all(rules_dir()); }
  void write(const std::string& name, char id, const std::string& title, const std::string& image) {
    std::ofstream(rules_dir() / name) << "title: " << title << "\nid: 00000000-0000-4000-8000-00000000000" << id
                                          << "\nlogsource:\n  category: process_creation\n  product: windows\n"
                                          << "detection:\n  sel:\n    Image|endswith: '" << image << "'\n  condition: sel\n";
  }
  // Loads with a settle time of k_settle_ms: a snapshot is stored only if no
  // rule file changed in the k_settle_ms before the load.
  static constexpr unsigned k_settle_ms = 30;
  sigma::rule_set load(bool& cached, unsigned settle_ms = k_settle_ms) {
    return sigma::load_rules_cached({rules_dir().string()}, {}, &cached, settle_ms);
  }
  static void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(2 * k_settle_ms)); }

  test::scoped_cache_dir cache_;
};

TEST_F(SnapshotCache, SeesEveryChangeToTheRuleFiles) {
  write("a.yml", '1', "First", "\\a.exe");
  write("bb.yml", '2', "Second", "\\b.exe");
  bool cached = true;
  // Files changed less than a minute ago: loaded, but no snapshot is stored.
  (void)load(cached, 60'000);
  EXPECT_FALSE(cached);
  (void)load(cached, 60'000);
  EXPECT_FALSE(cached);
  settle();
  auto first = load(cached);
  EXPECT_FALSE(cached);
  ASSERT_EQ(first.rules.size(), 2u);
  auto again = load(cached);
  EXPECT_TRUE(cached);
  EXPECT_EQ(sigma::save_snapshot(again), sigma::save_snapshot(first));

  write("a.yml", '1', "First, edited", "\\a2.exe");  // another size
  auto edited = load(cached);
  EXPECT_FALSE(cached);
  ASSERT_EQ(edited.rules.size(), 2u);
  EXPECT_EQ(edited.rules[0].title, "First, edited");
  settle();
  (void)load(cached);  // stores the edited set
  (void)load(cached);
  EXPECT_TRUE(cached);

  // Same size, new content: the times tell.
  write("a.yml", '1', "First, EDITED", "\\a3.exe");
  auto same_size = load(cached);
  EXPECT_FALSE(cached);
  EXPECT_EQ(same_size.rules[0].title, "First, EDITED");

  write("ccc.yml", '3', "Third", "\\c.exe");
  auto added = load(cached);
  EXPECT_FALSE(cached);
  EXPECT_EQ(added.rules.size(), 3u);

  fs::remove(rules_dir() / "bb.yml");
  auto removed = load(cached);
  EXPECT_FALSE(cached);
  EXPECT_EQ(removed.rules.size(), 2u);
  settle();
  (void)load(cached);
  (void)load(cached);
  EXPECT_TRUE(cached);

  // A damaged snapshot is not used; the files are loaded again.
  for (const auto& e : fs::directory_iterator(cache_.dir))
    if (e.path().filename().string().rfind("rules-", 0) == 0) std::ofstream(e.path(), std::ios::trunc) << "ariadne-rules\njunk";
  auto reloaded = load(cached);
  EXPECT_FALSE(cached);
  EXPECT_EQ(reloaded.rules.size(), 2u);

  ::setenv("ARIADNE_CACHE_DIR", "off", 1);
  (void)load(cached);
  EXPECT_FALSE(cached);
}

// Which files a directory gives, in which order: *.yml and *.yaml at any
// depth, sorted by path; links to rule files count, links to directories
// are not followed, dangling links and other files are left out; a root
// given with a trailing slash names files the same way. The snapshot key
// sees a file added through a link.
TEST_F(SnapshotCache, RuleFilesAreFoundAndOrderedAsTheLoaderDoes) {
  fs::create_directories(rules_dir() / "b" / "deep");
  fs::create_directories(rules_dir() / "a");
  fs::path outside = rules_dir().string() + "-outside";
  fs::create_directories(outside);
  write("z.yml", '1', "Z", "\\z.exe");
  write("b/deep/x.yaml", '2', "X", "\\x.exe");
  write("a/y.yml", '3', "Y", "\\y.exe");
  write(".yml", '4', "NoName", "\\n.exe");      // no extension: not a rule file
  write("a/notes.txt", '5', "Txt", "\\t.exe");  // not a rule file
  std::ofstream(outside / "linked.yml") << "title: L\nid: 00000000-0000-4000-8000-000000000006\nlogsource:\n"
                                            "  category: process_creation\n  product: windows\ndetection:\n"
                                            "  sel:\n    Image|endswith: '\\l.exe'\n  condition: sel\n";
  fs::create_directory_symlink(outside, rules_dir() / "c-dirlink");  // not followed
  fs::create_symlink(rules_dir() / "missing.yml", rules_dir() / "dangling.yml");
  std::vector<std::string> want = {"a/y.yml", "b/deep/x.yaml", "z.yml"};
  for (const std::string& root : {rules_dir().string(), rules_dir().string() + "/"}) {
    auto set = sigma::load_rules({root}, {});
    std::vector<std::string> got;
    for (const auto& r : set.rules) got.push_back(r.path.substr(root.size() + (root.back() == '/' ? 0 : 1)));
    EXPECT_EQ(got, want) << root;
    EXPECT_EQ(set.unreadable_files, 0u) << root;  // the dangling link is not a file
    for (const auto& r : set.rules) EXPECT_EQ(r.path.find("//"), std::string::npos) << r.path;
  }
  settle();
  bool cached = false;
  auto before = load(cached);
  fs::create_symlink(outside / "linked.yml", rules_dir() / "b" / "linked.yml");
  auto after = load(cached);
  EXPECT_FALSE(cached);
  EXPECT_EQ(after.rules.size(), before.rules.size() + 1);
  fs::remove_all(outside);
}

// The digest names a set's rules: set only when the set was written to or
// read from the cache, the same for both, different once a file changes,
// extended by a level restriction, and empty without a cache.
TEST_F(SnapshotCache, TheDigestNamesTheRulesAsLoaded) {
  write("a.yml", '1', "First", "\\a.exe");
  bool cached = true;
  auto fresh = load(cached, 60'000);  // not stored: no digest
  EXPECT_FALSE(cached);
  EXPECT_TRUE(fresh.digest.empty());
  settle();
  auto stored = load(cached);
  EXPECT_FALSE(cached);
  EXPECT_FALSE(stored.digest.empty());
  auto restored = load(cached);
  EXPECT_TRUE(cached);
  EXPECT_EQ(restored.digest, stored.digest);

  auto restricted = restored;
  sigma::restrict_to_level(restricted, sigma::level::high);
  EXPECT_NE(restricted.digest, restored.digest);
  auto restricted_again = load(cached);
  sigma::restrict_to_level(restricted_again, sigma::level::high);
  EXPECT_EQ(restricted_again.digest, restricted.digest);
  auto low = load(cached);
  sigma::restrict_to_level(low, sigma::level::low);
  EXPECT_NE(low.digest, restricted.digest);

  write("a.yml", '1', "First, edited", "\\a2.exe");
  settle();
  auto edited = load(cached);
  EXPECT_FALSE(cached);
  EXPECT_FALSE(edited.digest.empty());
  EXPECT_NE(edited.digest, stored.digest);

  ::setenv("ARIADNE_CACHE_DIR", "off", 1);
  EXPECT_TRUE(load(cached).digest.empty());
}

}  // namespace
}  // namespace ariadne
