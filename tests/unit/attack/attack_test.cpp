// ATT&CK knowledge, tag mapping, Navigator layers and group ranking.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>

#include "ariadne/attack/attack.hpp"

namespace ariadne::attack {
namespace {

TEST(Knowledge, EmbeddedTablesLoad) {
  const auto& e = knowledge::enterprise();
  EXPECT_EQ(e.tactics.size(), 14U);
  EXPECT_EQ(e.techniques.size(), 691U);
  EXPECT_EQ(e.groups.size(), 172U);
  ASSERT_NE(e.find_technique("T1003.001"), nullptr);
  EXPECT_EQ(e.find_technique("t1003.001")->name, "LSASS Memory");
  ASSERT_NE(e.find_group("G0016"), nullptr);
  EXPECT_EQ(e.find_group("G0016")->name, "APT29");
  EXPECT_EQ(e.software_name("S0002"), "Mimikatz");
  const auto& i = knowledge::ics();
  EXPECT_EQ(i.tactics.size(), 12U);
  EXPECT_EQ(i.techniques.size(), 83U);
  EXPECT_EQ(i.domain, "ics-attack");
}

// Small tables with CRLF line ends, blank lines and every kind of link
// reference read as the embedded ones do; a short row is an error naming
// its table; a group link to an unknown technique is dropped.
TEST(Knowledge, ParsesTablesAndRefusesShortRows) {
  const std::string tactics = "shortname\ttactic_id\tname\torder\r\ncredential-access\tTA0006\tCredential Access\t7\r\n\r\n";
  const std::string techniques =
      "technique_id\tname\ttactics\nT1003\tOS Credential Dumping\tcredential-access\nT1003.001\tLSASS Memory\tcredential-access,\n";
  const std::string groups = "group_id\tname\taliases\nG0016\tAPT29\tCozy Bear; The Dukes ;\n";
  const std::string links = "group_id\ttechnique_id\tvia\nG0016\tT1003.001\td,C0001,S0002,\nG0016\tT9999\td\nG0016\tT1003\tS0002\n";
  const std::vector<std::pair<std::string_view, std::string_view>> files = {
      {"x/tactics.tsv", tactics}, {"x/techniques.tsv", techniques}, {"groups.tsv", groups}, {"group_techniques.tsv", links}};
  auto k = knowledge::parse(files, "test");
  ASSERT_TRUE(k.has_value());
  ASSERT_EQ(k->tactics.size(), 1U);
  EXPECT_EQ(k->tactics[0].id, "TA0006");
  EXPECT_EQ(k->tactics[0].name, "Credential Access");
  EXPECT_EQ(k->tactics[0].order, 7);  // the CR is not part of the last cell
  ASSERT_EQ(k->techniques.size(), 2U);
  EXPECT_EQ(k->techniques[1].tactics, std::vector<std::string>{"credential-access"});
  ASSERT_EQ(k->groups.size(), 1U);
  EXPECT_EQ(k->groups[0].aliases, (std::vector<std::string>{"Cozy Bear", "The Dukes"}));
  ASSERT_EQ(k->groups[0].links.size(), 2U);
  const auto& l = k->groups[0].links[0];
  EXPECT_EQ(k->techniques[l.technique].id, "T1003.001");
  EXPECT_TRUE(l.direct);
  EXPECT_EQ(l.campaigns, std::vector<std::string>{"C0001"});
  EXPECT_EQ(l.software, std::vector<std::string>{"S0002"});
  EXPECT_FALSE(k->groups[0].links[1].direct);
  EXPECT_EQ(k->groups[0].links[1].software, std::vector<std::string>{"S0002"});

  const std::string short_row = techniques + "T1059\tCommand and Scripting Interpreter\n";
  auto bad = knowledge::parse({{"tactics.tsv", tactics}, {"techniques.tsv", short_row}}, "test");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().to_string().find("techniques.tsv"), std::string::npos);
}

TEST(Tags, TechniquesTacticsGroupsSoftware) {
  auto t = resolve_tag("attack.t1059.001");
  EXPECT_EQ(t.k, tag_meaning::kind::technique);
  EXPECT_EQ(t.ids, std::vector<std::string>{"T1059.001"});
  auto tac = resolve_tag("attack.credential-access");
  EXPECT_EQ(tac.k, tag_meaning::kind::tactic);
  EXPECT_EQ(tac.ids, std::vector<std::string>{"credential-access"});
  EXPECT_EQ(resolve_tag("attack.credential_access").ids, std::vector<std::string>{"credential-access"});
  EXPECT_EQ(resolve_tag("attack.g0016").k, tag_meaning::kind::group);
  EXPECT_EQ(resolve_tag("attack.s0002").k, tag_meaning::kind::software);
  EXPECT_EQ(resolve_tag("car.2019-04-004").k, tag_meaning::kind::other);
  EXPECT_EQ(resolve_tag("detection.threat-hunting").k, tag_meaning::kind::other);
  EXPECT_EQ(resolve_tag("attack.t9999").k, tag_meaning::kind::unknown);
  EXPECT_EQ(resolve_tag("attack.ds0005").k, tag_meaning::kind::unknown);
  auto ics = resolve_tag("attack.t0800");
  EXPECT_EQ(ics.k, tag_meaning::kind::technique);
  EXPECT_TRUE(ics.ics);
}

TEST(Tags, NewerSigmaNamesAndRetiredIds) {
  // SigmaHQ's ATT&CK v19 tactics are parts of v18's defense-evasion.
  for (const char* tag : {"attack.stealth", "attack.defense-impairment"}) {
    auto m = resolve_tag(tag);
    EXPECT_EQ(m.k, tag_meaning::kind::tactic) << tag;
    EXPECT_EQ(m.ids, std::vector<std::string>{"defense-evasion"}) << tag;
  }
  // A v19 technique id, through SigmaHQ's retagging: the v18 id most rules came from.
  auto v19 = resolve_tag("attack.t1685");
  EXPECT_EQ(v19.k, tag_meaning::kind::technique);
  EXPECT_EQ(v19.ids, std::vector<std::string>{"T1562.001"});
  EXPECT_NE(v19.how.find("v19"), std::string::npos);
  EXPECT_EQ(resolve_tag("attack.t1685.005").ids, std::vector<std::string>{"T1070.001"});
  // A revoked id, followed to its successor.
  auto old = resolve_tag("attack.t1004");
  EXPECT_EQ(old.ids, std::vector<std::string>{"T1547.004"});
  EXPECT_NE(old.how.find("revoked"), std::string::npos);
}

TEST(Navigator, LayerCarriesTheRequiredFields) {
  const auto& k = knowledge::enterprise();
  auto text = navigator_layer(k, "test layer", "two techniques", {{"T1059.001", 3, "three rules"}, {"T1003.001", 1, ""}});
  simdjson::dom::parser parser;
  simdjson::padded_string p(text);
  simdjson::dom::element root;
  ASSERT_FALSE(parser.parse(p).get(root));
  std::string_view s;
  ASSERT_FALSE(root["name"].get(s));
  EXPECT_EQ(s, "test layer");
  ASSERT_FALSE(root["domain"].get(s));
  EXPECT_EQ(s, "enterprise-attack");
  ASSERT_FALSE(root["versions"]["layer"].get(s));
  EXPECT_EQ(s.substr(0, 2), "4.");
  ASSERT_FALSE(root["versions"]["attack"].get(s));
  EXPECT_EQ(s, "18");
  ASSERT_FALSE(root["versions"]["navigator"].get(s));
  simdjson::dom::array techniques;
  ASSERT_FALSE(root["techniques"].get(techniques));
  ASSERT_EQ(techniques.size(), 2U);
  ASSERT_FALSE(techniques.at(0)["techniqueID"].get(s));
  EXPECT_EQ(s, "T1059.001");
  double score = 0;
  ASSERT_FALSE(techniques.at(0)["score"].get(score));
  EXPECT_EQ(score, 3);
}

TEST(Attribution, AGroupsOwnRareTechniquesPickIt) {
  const auto& k = knowledge::enterprise();
  attributor a(k);
  // APT29's ten rarest direct techniques, plus two common noise techniques.
  const auto* g = k.find_group("G0016");
  ASSERT_NE(g, nullptr);
  std::vector<std::pair<double, std::string>> own;
  for (const auto& l : g->links)
    if (l.direct) own.emplace_back(-a.idf(l.technique), k.techniques[l.technique].id);
  std::sort(own.begin(), own.end());
  std::vector<std::string> obs;
  for (std::size_t i = 0; i < 10 && i < own.size(); ++i) obs.push_back(own[i].second);
  obs.push_back("T1059.001");
  obs.push_back("T1105");
  auto r = a.rank(obs, 5);
  EXPECT_EQ(r.verdict, "ranked");
  ASSERT_FALSE(r.groups.empty());
  EXPECT_EQ(k.groups[r.groups[0].group].id, "G0016");
  EXPECT_GE(r.groups[0].matched.size(), 10U);
  EXPECT_GT(r.groups[0].score, 0.5);
  for (std::size_t i = 1; i < r.groups.size(); ++i) EXPECT_LE(r.groups[i].score, r.groups[i - 1].score);
}

TEST(Attribution, PartialCreditWithinATechniqueFamily) {
  const auto& k = knowledge::enterprise();
  attributor a(k);
  // A parent observed where a group knows a sub-technique counts, less than
  // the exact technique.
  auto exact = a.rank({"T1003.001"}, 200);
  auto parent = a.rank({"T1003"}, 200);
  auto find = [&](const attribution& r, std::string_view id) -> const ranked_group* {
    for (const auto& g : r.groups)
      if (k.groups[g.group].id == id) return &g;
    return nullptr;
  };
  // G0114 (Chimera) is known for T1003.001 but not for T1003 itself.
  const auto* e = find(exact, "G0114");
  const auto* p = find(parent, "G0114");
  ASSERT_NE(e, nullptr);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(e->matched_ids, std::vector<std::string>{"T1003.001"});
  EXPECT_EQ(p->partial, std::vector<std::string>{"T1003"});
}

TEST(Attribution, NothingFitsIsUnknown) {
  attributor a(knowledge::enterprise());
  EXPECT_EQ(a.rank({}, 5).verdict, "unknown");
  auto bogus = a.rank({"T9999", "not-a-technique"}, 5);
  EXPECT_EQ(bogus.verdict, "unknown");
  EXPECT_EQ(bogus.ignored.size(), 2U);
  // Pure noise is covered by the harness test below (at most 5% ranked).
  // Everyday techniques, and a generic Impacket wmiexec chain, fit many
  // groups as well: no verdict (issue 23).
  EXPECT_EQ(a.rank({"T1059.001", "T1105", "T1082"}, 5).verdict, "unknown");
  EXPECT_EQ(a.rank({"T1047", "T1021.002", "T1059.003", "T1070.001", "T1550.002"}, 5).verdict, "unknown");
}

TEST(Attribution, SyntheticHarnessStillBeatsTheTfIdfBaseline) {
  // The synthetic harness (observations sampled from a group's own
  // techniques) is a unit check only (docs/decisions/0007): the ranker must
  // still find most groups from their own techniques, and pure noise must
  // stay "unknown".
  auto r = evaluate(knowledge::enterprise(), calibrated_options());
  EXPECT_GE(r.groups, 100U);
  EXPECT_GE(r.top5, 0.85);
  EXPECT_GE(r.top1, r.tfidf_top1 + 0.10);
  EXPECT_GT(r.top5, r.tfidf_top5);
  EXPECT_LE(r.noise_above_threshold, 0.05);
}

TEST(CampaignHarness, ACampaignLeavesItsGroupsProfileButNotWhatIsKnownBesides) {
  const auto& k = knowledge::enterprise();
  auto cases = campaign_cases(k);
  ASSERT_GE(cases.size(), 15U);  // ATT&CK v18.1: 22 campaigns with a group and at least 5 techniques
  const auto* g = k.find_group("G0004");
  ASSERT_NE(g, nullptr);
  auto gi = static_cast<std::uint32_t>(g - k.groups.data());
  auto left = without_campaign(k, gi, "C0052");
  auto has = [&](const knowledge& kk, const char* t) {
    auto ti = static_cast<std::uint32_t>(kk.technique_index(t));
    for (const auto& l : kk.groups[gi].links)
      if (l.technique == ti) return true;
    return false;
  };
  // T1090.003 is known for G0004 only through C0052; T1190 directly too.
  EXPECT_TRUE(has(k, "T1090.003"));
  EXPECT_FALSE(has(left, "T1090.003"));
  EXPECT_TRUE(has(left, "T1190"));
  for (const auto& l : left.groups[gi].links)
    EXPECT_EQ(std::count(l.campaigns.begin(), l.campaigns.end(), "C0052"), 0);
  EXPECT_EQ(left.groups.size(), k.groups.size());
}

TEST(CampaignHarness, FiguresForEveryRankerAndVariant) {
  auto r = evaluate_campaigns(knowledge::enterprise(), calibrated_options());
  ASSERT_EQ(r.variants.size(), 3U);
  EXPECT_EQ(r.ranks.size(), r.campaigns);
  for (const auto& v : r.variants)
    for (const auto* f : {&v.ours, &v.tfidf, &v.overlap, &v.coverage}) {
      EXPECT_GE(f->n, r.campaigns);
      EXPECT_GE(f->top5, f->top1);
      EXPECT_GT(f->mrr, 0.0);
      EXPECT_LE(f->mrr, 1.0);
    }
  // What the harness decided (docs/decisions/0007): the ranker scores a
  // group by its rarity-weighted coverage of the observation, without
  // penalising breadth, and beats TF-IDF cosine by more than 15 points
  // top-1; its calibrated score is within 0.2 of the accuracy it claims
  // on every variant.
  EXPECT_GE(r.variants[0].ours.top1, r.variants[0].tfidf.top1 + 0.15);
  EXPECT_GE(r.variants[0].ours.mrr, r.variants[0].overlap.mrr);
  for (const auto& v : r.variants) {
    EXPECT_GE(v.ours.ece, 0.0) << v.name;
    EXPECT_LE(v.ours.ece, 0.20) << v.name;
  }
}

}  // namespace
}  // namespace ariadne::attack
