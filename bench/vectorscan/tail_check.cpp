// How often does vectorscan miss a literal that ends near the end of the
// scanned text, with and without NUL padding after it? The engine pads every
// text it scans (src/match/engine.cpp, k_scan_pad) because vectorscan 5.4.9,
// the Debian 12 package, misses some such matches for small literal sets.
//
//   build/release/bench/vectorscan_tail_check [trials]
//
// For each padding (0, 16, 24, 32, 64 bytes) it builds the same random
// literal sets (2 to 41 literals of 3 to 22 bytes; caseless, single match, as
// the engine compiles them), scans texts holding one of them 0 to 79 bytes
// before the end, and counts the literals not reported. Exit status 1 if a
// padding of 32 bytes or more missed anything.
#include <hs/hs.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

int on_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  auto* wanted = static_cast<unsigned*>(ctx);
  if (id == *wanted) *wanted = UINT32_MAX;
  return 0;
}

struct tally {
  long scans = 0;
  long misses = 0;
};

tally run(std::size_t pad, int trials) {
  std::mt19937 rng(7);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz.\\-_0123456789 ";
  auto random_text = [&](std::size_t n) {
    std::string s;
    for (std::size_t k = 0; k < n; ++k) s.push_back(alphabet[rng() % alphabet.size()]);
    return s;
  };
  tally t;
  for (int trial = 0; trial < trials; ++trial) {
    const unsigned n = 2 + static_cast<unsigned>(trial % 40);
    std::vector<std::string> lits;
    for (unsigned k = 0; k < n; ++k) lits.push_back(random_text(3 + rng() % 20));
    std::vector<const char*> exprs;
    std::vector<std::size_t> lens;
    std::vector<unsigned> flags(n, HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH), ids;
    for (unsigned k = 0; k < n; ++k) {
      exprs.push_back(lits[k].data());
      lens.push_back(lits[k].size());
      ids.push_back(k);
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(), n, HS_MODE_BLOCK, nullptr, &db,
                             &err) != HS_SUCCESS) {
      std::fprintf(stderr, "compile failed: %s\n", err && err->message ? err->message : "?");
      std::exit(2);
    }
    hs_scratch_t* scratch = nullptr;
    hs_alloc_scratch(db, &scratch);
    for (int q = 0; q < 60; ++q) {
      unsigned wanted = static_cast<unsigned>(rng() % n);
      std::string text = random_text(rng() % 300) + lits[wanted] + random_text(rng() % 80);
      text.append(pad, '\0');
      hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, on_match, &wanted);
      ++t.scans;
      if (wanted != UINT32_MAX) ++t.misses;
    }
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const int trials = argc > 1 ? std::atoi(argv[1]) : 20000;
  std::printf("vectorscan %s\n", hs_version());
  int status = 0;
  for (std::size_t pad : {0, 16, 24, 32, 64}) {
    tally t = run(pad, trials);
    std::printf("padding %2zu bytes: %ld scans, %ld literals missed\n", pad, t.scans, t.misses);
    if (pad >= 32 && t.misses) status = 1;
  }
  return status;
}
