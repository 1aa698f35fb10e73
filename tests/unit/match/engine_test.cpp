// The engine's literal index: rules with keyword literals only, small
// literal sets at the end of long values, and its on-disk cache of
// compiled databases.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "ariadne/match/engine.hpp"
#include "rule_fixtures.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

namespace fs = std::filesystem;

// Rule `id` (one digit) for Windows events, with this detection block;
// several concatenate into one YAML stream.
std::string windows_rule(const std::string& id, const std::string& detection) {
  return "title: r" + id + "\nid: 00000000-0000-4000-8000-00000000000" + id +
         "\nlogsource:\n  product: windows\ndetection:\n" + detection + "---\n";
}

// A rule set large enough to be cached: 300 needles on one field.
std::string big_rule() { return test::many_needles_rule(); }

// The indexed engine's hits are the reference path's, in the same order.
void expect_same_hits(const std::vector<match::hit>& a, const std::vector<match::hit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].event_idx, b[k].event_idx) << k;
    EXPECT_EQ(a[k].rule_idx, b[k].rule_idx) << k;
  }
}

std::vector<match::hit> run(const sigma::rule_set& set, std::shared_ptr<const match::literal_index> ix) {
  auto batch = test::one_field_events(field_names().intern("CommandLine"),
                                      {"a NEEDLE17X b", "needle1 x", "nothing", "needle299x"},
                                      set.rules[0].source.product_id);
  match::engine eng(set.rules, {}, std::move(ix));
  std::vector<match::hit> hits;
  eng.match_batch(batch, hits);
  return hits;
}

// A rule set whose only literals are keywords (no field database at all)
// is still indexed: an event without the keywords evaluates no rule.
TEST(LiteralIndex, KeywordOnlyRulesAreIndexed) {
  auto set = test::rules_from(
      "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
      "  keywords:\n    - 'sekurlsa::logonpasswords'\n  condition: keywords\n");
  ASSERT_EQ(set.rules.size(), 1u);
  auto batch = test::one_field_events(field_names().intern("Message"), {"nothing here", "ran SEKURLSA::LogonPasswords"},
                                      set.rules[0].source.product_id);
  match::engine eng(set.rules);
  std::vector<match::hit> hits;
  eng.match_batch(batch, hits);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].event_idx, 1u);
  EXPECT_EQ(eng.logsource_candidates(), 2u);
  EXPECT_EQ(eng.evaluated(), 1u);  // only the event holding the keyword
}

// Ever new EventIDs (they come from the input) do not grow the engine's
// plans without bound, and the hits stay right after plans are dropped.
TEST(Engine, PlansPerEventIdAreBounded) {
  auto set = test::rules_from(windows_rule("1", "  sel:\n    EventID: 4688\n    CommandLine|contains: 'evil'\n"
                                                "  condition: sel\n"));
  ASSERT_EQ(set.rules.size(), 1u);
  const field_id eid = field_names().intern("EventID"), cmd = field_names().intern("CommandLine");
  match::engine eng(set.rules);
  std::vector<match::hit> hits;
  std::size_t most = 0;
  for (int round = 0; round < 5; ++round) {
    event_batch batch;
    for (int k = 0; k < 5000; ++k) {
      event& ev = batch.begin_event(0, batch.size() + 1);
      ev.logsource.product = set.rules[0].source.product_id;
      batch.add_value(eid, value::make_int(k == 0 ? 4688 : 100000 + round * 5000 + k));
      batch.add_string(cmd, "an evil command");
      batch.end_event();
    }
    hits.clear();
    eng.match_batch(batch, hits);
    ASSERT_EQ(hits.size(), 1u) << round;
    EXPECT_EQ(hits[0].event_idx, 0u);
    most = std::max(most, eng.plan_count());
  }
  EXPECT_LE(most, 4096u);
}

// The indexed engine's hits and counters on a batch.
struct indexed_run {
  std::vector<match::hit> hits;
  std::uint64_t evaluated = 0, reference_evaluated = 0, scans = 0, memo_hits = 0;
};

// Runs the indexed engine (over `ix`, or an index of its own) and the
// reference path on the batch; their hits must be the same.
indexed_run run_both(const std::vector<sigma::rule>& rules, const event_batch& batch,
                     std::shared_ptr<const match::literal_index> ix = nullptr) {
  match::engine indexed(rules, {}, std::move(ix));
  match::engine reference(rules, {.use_index = false});
  indexed_run out;
  std::vector<match::hit> expected;
  indexed.match_batch(batch, out.hits);
  reference.match_batch(batch, expected);
  expect_same_hits(out.hits, expected);
  out.evaluated = indexed.evaluated();
  out.reference_evaluated = reference.evaluated();
  out.scans = indexed.value_scans();
  out.memo_hits = indexed.memo_hits();
  return out;
}

// Which events of the batch a rule hits, by the indexed engine, which must
// hit what the reference path hits.
std::vector<bool> events_hit(const sigma::rule_set& set, const event_batch& batch) {
  std::vector<bool> hit(batch.size(), false);
  for (const auto& h : run_both(set.rules, batch).hits) hit[h.event_idx] = true;
  return hit;
}

