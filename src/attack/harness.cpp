// The attribution evaluation harness (bench/attribution/run.sh,
// docs/decisions/0003-attribution-ranking.md).
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "ariadne/attack/attack.hpp"

namespace ariadne::attack {
namespace {

// Fisher-Yates over the first `n` of `v` with a fixed generator: the same
// sample on every platform and standard library.
template <class T>
std::vector<T> sample(std::vector<T> v, std::size_t n, std::mt19937_64& rng) {
  n = std::min(n, v.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t j = i + static_cast<std::size_t>(rng() % (v.size() - i));
    std::swap(v[i], v[j]);
  }
  v.resize(n);
  return v;
}

}  // namespace

harness_result evaluate(const knowledge& k, const attributor_options& o, const harness_options& h) {
  attributor attr(k, o);
  tfidf_baseline baseline(k);
  harness_result out;
  std::vector<std::uint32_t> all(k.techniques.size());
  for (std::uint32_t t = 0; t < all.size(); ++t) all[t] = t;
  std::vector<double> noise_strengths;
  std::size_t noise_ranked = 0;
  std::size_t real = 0, real_above = 0;
  double score_sum = 0;
  std::size_t scored = 0, confident = 0, confident_right = 0;
  for (auto seed : h.seeds) {
    std::mt19937_64 rng(seed);
    std::size_t n = 0, t1 = 0, t5 = 0, b1 = 0, b5 = 0;
    for (std::uint32_t g = 0; g < k.groups.size(); ++g) {
      std::vector<std::uint32_t> own;
      for (const auto& l : k.groups[g].links)
        if (l.direct || !l.campaigns.empty()) own.push_back(l.technique);
      std::sort(own.begin(), own.end());
      own.erase(std::unique(own.begin(), own.end()), own.end());
      if (own.size() < h.min_techniques) continue;
      ++n;
      auto want = std::max<std::size_t>(h.min_sample, static_cast<std::size_t>(std::lround(h.sample * static_cast<double>(own.size()))));
      auto obs = sample(own, want, rng);
      auto noise_n = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(h.noise * static_cast<double>(obs.size()))));
      for (auto t : sample(all, noise_n, rng))
        if (std::find(obs.begin(), obs.end(), t) == obs.end()) obs.push_back(t);
      std::vector<std::uint32_t> order;
      std::vector<double> prob;
      attr.ordered(obs, order, prob);
      t1 += order[0] == g;
      t5 += std::find(order.begin(), order.begin() + std::min<std::ptrdiff_t>(5, static_cast<std::ptrdiff_t>(order.size())), g) !=
            order.begin() + std::min<std::ptrdiff_t>(5, static_cast<std::ptrdiff_t>(order.size()));
      score_sum += prob[order[0]];
      ++scored;
      if (prob[order[0]] >= o.min_score) {
        ++confident;
        confident_right += order[0] == g;
      }
      double strength = attr.explained(order[0], obs);
      ++real;
      if (strength >= o.unknown_below) ++real_above;
      auto base = baseline.rank(obs);
      b1 += base[0] == g;
      b5 += std::find(base.begin(), base.begin() + std::min<std::ptrdiff_t>(5, static_cast<std::ptrdiff_t>(base.size())), g) !=
            base.begin() + std::min<std::ptrdiff_t>(5, static_cast<std::ptrdiff_t>(base.size()));
      // The same number of techniques, all noise: what "nothing fits" looks like.
      auto pure = sample(all, obs.size(), rng);
      attr.ordered(pure, order, prob);
      noise_strengths.push_back(attr.explained(order[0], pure));
      noise_ranked += noise_strengths.back() >= o.unknown_below && prob[order[0]] >= o.min_score;
    }
    out.groups = n;
    auto frac = [&](std::size_t x) { return n ? static_cast<double>(x) / static_cast<double>(n) : 0.0; };
    out.top1_by_seed.push_back(frac(t1));
    out.top5_by_seed.push_back(frac(t5));
    out.tfidf_top1_by_seed.push_back(frac(b1));
    out.tfidf_top5_by_seed.push_back(frac(b5));
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
  };
  out.top1 = mean(out.top1_by_seed);
  out.top5 = mean(out.top5_by_seed);
  out.tfidf_top1 = mean(out.tfidf_top1_by_seed);
  out.tfidf_top5 = mean(out.tfidf_top5_by_seed);
  out.mean_top_score = scored ? score_sum / static_cast<double>(scored) : 0;
  std::sort(noise_strengths.begin(), noise_strengths.end());
  if (!noise_strengths.empty()) {
    out.noise_strength_p95 = noise_strengths[static_cast<std::size_t>(0.95 * static_cast<double>(noise_strengths.size() - 1))];
    // A "ranked" verdict needs both the strength and the best score (attributor::rank).
    out.noise_above_threshold = static_cast<double>(noise_ranked) / static_cast<double>(noise_strengths.size());
  }
  out.real_above_threshold = real ? static_cast<double>(real_above) / static_cast<double>(real) : 0;
  out.confident = scored ? static_cast<double>(confident) / static_cast<double>(scored) : 0;
  out.confident_top1 = confident ? static_cast<double>(confident_right) / static_cast<double>(confident) : 0;
  return out;
}

