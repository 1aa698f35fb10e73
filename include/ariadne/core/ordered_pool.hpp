// An ordered worker pool: items are produced in order, worked on by N
// threads (the calling thread is one of them), and delivered in order on
// the calling thread. At most `window` items are in flight (being worked on
// or waiting for delivery), so memory stays bounded however long the input:
// when the oldest item is slow, producers wait (backpressure).
//
//   run_ordered<item, output>(threads, window,
//       [&](item& it) { return next(it); },             // under the pool's lock, in order
//       [&](unsigned thread) { return worker{...}; },   // per-thread state (0 = caller)
//       [&](worker& w, item& it, output& out) { ... },  // in parallel
//       [&](item& it, output& out) { ... });            // in order, caller's thread
//
// Outputs live in a ring of `window` slots and are reused: work() must reset
// what it fills.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace ariadne {

template <class Item, class Out, class Next, class MakeWorker, class Work, class Deliver>
void run_ordered(unsigned threads, std::size_t window, Next&& next, MakeWorker&& make_worker, Work&& work,
                 Deliver&& deliver) {
  if (threads <= 1) {
    auto w = make_worker(0u);
    Item it{};
    Out out{};
    while (next(it)) {
      work(w, it, out);
      deliver(it, out);
      it = Item{};
    }
    return;
  }
  if (window < threads) window = threads;
  struct alignas(128) slot {  // own cache lines: threads write their slots concurrently
    Item item{};
    Out out{};
    bool ready = false;
  };
  std::vector<slot> ring(window);
  std::mutex mu;
  std::condition_variable cv_work, cv_done;
  std::uint64_t claimed = 0, delivered = 0;
  bool exhausted = false;

  // Under mu: takes the next item if the window allows. False if it must
  // wait or everything is claimed.
  auto claim = [&](std::uint64_t& seq) {
    if (exhausted || claimed >= delivered + window) return false;
    Item it{};
    if (!next(it)) {
      exhausted = true;
      cv_work.notify_all();
      cv_done.notify_all();
      return false;
    }
    seq = claimed++;
    ring[seq % window].item = std::move(it);
    return true;
  };

  auto helper = [&](unsigned index) {
    auto w = make_worker(index);
    while (true) {
      std::uint64_t seq;
      {
        std::unique_lock lk(mu);
        cv_work.wait(lk, [&] { return exhausted || claimed < delivered + window; });
        if (!claim(seq)) {
          if (exhausted) return;
          continue;
        }
      }
      slot& s = ring[seq % window];
      work(w, s.item, s.out);
      {
        std::lock_guard lk(mu);
        s.ready = true;
      }
      cv_done.notify_one();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  // A thread that cannot be started (resource limits) leaves the work to
  // those that did: fewer threads, the same output, never an abort.
  for (unsigned k = 1; k < threads; ++k) {
    try {
      pool.emplace_back(helper, k);
    } catch (const std::system_error&) {
      break;
    }
  }

  auto w = make_worker(0u);
  std::unique_lock lk(mu);
  while (true) {
    // Deliver what is ready, in order.
    while (delivered < claimed && ring[delivered % window].ready) {
      slot& s = ring[delivered % window];
      lk.unlock();
      deliver(s.item, s.out);
      lk.lock();
      s.ready = false;
      s.item = Item{};
      ++delivered;
      cv_work.notify_one();
    }
    if (exhausted && delivered == claimed) break;
    std::uint64_t seq;
    if (claim(seq)) {
      lk.unlock();
      slot& s = ring[seq % window];
      work(w, s.item, s.out);
      lk.lock();
      s.ready = true;
      continue;
    }
    if (exhausted && delivered == claimed) break;
    // Window full (or all claimed): wait for the oldest item.
    cv_done.wait(lk, [&] {
      return (delivered < claimed && ring[delivered % window].ready) || (exhausted && delivered == claimed);
    });
  }
  lk.unlock();
  for (auto& t : pool) t.join();
}

}  // namespace ariadne
