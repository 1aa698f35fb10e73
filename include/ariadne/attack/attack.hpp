// MITRE ATT&CK knowledge (data/attack/, compiled in), Sigma tag mapping,
// ATT&CK Navigator layers, and ranking of the groups whose known techniques
// fit an observation (docs/attribution.md, docs/decisions/0003).
//
//   const auto& k = attack::knowledge::enterprise();
//   auto tag = attack::resolve_tag("attack.t1003.001");   // technique T1003.001
//   attack::attributor a(k);
//   auto result = a.rank({"T1059.001", "T1003.001"}, 10);  // verdict + groups
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "ariadne/core/result.hpp"

namespace ariadne::attack {

struct tactic {
  std::string shortname;  // as in Sigma tags: "credential-access"
  std::string id;         // TA0006
  std::string name;
  int order = 0;          // 1-based kill-chain order
};

struct technique {
  std::string id;  // T1003.001
  std::string name;
  std::vector<std::string> tactics;  // shortnames
  [[nodiscard]] bool sub() const { return id.find('.') != std::string::npos; }
  [[nodiscard]] std::string parent() const { return id.substr(0, id.find('.')); }
};

// How a group is known to use a technique.
struct group_link {
  std::uint32_t technique = 0;
  bool direct = false;
  std::vector<std::string> campaigns;  // C####
  std::vector<std::string> software;   // S####
};

struct group {
  std::string id;  // G0016
  std::string name;
  std::vector<std::string> aliases;
  std::vector<group_link> links;
};

class knowledge {
 public:
  static const knowledge& enterprise();
  static const knowledge& ics();
  // From the TSV texts of data/attack (file name -> text).
  static result<knowledge> parse(const std::vector<std::pair<std::string_view, std::string_view>>& files,
                                 std::string_view domain);

  [[nodiscard]] const technique* find_technique(std::string_view id) const;  // current ids only
  [[nodiscard]] int technique_index(std::string_view id) const;              // -1 if unknown
  [[nodiscard]] const tactic* find_tactic(std::string_view shortname) const;
  [[nodiscard]] const group* find_group(std::string_view id) const;
  [[nodiscard]] std::string software_name(std::string_view id) const;  // the id itself if unknown
  [[nodiscard]] bool knows_software(std::string_view id) const;
  // Current technique ids for an id that may be retired (revoked into
  // another) or a SigmaHQ v19 id (crosswalk to v18). Empty if unknown or
  // deprecated without successor; `how` says what was done.
  [[nodiscard]] std::vector<std::string> resolve_technique(std::string_view id, std::string* how = nullptr) const;

  std::string domain;  // "enterprise-attack" or "ics-attack"
  std::string version = "18";
  std::vector<tactic> tactics;
  std::vector<technique> techniques;
  std::vector<group> groups;

