// `ariadne dump`: EVTX records as JSON lines (evtx crate layout) or XML.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "ariadne/ingest/evtx.hpp"
#include "ariadne/ingest/input.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {

namespace {

}  // namespace

unsigned default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

unsigned clamp_threads(unsigned requested) {
  if (requested == 0) return default_threads();
  // Each thread holds its own matcher state and batches: more threads than
  // cores only costs memory (4 GB at -j 512). Twice the cores leaves room
  // for I/O waits.
  const unsigned most = std::max(4u, 2 * default_threads());
  if (requested <= most) return requested;
  std::fprintf(stderr, "ariadne: note: -j %u lowered to %u (twice the %u core(s) here)\n", requested, most,
               default_threads());
  return most;
}

int run_dump(const dump_options& opts) {
  palette err_pal(!opts.no_color && is_tty(stderr));
  std::vector<ingest::input_problem> input_problems;
  if (!output_is_safe(opts.output, opts.inputs, false)) return k_exit_usage;
  ingest::input_spool spool;
  auto files = ingest::expand_inputs(opts.inputs, input_problems, spool);
  for (const auto& p : input_problems)
    std::fprintf(stderr, "ariadne: %s: %s: %s\n", err_pal.paint("warning", "33").c_str(), printable(p.where).c_str(),
                 printable(p.message).c_str());
  if (files.empty()) {
    std::fprintf(stderr, "ariadne: no input files\n");
    return k_exit_fatal;
  }
  output_file out_file;
  if (!out_file.open(opts.output)) return k_exit_fatal;
  const bool xml = opts.format == "xml";
  ingest::evtx::reader_options ropts;
  ropts.threads = clamp_threads(opts.threads);

  std::uint64_t records = 0, bad_records = 0, files_read = 0, problems = 0, shown = 0,
                other_files = 0;
  std::vector<ingest::evtx::source> batch;
  auto report = [&](const std::string& name, const ingest::evtx::problem& p) {
    ++problems;
    if (++shown > opts.max_problems_shown) return;
    std::fprintf(stderr, "ariadne: %s: %s [%s]\n",
                 p.fatal ? err_pal.paint("error", "31").c_str() : err_pal.paint("warning", "33").c_str(),
                 printable(ingest::evtx::describe(name, p)).c_str(), p.reason.c_str());
  };
  auto render = [&](const ingest::evtx::record& r, ingest::evtx::chunk_output& o) {
    if (xml) {
      ingest::evtx::render_xml(r, o.text, &o.render);
    } else {
      ingest::evtx::render_json(r, o.text, &o.render, /*full_time=*/true);
      o.text.push_back('\n');
    }
  };
  auto run_batch = [&] {
    if (batch.empty()) return;
    ingest::evtx::read_sources(
        batch, ropts, render,
        [&](ingest::evtx::chunk_output& o) {
          out_file.write(o.text);
          for (const auto& p : o.problems) report(batch[o.source_idx].name, p);
        },
        [&](std::size_t idx, const ingest::evtx::file_stats& fs, const std::vector<ingest::evtx::problem>& ps) {
          for (const auto& p : ps) report(batch[idx].name, p);
          records += fs.records;
          bad_records += fs.bad_records;
          ++files_read;
        });
    batch.clear();
  };

  auto ends_with = [](const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const auto& in : files) {
    const std::string& file = in.path;
    // A `.evtx` name goes straight to the reader, whose workers check the
    // signature (and report a file that is not EVTX); other names are
    // recognised by their first bytes here.
    if (ends_with(file, ".evtx") || ingest::evtx::file_is_evtx(file)) {
      batch.push_back({in.name, file, {}});
      continue;
    }
    // Anything else may be an archive holding EVTX members (for_each_member
    // recognises compression by content; a plain file is one member).
    run_batch();  // keep the output in path order
    std::vector<ingest::input_problem> member_problems;
    std::size_t found = 0;
    ingest::for_each_member(
        file,
        [&](const ingest::member& m) {
          std::span<const std::uint8_t> image(reinterpret_cast<const std::uint8_t*>(m.data->data()), m.data->size());
          if (!ingest::evtx::sniff(image)) return;  // labels, READMEs in the archive
          ++found;
          batch.push_back({m.name, {}, image});
          run_batch();
        },
        member_problems, 4ULL << 30, in.name);
    for (const auto& p : member_problems) {
      ++problems;
      std::fprintf(stderr, "ariadne: %s: %s: %s\n", err_pal.paint("warning", "33").c_str(), printable(p.where).c_str(),
                   printable(p.message).c_str());
    }
    if (found == 0 && member_problems.empty()) {
      // Named on the command line: a warning. Met in a directory walk
      // (READMEs, JSON logs beside the EVTX files): counted only.
      if (in.named) {
        ++problems;
        std::fprintf(stderr, "ariadne: %s: %s: not an EVTX file; skipped\n", err_pal.paint("warning", "33").c_str(),
                     printable(in.name).c_str());
      } else {
        ++other_files;
      }
    }
  }
  run_batch();
  if (int rc = out_file.commit("the output"); rc != k_exit_ok) return rc;
  if (!opts.quiet) {
    std::string line = fmt::format("ariadne: {} records from {} file(s); {} unreadable record(s); {} problem(s)",
                                   records, files_read, bad_records, problems);
    if (shown > opts.max_problems_shown) line += fmt::format(" (first {} shown)", opts.max_problems_shown);
    if (other_files) line += fmt::format("; {} other file(s) in the directories skipped", other_files);
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  if (opts.strict && problems > 0) return k_exit_problems;
  return k_exit_ok;
}

}  // namespace ariadne::cli
