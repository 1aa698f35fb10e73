// The record prefilter: keep() against a plain reading of its contract (a
// lower-cased copy searched for each literal; escape pairs walked one by
// one; non-ASCII and exponent numbers kept), on chosen and generated
// records.
#include "ariadne/match/prefilter.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace ariadne {
namespace {

// Literals (JSON-escaped, lower-case): "mimi", "\\evil.exe" (as the JSON
// text spells it: two backslashes), "whoami /all".
const char* k_rules =
    "title: a\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
    "  sel:\n    CommandLine|contains: 'Mimi'\n  condition: sel\n---\n"
    "title: b\nid: 22222222-2222-2222-2222-222222222222\nlogsource:\n  product: windows\ndetection:\n"
    "  sel:\n    Image|endswith: '\\evil.exe'\n  condition: sel\n---\n"
    "title: c\nid: 33333333-3333-3333-3333-333333333333\nlogsource:\n  product: windows\ndetection:\n"
    "  sel:\n    CommandLine|contains: 'whoami /all'\n  condition: sel\n";

bool reference_keep(std::string_view raw, const std::vector<std::string>& literals) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') continue;
    if (i + 1 < raw.size() && (raw[i + 1] == 'u' || raw[i + 1] == '/')) return true;
    ++i;  // the escaped byte
  }
  std::string lower;
  for (char c : raw) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
    lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  }
  for (const auto& l : literals)
    if (lower.find(l) != std::string::npos) return true;
  return false;
}

TEST(Prefilter, KeepsWhatCouldMatchAndDropsTheRest) {
  auto set = test::rules_from(k_rules);
  match::prefilter pre(set.rules);
  ASSERT_TRUE(pre.active()) << pre.why_inactive();
  ASSERT_EQ(pre.literals().size(), 3u);
  struct row {
    const char* raw;
    bool keep;
  };
  for (const row& r : std::initializer_list<row>{
           {R"({"CommandLine":"run MIMIKATZ now"})", true},
           {R"({"CommandLine":"nothing here"})", false},
           {R"({"Image":"C:\\x\\EVIL.EXE"})", true},
           {R"({"Image":"C:\\x\\evil_exe"})", false},
           {R"({"CommandLine":"WhoAmI /ALL"})", true},
           {R"({"CommandLine":"whoami  /all"})", false},
           {R"({"CommandLine":"\u006dimi"})", true},         // an escape may spell a literal
           {R"({"CommandLine":"C:\\users\\x"})", false},    // an escaped backslash, then 'u'
           {R"({"CommandLine":"C:\\\u0041"})", true},        // three backslashes: the third starts \u
           {R"({"CommandLine":"a\/b"})", true},              // \/ spells '/'
           {R"({"CommandLine":"a\\/b"})", false},            // an escaped backslash, then '/'
           {"{\"CommandLine\":\"caf\xC3\xA9\"}", true},      // non-ASCII may fold differently
           {R"({"A":"\\u"})", false},
           {R"({"A":"\\\u"})", true}}) {
    EXPECT_EQ(pre.keep(r.raw), r.keep) << r.raw;
    EXPECT_EQ(reference_keep(r.raw, pre.literals()), r.keep) << r.raw;
  }
}