// Values shorter than every keyword literal are left out of the keyword
// scan; one of exactly a literal's length, or whose case-folded text (not
// its bytes) spells a literal, is still found, as the reference finds it.
TEST(LiteralIndex, KeywordScanSkipsOnlyTextsTooShortToHoldALiteral) {
  auto set = test::rules_from(
      "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
      "  keywords:\n    - 'kiwi'\n    - 'sekurlsa::'\n  condition: keywords\n");
  ASSERT_EQ(set.rules.size(), 1u);
  field_id msg = field_names().intern("Message"), other = field_names().intern("Other");
  // Kelvin sign (3 bytes) + "iwi" folds to "kiwi".
  const std::vector<std::string> texts = {"kiwi", "kiw", "KIWI", "\xE2\x84\xAAiwi", "x", "", "sekurlsa:", "SEKURLSA::",
                                          "a kiwi"};
  const std::vector<bool> want = {true, false, true, true, false, false, false, true, true};
  event_batch batch;
  for (const auto& t : texts) {
    event& ev = batch.begin_event(0, batch.size() + 1);
    ev.logsource.product = set.rules[0].source.product_id;
    batch.add_string(other, "abc");
    batch.add_string(msg, t);
    batch.add_value(other, value::make_int(12345));
    batch.end_event();
  }
  EXPECT_EQ(events_hit(set, batch), want);
}

// Numbers and booleans are written out for the keyword scan only when their
// text can be as long as its shortest literal; those that can are found.
TEST(LiteralIndex, KeywordScanWritesOutNumbersLongEnoughToHoldALiteral) {
  auto set = test::rules_from(
      "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
      "  keywords:\n    - '4625'\n    - 'true'\n  condition: keywords\n");
  ASSERT_EQ(set.rules.size(), 1u);
  field_id other = field_names().intern("Other");
  const std::vector<value> values = {value::make_int(4625),       value::make_int(462),  value::make_int(-4625),
                                     value::make_int(94625),      value::make_int(-462), value::make_double(4625.5),
                                     value::make_double(46.25),   value::make_bool(true), value::make_bool(false),
                                     value::make_int(INT64_MIN)};
  const std::vector<bool> want = {true, false, true, true, false, true, false, true, false, false};
  event_batch batch;
  for (const auto& v : values) {
    event& ev = batch.begin_event(0, batch.size() + 1);
    ev.logsource.product = set.rules[0].source.product_id;
    batch.add_value(other, v);
    batch.end_event();
  }
  EXPECT_EQ(events_hit(set, batch), want);
}

// Keyword databases are compiled once per distinct set of keywords and
// shared: two engines on one index, events of three logsources (two of
// which accept the same keyword rules) compile two databases, and both
// engines find the keywords.
TEST(LiteralIndex, KeywordDatabasesAreSharedBySet) {
  auto set = test::rules_from(
      "title: any windows\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
      "  keywords:\n    - 'sekurlsa::logonpasswords'\n  condition: keywords\n---\n"
      "title: security only\nid: 22222222-2222-2222-2222-222222222222\nlogsource:\n  product: windows\n"
      "  service: security\ndetection:\n  keywords:\n    - 'lsadump::dcsync'\n  condition: keywords\n");
  ASSERT_EQ(set.rules.size(), 2u);
  auto ix = std::make_shared<const match::literal_index>(set.rules);
  const ls_id windows = set.rules[0].source.product_id, security = set.rules[1].source.service_id;
  const ls_id sysmon = intern_logsource_value("sysmon-keyword-test"), system = intern_logsource_value("system-keyword-test");
  event_batch batch;
  field_id msg = field_names().intern("Message");
  for (ls_id service : {sysmon, system, security}) {
    event& ev = batch.begin_event(0, batch.size() + 1);
    ev.logsource.product = windows;
    ev.logsource.service = service;
    batch.add_string(msg, "ran SEKURLSA::LogonPasswords and lsadump::dcsync");
    batch.end_event();
  }
  for (int k = 0; k < 2; ++k) {
    match::engine eng(set.rules, {}, ix);
    std::vector<match::hit> hits;
    eng.match_batch(batch, hits);
    ASSERT_EQ(hits.size(), 4u);  // the windows rule on all three, the security rule on the third
    EXPECT_EQ(hits[3].event_idx, 2u);
    EXPECT_EQ(hits[3].rule_idx, 1u);
  }
  EXPECT_EQ(ix->keyword_database_count(), 2u);
}

// A regex gives the literals RE2's prefilter requires, reduced to a minimal
// set: its rule is then indexed, and only events holding one (in any case)
// are evaluated, where the regex itself decides.
TEST(LiteralIndex, RegexRulesAreIndexedByTheirAtoms) {
  auto atoms_of = [](const std::string& pattern) {
    auto set = test::rules_from("title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\n"
                                "detection:\n  sel:\n    C|re: '" + pattern + "'\n  condition: sel\n");
    EXPECT_EQ(set.rules.size(), 1u) << pattern;
    return set.rules.empty() ? std::vector<std::string>{} : set.rules[0].searches[0].alternatives[0][0].values[0].re_atoms;
  };
  EXPECT_EQ(atoms_of("\\$PSHome\\[\\s*\\d{1,3}"), std::vector<std::string>{"$pshome["});
  // "set" is dropped: one of the alternatives must occur anyway.
  auto stdin_atoms = atoms_of("(?i)(set).*&&\\s?set.*(environment|invoke)");
  std::sort(stdin_atoms.begin(), stdin_atoms.end());
  EXPECT_EQ(stdin_atoms, (std::vector<std::string>{"environment", "invoke"}));
  EXPECT_TRUE(atoms_of(".*").empty());
  EXPECT_TRUE(atoms_of("ab|cdef").empty());  // "ab" is too short to require anything
  EXPECT_TRUE(atoms_of("caf\u00e9s?").empty());  // a non-ASCII atom: RE2 folds it its own way

  auto set = test::rules_from(
      "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
      "  sel:\n    CommandLine|re: '\\$PSHome\\[\\s*\\d{1,3}'\n  condition: sel\n");
  ASSERT_EQ(set.rules.size(), 1u);
  match::engine eng(set.rules);
  auto batch = test::one_field_events(field_names().intern("CommandLine"), {"nothing here", "x $PSHOME[ 12", "x $PSHome[ 12"},
                                      set.rules[0].source.product_id);
  std::vector<match::hit> hits;
  eng.match_batch(batch, hits);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].event_idx, 2u);
  EXPECT_EQ(eng.logsource_candidates(), 3u);
  EXPECT_EQ(eng.evaluated(), 2u);  // the atom in either case; the regex is case-sensitive
}

