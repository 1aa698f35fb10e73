// The ordered pool when threads cannot be started: the work is done by the
// threads that did start (here: only the caller), in order, never an abort.
#include "ariadne/core/ordered_pool.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

namespace ariadne {
namespace {

// In a child process whose user may run no more threads (RLIMIT_NPROC of
// 1; as root, after becoming `nobody`, since root ignores the limit), a
// pool of 8 threads must deliver 1,000 items in order. It aborted before
// (std::thread's exception escaped the pool while started threads were
// joinable).
TEST(OrderedPool, ThreadsThatCannotStartLeaveTheWorkToTheCaller) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    rlimit one{1, 1};
    if (::setrlimit(RLIMIT_NPROC, &one) != 0) ::_exit(4);
    std::uint64_t next = 0, expected = 0;
    bool in_order = true;
    run_ordered<std::uint64_t, std::uint64_t>(
        8, 32,
        [&](std::uint64_t& it) {
          if (next == 1000) return false;
          it = next++;
          return true;
        },
        [](unsigned) { return 0; }, [](int, std::uint64_t& it, std::uint64_t& out) { out = it * it; },
        [&](std::uint64_t& it, std::uint64_t& out) {
          in_order = in_order && it == expected && out == expected * expected;
          ++expected;
        });
    ::_exit(in_order && expected == 1000 ? 0 : 5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the pool ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ariadne
