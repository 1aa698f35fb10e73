// Inputs as they come: folder walks that report what they cannot read,
// streams spooled so they read like files, archives read member by member
// within budgets, and files that shrink under the reader.
#include "ariadne/ingest/input.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace ariadne::ingest {
namespace {

namespace fs = std::filesystem;

struct scratch_dir {
  fs::path dir;
  scratch_dir() {
    static int serial = 0;
    dir = fs::temp_directory_path() / ("ariadne-input-test-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    auto p = dir / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

std::vector<std::pair<std::string, std::string>> members(const std::string& path, std::vector<input_problem>& problems,
                                                         std::uint64_t max_bytes = 4ULL << 30) {
  std::vector<std::pair<std::string, std::string>> out;
  (void)for_each_member(
      path, [&](const member& m) { out.emplace_back(m.name, std::string(m.data->data(), m.data->size())); }, problems,
      max_bytes);
  return out;
}

// A FIFO met in a folder walk is reported, not opened (opening it would
// wait for a writer forever), and the files beside it are still listed.
TEST(Inputs, AFifoInAFolderIsReportedNotOpened) {
  scratch_dir d;
  d.write("a.jsonl", "{}\n");
  ASSERT_EQ(::mkfifo((d.dir / "b.fifo").c_str(), 0600), 0);
  std::vector<input_problem> problems;
  input_spool spool;
  auto files = expand_inputs({d.dir.string()}, problems, spool);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(fs::path(files[0].name).filename(), "a.jsonl");
  EXPECT_FALSE(files[0].named);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].reason, "not-a-file");
}

// A FIFO named on the command line with no writer is given up on after the
// wait, with a problem: never a hang.
TEST(Inputs, ANamedFifoWithoutAWriterIsGivenUpOn) {
  scratch_dir d;
  std::string fifo = (d.dir / "f").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::vector<input_problem> problems;
  input_spool spool;
  expand_options o;
  o.fifo_wait_ms = 100;
  auto files = expand_inputs({fifo}, problems, spool, o);
  EXPECT_TRUE(files.empty());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("no writer"), std::string::npos);
}

// A pipe is copied whole and then reads like a file, under the name given.
TEST(Inputs, APipeIsSpooledAndReadLikeAFile) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string text;
  for (int k = 0; k < 20000; ++k) text += "{\"k\":" + std::to_string(k) + "}\n";  // more than a pipe buffer
  std::thread writer([&] {
    std::size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fds[1], text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
  });
  input_spool spool;
  std::string path, err;
  ASSERT_TRUE(spool.spool(fds[0], path, err)) << err;
  writer.join();
  ::close(fds[0]);
  EXPECT_EQ(spool.bytes(), text.size());
  std::vector<input_problem> problems;
  std::vector<std::pair<std::string, std::string>> got;
  (void)for_each_member(
      path, [&](const member& m) { got.emplace_back(m.name, std::string(m.data->data(), m.data->size())); }, problems,
      4ULL << 30, "-");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "-");
  EXPECT_EQ(got[0].second, text);
  EXPECT_TRUE(problems.empty());
}

// Writes `members` into an archive of the given format and filter.
std::string make_archive(const std::string& path, int format, int filter,
                         const std::vector<std::pair<std::string, std::string>>& files) {
  archive* a = archive_write_new();
  archive_write_set_format(a, format);
  if (filter != ARCHIVE_FILTER_NONE) archive_write_add_filter(a, filter);
  archive_write_open_filename(a, path.c_str());
  for (const auto& [name, data] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return path;
}

// A plain (uncompressed) tar is an archive too: it was documented but read
// as one unknown file.
TEST(Inputs, APlainTarIsReadMemberByMember) {
  scratch_dir d;
  auto tar = make_archive((d.dir / "x.tar").string(), ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE,
                          {{"one.jsonl", "{\"a\":1}\n"}, {"two.jsonl", "{\"a\":2}\n"}});
  std::vector<input_problem> problems;
  auto got = members(tar, problems);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, tar + "!one.jsonl");
  EXPECT_EQ(got[1].second, "{\"a\":2}\n");
  EXPECT_TRUE(problems.empty());
}