// vectorscan 5.4.9 misses a literal of a small set that ends near the end
// of a subject longer than 64 bytes (".vbs" at the end of a 79-byte file
// name, with ".bat" beside it): the engine pads what it scans. Field
// literals, needles and keywords, each at every distance from the end of
// values of 60 to 200 bytes, must give the reference path's matches.
TEST(LiteralIndex, SmallSetMatchesAtTheEndOfALongValue) {
  const std::vector<std::vector<std::string>> sets = {
      {".vbs", ".bat"}, {".vbs", ".bat", ".hta"}, {"/tmp/", ".ps1", "rundll", ".dll"}, {"mimikatz", "sekurlsa"}};
  std::mt19937 rng(7);
  for (const auto& lits : sets) {
    std::string list;
    for (const auto& l : lits) list += "      - '" + l + "'\n";
    auto set = test::rules_from(
        "title: ends\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
        "  sel:\n    TargetFilename|endswith:\n" + list + "  condition: sel\n---\n"
        "title: has\nid: 22222222-2222-2222-2222-222222222222\nlogsource:\n  product: windows\ndetection:\n"
        "  sel:\n    CommandLine|contains:\n" + list + "  condition: sel\n---\n"
        "title: words\nid: 33333333-3333-3333-3333-333333333333\nlogsource:\n  product: windows\ndetection:\n"
        "  keywords:\n" + list + "  condition: keywords\n");
    ASSERT_EQ(set.rules.size(), 3u);
    event_batch batch;
    field_id file = field_names().intern("TargetFilename"), cmd = field_names().intern("CommandLine");
    std::size_t expected_end = 0;
    for (std::size_t len = 60; len <= 200; len += 7)
      for (std::size_t tail = 0; tail < 40; tail += 3)
        for (const auto& l : lits) {
          std::string pre;
          while (pre.size() < len) pre.push_back(static_cast<char>('a' + rng() % 26));
          std::string after(tail, 'z');
          event& ev = batch.begin_event(0, batch.size() + 1);
          ev.logsource.product = set.rules[0].source.product_id;
          batch.add_string(file, pre + l);
          batch.add_string(cmd, pre + l + after);
          batch.end_event();
          ++expected_end;
        }
    SCOPED_TRACE(lits[0]);
    ASSERT_EQ(run_both(set.rules, batch).hits.size(), 3 * expected_end);  // every event: all three rules
  }
}

// The memo of scanned values answers as a scan would: the same text in
// fields with different databases, values too long to remember, non-ASCII
// values (scanned twice, as text and folded), and more distinct values than
// the memo holds (evictions, slot collisions).
TEST(LiteralIndex, ScanMemoAnswersAsTheScanWould) {
  auto set = test::rules_from(
      "title: image\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
      "  sel:\n    Image|endswith: '\\evil.exe'\n  condition: sel\n---\n"
      "title: command\nid: 22222222-2222-2222-2222-222222222222\nlogsource:\n  product: windows\ndetection:\n"
      "  sel:\n    CommandLine|contains: 'evil.exe -x'\n  condition: sel\n---\n"
      "title: folded\nid: 33333333-3333-3333-3333-333333333333\nlogsource:\n  product: windows\ndetection:\n"
      "  sel:\n    CommandLine|contains: 'ünïcödé'\n  filter:\n    Image|endswith: '\\good.exe'\n"
      "  condition: sel and not filter\n");
  ASSERT_EQ(set.rules.size(), 3u);
  field_id image = field_names().intern("Image"), cmd = field_names().intern("CommandLine");
  std::mt19937 rng(11);
  const std::vector<std::string> tails = {"\\evil.exe", "\\good.exe", "\\EVIL.EXE", " evil.exe -x", " ÜNÏCÖDÉ",
                                          " ünïcödé evil.exe -x", ""};
  event_batch batch;
  for (int k = 0; k < 20000; ++k) {
    // Few distinct values at first (memo hits), then many (evictions).
    std::size_t distinct = k < 5000 ? 40 : 100000;
    std::string stem = "C:\\dir" + std::to_string(rng() % distinct);
    if (k % 97 == 0) stem += std::string(600, 'p');  // for the memo of long values
    const std::string& t1 = tails[rng() % tails.size()];
    const std::string& t2 = tails[rng() % tails.size()];
    event& ev = batch.begin_event(0, batch.size() + 1);
    ev.logsource.product = set.rules[0].source.product_id;
    batch.add_string(image, stem + t1);
    batch.add_string(cmd, stem + t2);  // often the very text of another event's Image
    batch.end_event();
  }
  auto r = run_both(set.rules, batch);
  EXPECT_GT(r.hits.size(), 5000u);
  EXPECT_GT(r.memo_hits, r.scans / 10);
  EXPECT_LT(r.memo_hits, r.scans);
}