 private:
  std::unordered_map<std::string, std::uint32_t> technique_at_, group_at_;
  std::unordered_map<std::string, std::string> retired_;                   // id -> replaced_by ("" none)
  std::unordered_map<std::string, std::vector<std::string>> crosswalk_;    // v19 -> the v18 id most rules came from
  std::unordered_map<std::string, std::string> software_;
};

// What a Sigma tag names.
struct tag_meaning {
  enum class kind : std::uint8_t { technique, tactic, group, software, unknown, other } k = kind::other;
  std::vector<std::string> ids;  // current technique ids, tactic shortname, group or software id
  std::string how;               // "revoked into T1547.004", "SigmaHQ v19 id", ...
  bool ics = false;
};
// `attack.t1059.001`, `attack.execution`, `attack.stealth` (SigmaHQ's v19
// split of defense-evasion: mapped to defense-evasion), `attack.g0016`,
// `attack.s0002`; other namespaces (`car.`, `cve.`, `detection.`) are
// `other`; an `attack.` tag naming nothing known is `unknown`.
[[nodiscard]] tag_meaning resolve_tag(std::string_view tag);

// The current Enterprise technique ids a rule's tags name, in tag order,
// without repeats (retired and v19 ids resolved; ICS ids left out).
[[nodiscard]] std::vector<std::string> techniques_from_tags(const std::vector<std::string>& tags);

// An ATT&CK Navigator layer (format 4.5): one entry per technique with its
// score and an optional comment.
struct layer_entry {
  std::string technique;
  double score = 0;
  std::string comment;
};
[[nodiscard]] std::string navigator_layer(const knowledge& k, const std::string& name, const std::string& description,
                                          const std::vector<layer_entry>& entries);

// ---------------------------------------------------------------- ranking

struct ranked_group {
  std::uint32_t group = 0;
  double score = 0;       // calibrated probability that this group is the one, given it is one of them
  double loglik = 0;      // log-likelihood of the observation under the group's profile
  std::vector<std::string> matched;         // observed techniques the group is known for ("T1003.001 (direct)")
  std::vector<std::string> matched_ids;     // the same, ids only
  std::vector<std::string> partial;         // observed, with only a parent or sibling known for the group
  std::vector<std::string> distinguishing;  // its rarest known techniques (what else to look for)
};

struct attribution {
  std::string verdict;  // "ranked" or "unknown"
  double strength = 0;  // share of the observation (IDF-weighted) the best group explains, 0..1
  double threshold = 0;
  std::vector<std::string> observed;  // resolved, current ids
  std::vector<std::string> ignored;   // ids that name no current technique
  std::vector<ranked_group> groups;   // best first
};

struct attributor_options {
  double w_direct = 1.0, w_campaign = 0.9, w_software = 0.35;  // evidence weight by how a link is known
  double w_family = 0.5;       // the parent of an observed sub-technique, or a sub-technique of an observed parent
  double w_sibling = 0.1;      // another sub-technique of the same parent
  double lambda = 0.9;         // weight of the group's profile against the background (smoothing)
  double mass_floor_quantile = 0.5;  // a group's profile mass is at least this quantile of all groups' masses
  double temperature = 1.0;    // for the calibrated score (docs/decisions/0003)
  double unknown_below = 0.0;  // explained share below which the verdict is "unknown"
  double min_score = 0.0;      // ... or a best calibrated score below this (no group stands out)
  // Rank by coverage (docs/decisions/0007): how much of the observation a
  // group explains, each technique weighted by its rarity, no penalty for a
  // group's breadth; the likelihood breaks ties. The score is a softmax of
  // the coverage with this inverse temperature. false: by likelihood (0003).
  bool by_coverage = true;
  double coverage_beta = 8.0;
  // The top score is calibrated (Platt scaling, fitted on the campaign
  // harness): the groups tied at the top coverage hold the true group with
  // probability sigmoid(a + b * margin), margin = the top coverage minus
  // the best below it; they share it equally, and the other groups share
  // the rest by their softmax. Both zero: the softmax alone.
  double platt_a = 0, platt_b = 0;
};

// What the calibration of the top score sees.
struct top_features {
  double margin = 0;  // the top coverage minus the best coverage below it
  double ties = 1;    // groups with the top coverage
};

// The defaults, calibrated by bench/attribution (docs/decisions/0003).
[[nodiscard]] attributor_options calibrated_options();

class attributor {
 public:
  explicit attributor(const knowledge& k, attributor_options o = calibrated_options());
  // Ranks every group for the observed technique ids (retired and v19 ids
  // resolved); `top` best kept with their evidence.
  [[nodiscard]] attribution rank(const std::vector<std::string>& techniques, std::size_t top) const;
  // Log-likelihood of each group, and of the background, for resolved
  // technique indices (for the harness).
  void score(const std::vector<std::uint32_t>& observed, std::vector<double>& per_group, double& background) const;
  // How much of the observation a group explains: the IDF-weighted share of
  // observed techniques it is known for, each counted by its evidence weight.
  [[nodiscard]] double explained(std::uint32_t group, const std::vector<std::uint32_t>& observed) const;
  // Every group, best first, and each group's calibrated score (indexed by group).
  void ordered(const std::vector<std::uint32_t>& observed, std::vector<std::uint32_t>& order,
               std::vector<double>& score, top_features* features = nullptr) const;
  [[nodiscard]] const knowledge& base() const { return k_; }
  [[nodiscard]] const attributor_options& options() const { return o_; }
  [[nodiscard]] double idf(std::uint32_t t) const { return idf_[t]; }

 private:
  [[nodiscard]] double weight(std::uint32_t g, std::uint32_t t, bool* partial) const;
  const knowledge& k_;
  attributor_options o_;
  std::vector<double> idf_;                                    // per technique
  std::vector<std::unordered_map<std::uint32_t, double>> w_;   // per group: technique -> weight
  std::vector<std::unordered_map<std::string, double>> subs_;  // per group: parent id -> best weight of its sub-techniques
  std::vector<double> mass_;                                   // per group: sum of weight * idf
  std::vector<double> background_;                             // per technique: popularity across groups
};

// The plain baseline of the harness: cosine between the observation and
// each group's TF-IDF vector (tf: how many ways the group is linked to the
// technique; idf: ln(N / df)). The group vectors are built once.
class tfidf_baseline {
 public:
  explicit tfidf_baseline(const knowledge& k);
  // Group indices, best first.
  [[nodiscard]] std::vector<std::uint32_t> rank(const std::vector<std::uint32_t>& observed) const;