// A member that expands far more than logs do is a bomb: reported and
// skipped before it is held, and the members beside it are still read.
TEST(Inputs, ADecompressionBombIsSkippedAndItsNeighboursRead) {
  scratch_dir d;
  std::string zeros(100u << 20, '\0');
  auto tar = make_archive((d.dir / "bomb.tar.zst").string(), ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_ZSTD,
                          {{"good1.jsonl", "{\"a\":1}\n"}, {"bomb.jsonl", zeros}, {"good2.jsonl", "{\"a\":2}\n"}});
  zeros.clear();
  zeros.shrink_to_fit();
  std::vector<input_problem> problems;
  auto got = members(tar, problems);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].second, "{\"a\":1}\n");
  EXPECT_EQ(got[1].second, "{\"a\":2}\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].reason, "archive-bomb");
  EXPECT_EQ(problems[0].where, tar + "!bomb.jsonl");
}

// A member over the size limit is skipped with a problem; the next is read.
TEST(Inputs, AMemberOverTheLimitIsSkipped) {
  scratch_dir d;
  auto tar = make_archive((d.dir / "x.tar").string(), ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE,
                          {{"big.jsonl", std::string(200000, 'x')}, {"small.jsonl", "{}\n"}});
  std::vector<input_problem> problems;
  auto got = members(tar, problems, 100000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, "{}\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].reason, "too-large");
}

// libarchive does not check a gzip file's CRC: a damaged stream that still
// inflates went unnoticed. Its records are read and the damage reported.
TEST(Inputs, AGzipCrcMismatchIsReported) {
  scratch_dir d;
  std::string text = "{\"a\":1}\n{\"a\":2}\n";
  auto gz = make_archive((d.dir / "x.jsonl.gz").string(), ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, {{"x", text}});
  std::vector<input_problem> problems;
  auto good = members(gz, problems);
  ASSERT_EQ(good.size(), 1u);
  EXPECT_EQ(good[0].second, text);
  EXPECT_TRUE(problems.empty());
  {
    std::fstream f(gz, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-8, std::ios::end);  // the CRC-32 in the trailer
    f.put('\x5a');
  }
  auto damaged = members(gz, problems);
  ASSERT_EQ(damaged.size(), 1u);
  EXPECT_EQ(damaged[0].second, text);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("gzip CRC mismatch"), std::string::npos);
}

// A file cut short while it is read (copytruncate rotation) ends that file
// with a problem: the pages past its new end read as zeros instead of
// killing the process with SIGBUS.
TEST(Inputs, AFileTruncatedWhileReadIsReportedNotFatal) {
  scratch_dir d;
  std::string text(8u << 20, 'a');
  auto path = d.write("rot.jsonl", text);
  std::vector<input_problem> problems;
  std::uint64_t sum = 0;
  ASSERT_TRUE(for_each_member(
      path,
      [&](const member& m) {
        ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
        for (std::size_t k = 0; k < m.data->size(); k += 4096) sum += static_cast<unsigned char>(m.data->data()[k]);
      },
      problems));
  EXPECT_EQ(sum, 'a');  // the first page only; the rest reads as zeros
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].reason, "file-changed");
}

// Output paths are compared by identity, whatever their spelling.
TEST(Inputs, SameFileAndInsideGoByIdentity) {
  scratch_dir d;
  auto f = d.write("logs/a.jsonl", "{}\n");
  EXPECT_TRUE(same_file(f, (d.dir / "logs" / "." / "a.jsonl").string()));
  EXPECT_FALSE(same_file(f, (d.dir / "logs" / "b.jsonl").string()));
  EXPECT_TRUE(inside((d.dir / "logs" / "new.jsonl").string(), (d.dir / "logs").string()));
  EXPECT_TRUE(inside((d.dir / "logs" / "deep" / "x").string(), d.dir.string()));
  EXPECT_FALSE(inside((d.dir / "other.jsonl").string(), (d.dir / "logs").string()));
  EXPECT_FALSE(inside((d.dir / "logs" / ".." / "out.jsonl").string(), (d.dir / "logs").string()));
}

}  // namespace
}  // namespace ariadne::ingest