// Values longer than the memo's 512 bytes have a memo of their own, kept
// for a field while it answers at least one scan in eight (judged after
// 256): repeated long call traces are answered from it; a field of long
// values that never repeat turns it off, so a repeat after those is
// scanned; a value over 8192 bytes is always scanned. The hits are the
// reference's throughout.
TEST(LiteralIndex, LongValuesAreRememberedWhileTheyRepeat) {
  auto set = test::rules_from(
      windows_rule("1", "  sel:\n    CallTrace|contains: 'unknown('\n  condition: sel\n") +
      windows_rule("2", "  sel:\n    CallTrace|contains: 'evil.dll+'\n  filter:\n    CallTrace|contains: 'signed.dll'\n"
                        "  condition: sel and not filter\n"));
  ASSERT_EQ(set.rules.size(), 2u);
  field_id trace = field_names().intern("CallTrace");
  const ls_id product = set.rules[0].source.product_id;
  // A call trace of about `frames` * 30 bytes, told apart by `n`.
  auto call_trace = [](std::size_t n, std::size_t frames) {
    std::string t;
    for (std::size_t f = 0; f < frames; ++f) t += "C:\\Windows\\System32\\ntdll.dll+" + std::to_string(f * 7 + n) + "|";
    if (n % 3 == 0) t += "C:\\x\\Evil.dll+1c|";
    if (n % 5 == 0) t += "C:\\x\\signed.dll+2|";
    if (n % 2 == 0) t += "UNKNOWN(00007FFD)";
    return t;
  };
  auto run_on = [&](const std::vector<std::string>& texts) {
    return run_both(set.rules, test::one_field_events(trace, texts, product));
  };
  std::mt19937 rng(5);
  {
    SCOPED_TRACE("20 long call traces, repeated");
    std::vector<std::string> texts;
    for (int k = 0; k < 2000; ++k) texts.push_back(call_trace(rng() % 20, 20));
    auto r = run_on(texts);
    ASSERT_GT(texts[0].size(), 512u);
    EXPECT_GT(r.hits.size(), 500u);
    EXPECT_GE(r.memo_hits, 2000u - 20u - 20u);  // all but the first sight of each (and a few slot clashes)
  }
  {
    SCOPED_TRACE("300 that never repeat, then one repeated: the memo is off by then");
    std::vector<std::string> texts;
    for (std::size_t k = 0; k < 300; ++k) texts.push_back(call_trace(1000 + k, 20));
    for (int k = 0; k < 200; ++k) texts.push_back(call_trace(6, 20));
    auto r = run_on(texts);
    EXPECT_GT(r.hits.size(), 200u);
    EXPECT_EQ(r.memo_hits, 0u);
    auto alone = run_on(std::vector<std::string>(200, call_trace(6, 20)));
    EXPECT_EQ(alone.memo_hits, 199u);  // the same repeats, met first, are remembered
  }
  {
    SCOPED_TRACE("longer than 8192 bytes: scanned every time");
    auto r = run_on(std::vector<std::string>(50, call_trace(30, 300)));
    ASSERT_GT(call_trace(30, 300).size(), 8192u);
    EXPECT_EQ(r.hits.size(), 50u);  // rule a; b is filtered (30 is a multiple of 5)
    EXPECT_EQ(r.memo_hits, 0u);
    EXPECT_EQ(r.scans, 50u);
  }
}

// EventID indexing: which rules are tied to which EventIDs, and an event
// meets only the rules its EventID allows, with the reference's hits for
// every spelling of the value (number, text, float text, padded text,
// several values, none).
TEST(LiteralIndex, EventIdTiesRulesToTheirEvents) {
  auto set = test::rules_from(
      windows_rule("1", "  sel:\n    EventID: 4688\n    CommandLine|contains: 'whoami'\n  condition: sel\n") +
      windows_rule("2", "  sel:\n    EventID:\n      - 1\n      - '5'\n    Image|endswith: '\\\\x.exe'\n  condition: sel\n") +
      windows_rule("3", "  sel:\n    EventID: 4688\n  condition: not sel\n") +
      windows_rule("4", "  a:\n    EventID: 1\n  b:\n    Image|endswith: '\\\\x.exe'\n  condition: a or b\n") +
      windows_rule("5", "  a:\n    EventID: 10\n  b:\n    EventID|gt: 5\n  condition: a and b\n") +
      windows_rule("6", "  sel:\n    EventID: '04688'\n  condition: sel\n") +
      windows_rule("7", "  a:\n    EventID: 1\n  b:\n    EventID: 5\n  condition: a or b\n"));
  ASSERT_EQ(set.rules.size(), 7u);
  auto ix = std::make_shared<const match::literal_index>(set.rules);
  using ids = std::vector<std::int64_t>;
  EXPECT_EQ(ix->event_ids(0), ids{4688});
  EXPECT_EQ(ix->event_ids(1), (ids{1, 5}));
  EXPECT_EQ(ix->event_ids(2), ids{});  // under `not`
  EXPECT_EQ(ix->event_ids(3), ids{});  // an OR with a branch that does not say
  EXPECT_EQ(ix->event_ids(4), ids{10});
  EXPECT_EQ(ix->event_ids(5), ids{});  // '04688' is text, not that number
  EXPECT_EQ(ix->event_ids(6), (ids{1, 5}));
  EXPECT_EQ(ix->event_id_rules(), 4u);

  field_id eid = field_names().intern("EventID"), image = field_names().intern("Image"),
           cmd = field_names().intern("CommandLine");
  event_batch batch;
  auto add = [&](auto&& set_eid) {
    for (const char* img : {"C:\\x.exe", "C:\\y.exe"}) {
      event& ev = batch.begin_event(0, batch.size() + 1);
      ev.logsource.product = set.rules[0].source.product_id;
      set_eid();
      batch.add_string(image, img);
      batch.add_string(cmd, "whoami /all");
      batch.end_event();
    }
  };
  for (std::int64_t v : {1, 5, 10, 4688, 7}) add([&] { batch.add_value(eid, value::make_int(v)); });
  for (const char* t : {"1", "5", "4688", "04688", " 4688 ", "4688.0", "10", "abc", ""})
    add([&] { batch.add_string(eid, t); });
  add([&] { batch.add_value(eid, value::make_double(4688.0)); });
  add([&] { batch.add_value(eid, value::make_double(4688.5)); });
  add([&] { batch.add_value(eid, value::make_null()); });
  add([&] {
    batch.add_value(eid, value::make_int(1));
    batch.add_value(eid, value::make_int(4688));
  });
  add([&] {});
  auto r = run_both(set.rules, batch, ix);
  EXPECT_GT(r.hits.size(), 20u);
  EXPECT_LT(r.evaluated, r.reference_evaluated);
}

