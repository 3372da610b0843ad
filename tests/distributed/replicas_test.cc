// graph/replicas.h's rank-order collectives on K threads standing in for K
// processes (ThreadReplicas below: the same contract as MpiReplicas, which
// the MPI tests exercise end to end): sums in rank order whatever the
// rounding, averages over chunks that do not divide evenly, rank 0's
// values copied, drifting ranks named, checksums.
#include "distributed/replicas.h"

#include <doctest/doctest.h>

#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "graph/errors.h"

using namespace tg;

namespace {

// What the K threads share: one slot of bytes each and a barrier.
struct Group {
  explicit Group(int k) : size(k), slots(static_cast<std::size_t>(k)) {}
  void barrier() {
    std::unique_lock<std::mutex> lock(mutex);
    const int generation = generations;
    if (++arrived == size) {
      arrived = 0;
      ++generations;
      wake.notify_all();
    } else {
      wake.wait(lock, [&] { return generations != generation; });
    }
  }
  int size;
  std::vector<std::vector<unsigned char>> slots;
  std::mutex mutex;
  std::condition_variable wake;
  int arrived = 0, generations = 0;
};

class ThreadReplicas : public Replicas {
 public:
  ThreadReplicas(Group& group, int rank) : group_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return group_.size; }
  std::vector<unsigned char> all_gather(const void* bytes, std::size_t size) override {
    publish(bytes, size);
    std::vector<unsigned char> all;
    for (const auto& slot : group_.slots) all.insert(all.end(), slot.begin(), slot.end());
    group_.barrier();  // nobody overwrites a slot before everyone has read it
    return all;
  }
  std::vector<unsigned char> all_to_all(const void* blocks, std::size_t block) override {
    publish(blocks, block * static_cast<std::size_t>(group_.size));
    std::vector<unsigned char> mine;
    for (const auto& slot : group_.slots) {
      mine.insert(mine.end(), slot.begin() + rank_ * block, slot.begin() + (rank_ + 1) * block);
    }
    group_.barrier();
    return mine;
  }
  std::string broadcast(const std::string& bytes) override {
    publish(bytes.data(), rank_ == 0 ? bytes.size() : 0);
    const std::string first(group_.slots[0].begin(), group_.slots[0].end());
    group_.barrier();
    return first;
  }

 private:
  void publish(const void* bytes, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(bytes);
    group_.slots[rank_].assign(p, p + size);
    group_.barrier();
  }
  Group& group_;
  int rank_;
};