std::vector<campaign_case> campaign_cases(const knowledge& k, std::size_t min_techniques) {
  std::map<std::pair<std::string, std::uint32_t>, std::vector<std::uint32_t>> by;
  for (std::uint32_t g = 0; g < k.groups.size(); ++g)
    for (const auto& l : k.groups[g].links)
      for (const auto& c : l.campaigns) by[{c, g}].push_back(l.technique);
  std::vector<campaign_case> out;
  for (auto& [key, ts] : by) {
    std::sort(ts.begin(), ts.end());
    ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
    if (ts.size() >= min_techniques) out.push_back({key.first, key.second, std::move(ts)});
  }
  return out;
}

knowledge without_campaign(const knowledge& k, std::uint32_t group, const std::string& campaign) {
  knowledge out = k;
  auto& links = out.groups[group].links;
  for (auto& l : links) std::erase(l.campaigns, campaign);
  std::erase_if(links, [](const group_link& l) { return !l.direct && l.campaigns.empty() && l.software.empty(); });
  return out;
}

namespace {

struct tally {
  std::size_t n = 0, t1 = 0, t5 = 0;
  double rr = 0;
  std::vector<std::pair<double, bool>> scored;  // top score, right
  void add(std::size_t rank, double top_score = -1) {
    ++n;
    t1 += rank == 1;
    t5 += rank <= 5;
    rr += 1.0 / static_cast<double>(rank);
    if (top_score >= 0) scored.emplace_back(top_score, rank == 1);
  }
  ranking_figures figures() const {
    ranking_figures f;
    f.n = n;
    if (!n) return f;
    f.top1 = static_cast<double>(t1) / static_cast<double>(n);
    f.top5 = static_cast<double>(t5) / static_cast<double>(n);
    f.mrr = rr / static_cast<double>(n);
    if (!scored.empty()) {
      f.reliability.assign(10, {});
      for (auto [s, right] : scored) {
        auto b = std::min<std::size_t>(9, static_cast<std::size_t>(s * 10));
        f.reliability[b].score += s;
        f.reliability[b].accuracy += right ? 1 : 0;
        ++f.reliability[b].n;
      }
      f.ece = 0;
      for (auto& b : f.reliability) {
        if (!b.n) continue;
        b.score /= static_cast<double>(b.n);
        b.accuracy /= static_cast<double>(b.n);
        f.ece += static_cast<double>(b.n) / static_cast<double>(scored.size()) * std::abs(b.score - b.accuracy);
      }
    }
    return f;
  }
};

// 1-based rank of `g` in `order`.
std::size_t rank_of(const std::vector<std::uint32_t>& order, std::uint32_t g) {
  auto it = std::find(order.begin(), order.end(), g);
  return it == order.end() ? order.size() + 1 : static_cast<std::size_t>(it - order.begin()) + 1;
}

}  // namespace