// The needle record is keyed by matcher ordinals when a loaded rule set has
// them, and by matcher address otherwise (rules copied and edited, or
// ordinals given twice): the hits are the reference's either way.
TEST(LiteralIndex, NeedlesAreFoundWithOrWithoutOrdinals) {
  auto set = test::rules_from(
      "title: a\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
      "  sel:\n    CommandLine|contains: 'whoami'\n    Image|endswith:\n      - '\\\\cmd.exe'\n      - '\\\\pwsh.exe'\n"
      "  condition: sel\n---\n"
      "title: b\nid: 22222222-2222-2222-2222-222222222222\nlogsource:\n  product: windows\ndetection:\n"
      "  sel:\n    Image|endswith: '\\\\cmd.exe'\n  filter:\n    CommandLine|contains: 'whoami'\n"
      "  condition: sel and not filter\n");
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0].searches[0].alternatives[0][0].values[0].ordinal, 1u);
  field_id image = field_names().intern("Image"), cmd = field_names().intern("CommandLine");
  event_batch batch;
  for (const char* img : {"C:\\cmd.exe", "C:\\pwsh.exe", "C:\\x.exe"})
    for (const char* line : {"whoami /all", "dir", "WHOAMI"}) {
      event& ev = batch.begin_event(0, batch.size() + 1);
      ev.logsource.product = set.rules[0].source.product_id;
      batch.add_string(image, img);
      batch.add_string(cmd, line);
      batch.end_event();
    }
  auto hits_of = [&](const std::vector<sigma::rule>& rules, bool index) {
    match::engine eng(rules, {.use_index = index});
    std::vector<match::hit> out;
    eng.match_batch(batch, out);
    return out;
  };
  auto expected = hits_of(set.rules, false);
  EXPECT_EQ(expected.size(), 5u);  // a: cmd or pwsh with whoami (4); b: cmd without it (1)
  expect_same_hits(hits_of(set.rules, true), expected);
  for (std::uint32_t same : {0u, 1u}) {  // unnumbered; all numbered 1
    auto copy = set.rules;
    for (auto& r : copy)
      for (auto& s : r.searches)
        for (auto& alt : s.alternatives)
          for (auto& item : alt)
            for (auto& m : item.values) m.ordinal = same;
    SCOPED_TRACE(same);
    expect_same_hits(hits_of(copy, true), expected);
  }
}

// Where a condition ANDs parts (the items of one map, searches under
// `and`, the values of an item under `all`), each part's literal set
// indexes the rule: it is evaluated only on events holding a literal of
// every set, with the reference's hits. `not`, an OR and a literal too
// short to scan for add no set; at most four are kept.
TEST(LiteralIndex, RulesNeedALiteralOfEachSetTheyAnd) {
  auto set = test::rules_from(
      windows_rule("1", "  sel:\n    Image|endswith: '\\\\svchost.exe'\n    CommandLine|contains: 'alpha'\n  condition: sel\n") +
      windows_rule("2", "  a:\n    Image|endswith: '\\\\svchost.exe'\n  b:\n    CommandLine|contains: 'alpha'\n  condition: a and b\n") +
      windows_rule("3", "  sel:\n    CommandLine|contains|all:\n      - 'alpha'\n      - 'beta'\n      - 'gamma'\n  condition: sel\n") +
      windows_rule("4", "  a:\n    Image|endswith: '\\\\svchost.exe'\n  b:\n    CommandLine|contains: 'alpha'\n  condition: a or b\n") +
      windows_rule("5", "  sel:\n    Image|endswith: '\\\\svchost.exe'\n  f:\n    CommandLine|contains: 'alpha'\n"
                "  condition: sel and not f\n") +
      windows_rule("6", "  sel:\n    Image|endswith: '\\\\svchost.exe'\n    CommandLine|contains: 'al'\n  condition: sel\n") +
      windows_rule("7", "  sel:\n    CommandLine|contains|all:\n      - 'alpha'\n      - 'beta'\n      - 'gamma'\n      - 'delta'\n"
                "      - 'epsilon'\n  condition: sel\n") +
      windows_rule("8", "  a:\n    Image|endswith: '\\\\svchost.exe'\n  b:\n    Image|endswith: '\\\\svchost.exe'\n"
                "  condition: a and b\n"));
  ASSERT_EQ(set.rules.size(), 8u);
  auto ix = std::make_shared<const match::literal_index>(set.rules);
  ASSERT_TRUE(ix->active()) << ix->why_inactive();
  const std::size_t sets[] = {2, 2, 3, 1, 1, 1, 4, 1};  // 8: the same set twice is one
  for (std::uint32_t r = 0; r < 8; ++r) EXPECT_EQ(ix->literal_sets(r), sets[r]) << "rule " << r + 1;

  field_id image = field_names().intern("Image"), cmd = field_names().intern("CommandLine");
  event_batch batch;
  const char* images[] = {"C:\\Windows\\svchost.exe", "C:\\x.exe"};
  const char* lines[] = {"alpha beta gamma delta epsilon", "ALPHA", "beta gamma", "Alpha Beta Gamma Delta", "al", "none",
                         "epsilon delta gamma alpha"};  // the last: all but the set rule 7 leaves out
  for (const char* img : images)
    for (const char* line : lines) {
      event& ev = batch.begin_event(0, batch.size() + 1);
      ev.logsource.product = set.rules[0].source.product_id;
      batch.add_string(image, img);
      batch.add_string(cmd, line);
      batch.end_event();
    }
  // Per rule: the events the index lets through are those holding a
  // literal of each of its sets; the hits are the reference's.
  const std::uint64_t evaluated[] = {4, 4, 4, 11, 7, 7, 4, 7};
  for (std::uint32_t r = 0; r < 8; ++r) {
    SCOPED_TRACE("rule " + std::to_string(r + 1));
    EXPECT_EQ(run_both({set.rules[r]}, batch).evaluated, evaluated[r]);
  }
  EXPECT_EQ(run_both(set.rules, batch, ix).hits.size(), 4u + 4 + 4 + 11 + 3 + 5 + 2 + 7);
}