// Runs body(replicas) on k threads, one per rank.
void on_ranks(int k, const std::function<void(Replicas&)>& body) {
  Group group(k);
  std::vector<std::thread> threads;
  for (int r = 0; r < k; ++r) {
    threads.emplace_back([&, r] {
      ThreadReplicas replicas(group, r);
      body(replicas);
    });
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace

TEST_CASE("sum_in_rank_order adds rank 0's value first, then rank 1's, ...") {
  // (1 + 1e16) - 1e16 is 0 in double (1e16 + 1 rounds to 1e16); the reverse
  // order, (-1e16 + 1e16) + 1, gives 1.
  std::vector<double> results(3);
  on_ranks(3, [&](Replicas& replicas) {
    const double mine[] = {1.0, 1e16, -1e16};
    std::vector<double> values = {mine[replicas.rank()], double(replicas.rank())};
    sum_in_rank_order(replicas, values);
    CHECK(values[1] == 3.0);
    results[replicas.rank()] = values[0];
  });
  for (double r : results) CHECK(r == 0.0);
}

TEST_CASE("average_in_rank_order: the mean of every element, the same bits on every rank") {
  const int k = 3;
  // Two tensors of 5 and 2 elements: 7 values in chunks of 3, the last padded.
  auto value = [](int rank, int i) { return (rank == 1 ? 1e8 : 1.0) * (i + 1) + 0.25 * rank; };
  for (DType dtype : {DType::f32, DType::f64}) {
    std::vector<std::vector<Tensor>> results(k);
    on_ranks(k, [&](Replicas& replicas) {
      std::vector<double> a, b;
      for (int i = 0; i < 5; ++i) a.push_back(value(replicas.rank(), i));
      for (int i = 5; i < 7; ++i) b.push_back(value(replicas.rank(), i));
      results[replicas.rank()] = average_in_rank_order(
          replicas, {Tensor::from_values({5}, a, dtype), Tensor::from_values({1, 2}, b, dtype)});
    });
    for (int r = 0; r < k; ++r) {
      REQUIRE(results[r].size() == 2);
      CHECK(results[r][0].shape() == Shape{5});
      CHECK(results[r][1].shape() == Shape{1, 2});
      for (int i = 0; i < 7; ++i) {
        double sum = 0;  // rank order, in double, of the values as the dtype holds them
        for (int q = 0; q < k; ++q) {
          sum += dtype == DType::f32 ? double(float(value(q, i))) : value(q, i);
        }
        const Tensor& t = results[r][i < 5 ? 0 : 1];
        const std::int64_t j = i < 5 ? i : i - 5;
        const double expected =
            dtype == DType::f32 ? double(float(sum / k)) : sum / k;  // rounded once
        const double got = dtype == DType::f32 ? double(t.data<float>()[j]) : t.data<double>()[j];
        CHECK(got == expected);
      }
    }
  }
}

TEST_CASE("average_in_rank_order refuses tensors of two dtypes") {
  on_ranks(1, [&](Replicas& replicas) {
    CHECK_THROWS_WITH_AS(
        average_in_rank_order(replicas, {Tensor::zeros({2}), Tensor::zeros({2}, DType::f64)}),
        doctest::Contains("average_in_rank_order: the tensors must share one dtype"),
        ArgumentError);
  });
}

TEST_CASE("copy_from_first gives every rank rank 0's values and bumps their versions") {
  on_ranks(3, [&](Replicas& replicas) {
    const double r = replicas.rank();
    Tensor a = Tensor::from_values({2}, {r, r + 10});
    Tensor b = Tensor::from_values({1}, {r * 2}, DType::f64);
    const std::uint32_t version = a.version();
    copy_from_first(replicas, {a, b});
    CHECK(a.data<float>()[0] == 0.0f);
    CHECK(a.data<float>()[1] == 10.0f);
    CHECK(b.data<double>()[0] == 0.0);
    if (replicas.rank() != 0) CHECK(a.version() != version);
  });
}

TEST_CASE("ranks_differing_from_first names the ranks whose value is not rank 0's") {
  std::vector<std::vector<int>> results(4);
  on_ranks(4, [&](Replicas& replicas) {
    const std::uint64_t value = replicas.rank() == 2 ? 7 : 5;
    results[replicas.rank()] = ranks_differing_from_first(replicas, value);
  });
  for (const auto& differing : results) CHECK(differing == std::vector<int>{2});
}

TEST_CASE("checksum: equal tensors agree, one flipped bit does not") {
  const Tensor a = Tensor::from_values({3}, {1, 2, 3});
  Tensor b = a.clone();
  CHECK(checksum({a}) == checksum({b}));
  std::uint32_t bits;
  std::memcpy(&bits, b.data<float>() + 1, 4);
  bits ^= 1;
  std::memcpy(b.data<float>() + 1, &bits, 4);
  CHECK(checksum({a}) != checksum({b}));
  CHECK(checksum({a, b}) != checksum({b, a}));
}

TEST_CASE(
    "OverlappedAverage: buckets started as gradients complete give average_in_rank_order's bits") {
  const int k = 3;
  for (std::size_t bucket_bytes : {std::size_t{1}, std::size_t{16}, std::size_t{1} << 20}) {
    on_ranks(k, [&](Replicas& replicas) {
      const double r = replicas.rank();
      std::vector<Parameter> params = {
          Parameter("a", Tensor::zeros({3})), Parameter("b", Tensor::zeros({2, 2})),
          Parameter("c", Tensor::zeros({1}))};  // c gets no gradient: zeros are averaged
      params[0].accumulate_grad(Tensor::from_values({3}, {r + 0.1, 1e7 * r, -r}));
      params[1].accumulate_grad(Tensor::from_values({2, 2}, {r / 3, 2, r * r, 1e-3}));
      const std::vector<Tensor> expected =
          average_in_rank_order(replicas, {params[0].grad(), params[1].grad(), params[2].grad()});
      OverlappedAverage average(replicas, params, bucket_bytes);
      average.ready(params[1]);  // backward completes the last parameters first
      average.ready(params[0]);
      average.finish();
      for (std::size_t i = 0; i < params.size(); ++i) {
        const Tensor& got = params[i].grad();
        REQUIRE(got.numel() == expected[i].numel());
        for (std::int64_t e = 0; e < got.numel(); ++e) {
          CHECK(got.data<float>()[e] == expected[i].data<float>()[e]);
        }
      }
    });
  }
}
