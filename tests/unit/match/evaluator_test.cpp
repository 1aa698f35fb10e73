// Sigma matching semantics, case by case (shared/docs/sigma-semantics.md).
// Each test loads a one-rule YAML and runs one JSON event through the same
// path as `ariadne hunt`.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <string>
#include <vector>

#include "ariadne/match/evaluator.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

// A rule for any Windows event with the given detection block.
std::string rule(const std::string& detection) {
  return "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n" +
         detection + "\n";
}
// A Windows (Sysmon) event with extra JSON members.
std::string event(const std::string& members) {
  return R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1)" +
         (members.empty() ? std::string() : "," + members) + "}";
}
bool hit(const std::string& detection, const std::string& members) {
  return test::matches(rule(detection), event(members));
}

TEST(Plain, WholeValueCaseInsensitive) {
  EXPECT_TRUE(hit("  sel:\n    Image: 'C:\\Windows\\cmd.exe'\n  condition: sel", R"("Image":"c:\\windows\\CMD.EXE")"));
  EXPECT_FALSE(hit("  sel:\n    Image: 'cmd.exe'\n  condition: sel", R"("Image":"c:\\windows\\cmd.exe")"));
}

// ASCII values are compared in ASCII lower case without a folded copy:
// every letter case, every position, non-letters next to letters (the
// bytes just around 'A'..'Z' and 'a'..'z'), and a needle that only a
// non-ASCII value can hold.
TEST(Plain, AsciiValuesCompareLikeTheirFoldedText) {
  for (const char* op : {"", "|startswith", "|endswith"}) {
    std::string sel = std::string("  sel:\n    Name") + op + ": 'AbZ@[`{z'\n  condition: sel";
    EXPECT_TRUE(hit(sel, R"("Name":"aBz@[`{Z")")) << op;
    EXPECT_FALSE(hit(sel, R"("Name":"aBz`[`{Z")")) << op;  // '@' and '`' differ by 0x20, as A and a
    EXPECT_FALSE(hit(sel, R"("Name":"aBz@{`{Z")")) << op;  // '[' and '{' too
    EXPECT_FALSE(hit(sel, R"("Name":"aBz@[`{")")) << op;   // shorter
  }
  EXPECT_TRUE(hit("  sel:\n    Name|startswith: 'ab'\n  condition: sel", R"("Name":"ABCD")"));
  EXPECT_FALSE(hit("  sel:\n    Name|startswith: 'ab'\n  condition: sel", R"("Name":"CDAB")"));
  EXPECT_TRUE(hit("  sel:\n    Name|endswith: 'ab'\n  condition: sel", R"("Name":"CDAB")"));
  EXPECT_FALSE(hit("  sel:\n    Name|endswith: 'ab'\n  condition: sel", R"("Name":"ABCD")"));
  EXPECT_FALSE(hit("  sel:\n    Name: 'abc'\n  condition: sel", R"("Name":"ABCD")"));
  EXPECT_FALSE(hit("  sel:\n    Name: 'ärger'\n  condition: sel", R"("Name":"arger")"));
  EXPECT_TRUE(hit("  sel:\n    Name|endswith: 'ärger'\n  condition: sel", R"("Name":"ÄRGER")"));
  EXPECT_TRUE(hit("  sel:\n    Name: 'kelvin'\n  condition: sel", "\"Name\":\"\u212Aelvin\""));  // Kelvin sign
}

TEST(Plain, UnicodeCaseFolding) {
  // Cyrillic and Latin-1 letters fold like ASCII ones.
  EXPECT_TRUE(hit("  sel:\n    Title|contains: 'ПРИВЕТ'\n  condition: sel", R"("Title":"скажи привет мир")"));
  EXPECT_TRUE(hit("  sel:\n    Name: 'ÄRGER'\n  condition: sel", R"("Name":"ärger")"));
  EXPECT_FALSE(hit("  sel:\n    Name: 'ÄRGER'\n  condition: sel", R"("Name":"arger")"));
}

// A needle outside ASCII never occurs in an ASCII value, under any
// modifier; it does in a value that holds it (in any case); a needle that
// folds to ASCII (the Kelvin sign folds to 'k') still finds ASCII text.
TEST(Plain, NonAsciiNeedlesAndAsciiValues) {
  const std::string homoglyph = "  sel:\n    C|contains:\n      - '\u0430'\n      - 'x\u0435y'\n  condition: sel";
  EXPECT_FALSE(hit(homoglyph, R"("C":"powershell -a xey")"));
  EXPECT_TRUE(hit(homoglyph, R"("C":"powershell -\u0430")"));
  EXPECT_TRUE(hit(homoglyph, R"("C":"X\u0415Y")"));  // Cyrillic capital Ie folds to the needle's small one
  for (const char* mod : {"", "|startswith", "|endswith", "|contains|cased"}) {
    const std::string sel = std::string("  sel:\n    C") + mod + ": '\u00e9t\u00e9'\n  condition: sel";
    EXPECT_FALSE(hit(sel, R"("C":"ete")")) << mod;
    EXPECT_TRUE(hit(sel, R"("C":"\u00e9t\u00e9")")) << mod;
  }
  EXPECT_TRUE(hit("  sel:\n    C|contains: '\u212a'\n  condition: sel", R"("C":"ok")"));
}

TEST(Wildcards, StarAndQuestionMark) {
  EXPECT_TRUE(hit("  sel:\n    Image: '*\\cmd.exe'\n  condition: sel", R"("Image":"C:\\x\\cmd.exe")"));
  EXPECT_TRUE(hit("  sel:\n    Url: 'http://a/?id=1'\n  condition: sel", R"("Url":"http://a/Xid=1")"));
  // '?' is one code point, not one byte.
  EXPECT_TRUE(hit("  sel:\n    Name: 'a?c'\n  condition: sel", R"("Name":"aЖc")"));
  EXPECT_FALSE(hit("  sel:\n    Name: 'a?c'\n  condition: sel", R"("Name":"ac")"));
  EXPECT_TRUE(hit("  sel:\n    Name: 'a*'\n  condition: sel", R"("Name":"a")"));
  // A lone '*' (bare or under contains, startswith, endswith, cased or not)
  // holds for any value, an empty or non-ASCII one too, and not for null or a
  // missing field; beside other alternatives it decides the list.
  for (const char* mod : {"", "|contains", "|startswith", "|endswith", "|contains|cased"}) {
    const std::string sel = std::string("  sel:\n    Name") + mod + ": '*'\n  condition: sel";
    EXPECT_TRUE(hit(sel, R"("Name":"")")) << mod;
    EXPECT_TRUE(hit(sel, R"("Name":"Ärger über 5 KB? egal")")) << mod;
    EXPECT_TRUE(hit(sel, R"("Name":42)")) << mod;
    EXPECT_FALSE(hit(sel, R"("Name":null)")) << mod;
    EXPECT_FALSE(hit(sel, R"("Other":"x")")) << mod;
    const std::string list = std::string("  sel:\n    Name") + mod + ":\n      - 'zzz'\n      - '*'\n  condition: sel";
    EXPECT_TRUE(hit(list, R"("Name":"abc")")) << mod;
  }
}

TEST(Escapes, BackslashRules) {
  // '\\' folds to one backslash (single-quoted YAML keeps both characters).
  EXPECT_TRUE(hit("  sel:\n    Image: 'C:\\\\Windows'\n  condition: sel", R"("Image":"C:\\Windows")"));
  // A backslash before an ordinary character stays; a trailing one stays.
  EXPECT_TRUE(hit("  sel:\n    Path|endswith: '\\Temp\\'\n  condition: sel", R"("Path":"C:\\Temp\\")"));
  // '\*' is a literal star.
  EXPECT_TRUE(hit("  sel:\n    Name: 'a\\*b'\n  condition: sel", R"("Name":"a*b")"));
  EXPECT_FALSE(hit("  sel:\n    Name: 'a\\*b'\n  condition: sel", R"("Name":"axb")"));
  // '\\*' is a backslash then a wildcard; '\\\*' a backslash then a literal star.
  EXPECT_TRUE(hit("  sel:\n    Name: 'a\\\\*'\n  condition: sel", R"("Name":"a\\anything")"));
  EXPECT_TRUE(hit("  sel:\n    Name: 'a\\\\\\*'\n  condition: sel", R"("Name":"a\\*")"));
  EXPECT_FALSE(hit("  sel:\n    Name: 'a\\\\\\*'\n  condition: sel", R"("Name":"a\\x")"));
  // The SigmaHQ corpus example: '\\\\\*\\IPC$' is the text \\*\IPC$.
  EXPECT_TRUE(hit("  sel:\n    Share: '\\\\\\\\\\*\\\\IPC$'\n  condition: sel", R"("Share":"\\\\*\\IPC$")"));
  EXPECT_FALSE(hit("  sel:\n    Share: '\\\\\\\\\\*\\\\IPC$'\n  condition: sel", R"("Share":"\\\\srv\\IPC$")"));
}

TEST(Modifiers, ContainsStartsEnds) {
  EXPECT_TRUE(hit("  sel:\n    C|contains: 'MiniDump'\n  condition: sel", R"("C":"rundll32 comsvcs.dll, minidump 624")"));
  EXPECT_TRUE(hit("  sel:\n    C|startswith: 'run'\n  condition: sel", R"("C":"RUNDLL32")"));
  EXPECT_FALSE(hit("  sel:\n    C|startswith: 'dll'\n  condition: sel", R"("C":"RUNDLL32")"));
  EXPECT_TRUE(hit("  sel:\n    C|endswith: '32'\n  condition: sel", R"("C":"RUNDLL32")"));
  // contains '' matches any present value, even empty, but not a missing field.
  EXPECT_TRUE(hit("  sel:\n    C|contains: ''\n  condition: sel", R"("C":"")"));
  EXPECT_FALSE(hit("  sel:\n    C|contains: ''\n  condition: sel", R"("D":"")"));
}

TEST(Modifiers, AllAndLists) {
  std::string det = "  sel:\n    C|contains|all:\n      - 'a1'\n      - 'b2'\n  condition: sel";
  EXPECT_TRUE(hit(det, R"("C":"xb2xa1")"));
  EXPECT_FALSE(hit(det, R"("C":"xa1")"));
  std::string any = "  sel:\n    C|contains:\n      - 'a1'\n      - 'b2'\n  condition: sel";
  EXPECT_TRUE(hit(any, R"("C":"xa1")"));
}

TEST(Modifiers, WindashForms) {
  std::string det = "  sel:\n    C|windash|contains: ' -enc '\n  condition: sel";
  EXPECT_TRUE(hit(det, R"("C":"powershell -enc AAAA")"));
  EXPECT_TRUE(hit(det, R"("C":"powershell /enc AAAA")"));
  EXPECT_TRUE(hit(det, "\"C\":\"powershell \u2013enc AAAA\""));  // en dash
  EXPECT_TRUE(hit(det, "\"C\":\"powershell \u2014enc AAAA\""));  // em dash
  EXPECT_TRUE(hit(det, "\"C\":\"powershell \u2015enc AAAA\""));  // horizontal bar
  EXPECT_FALSE(hit(det, R"("C":"powershell +enc AAAA")"));
  // Only a dash at the start of a word is a spot: in '-param-1' the second is not.
  std::string two = "  sel:\n    C|windash: '-param-1'\n  condition: sel";
  EXPECT_TRUE(hit(two, R"("C":"/param-1")"));
  EXPECT_FALSE(hit(two, R"("C":"-param/1")"));
  // 'start/b' has no spot: the '/' follows a word character.
  EXPECT_FALSE(hit("  sel:\n    C|windash: 'start/b'\n  condition: sel", R"("C":"start-b")"));
}

TEST(Modifiers, Base64) {
  // base64 of 'cmd' is 'Y21k'; whole value unless contains.
  EXPECT_TRUE(hit("  sel:\n    C|base64: 'cmd'\n  condition: sel", R"("C":"Y21k")"));
  EXPECT_TRUE(hit("  sel:\n    C|base64|contains: 'cmd'\n  condition: sel", R"("C":"xxY21kyy")"));
  // Base64 is case-significant.
  EXPECT_FALSE(hit("  sel:\n    C|base64: 'cmd'\n  condition: sel", R"("C":"y21K")"));
}

TEST(Modifiers, Base64OffsetVariants) {
  std::string det = "  sel:\n    C|base64offset|contains: 'foobar'\n  condition: sel";
  // The three alignments of 'foobar' (sigma-semantics.md §5).
  EXPECT_TRUE(hit(det, R"("C":"..Zm9vYmFy..")"));
  EXPECT_TRUE(hit(det, R"("C":"..Zvb2Jhc..")"));
  EXPECT_TRUE(hit(det, R"("C":"..mb29iYX..")"));
  EXPECT_FALSE(hit(det, R"("C":"..Zm9vYmF..")"));
  // Real blobs: base64('xfoobar'), base64('xyfoobar') contain the offsets.
  EXPECT_TRUE(hit(det, R"("C":"eGZvb2Jhcg==")"));
  EXPECT_TRUE(hit(det, R"("C":"eHlmb29iYXI=")"));
}

TEST(Modifiers, WideBase64Offset) {
  // 'ab' as UTF-16LE is 61 00 62 00; base64 'YQBiAA=='.
  EXPECT_TRUE(hit("  sel:\n    C|wide|base64: 'ab'\n  condition: sel", R"("C":"YQBiAA==")"));
  EXPECT_TRUE(hit("  sel:\n    C|utf16le|base64: 'ab'\n  condition: sel", R"("C":"YQBiAA==")"));
  // utf16be: 00 61 00 62 -> 'AGEAYg=='; utf16 adds the FF FE mark: '//5hAGIA'.
  EXPECT_TRUE(hit("  sel:\n    C|utf16be|base64: 'ab'\n  condition: sel", R"("C":"AGEAYg==")"));
  EXPECT_TRUE(hit("  sel:\n    C|utf16|base64: 'ab'\n  condition: sel", R"("C":"//5hAGIA")"));
  // 'powershell -enc' of 'whoami' (UTF-16LE) contains a wide|base64offset of 'whoami'.
  EXPECT_TRUE(hit("  sel:\n    C|wide|base64offset|contains: 'whoami'\n  condition: sel",
                  R"("C":"powershell -enc dwBoAG8AYQBtAGkA")"));
}

TEST(Modifiers, RegexIsCaseSensitiveSubstring) {
  EXPECT_TRUE(hit("  sel:\n    C|re: 'mini[dD]ump'\n  condition: sel", R"("C":"x minidump y")"));
  EXPECT_FALSE(hit("  sel:\n    C|re: 'MINIDUMP'\n  condition: sel", R"("C":"minidump")"));
  EXPECT_TRUE(hit("  sel:\n    C|re|i: 'MINIDUMP'\n  condition: sel", R"("C":"minidump")"));
  EXPECT_TRUE(hit("  sel:\n    C|re: '(?i)MINIDUMP'\n  condition: sel", R"("C":"minidump")"));
  EXPECT_FALSE(hit("  sel:\n    C|re: '^dump$'\n  condition: sel", R"("C":"minidump")"));
  // m: ^ matches after a newline; s: '.' matches a newline.
  EXPECT_TRUE(hit("  sel:\n    C|re|m: '^b'\n  condition: sel", R"("C":"a\nb")"));
  EXPECT_FALSE(hit("  sel:\n    C|re: '^b'\n  condition: sel", R"("C":"a\nb")"));
  EXPECT_TRUE(hit("  sel:\n    C|re|s: 'a.b'\n  condition: sel", R"("C":"a\nb")"));
  EXPECT_FALSE(hit("  sel:\n    C|re: 'a.b'\n  condition: sel", R"("C":"a\nb")"));
}

// A regex item is tested after the other items of its selection: every
// combination of two regexes' and a plain item's outcomes, with the items
// in both orders, and in a list of maps (an OR of two conjunctions), gives
// what the plain AND and OR give.
TEST(Modifiers, RegexItemsKeepTheirMeaningWhereverTheyStand) {
  const std::string re_a = "A|re: 'a.c'", plain_b = "B: 'yes'", re_c = "C|re: '[0-9]+'";
  for (int bits = 0; bits < 8; ++bits) {
    const bool a = bits & 1, b = bits & 2, c = bits & 4;
    const std::string ev = std::string("\"A\":\"") + (a ? "abc" : "xyz") + "\",\"B\":\"" + (b ? "yes" : "no") +
                           "\",\"C\":\"" + (c ? "123" : "---") + "\"";
    const std::string forward = "  sel:\n    " + re_a + "\n    " + plain_b + "\n    " + re_c + "\n  condition: sel";
    const std::string reverse = "  sel:\n    " + re_c + "\n    " + plain_b + "\n    " + re_a + "\n  condition: sel";
    const std::string either = "  sel:\n    - " + re_a + "\n      " + plain_b + "\n    - " + re_c + "\n      " + plain_b +
                               "\n  condition: sel";
    EXPECT_EQ(hit(forward, ev), a && b && c) << bits;
    EXPECT_EQ(hit(reverse, ev), a && b && c) << bits;
    EXPECT_EQ(hit(either, ev), (a && b) || (c && b)) << bits;
  }
}

// ".{N,}" is counted, not run through RE2 (slow on large counts): the count
// must say what RE2 says, on runs across newlines, multi-byte characters
// and (where the count steps aside) invalid UTF-8.
TEST(Modifiers, RegexLongRunIsCountedAsRe2Would) {
  const std::vector<std::string> pieces = {"a", "\n", "\r", std::string(1, '\0'), "\xC3\xA9", "\xE2\x82\xAC",
                                           "\xF0\x9F\x98\x80", "\xFF", "\xC3", "\xED\xA0\x80"};
  std::mt19937 rng(11);
  int counted = 0, deferred = 0;
  for (std::uint32_t n : {1u, 2u, 3u, 5u, 8u, 13u})
    for (bool dot_all : {false, true}) {
      RE2 re(std::string(dot_all ? "(?s)" : "") + ".{" + std::to_string(n) + ",}");
      ASSERT_TRUE(re.ok());
      for (int k = 0; k < 400; ++k) {
        std::string s;
        for (std::size_t len = rng() % 24; len > 0; --len) s += pieces[rng() % (k % 2 ? 4 : pieces.size())];
        auto got = match::reference_evaluator::long_run(s, n, dot_all);
        if (!got) {
          ++deferred;
          continue;
        }
        ++counted;
        EXPECT_EQ(*got, RE2::PartialMatch(s, re)) << n << (dot_all ? " dot_all" : "") << " on " << s;
      }
    }
  EXPECT_GT(counted, 1000);
  EXPECT_GT(deferred, 100);
  // Through a rule: the `s` modifier, and a value too short to look at.
  EXPECT_TRUE(hit("  sel:\n    C|re: '.{5,}'\n  condition: sel", R"("C":"ab\ncdefg")"));
  EXPECT_FALSE(hit("  sel:\n    C|re: '(.){5,}'\n  condition: sel", R"("C":"abc\ndefg")"));
  EXPECT_TRUE(hit("  sel:\n    C|re|s: '.{5,}'\n  condition: sel", R"("C":"abc\ndefg")"));
  EXPECT_FALSE(hit("  sel:\n    C|re: '.{5,}'\n  condition: sel", R"("C":"abcd")"));
  EXPECT_TRUE(hit("  sel:\n    C|re: '.{3,}'\n  condition: sel", R"("C":"\u00e9\u00e9\u00e9")"));
}

TEST(Modifiers, RegexLongRunIsRecognisedExactly) {
  auto run_of = [](const std::string& pattern) {
    auto set = test::rules_from(rule("  sel:\n    C|re: '" + pattern + "'\n  condition: sel"));
    EXPECT_EQ(set.rules.size(), 1u) << pattern;
    return set.rules.empty() ? 0u : set.rules[0].searches[0].alternatives[0][0].values[0].run;
  };
  EXPECT_EQ(run_of(".{1000,}"), 1000u);
  EXPECT_EQ(run_of("(.){200,}"), 200u);
  EXPECT_EQ(run_of("(?:.){7,}"), 7u);
  EXPECT_EQ(run_of("a.{5,}"), 0u);
  EXPECT_EQ(run_of(".{5,6}"), 0u);
  EXPECT_EQ(run_of(".{5}"), 0u);
  EXPECT_EQ(run_of(".{0,}"), 0u);
  EXPECT_EQ(run_of("[.]{5,}"), 0u);
}

TEST(Modifiers, Cased) {
  EXPECT_TRUE(hit("  sel:\n    C|cased: 'Abc'\n  condition: sel", R"("C":"Abc")"));
  EXPECT_FALSE(hit("  sel:\n    C|cased: 'Abc'\n  condition: sel", R"("C":"abc")"));
  EXPECT_TRUE(hit("  sel:\n    C|contains|cased: 'Bc'\n  condition: sel", R"("C":"ABcD")"));
}

TEST(Modifiers, Cidr) {
  std::string v4 = "  sel:\n    Ip|cidr: '10.0.0.0/8'\n  condition: sel";
  EXPECT_TRUE(hit(v4, R"("Ip":"10.1.2.3")"));
  EXPECT_FALSE(hit(v4, R"("Ip":"11.1.2.3")"));
  EXPECT_FALSE(hit(v4, R"("Ip":"not an ip")"));
  EXPECT_TRUE(hit(v4, R"("Ip":"::ffff:10.9.9.9")"));  // IPv4-mapped IPv6 [engine choice]
  std::string v6 = "  sel:\n    Ip|cidr:\n      - '::1/128'\n      - 'fe80::/10'\n  condition: sel";
  EXPECT_TRUE(hit(v6, R"("Ip":"::1")"));
  EXPECT_TRUE(hit(v6, R"("Ip":"fe80::1234")"));
  EXPECT_FALSE(hit(v6, R"("Ip":"fc00::1")"));
}

TEST(Modifiers, NumericComparisons) {
  EXPECT_TRUE(hit("  sel:\n    N|gt: 5\n  condition: sel", R"("N":6)"));
  EXPECT_FALSE(hit("  sel:\n    N|gt: 5\n  condition: sel", R"("N":5)"));
  EXPECT_TRUE(hit("  sel:\n    N|gte: 5\n  condition: sel", R"("N":"5")"));
  EXPECT_TRUE(hit("  sel:\n    N|lt: 5\n  condition: sel", R"("N":-1)"));
  EXPECT_TRUE(hit("  sel:\n    N|lte: 5.5\n  condition: sel", R"("N":5.5)"));
  EXPECT_FALSE(hit("  sel:\n    N|lt: 5\n  condition: sel", R"("N":"abc")"));
}

TEST(Modifiers, ExistsAndNeq) {
  EXPECT_TRUE(hit("  sel:\n    A|exists: true\n  condition: sel", R"("A":"")"));
  EXPECT_TRUE(hit("  sel:\n    A|exists: true\n  condition: sel", R"("A":null)"));
  EXPECT_FALSE(hit("  sel:\n    A|exists: true\n  condition: sel", R"("B":1)"));
  EXPECT_TRUE(hit("  sel:\n    A|exists: false\n  condition: sel", R"("B":1)"));
  // neq negates the whole entry, so a missing field matches.
  EXPECT_TRUE(hit("  sel:\n    A|neq: 'x'\n  condition: sel", R"("A":"y")"));
  EXPECT_FALSE(hit("  sel:\n    A|neq: 'x'\n  condition: sel", R"("A":"X")"));
  EXPECT_TRUE(hit("  sel:\n    A|neq: 'x'\n  condition: sel", R"("B":"x")"));
}

TEST(Modifiers, Fieldref) {
  EXPECT_TRUE(hit("  sel:\n    Image|fieldref: ParentImage\n  condition: sel",
                  R"("Image":"C:\\a.exe","ParentImage":"c:\\A.EXE")"));
  EXPECT_FALSE(hit("  sel:\n    Image|fieldref: ParentImage\n  condition: sel", R"("Image":"C:\\a.exe")"));
  EXPECT_TRUE(hit("  sel:\n    C|fieldref|contains: U\n  condition: sel", R"("C":"run as bob now","U":"BOB")"));
  EXPECT_TRUE(hit("  sel:\n    C|fieldref|endswith: U\n  condition: sel", R"("C":"run as bob","U":"BOB")"));
  EXPECT_FALSE(hit("  sel:\n    C|fieldref|startswith: U\n  condition: sel", R"("C":"run as bob","U":"BOB")"));
}

TEST(Modifiers, TimeParts) {
  std::string ev = R"("T":"2024-03-05T14:07:09Z")";
  EXPECT_TRUE(hit("  sel:\n    T|hour: 14\n  condition: sel", ev));
  EXPECT_TRUE(hit("  sel:\n    T|minute: 7\n  condition: sel", ev));
  EXPECT_TRUE(hit("  sel:\n    T|day: 5\n  condition: sel", ev));
  EXPECT_TRUE(hit("  sel:\n    T|month: 3\n  condition: sel", ev));
  EXPECT_TRUE(hit("  sel:\n    T|year: 2024\n  condition: sel", ev));
  EXPECT_TRUE(hit("  sel:\n    T|week: 10\n  condition: sel", ev));
  EXPECT_TRUE(hit("  sel:\n    T|hour|gte: 9\n  condition: sel", ev));
}

TEST(Modifiers, ExpandWithPlaceholders) {
  sigma::load_options opts;
  opts.placeholders.values["admins"] = {"alice", "bob*"};
  auto set = test::rules_from(rule("  sel:\n    User|expand: '%admins%'\n  condition: sel"), opts);
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(test::run(set, event(R"("User":"ALICE")")).rule_ids.size(), 1u);
  EXPECT_EQ(test::run(set, event(R"("User":"bobby")")).rule_ids.size(), 1u);
  EXPECT_EQ(test::run(set, event(R"("User":"carol")")).rule_ids.size(), 0u);
  // Without expand, %...% is literal text.
  EXPECT_TRUE(hit("  sel:\n    P: '%APPDATA%\\x'\n  condition: sel", R"("P":"%appdata%\\x")"));
  // Unresolved placeholders: '*' with a warning by default, an error when strict.
  auto loose = test::rules_from(rule("  sel:\n    User|expand: '%nobody%'\n  condition: sel"));
  ASSERT_EQ(loose.rules.size(), 1u);
  EXPECT_EQ(loose.diagnostics.at(0).code, "unresolved-placeholder");
  EXPECT_EQ(test::run(loose, event(R"("User":"anyone")")).rule_ids.size(), 1u);
  sigma::load_options strict;
  strict.strict_placeholders = true;
  auto s = test::rules_from(rule("  sel:\n    User|expand: '%nobody%'\n  condition: sel"), strict);
  EXPECT_EQ(s.rules.size(), 0u);
  EXPECT_EQ(s.skipped, 1u);
}

TEST(Values, NullEmptyAndMissing) {
  EXPECT_TRUE(hit("  sel:\n    A: null\n  condition: sel", R"("B":"x")"));
  EXPECT_TRUE(hit("  sel:\n    A: null\n  condition: sel", R"("A":null)"));
  EXPECT_FALSE(hit("  sel:\n    A: null\n  condition: sel", R"("A":"")"));
  EXPECT_TRUE(hit("  sel:\n    A: ''\n  condition: sel", R"("A":"")"));
  EXPECT_FALSE(hit("  sel:\n    A: ''\n  condition: sel", R"("B":"")"));
  EXPECT_TRUE(hit("  sel:\n    A:\n  condition: sel", R"("B":"")"));  // empty value = null
}

TEST(Values, NotIsTrueWhenFieldMissing) {
  EXPECT_TRUE(hit("  sel:\n    EventID: 1\n  filter:\n    User: 'x'\n  condition: sel and not filter", ""));
  EXPECT_FALSE(hit("  sel:\n    EventID: 1\n  filter:\n    User: 'x'\n  condition: sel and not filter", R"("User":"X")"));
}

TEST(Values, NumbersAndBooleans) {
  EXPECT_TRUE(hit("  sel:\n    EventID: 1\n  condition: sel", ""));
  EXPECT_TRUE(hit("  sel:\n    N: 4688\n  condition: sel", R"("N":"4688")"));
  EXPECT_TRUE(hit("  sel:\n    N|contains: 68\n  condition: sel", R"("N":4688)"));
  EXPECT_FALSE(hit("  sel:\n    N: 4688\n  condition: sel", R"("N":"0x1250")"));
  // A plain 00000429 stays text (YAML 1.1), matched as a string.
  EXPECT_TRUE(hit("  sel:\n    S|contains: 00000429\n  condition: sel", R"("S":"x00000429y")"));
  EXPECT_TRUE(hit("  sel:\n    Signed: true\n  condition: sel", R"("Signed":"TRUE")"));
  EXPECT_TRUE(hit("  sel:\n    Signed: false\n  condition: sel", R"("Signed":false)"));
  EXPECT_FALSE(hit("  sel:\n    Signed: true\n  condition: sel", R"("Signed":"false")"));
}

TEST(Values, MultiValuedFieldsMatchAnyElement) {
  EXPECT_TRUE(hit("  sel:\n    Data|contains: 'evil'\n  condition: sel", R"("Data":["a","the evil one"])"));
  EXPECT_FALSE(hit("  sel:\n    Data: 'evil'\n  condition: sel", R"("Data":["a","b"])"));
}

// The engine's literal scan settles string tests before the evaluator reads
// a value (engine.hpp): where a needle occurs, in which value of a field,
// and in a value's folded text only, must not change an answer.
TEST(Scan, NeedleInWhichValueOfAField) {
  // The needle occurs in one value; the test holds only on the other.
  EXPECT_TRUE(hit("  sel:\n    Data: 'needle x'\n  condition: sel", R"("Data":["needle x and more","needle x"])"));
  EXPECT_FALSE(hit("  sel:\n    Data: 'needle x'\n  condition: sel", R"("Data":["needle x and more","other"])"));
  EXPECT_TRUE(hit("  sel:\n    Data|startswith: 'abcdef'\n  condition: sel", R"("Data":["zz abcdef","ABCDEF zz"])"));
  EXPECT_FALSE(hit("  sel:\n    Data|startswith: 'abcdef'\n  condition: sel", R"("Data":["zz abcdef","zz"])"));
  EXPECT_TRUE(hit("  sel:\n    Data|endswith: 'abcdef'\n  condition: sel", R"("Data":["abcdef zz","zz ABCdef"])"));
  // In another field only.
  EXPECT_FALSE(hit("  sel:\n    Image|contains: 'evil.exe'\n  condition: sel",
                   R"("Image":"C:\\good.exe","CommandLine":"evil.exe")"));
  // Both needles of an `all` list, in different values of one field.
  EXPECT_TRUE(hit("  sel:\n    Data|contains|all:\n      - 'first'\n      - 'second'\n  condition: sel",
                  R"("Data":["the FIRST one","the second one"])"));
  EXPECT_FALSE(hit("  sel:\n    Data|contains|all:\n      - 'first'\n      - 'second'\n  condition: sel",
                   R"("Data":["the FIRST one","the third one"])"));
}

TEST(Scan, NeedleOnlyInTheFoldedText) {
  // KELVIN SIGN folds to 'k': the raw text does not hold the needle, its
  // folded text does.
  EXPECT_TRUE(hit("  sel:\n    Title|contains: 'kelvin'\n  condition: sel", R"("Title":"a \u212Aelvin b")"));
  EXPECT_TRUE(hit("  sel:\n    Title: 'kelvin'\n  condition: sel", R"("Title":"\u212Aelvin")"));
  EXPECT_FALSE(hit("  sel:\n    Title|contains: 'kelvin'\n  condition: sel", R"("Title":"\u0416 kelvi")"));
  // A non-ASCII value whose raw text holds the needle.
  EXPECT_TRUE(hit("  sel:\n    Title|contains: 'kelvin'\n  condition: sel", R"("Title":"\u0416 KELVIN")"));
  EXPECT_FALSE(hit("  sel:\n    Title: 'kelvin'\n  condition: sel", R"("Title":"\u0416 KELVIN")"));
}

TEST(Keywords, SubstringOverAnyValue) {
  EXPECT_TRUE(hit("  keywords:\n    - 'mimikatz'\n    - 'other'\n  condition: keywords", R"("Msg":"ran MIMIKATZ.exe")"));
  EXPECT_FALSE(hit("  keywords:\n    - 'mimikatz'\n  condition: keywords", R"("Msg":"benign")"));
  EXPECT_TRUE(hit("  keywords:\n    '|all':\n      - 'a1'\n      - 'b2'\n  condition: keywords", R"("X":"a1","Y":"b2")"));
  EXPECT_FALSE(hit("  keywords:\n    '|all':\n      - 'a1'\n      - 'b2'\n  condition: keywords", R"("X":"a1")"));
  EXPECT_TRUE(hit("  keywords: 'one phrase'\n  condition: keywords", R"("X":"say one phrase here")"));
}

TEST(Conditions, Constructs) {
  std::string base = "  sel_a:\n    A: 1\n  sel_b:\n    B: 1\n  filter_x:\n    X: 1\n  _hidden:\n    H: 1\n";
  EXPECT_TRUE(hit(base + "  condition: 1 of sel_*", R"("A":1)"));
  EXPECT_FALSE(hit(base + "  condition: all of sel_*", R"("A":1)"));
  EXPECT_TRUE(hit(base + "  condition: all of sel_*", R"("A":1,"B":1)"));
  EXPECT_TRUE(hit(base + "  condition: any of sel_*", R"("B":1)"));
  EXPECT_TRUE(hit(base + "  condition: sel_a and not filter_x", R"("A":1)"));
  EXPECT_FALSE(hit(base + "  condition: sel_a and not filter_x", R"("A":1,"X":1)"));
  EXPECT_TRUE(hit(base + "  condition: (sel_a or sel_b) and not 1 of filter_*", R"("B":1)"));
  // 'them' skips _hidden.
  EXPECT_TRUE(hit(base + "  condition: all of them", R"("A":1,"B":1,"X":1)"));
  EXPECT_TRUE(hit(base + "  condition: 1 of them", R"("H":0,"X":1)"));
  EXPECT_FALSE(hit(base + "  condition: 1 of them", R"("H":1)"));
  EXPECT_TRUE(hit(base + "  condition: _hidden", R"("H":1)"));
  // Precedence: not > and > or.
  EXPECT_TRUE(hit(base + "  condition: sel_a or sel_b and filter_x", R"("A":1)"));
  EXPECT_FALSE(hit(base + "  condition: not sel_a or sel_b and filter_x", R"("A":1,"B":1)"));
  // A list of conditions is an OR.
  EXPECT_TRUE(hit(base + "  condition:\n    - sel_a\n    - sel_b", R"("B":1)"));
}

TEST(Conditions, ListOfMapsIsOr) {
  std::string det = "  sel:\n    - A: 1\n      B: 2\n    - C: 3\n  condition: sel";
  EXPECT_TRUE(hit(det, R"("A":1,"B":2)"));
  EXPECT_FALSE(hit(det, R"("A":1)"));
  EXPECT_TRUE(hit(det, R"("C":3)"));
}

TEST(Conditions, NamesWithDotsAndPipesReachedByPattern) {
  std::string det = "  sel:\n    A: 1\n  filter_main_mdadm.conf:\n    B: 1\n  condition: sel and not 1 of filter_main_*";
  EXPECT_TRUE(hit(det, R"("A":1)"));
  EXPECT_FALSE(hit(det, R"("A":1,"B":1)"));
}

TEST(Logsource, RuleOnlySeesItsLogsource) {
  std::string r = "title: t\nid: x1\nlogsource:\n  product: windows\n  category: process_creation\n"
                  "detection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n";
  auto set = test::rules_from(r);
  // Sysmon 1 and Security 4688 (NewProcessName mapped to Image) are process_creation.
  EXPECT_EQ(test::run(set, R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\cmd.exe"})")
                .rule_ids.size(),
            1u);
  EXPECT_EQ(test::run(set, R"({"Channel":"Security","EventID":4688,"NewProcessName":"C:\\cmd.exe"})").rule_ids.size(), 1u);
  // Sysmon 3 is not.
  EXPECT_EQ(test::run(set, R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"Image":"C:\\cmd.exe"})")
                .rule_ids.size(),
            0u);
}

TEST(Filters, MetaFilterExcludesMatches) {
  std::string rules =
      "title: base\nid: r1\nname: base_rule\nlogsource:\n  product: windows\n  category: process_creation\n"
      "detection:\n  sel:\n    Image|endswith: '.exe'\n  condition: sel\n"
      "---\n"
      "title: ignore admin tools\nid: f1\nlogsource:\n  product: windows\nfilter:\n  rules:\n    - base_rule\n"
      "  admin:\n    Image|startswith: 'C:\\Admin\\'\n  condition: not admin\n";
  auto set = test::rules_from(rules);
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.filters, 1u);
  EXPECT_EQ(test::run(set, R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Admin\\x.exe"})")
                .rule_ids.size(),
            0u);
  EXPECT_EQ(test::run(set, R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Temp\\x.exe"})")
                .rule_ids.size(),
            1u);
}

TEST(Glob, DirectMatcher) {
  using sigma::glob_token;
  std::vector<glob_token> toks = {{glob_token::kind::literal, "a"}, {glob_token::kind::any_run, ""},
                                  {glob_token::kind::literal, "b"}, {glob_token::kind::any_one, ""},
                                  {glob_token::kind::literal, "c"}};
  EXPECT_TRUE(match::reference_evaluator::glob_match(toks, "axxbyc"));
  EXPECT_TRUE(match::reference_evaluator::glob_match(toks, "abbbc"));
  EXPECT_FALSE(match::reference_evaluator::glob_match(toks, "abc"));
  EXPECT_FALSE(match::reference_evaluator::glob_match(toks, "axxbycd"));
}

}  // namespace
}  // namespace ariadne