campaign_result evaluate_campaigns(const knowledge& k, const attributor_options& o, const campaign_options& c) {
  campaign_result out;
  auto cases = campaign_cases(k, c.min_techniques);
  out.campaigns = cases.size();
  // The most common techniques across groups: what every intrusion shows.
  std::vector<std::pair<std::size_t, std::uint32_t>> df(k.techniques.size());
  for (std::uint32_t t = 0; t < df.size(); ++t) df[t] = {0, t};
  for (const auto& g : k.groups) {
    std::vector<std::uint32_t> ts;
    for (const auto& l : g.links) ts.push_back(l.technique);
    std::sort(ts.begin(), ts.end());
    ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
    for (auto t : ts) ++df[t].first;
  }
  std::stable_sort(df.begin(), df.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::uint32_t> generic;
  for (std::size_t i = 0; i < df.size() && generic.size() < c.generic; ++i) generic.push_back(df[i].second);

  tally ours[3], tf[3], ov[3], cov[3];
  std::size_t ranked[3] = {}, ranked_right[3] = {};
  const char* names[3] = {"full", "partial", "noisy"};
  for (const auto& cs : cases) {
    knowledge left = without_campaign(k, cs.group, cs.campaign);
    attributor attr(left, o);
    tfidf_baseline base(left);
    // "Most techniques in common" (exact ids), ties by group order.
    auto overlap = [&](const std::vector<std::uint32_t>& obs) {
      std::vector<std::pair<std::size_t, std::uint32_t>> s;
      for (std::uint32_t g = 0; g < left.groups.size(); ++g) {
        std::size_t n = 0;
        for (const auto& l : left.groups[g].links) n += std::find(obs.begin(), obs.end(), l.technique) != obs.end();
        s.emplace_back(n, g);
      }
      std::stable_sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      std::vector<std::uint32_t> order;
      for (auto& [n, g] : s) order.push_back(g);
      return order;
    };
    auto run = [&](int v, const std::vector<std::uint32_t>& obs) {
      std::vector<std::uint32_t> order;
      std::vector<double> prob;
      top_features tf_top;
      attr.ordered(obs, order, prob, &tf_top);
      std::size_t r = rank_of(order, cs.group);
      out.tops.emplace_back(tf_top, r <= static_cast<std::size_t>(tf_top.ties));
      ours[v].add(r, prob[order.front()]);
      if (attr.explained(order.front(), obs) >= o.unknown_below && prob[order.front()] >= o.min_score) {
        ++ranked[v];
        ranked_right[v] += r == 1;
      }
      std::size_t rt = rank_of(base.rank(obs), cs.group);
      tf[v].add(rt);
      ov[v].add(rank_of(overlap(obs), cs.group));
      {
        std::vector<double> e(left.groups.size());
        for (std::uint32_t g = 0; g < e.size(); ++g) e[g] = attr.explained(g, obs);
        std::vector<std::uint32_t> ord(e.size());
        for (std::uint32_t i = 0; i < ord.size(); ++i) ord[i] = i;
        std::stable_sort(ord.begin(), ord.end(), [&](auto a, auto b) { return e[a] > e[b]; });
        cov[v].add(rank_of(ord, cs.group));
      }
      if (v == 0) out.ranks.emplace_back(cs.campaign, k.groups[cs.group].id, r, rt);
    };
    run(0, cs.techniques);
    for (auto seed : c.seeds) {
      std::uint64_t h = 1469598103934665603ULL;  // FNV-1a of the id: the same sample everywhere
      for (char ch : cs.campaign) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
      std::mt19937_64 rng(seed ^ h);
      auto keep = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(c.keep * static_cast<double>(cs.techniques.size()))));
      run(1, sample(cs.techniques, keep, rng));
    }
    auto noisy = cs.techniques;
    for (auto t : generic)
      if (std::find(noisy.begin(), noisy.end(), t) == noisy.end()) noisy.push_back(t);
    run(2, noisy);
  }
  for (int v = 0; v < 3; ++v) {
    out.variants.push_back({names[v], ours[v].figures(), tf[v].figures(), ov[v].figures(), cov[v].figures()});
    auto& x = out.variants.back();
    x.ranked = ours[v].n ? static_cast<double>(ranked[v]) / static_cast<double>(ours[v].n) : 0;
    x.ranked_top1 = ranked[v] ? static_cast<double>(ranked_right[v]) / static_cast<double>(ranked[v]) : 0;
  }
  return out;
}

}  // namespace ariadne::attack
