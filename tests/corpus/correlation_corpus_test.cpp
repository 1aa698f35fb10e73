// Hayabusa's three correlation rules on the DeepBlueCLI attack logs and on
// the OTRF atomic background, through the same path as `ariadne hunt`:
// EVTX reader -> normaliser -> matcher -> correlation engine.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "ariadne/correlate/correlate.hpp"
#include "ariadne/ingest/evtx.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/match/prefilter.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "ariadne/report/alert.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

const char* k_dir = "hayabusa-rules/hayabusa/builtin/Security/LogonLogoff/Logon/";

sigma::rule_set hayabusa_correlations() {
  std::string d = test::shared(k_dir);
  return sigma::load_rules({d + "Sec_4625_Med_LogonFail_UserGuessing_Correlation.yml",
                            d + "Sec_4648_Med_ExplicitLogon_PW-Spray_Correlation.yml",
                            d + "Sec_4625_Med_LogonFail_WrongPW_PW-Guessing_Correlation.yml"},
                           {});
}

struct outcome {
  std::vector<std::string> lines;  // correlation JSON lines, in output order
  std::uint64_t hits = 0;
};

outcome hunt(const sigma::rule_set& set, const std::vector<std::string>& files, unsigned threads,
             bool prefilter = false) {
  outcome out;
  match::engine eng(set.rules);
  match::prefilter pre(set.rules);
  correlate::engine corr(set.correlation_rules, set.rules);
  std::vector<match::hit> hits;
  std::vector<std::string> sources;
  auto on_batch = [&](event_batch& b) {
    hits.clear();
    eng.match_batch(b, hits);
    for (const auto& h : hits) {
      const event& ev = b.events()[h.event_idx];
      ++out.hits;
      corr.add_hit(h.rule_idx, b, ev,
                   report::alert_id(set.rules[h.rule_idx].id, report::event_identity(b, ev, {})));
    }
    b.clear();
  };
  auto normalise = [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); };
  std::vector<ingest::input_problem> problems;
  for (const auto& f : files) {
    if (f.size() > 5 && f.compare(f.size() - 5, 5, ".evtx") == 0) {
      auto idx = static_cast<std::uint32_t>(sources.size());
      sources.push_back(f);
      ingest::evtx::reader_options o;
      o.threads = threads;
      ingest::evtx::read_events({{f, f, {}}}, o, idx, normalise, [&](ingest::evtx::chunk_output& c) { on_batch(c.batch); },
                                [](std::size_t, const ingest::evtx::file_stats&, const std::vector<ingest::evtx::problem>&) {});
    } else {
      ingest::for_each_member(
          f,
          [&](const ingest::member& m) {
            if (!ingest::json_reader::sniff(std::string_view(m.data->data(), m.data->size()))) return;
            auto idx = static_cast<std::uint32_t>(sources.size());
            sources.push_back(m.name);
            ingest::json_reader jr;
            if (prefilter && pre.active()) jr.keep_record = [&pre](std::string_view raw) { return pre.keep(raw); };
            event_batch batch;
            jr.read(m.name, *m.data, idx, batch, normalise, on_batch, problems);
            on_batch(batch);
          },
          problems);
    }
  }
  for (const auto& r : corr.run()) out.lines.push_back(report::correlation_to_jsonl(r, set.correlation_rules[r.correlation]));
  return out;
}

TEST(HayabusaCorrelations, FireOnPasswordGuessingAndSprayingAsDefined) {
  ARIADNE_REQUIRE_SHARED();
  auto set = hayabusa_correlations();
  ASSERT_EQ(set.correlation_rules.size(), 3u);
  ASSERT_EQ(set.rules.size(), 3u);
  for (const auto& r : set.rules) EXPECT_FALSE(r.standalone) << r.title;  // generate: false
  std::string a = test::shared("attacks/deepbluecli/smb-password-guessing-security.evtx");
  std::string b = test::shared("attacks/deepbluecli/password-spray.evtx");
  auto one = hunt(set, {a, b}, 1);
  std::map<std::string, int> by_title;
  std::map<std::string, std::set<std::string>> groups;
  for (const auto& l : one.lines) {
    auto title = l.substr(l.find("\"title\":\"") + 9);
    title = title.substr(0, title.find('"'));
    ++by_title[title];
    auto g = l.substr(l.find("\"group\":{") + 9);
    groups[title].insert(g.substr(0, g.find('}')));
  }
  // PW Guessing: 4625 wrong-password failures (SubStatus 0xc000006a) from
  // one source for one account, 5 per 5 minutes: Metasploit's SMB login
  // scanner hammering "Administrator" from 192.168.198.149.
  EXPECT_GE(by_title["PW Guessing"], 700);
  ASSERT_EQ(groups["PW Guessing"].size(), 1u);
  EXPECT_NE(groups["PW Guessing"].begin()->find("\"TargetUserName\":\"Administrator\""), std::string::npos);
  EXPECT_NE(groups["PW Guessing"].begin()->find("\"IpAddress\":\"192.168.198.149\""), std::string::npos);
  // PW Spray: explicit-credential logons (4648) for 5 different accounts from
  // one source to one computer in 5 minutes.
  EXPECT_GE(by_title["PW Spray"], 50);
  ASSERT_EQ(groups["PW Spray"].size(), 1u);
  EXPECT_NE(groups["PW Spray"].begin()->find("\"IpAddress\":\"172.16.144.128\""), std::string::npos);
  // User Guessing needs failures for non-existent users (0xc0000064): none here.
  EXPECT_EQ(by_title.count("User Guessing"), 0u);

  // The same with 2 parser threads and the files in the other order.
  auto two = hunt(set, {b, a}, 2);
  EXPECT_EQ(one.lines, two.lines);
}

TEST(HayabusaCorrelations, QuietOnTheOtrfAtomicBackground) {
  ARIADNE_REQUIRE_SHARED();
  auto set = hayabusa_correlations();
  auto r = hunt(set, test::expand(test::shared("attacks/otrf-security-datasets/atomic")), 1);
  EXPECT_TRUE(r.lines.empty()) << r.lines.size() << " correlation alert(s), first: " << r.lines[0];
  EXPECT_GT(r.hits, 0u);  // base rules do match there, just never enough to correlate
  // The literal prefilter (active for these rules) changes nothing.
  ASSERT_TRUE(match::prefilter(set.rules).active());
  auto p = hunt(set, test::expand(test::shared("attacks/otrf-security-datasets/atomic")), 1, true);
  EXPECT_EQ(p.hits, r.hits);
  EXPECT_EQ(p.lines, r.lines);
}

}  // namespace
}  // namespace ariadne