// A literal ending at every place near the end of records of many lengths
// is found, and a near miss is not (vectorscan 5.4.9 has missed such
// literals of small sets: see detail::k_scan_pad).
TEST(Prefilter, FindsALiteralAtTheVeryEndOfALongRecord) {
  const std::vector<std::vector<std::string>> sets = {{".vbs", ".bat"}, {".vbs", ".bat", ".hta"}, {"mimi", "sekurlsa"}};
  std::mt19937 rng(7);
  for (const auto& lits : sets) {
    std::string list;
    for (const auto& l : lits) list += "      - '" + l + "'\n";
    auto set = test::rules_from("title: has\nid: 22222222-2222-2222-2222-222222222222\nlogsource:\n  product: windows\n"
                                "detection:\n  sel:\n    CommandLine|contains:\n" +
                                list + "  condition: sel\n");
    match::prefilter pre(set.rules);
    ASSERT_TRUE(pre.active());
    std::size_t missed = 0, kept_wrongly = 0;
    for (std::size_t len = 1; len <= 200; ++len)
      for (std::size_t tail = 0; tail < 30; tail += 3)
        for (const auto& l : lits) {
          std::string body;
          while (body.size() < len) body.push_back(static_cast<char>('a' + rng() % 26));
          std::string raw = "{\"CommandLine\":\"" + body + l + std::string(tail, 'z') + "\"}";
          missed += !pre.keep(raw);
          std::string near = l;
          near.back() = '#';
          std::string miss = "{\"CommandLine\":\"" + body + near + std::string(tail, 'z') + "\"}";
          kept_wrongly += pre.keep(miss) != reference_keep(miss, pre.literals());
        }
    EXPECT_EQ(missed, 0u) << lits[0];
    EXPECT_EQ(kept_wrongly, 0u) << lits[0];
  }
}

// A rule that relies on a number keeps records with exponent notation
// (4.688e3 is 4688); without such a rule they go.
TEST(Prefilter, ExponentNumbersAreKeptOnlyForNumberRules) {
  auto numbers = test::rules_from(
      "title: n\nid: 44444444-4444-4444-4444-444444444444\nlogsource:\n  product: windows\ndetection:\n"
      "  sel:\n    EventID: 4688\n  condition: sel\n");
  match::prefilter with(numbers.rules);
  ASSERT_TRUE(with.active()) << with.why_inactive();
  EXPECT_TRUE(with.keep(R"({"EventID":4688})"));
  EXPECT_TRUE(with.keep(R"({"EventID":4.688e3})"));
  EXPECT_FALSE(with.keep(R"({"EventID":4689})"));
  auto set = test::rules_from(k_rules);
  match::prefilter without(set.rules);
  EXPECT_FALSE(without.keep(R"({"EventID":4.688e3})"));
}

// Generated records, dense in backslashes, quotes, 'u', '/' and pieces of
// the literals, from two threads at once: keep() agrees with the reference
// on every one, and both keep and drop some.
TEST(Prefilter, AgreesWithThePlainReadingOnGeneratedRecords) {
  auto set = test::rules_from(k_rules);
  match::prefilter pre(set.rules);
  ASSERT_TRUE(pre.active());
  const std::vector<std::string> pieces = {"\\", "\\\\", "u", "/", "\"", "x", "MIMI", "mim", "i", "\\evil.exe",
                                           "\\\\evil.exe", "EVIL.", "exe", "whoami", " /all", " ", "0041", "\xC3\xA9"};
  auto check = [&](unsigned seed, std::size_t& kept, std::size_t& dropped, std::size_t& wrong) {
    std::mt19937 rng(seed);
    for (int n = 0; n < 4000; ++n) {
      std::string raw = "{\"A\":\"";
      const std::size_t parts = 1 + rng() % 40;
      for (std::size_t k = 0; k < parts; ++k) {
        const auto& p = pieces[rng() % pieces.size()];
        if (p == "\xC3\xA9" && rng() % 8) continue;  // non-ASCII only now and then
        raw += p;
      }
      raw += "\"}";
      bool want = reference_keep(raw, pre.literals());
      wrong += pre.keep(raw) != want;
      (want ? kept : dropped) += 1;
    }
  };
  std::size_t kept[2] = {0, 0}, dropped[2] = {0, 0}, wrong[2] = {0, 0};
  std::thread other([&] { check(2, kept[1], dropped[1], wrong[1]); });
  check(1, kept[0], dropped[0], wrong[0]);
  other.join();
  for (int t = 0; t < 2; ++t) {
    EXPECT_EQ(wrong[t], 0u) << t;
    EXPECT_GT(kept[t], 400u) << t;
    EXPECT_GT(dropped[t], 400u) << t;
  }
}

}  // namespace
}  // namespace ariadne
