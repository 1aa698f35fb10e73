// The attribution evaluation harness (bench/attribution/run.sh,
// docs/decisions/0003-attribution-ranking.md).
#include <algorithm>
#include <cmath>
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
      std::vector<double> ll;
      double bg = 0;
      attr.score(obs, ll, bg);
      std::vector<std::uint32_t> order(ll.size());
      for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return ll[a] > ll[b]; });
      t1 += order[0] == g;
      t5 += std::find(order.begin(), order.begin() + std::min<std::ptrdiff_t>(5, static_cast<std::ptrdiff_t>(order.size())), g) !=
            order.begin() + std::min<std::ptrdiff_t>(5, static_cast<std::ptrdiff_t>(order.size()));
      double z = 0;
      for (double v : ll) z += std::exp((v - ll[order[0]]) / o.temperature);
      score_sum += 1.0 / z;
      ++scored;
      if (1.0 / z >= o.min_score) {
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
      attr.score(pure, ll, bg);
      auto top = static_cast<std::uint32_t>(std::max_element(ll.begin(), ll.end()) - ll.begin());
      noise_strengths.push_back(attr.explained(top, pure));
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
    std::size_t above = 0;
    for (double s : noise_strengths) above += s >= o.unknown_below;
    out.noise_above_threshold = static_cast<double>(above) / static_cast<double>(noise_strengths.size());
  }
  out.real_above_threshold = real ? static_cast<double>(real_above) / static_cast<double>(real) : 0;
  out.confident = scored ? static_cast<double>(confident) / static_cast<double>(scored) : 0;
  out.confident_top1 = confident ? static_cast<double>(confident_right) / static_cast<double>(confident) : 0;
  return out;
}

}  // namespace ariadne::attack