// Of the items an alternative ANDs, the one with the longer literal indexes
// it (up to 32 bytes; then the one with fewer literals): a registry rule
// that ANDs `EventType: SetValue` with a long `Details` literal is not
// evaluated for every SetValue event, only for those holding that literal.
TEST(LiteralIndex, AnAlternativeIsIndexedByItsLongerLiteral) {
  auto set = test::rules_from(windows_rule(
      "1", "  selection1:\n    TargetObject|contains: '\\Services\\HybridConnectionManager'\n"
           "  selection2:\n    EventType: SetValue\n    Details|contains: 'Microsoft.HybridConnectionManager.Listener.exe'\n"
           "  condition: selection1 or selection2\n"));
  ASSERT_EQ(set.rules.size(), 1u);
  field_id type = field_names().intern("EventType"), details = field_names().intern("Details"),
           object = field_names().intern("TargetObject");
  event_batch batch;
  struct row {
    const char* type;
    const char* details;
    const char* object;
  };
  for (const row& r : std::initializer_list<row>{
           {"SetValue", "DWORD (0x00000001)", "HKLM\\Software\\x"},
           {"SetValue", "C:\\Program Files\\Microsoft.HybridConnectionManager.Listener.exe", "HKLM\\Software\\y"},
           {"SetValue", "(Empty)", "HKLM\\System\\CurrentControlSet\\Services\\HybridConnectionManager\\Start"},
           {"CreateKey", "Microsoft.HybridConnectionManager.Listener.exe", "HKLM\\Software\\z"},
           {"SetValue", "Binary Data", "HKLM\\Software\\w"}}) {
    event& ev = batch.begin_event(0, batch.size() + 1);
    ev.logsource.product = set.rules[0].source.product_id;
    batch.add_string(type, r.type);
    batch.add_string(details, r.details);
    batch.add_string(object, r.object);
    batch.end_event();
  }
  auto r = run_both(set.rules, batch);
  EXPECT_EQ(r.evaluated, 3u);    // the events holding one of the two long literals
  EXPECT_EQ(r.hits.size(), 2u);  // the SetValue with the listener, the service key
}

TEST(LiteralIndexCache, SecondLoadComesFromTheCacheWithTheSameMatches) {
  test::scoped_cache_dir cache;
  auto set = test::rules_from(big_rule());
  ASSERT_EQ(set.rules.size(), 1u);
  auto first = std::make_shared<const match::literal_index>(set.rules);
  ASSERT_TRUE(first->active());
  EXPECT_FALSE(first->from_cache());
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(cache.dir)) files += e.path().extension() == ".db";
  EXPECT_EQ(files, 1u);
  auto second = std::make_shared<const match::literal_index>(set.rules);
  ASSERT_TRUE(second->active());
  EXPECT_TRUE(second->from_cache());
  auto a = run(set, first), b = run(set, second);
  ASSERT_EQ(a.size(), 2u);  // NEEDLE17X and needle299x
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k].event_idx, b[k].event_idx);
}

TEST(LiteralIndexCache, ACorruptFileIsCompiledAnewAndReplaced) {
  test::scoped_cache_dir cache;
  auto set = test::rules_from(big_rule());
  auto first = std::make_shared<const match::literal_index>(set.rules);
  ASSERT_TRUE(first->active());
  fs::path file;
  for (const auto& e : fs::directory_iterator(cache.dir)) file = e.path();
  ASSERT_FALSE(file.empty());
  auto size = fs::file_size(file);
  for (std::uintmax_t cut : {size / 2, std::uintmax_t{3}}) {
    fs::resize_file(file, cut);  // truncated
    auto again = std::make_shared<const match::literal_index>(set.rules);
    ASSERT_TRUE(again->active());
    EXPECT_FALSE(again->from_cache());
    EXPECT_EQ(run(set, again).size(), 2u);
    EXPECT_EQ(fs::file_size(file), size);  // written whole again
  }
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);
    f.write("garbage!", 8);  // damaged inside a database
  }
  auto again = std::make_shared<const match::literal_index>(set.rules);
  ASSERT_TRUE(again->active());
  EXPECT_EQ(run(set, again).size(), 2u);
}