 private:
  std::vector<double> idf_;                                          // per technique
  std::vector<std::vector<std::pair<std::uint32_t, double>>> vec_;  // per group: technique -> tf x idf
  std::vector<double> norm_;                                         // per group
};

}  // namespace ariadne::attack

namespace ariadne::attack {

// The evaluation harness (bench/attribution): for every group with at least
// `min_techniques` techniques it is known to use itself (directly or in its
// campaigns), an observation samples 30% of them (at least 5) plus noise
// techniques (20% of the sample, at least 1) drawn from all techniques; the
// ranker and the TF-IDF baseline rank every group. Deterministic per seed.
struct harness_options {
  std::vector<std::uint64_t> seeds{1, 2, 3, 4, 5};
  std::size_t min_techniques = 10;
  double sample = 0.30, noise = 0.20;
  std::size_t min_sample = 5;
};

struct harness_result {
  std::size_t groups = 0;       // groups evaluated per seed
  double top1 = 0, top5 = 0;    // ours, mean over seeds
  double tfidf_top1 = 0, tfidf_top5 = 0;
  std::vector<double> top1_by_seed, top5_by_seed, tfidf_top1_by_seed, tfidf_top5_by_seed;
  double mean_top_score = 0;    // mean calibrated score of the top group
  double noise_strength_p95 = 0;  // explained share of pure-noise observations, 95th percentile
  double real_above_threshold = 0;  // share of real observations with strength >= the threshold
  double noise_above_threshold = 0;  // share of pure-noise observations with a "ranked" verdict
  double confident = 0;           // share of real observations whose best score >= min_score
  double confident_top1 = 0;      // top-1 accuracy among those
};

[[nodiscard]] harness_result evaluate(const knowledge& k, const attributor_options& o, const harness_options& h = {});

// The honest harness (issue 23): leave one campaign out. Each ATT&CK
// campaign attributed to a group (its links `via` C####) is an observation:
// its techniques. The campaign is removed from the group's profile first
// (a link known only through it goes; a link also known directly, through
// another campaign or through software stays), so the group must be found
// from what else is known of it, as a new intrusion would be. Variants:
// `partial` keeps half the techniques (per seed), `noisy` adds the most
// common techniques across groups.
struct campaign_case {
  std::string campaign;  // C####
  std::uint32_t group = 0;
  std::vector<std::uint32_t> techniques;
};
// The campaigns of the tables with at least `min_techniques` techniques, by id.
[[nodiscard]] std::vector<campaign_case> campaign_cases(const knowledge& k, std::size_t min_techniques = 5);
// `k` without what only `campaign` taught about `group`.
[[nodiscard]] knowledge without_campaign(const knowledge& k, std::uint32_t group, const std::string& campaign);

struct ranking_figures {
  std::size_t n = 0;
  double top1 = 0, top5 = 0, mrr = 0;
  // Calibration of the top group's score (rankers that give a probability):
  // expected calibration error over 10 equal-width bins, and the bins
  // (mean score, accuracy, count).
  double ece = -1;
  struct bin { double score = 0, accuracy = 0; std::size_t n = 0; };
  std::vector<bin> reliability;
};

struct campaign_options {
  std::vector<std::uint64_t> seeds{1, 2, 3};
  double keep = 0.5;          // partial: share of the techniques kept
  std::size_t generic = 3;    // noisy: how many of the most common techniques are added
  std::size_t min_techniques = 5;
};

struct campaign_result {
  std::size_t campaigns = 0;
  // Per variant ("full", "partial", "noisy"): ariadne's ranker, TF-IDF
  // cosine, and "most techniques in common".
  struct variant {
    std::string name;
    ranking_figures ours, tfidf, overlap, coverage;
    double ranked = 0, ranked_top1 = 0;  // ours: share with a "ranked" verdict, and top-1 among those
  };
  // Every observation of every variant: the top features and whether the
  // true group is among the groups tied at the top (for fitting).
  std::vector<std::pair<top_features, bool>> tops;
  std::vector<variant> variants;
  // Per campaign (full variant): the true group's rank by ariadne and by TF-IDF (1 = first).
  std::vector<std::tuple<std::string, std::string, std::size_t, std::size_t>> ranks;  // campaign, group, ours, tfidf
};

[[nodiscard]] campaign_result evaluate_campaigns(const knowledge& k, const attributor_options& o,
                                                 const campaign_options& c = {});

}  // namespace ariadne::attack
