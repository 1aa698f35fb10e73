#include "ariadne/core/result.hpp"

#include <cstdio>

namespace ariadne {

std::string error::to_string() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) {
      out += ':' + std::to_string(where.line);
      if (where.column > 0) out += ':' + std::to_string(where.column);
    }
    out += ": ";
  }
  out += message;
  return out;
}

void assertion_failed(const char* cond, const char* why, const char* file, int line) {
  std::fprintf(stderr, "ariadne: internal error at %s:%d: assertion '%s' failed: %s\n", file, line, cond, why);
  std::abort();
}

}  // namespace ariadne
