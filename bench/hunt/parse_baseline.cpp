// Parse-only baseline for the hunt benchmark: reads a JSON-lines file with
// simdjson (DOM, parse_many over the memory-mapped file, its fastest path)
// and touches every field: each key and each scalar is visited, string
// lengths and numbers summed so nothing is optimised away. No rules, no
// events, no output: the floor `ariadne hunt` is measured against.
//
//   parse_baseline FILE.jsonl
#include <fcntl.h>
// One thread, as `hunt -j 1`: simdjson's parse_many would otherwise run its
// first stage on a second thread (pkg-config turns threads on).
#undef SIMDJSON_THREADS_ENABLED
#include <simdjson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

namespace {

struct tally {
  std::uint64_t fields = 0, bytes = 0, numbers = 0;
};

void walk(simdjson::dom::element el, tally& t) {
  using simdjson::dom::element_type;
  switch (el.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object obj = el.get_object().value_unsafe();  // a copy: value_unsafe() refers into a temporary
      for (auto [key, child] : obj) {
        t.bytes += key.size();
        walk(child, t);
      }
      break;
    }
    case element_type::ARRAY: {
      simdjson::dom::array arr = el.get_array().value_unsafe();
      for (auto child : arr) walk(child, t);
      break;
    }
    case element_type::STRING:
      ++t.fields;
      t.bytes += el.get_string().value_unsafe().size();
      break;
    case element_type::INT64:
      ++t.fields;
      t.numbers += static_cast<std::uint64_t>(el.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      ++t.fields;
      t.numbers += el.get_uint64().value_unsafe();
      break;
    case element_type::DOUBLE:
      ++t.fields;
      t.numbers += static_cast<std::uint64_t>(el.get_double().value_unsafe() != 0);
      break;
    default: ++t.fields; break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: parse_baseline FILE.jsonl\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  auto size = static_cast<std::size_t>(st.st_size);
  // Reserve the file's size plus simdjson's padding as zero pages, then map
  // the file over it: the padding reads as zeros and nothing is copied (as
  // ariadne's own input layer does).
  long page = sysconf(_SC_PAGESIZE);
  std::size_t map = (size + simdjson::SIMDJSON_PADDING + static_cast<std::size_t>(page)) & ~static_cast<std::size_t>(page - 1);
  void* p = mmap(nullptr, map, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED || (size > 0 && mmap(p, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)) {
    std::perror("mmap");
    return 1;
  }
  madvise(p, size, MADV_SEQUENTIAL);
  simdjson::dom::parser parser;
  simdjson::dom::document_stream docs;
  if (auto err = parser.parse_many(static_cast<const std::uint8_t*>(p), size, 1 << 24).get(docs)) {
    std::fprintf(stderr, "%s\n", simdjson::error_message(err));
    return 1;
  }
  tally t;
  std::uint64_t records = 0, bad = 0;
  for (auto doc : docs) {
    simdjson::dom::element el;
    if (doc.get(el)) {
      ++bad;
      continue;
    }
    ++records;
    walk(el, t);
  }
  std::printf("records %llu bad %llu fields %llu bytes %llu checksum %llu\n", static_cast<unsigned long long>(records),
              static_cast<unsigned long long>(bad), static_cast<unsigned long long>(t.fields),
              static_cast<unsigned long long>(t.bytes), static_cast<unsigned long long>(t.numbers));
  munmap(p, map);
  close(fd);
  return 0;
}