// Keyword databases are cached one per file ("kw-"): a second index over
// the same rules reads them back, and a damaged file is compiled anew;
// every index finds the keywords.
TEST(LiteralIndexCache, KeywordDatabasesComeBackFromTheCache) {
  test::scoped_cache_dir cache;
  auto set = test::rules_from(
      "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n"
      "  keywords:\n    - 'sekurlsa::logonpasswords'\n    - 'lsadump::dcsync'\n  condition: keywords\n");
  ASSERT_EQ(set.rules.size(), 1u);
  field_id msg = field_names().intern("Message");
  auto hits_with = [&](std::shared_ptr<const match::literal_index> ix) {
    auto batch = test::one_field_events(msg, {"nothing here", "ran LSADUMP::DCSync", "sekurlsa::logonpasswords"},
                                        set.rules[0].source.product_id);
    match::engine eng(set.rules, {}, std::move(ix));
    std::vector<match::hit> hits;
    eng.match_batch(batch, hits);
    return hits.size();
  };
  auto keyword_files = [&] {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(cache.dir))
      if (e.path().filename().string().rfind("kw-", 0) == 0) out.push_back(e.path());
    return out;
  };
  auto first = std::make_shared<const match::literal_index>(set.rules);
  EXPECT_EQ(hits_with(first), 2u);
  EXPECT_EQ(first->keyword_database_count(), 1u);
  EXPECT_EQ(first->keyword_databases_from_cache(), 0u);
  auto files = keyword_files();
  ASSERT_EQ(files.size(), 1u);
  auto second = std::make_shared<const match::literal_index>(set.rules);
  EXPECT_EQ(hits_with(second), 2u);
  EXPECT_EQ(second->keyword_databases_from_cache(), 1u);
  fs::resize_file(files[0], fs::file_size(files[0]) / 2);  // damaged
  auto third = std::make_shared<const match::literal_index>(set.rules);
  EXPECT_EQ(hits_with(third), 2u);
  EXPECT_EQ(third->keyword_databases_from_cache(), 0u);
  auto fourth = std::make_shared<const match::literal_index>(set.rules);
  EXPECT_EQ(hits_with(fourth), 2u);
  EXPECT_EQ(fourth->keyword_databases_from_cache(), 1u);  // written whole again
}

// Rules that exercise every table of the index: many needles on one field
// (enough to be cached), keywords, EventIDs, a negation, and needles on a
// second field; with events that hit and miss each.
std::string mixed_rules() {
  return big_rule() +
         "---\ntitle: kw\nid: 22222222-2222-2222-2222-222222222222\nlogsource:\n  product: windows\ndetection:\n"
         "  keywords:\n    - 'sekurlsa::logonpasswords'\n    - 'lsadump::dcsync'\n  condition: keywords\n"
         "---\ntitle: eid\nid: 33333333-3333-3333-3333-333333333333\nlogsource:\n  product: windows\ndetection:\n"
         "  sel:\n    EventID: 4688\n    Image|endswith:\n      - '\\\\cmd.exe'\n      - '\\\\pwsh.exe'\n"
         "  filter:\n    CommandLine|contains: 'safe'\n  condition: sel and not filter\n";
}

std::vector<match::hit> mixed_hits(const sigma::rule_set& set, std::shared_ptr<const match::literal_index> ix,
                                   bool use_index = true) {
  event_batch batch;
  field_id cmd = field_names().intern("CommandLine"), img = field_names().intern("Image"),
           eid = field_names().intern("EventID");
  struct row {
    std::int64_t id;
    const char* image;
    const char* line;
  };
  for (const row& r : std::initializer_list<row>{{4688, "C:\\cmd.exe", "a NEEDLE17X b"},
                                                 {4688, "C:\\pwsh.exe", "safe run"},
                                                 {4688, "C:\\PWSH.EXE", "ran LSADUMP::DCSync"},
                                                 {1, "C:\\cmd.exe", "needle299x"},
                                                 {4688, "C:\\x.exe", "nothing"}}) {
    event& ev = batch.begin_event(0, batch.size() + 1);
    ev.logsource.product = set.rules[0].source.product_id;
    batch.add_value(eid, value::make_int(r.id));
    batch.add_string(img, r.image);
    batch.add_string(cmd, r.line);
    batch.end_event();
  }
  match::engine eng(set.rules, {.use_index = use_index}, std::move(ix));
  std::vector<match::hit> out;
  eng.match_batch(batch, out);
  return out;
}

// With the rules' digest, the whole index is cached: a second index over
// the same digest is read back (not derived), tells the same figures and
// finds the reference's hits; another digest derives its own.
TEST(LiteralIndexCache, AWholeIndexComesBackUnderItsDigest) {
  test::scoped_cache_dir cache;
  auto set = test::rules_from(mixed_rules());
  ASSERT_EQ(set.rules.size(), 3u);
  auto expected = mixed_hits(set, nullptr, false);
  // big: NEEDLE17X, needle299x; kw: LSADUMP; eid: cmd (not safe), PWSH with LSADUMP
  ASSERT_EQ(expected.size(), 5u);
  auto first = std::make_shared<const match::literal_index>(set.rules, 1, "digest-a");
  ASSERT_TRUE(first->active());
  EXPECT_FALSE(first->restored());
  auto second = std::make_shared<const match::literal_index>(set.rules, 1, "digest-a");
  ASSERT_TRUE(second->active());
  EXPECT_TRUE(second->restored());
  EXPECT_TRUE(second->from_cache());
  EXPECT_EQ(second->literal_count(), first->literal_count());
  EXPECT_EQ(second->text_count(), first->text_count());
  EXPECT_EQ(second->database_count(), first->database_count());
  EXPECT_EQ(second->event_id_rules(), first->event_id_rules());
  EXPECT_EQ(second->unindexed_rules(), first->unindexed_rules());
  for (std::uint32_t r = 0; r < set.rules.size(); ++r) {
    EXPECT_EQ(second->indexed(r), first->indexed(r)) << r;
    EXPECT_EQ(second->uses_keywords(r), first->uses_keywords(r)) << r;
    EXPECT_EQ(second->event_ids(r), first->event_ids(r)) << r;
  }
  expect_same_hits(mixed_hits(set, first), expected);
  expect_same_hits(mixed_hits(set, second), expected);
  auto other = std::make_shared<const match::literal_index>(set.rules, 1, "digest-b");
  EXPECT_FALSE(other->restored());
  auto none = std::make_shared<const match::literal_index>(set.rules, 1);
  EXPECT_FALSE(none->restored());
  std::size_t index_files = 0;
  for (const auto& e : fs::directory_iterator(cache.dir))
    index_files += e.path().filename().string().rfind("lix-", 0) == 0;
  EXPECT_EQ(index_files, 2u);  // digest-a and digest-b; none without a digest
}

