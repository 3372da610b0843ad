// parallel_for: pieces cover the range once, and exceptions thrown on any
// thread reach the caller as themselves.
#include "graph/parallel.h"

#include <doctest/doctest.h>

#include <vector>

#include "graph/errors.h"

using namespace tg;

namespace {

// Restores the thread count a test changed.
class ThreadCount {
 public:
  explicit ThreadCount(int threads) : saved_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~ThreadCount() { omp_set_num_threads(saved_); }

 private:
  int saved_;
};

}  // namespace

TEST_CASE("parallel_for covers every index once, with any number of threads") {
  for (int threads : {1, 2, 7}) {
    CAPTURE(threads);
    const ThreadCount count(threads);
    std::vector<int> hits(1000, 0);
    parallel_for(1000, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) ++hits[i];
    });
    CHECK(hits == std::vector<int>(1000, 1));
  }
}

TEST_CASE("An exception thrown inside parallel_for reaches the caller as itself") {
  for (int threads : {1, 2, 7}) {
    CAPTURE(threads);
    const ThreadCount count(threads);
    // Only the piece holding index 700 throws: on one thread of several, or
    // on the calling thread when there is one.
    const auto run = [] {
      parallel_for(1000, 1, [](std::int64_t begin, std::int64_t end) {
        if (begin <= 700 && 700 < end) throw ArgumentError("body: index 700 is bad");
      });
    };
    CHECK_THROWS_WITH_AS(run(), "body: index 700 is bad", ArgumentError);
    // Every thread throwing: one of the exceptions arrives, whole.
    CHECK_THROWS_WITH_AS(
        parallel_for(1000, 1,
                     [](std::int64_t, std::int64_t) { throw FileError("f: every piece fails"); }),
        "f: every piece fails", FileError);
    // The pool still works afterwards.
    int sum = 0;
    parallel_for(10, 1, [&](std::int64_t begin, std::int64_t end) {
#pragma omp atomic
      sum += static_cast<int>(end - begin);
    });
    CHECK(sum == 10);
  }
}
