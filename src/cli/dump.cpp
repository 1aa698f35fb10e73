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

int run_dump(const dump_options& opts) {
  palette err_pal(!opts.no_color && is_tty(stderr));
  std::vector<ingest::input_problem> input_problems;
  auto files = ingest::expand_paths(opts.inputs, input_problems);
  for (const auto& p : input_problems)
    std::fprintf(stderr, "ariadne: %s: %s: %s\n", err_pal.paint("warning", "33").c_str(), p.where.c_str(),
                 p.message.c_str());
  if (files.empty()) {
    std::fprintf(stderr, "ariadne: no input files\n");
    return k_exit_fatal;
  }
  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
  if (!opts.output.empty() && opts.output != "-") {
    owned.reset(std::fopen(opts.output.c_str(), "wb"));
    if (!owned) {
      std::fprintf(stderr, "ariadne: cannot write %s: %s\n", opts.output.c_str(), std::strerror(errno));
      return k_exit_fatal;
    }
    out = owned.get();
  }
  const bool xml = opts.format == "xml";
  ingest::evtx::reader_options ropts;
  ropts.threads = opts.threads ? opts.threads : default_threads();

  std::uint64_t records = 0, bad_records = 0, files_read = 0, problems = 0, shown = 0,
                other_files = 0;
  bool write_failed = false;
  std::vector<ingest::evtx::source> batch;
  auto report = [&](const std::string& name, const ingest::evtx::problem& p) {
    ++problems;
    if (++shown > opts.max_problems_shown) return;
    std::fprintf(stderr, "ariadne: %s: %s [%s]\n",
                 p.fatal ? err_pal.paint("error", "31").c_str() : err_pal.paint("warning", "33").c_str(),
                 ingest::evtx::describe(name, p).c_str(), p.reason.c_str());
  };
  auto render = [&](const ingest::evtx::record& r, ingest::evtx::chunk_output& o) {
    if (xml) {
      ingest::evtx::render_xml(r, o.text, &o.render);
    } else {
      ingest::evtx::render_json(r, o.text, &o.render);
      o.text.push_back('\n');
    }
  };
  auto run_batch = [&] {
    if (batch.empty()) return;
    ingest::evtx::read_sources(
        batch, ropts, render,
        [&](ingest::evtx::chunk_output& o) {
          if (!o.text.empty() && std::fwrite(o.text.data(), 1, o.text.size(), out) != o.text.size())
            write_failed = true;
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
  for (const auto& file : files) {
    // A `.evtx` name goes straight to the reader, whose workers check the
    // signature (and report a file that is not EVTX); other names are
    // recognised by their first bytes here.
    if (ends_with(file, ".evtx") || ingest::evtx::file_is_evtx(file)) {
      batch.push_back({file, file, {}});
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
        member_problems);
    for (const auto& p : member_problems) {
      ++problems;
      std::fprintf(stderr, "ariadne: %s: %s: %s\n", err_pal.paint("warning", "33").c_str(), p.where.c_str(),
                   p.message.c_str());
    }
    if (found == 0 && member_problems.empty()) {
      // Named on the command line: a warning. Met in a directory walk
      // (READMEs, JSON logs beside the EVTX files): counted only.
      if (std::find(opts.inputs.begin(), opts.inputs.end(), file) != opts.inputs.end()) {
        ++problems;
        std::fprintf(stderr, "ariadne: %s: %s: not an EVTX file; skipped\n", err_pal.paint("warning", "33").c_str(),
                     file.c_str());
      } else {
        ++other_files;
      }
    }
  }
  run_batch();
  std::fflush(out);
  if (write_failed || std::ferror(out)) {
    std::fprintf(stderr, "ariadne: error writing output\n");
    return k_exit_fatal;
  }
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