// A damaged index file (cut short, a byte changed anywhere, its database
// file gone) is not trusted: the index is derived anew, finds the same
// hits, and the file is written whole again.
TEST(LiteralIndexCache, ADamagedIndexFileIsDerivedAnew) {
  test::scoped_cache_dir cache;
  auto set = test::rules_from(mixed_rules());
  auto expected = mixed_hits(set, nullptr, false);
  ASSERT_EQ(expected.size(), 5u);
  auto first = std::make_shared<const match::literal_index>(set.rules, 1, "d");
  fs::path file, db;
  for (const auto& e : fs::directory_iterator(cache.dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("lix-", 0) == 0) file = e.path();
    if (name.rfind("hs-", 0) == 0) db = e.path();
  }
  ASSERT_FALSE(file.empty());
  ASSERT_FALSE(db.empty());
  const auto size = fs::file_size(file);
  std::string whole;
  {
    std::ifstream f(file, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(f), {});
  }
  auto expect_derived = [&](const char* what) {
    SCOPED_TRACE(what);
    auto again = std::make_shared<const match::literal_index>(set.rules, 1, "d");
    ASSERT_TRUE(again->active());
    EXPECT_FALSE(again->restored());
    expect_same_hits(mixed_hits(set, again), expected);
    EXPECT_EQ(fs::file_size(file), size);
    auto back = std::make_shared<const match::literal_index>(set.rules, 1, "d");
    EXPECT_TRUE(back->restored());
    expect_same_hits(mixed_hits(set, back), expected);
  };
  for (std::uintmax_t cut : {size - 1, size / 2, std::uintmax_t{3}}) {
    fs::resize_file(file, cut);
    expect_derived("cut short");
  }
  for (std::size_t at : {std::size_t{0}, whole.size() / 3, whole.size() / 2, whole.size() - 40, whole.size() - 1}) {
    std::string bad = whole;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bad;
    expect_derived("a byte changed");
  }
  fs::remove(db);
  expect_derived("its database gone");
}

// An index read back before its rules are at hand (cached(), as hunt does
// on a second thread while it restores the rules) is the one stored under
// that digest: it fits the rules it was derived from and finds their hits.
// It does not fit a set of another size (the digest vouches for the rest);
// none comes back for another digest, a damaged file or with the cache off.
TEST(LiteralIndexCache, AnIndexReadAheadOfItsRulesFitsOnlyThem) {
  test::scoped_cache_dir cache;
  auto set = test::rules_from(mixed_rules());
  auto expected = mixed_hits(set, nullptr, false);
  ASSERT_EQ(expected.size(), 5u);
  EXPECT_EQ(match::literal_index::cached("d"), nullptr);  // nothing stored yet
  auto first = std::make_shared<const match::literal_index>(set.rules, 1, "d");
  ASSERT_FALSE(first->restored());
  auto ahead = match::literal_index::cached("d");
  ASSERT_NE(ahead, nullptr);
  EXPECT_TRUE(ahead->restored());
  EXPECT_TRUE(ahead->fits(set.rules));
  EXPECT_EQ(ahead->text_count(), first->text_count());
  EXPECT_EQ(ahead->database_count(), first->database_count());
  expect_same_hits(mixed_hits(set, ahead), expected);
  EXPECT_FALSE(ahead->fits(test::rules_from(big_rule()).rules));  // one rule, not three
  EXPECT_EQ(match::literal_index::cached("other"), nullptr);
  fs::path file;
  for (const auto& e : fs::directory_iterator(cache.dir))
    if (e.path().filename().string().rfind("lix-", 0) == 0) file = e.path();
  ASSERT_FALSE(file.empty());
  fs::resize_file(file, fs::file_size(file) / 2);
  EXPECT_EQ(match::literal_index::cached("d"), nullptr);
  ::setenv("ARIADNE_CACHE_DIR", "off", 1);
  EXPECT_EQ(match::literal_index::cached("d"), nullptr);
}

TEST(LiteralIndexCache, OffMeansNoFile) {
  test::scoped_cache_dir cache;
  ::setenv("ARIADNE_CACHE_DIR", "off", 1);
  auto set = test::rules_from(big_rule());
  auto ix = std::make_shared<const match::literal_index>(set.rules);
  ASSERT_TRUE(ix->active());
  EXPECT_FALSE(ix->from_cache());
  EXPECT_FALSE(fs::exists(cache.dir));
}

}  // namespace
}  // namespace ariadne
