#include "graph/tensor.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "graph/errors.h"
#include "graph/format.h"
#include "graph/rng.h"

using namespace tg;

TEST_CASE("Shape: rank, numel, printing and bad dimensions") {
  const Shape s{2, 3, 4, 5};
  CHECK(s.rank() == 4);
  CHECK(s.numel() == 120);
  CHECK(s.numel_after_first() == 60);
  CHECK(s.str() == "(2,3,4,5)");
  CHECK(Shape{}.str() == "()");
  CHECK(Shape{}.numel() == 1);
  CHECK(Shape{2, 3} != Shape{3, 2});
  // Shape's errors are tapegrad errors like every other (tg::Error).
  CHECK_THROWS_WITH_AS(Shape({2, -1}), "Shape: dimension 1 is negative (-1)", ArgumentError);
  CHECK_THROWS_WITH_AS(Shape({1, 1, 1, 1, 1, 1, 1}), doctest::Contains("rank 7 exceeds"),
                       ArgumentError);
  // Even an empty shape may not hide an overflowing product.
  CHECK_THROWS_AS(Shape({0, std::int64_t{1} << 62, std::int64_t{1} << 62}), ArgumentError);
  CHECK(Shape({0, std::int64_t{1} << 62}).numel() == 0);
}

TEST_CASE("Tensor constructors fill the right values in both dtypes") {
  for (DType dtype : {DType::f32, DType::f64}) {
    CAPTURE(name_of(dtype));
    const Tensor z = Tensor::zeros({2, 3}, dtype);
    CHECK(z.dtype() == dtype);
    CHECK(z.numel() == 6);
    CHECK(z.to_vector() == std::vector<double>(6, 0.0));
    CHECK(Tensor::ones({4}, dtype).to_vector() == std::vector<double>(4, 1.0));
    CHECK(Tensor::full({2, 2}, 2.5, dtype).to_vector() == std::vector<double>(4, 2.5));
    const Tensor v = Tensor::from_values({2, 2}, {1, 2, 3, 4}, dtype);
    CHECK(v.to_vector() == std::vector<double>{1, 2, 3, 4});
  }
  CHECK_THROWS_AS(Tensor::from_values({2, 2}, {1, 2, 3}), ArgumentError);
}

TEST_CASE("Tensor storage is 64-byte aligned, whatever its size") {
  std::vector<Tensor> kept;  // keep them alive so that malloc hands out new places
  for (int n : {0, 1, 3, 17, 128, 1000, 100000}) {
    kept.push_back(Tensor::empty({n}));
    CHECK(reinterpret_cast<std::uintptr_t>(kept.back().raw_data()) % 64 == 0);
  }
}

TEST_CASE("Element access is bounds-checked and row-major") {
  Tensor t = Tensor::from_values({2, 3}, {0, 1, 2, 3, 4, 5}, DType::f64);
  CHECK(t.at<double>(1, 2) == 5.0);
  CHECK(t.at<double>(0, 1) == 1.0);
  t.at<double>(1, 0) = 9.0;
  CHECK(t.to_vector()[3] == 9.0);
  CHECK_THROWS_AS(t.at<double>(2, 0), ArgumentError);
  CHECK_THROWS_AS(t.at<double>(0, -1), ArgumentError);
  CHECK_THROWS_AS(t.at<double>(0), ArgumentError);
  CHECK_THROWS_AS(t.at<float>(0, 0), ArgumentError);  // wrong dtype
  CHECK(Tensor::full({}, 3.0).item() == 3.0);
  CHECK_THROWS_AS(t.item(), ArgumentError);
}

TEST_CASE("reshape shares storage; clone copies") {
  Tensor t = Tensor::from_values({2, 6}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  Tensor r = t.reshape({3, -1});
  CHECK(r.shape() == Shape{3, 4});
  CHECK(r.shares_storage_with(t));
  r.at<float>(0, 0) = 42.0f;
  CHECK(t.at<float>(0, 0) == 42.0f);
  Tensor c = t.clone();
  CHECK_FALSE(c.shares_storage_with(t));
  c.at<float>(0, 0) = 1.0f;
  CHECK(t.at<float>(0, 0) == 42.0f);
  CHECK_THROWS_AS(t.reshape({5, -1}), ArgumentError);
  CHECK_THROWS_AS(t.reshape({-1, -1}), ArgumentError);
  CHECK_THROWS_AS(t.reshape(Shape{13}), ArgumentError);
}

TEST_CASE("unique_storage tells whether a tensor is shared") {
  Tensor t = Tensor::zeros({3});
  CHECK(t.unique_storage());
  {
    Tensor view = t.reshape({1, 3});
    CHECK_FALSE(t.unique_storage());
  }
  CHECK(t.unique_storage());
}

TEST_CASE("dtype conversion and in-place updates") {
  const Tensor a = Tensor::from_values({3}, {1.5, -2.0, 0.25}, DType::f32);
  const Tensor b = a.to(DType::f64);
  CHECK(b.dtype() == DType::f64);
  CHECK(b.to_vector() == a.to_vector());
  Tensor c = b.clone();
  c.add_(b, 2.0);
  CHECK(c.to_vector() == std::vector<double>{4.5, -6.0, 0.75});
  c.scale_(2.0);
  CHECK(c.to_vector() == std::vector<double>{9.0, -12.0, 1.5});
  c.fill_(1.0);
  CHECK(c.to_vector() == std::vector<double>{1.0, 1.0, 1.0});
  CHECK_THROWS_AS(c.add_(a), ArgumentError);  // dtype differs
  CHECK_THROWS_AS(c.copy_(Tensor::zeros({4}, DType::f64)), ArgumentError);
}

TEST_CASE("Random tensors are reproducible from a seed and have the asked moments") {
  Rng r1(7), r2(7), r3(8);
  const Tensor a = Tensor::randn({10000}, r1, DType::f64, 2.0, 3.0);
  const Tensor b = Tensor::randn({10000}, r2, DType::f64, 2.0, 3.0);
  const Tensor c = Tensor::randn({10000}, r3, DType::f64, 2.0, 3.0);
  CHECK(a.to_vector() == b.to_vector());
  CHECK(a.to_vector() != c.to_vector());
  double mean = 0, sq = 0;
  for (double v : a.to_vector()) mean += v;
  mean /= 10000;
  for (double v : a.to_vector()) sq += (v - mean) * (v - mean);
  CHECK(mean == doctest::Approx(2.0).epsilon(0.05));
  CHECK(std::sqrt(sq / 10000) == doctest::Approx(3.0).epsilon(0.05));
  Rng r4(1);
  const Tensor u = Tensor::uniform({1000}, r4, -1.0, 1.0);
  for (double v : u.to_vector()) {
    CHECK(v >= -1.0);
    CHECK(v < 1.0);
  }
}

TEST_CASE("Rng state round-trips and below() stays in range") {
  Rng rng(123);
  rng.normal();  // leaves a spare normal in the state
  const Rng::State saved = rng.state();
  const double next = rng.normal();
  const std::uint64_t next_int = rng.below(10);
  Rng other(0);
  other.set_state(saved);
  CHECK(other.normal() == next);
  CHECK(other.below(10) == next_int);
  for (int i = 0; i < 1000; ++i) CHECK(rng.below(7) < 7);
}

TEST_CASE("Rng::fill gives the draws next_u64 would, and leaves the same state") {
  // xoshiro256**'s reference output for the state {1, 2, 3, 4}.
  Rng known(0);
  known.set_state({{1, 2, 3, 4}, false, 0.0});
  std::uint64_t first[2];
  known.fill(first, 2);
  CHECK(first[0] == 11520u);
  CHECK(first[1] == 0u);
  Rng one_by_one(77), filled(77);
  std::vector<std::uint64_t> draws(1001);
  filled.fill(draws.data(), static_cast<std::int64_t>(draws.size()));
  for (std::uint64_t draw : draws) CHECK(draw == one_by_one.next_u64());
  CHECK(filled.state() == one_by_one.state());
}

TEST_CASE("Printing with fmt") {
  const Tensor t = Tensor::from_values({2, 2}, {1, 2, 3, 4});
  CHECK(fmt::format("{}", t) == "tensor(float32, (2,2),\n[[1, 2],\n [3, 4]])");
  CHECK(fmt::format("{}", Tensor::full({}, 0.5, DType::f64)) == "tensor(float64, (), 0.5)");
  const std::string long_row = fmt::format("{}", Tensor::zeros({20}));
  CHECK(long_row.find("...") != std::string::npos);
  CHECK(fmt::format("{}", Shape{2, 3}) == "(2,3)");
}

TEST_CASE("first_non_finite finds NaN and infinity") {
  Tensor t = Tensor::zeros({5}, DType::f64);
  CHECK(first_non_finite(t) == -1);
  t.at<double>(3) = std::numeric_limits<double>::infinity();
  CHECK(first_non_finite(t) == 3);
  t.at<double>(1) = std::nan("");
  CHECK(first_non_finite(t) == 1);
}

TEST_CASE("take_rows copies rows in order, repeats allowed, bounds-checked") {
  const Tensor t = Tensor::from_values({3, 2}, {0, 1, 10, 11, 20, 21});
  const Tensor r = take_rows(t, {2, 0, 2});
  CHECK(r.shape() == Shape{3, 2});
  CHECK(r.to_vector() == std::vector<double>{20, 21, 0, 1, 20, 21});
  CHECK_FALSE(r.shares_storage_with(t));
  CHECK_THROWS_WITH_AS(take_rows(t, {3}), "take_rows: row 3 (position 0) is outside [0, 3)",
                       ArgumentError);
}

TEST_CASE("Allocating a tensor checks its size in bytes") {
  // 2^62 elements fit a Shape, but not 8 bytes each in 64 bits.
  CHECK_THROWS_WITH_AS(Tensor::empty({std::int64_t{1} << 60, 4}, DType::f64),
                       doctest::Contains("Tensor::empty: shape (1152921504606846976,4) of float64"),
                       ArgumentError);
  // Fits 64 bits, but no address space holds it.
  CHECK_THROWS_WITH_AS(Tensor::zeros({std::int64_t{1} << 30, std::int64_t{1} << 30}),
                       doctest::Contains("more than the 281474976710656 bytes"), ArgumentError);
  CHECK_THROWS_WITH_AS(Buffer(~std::size_t{0} - 8),
                       doctest::Contains("Buffer: 18446744073709551607"), ArgumentError);
  // The largest allowed size is not refused by the check (only, maybe, by
  // the system): an empty tensor of a huge shape is fine.
  CHECK(Tensor::empty({0, std::int64_t{1} << 60}).bytes() == 0);
}

TEST_CASE("In-place updates bump the storage's version, shared by its views") {
  Tensor t = Tensor::zeros({2, 3}, DType::f64);
  const Tensor view = t.reshape({6});
  const std::uint32_t start = t.version();
  CHECK(view.version() == start);
  t.fill_(1.0);
  CHECK(view.version() == start + 1);
  t.add_(Tensor::ones({2, 3}, DType::f64));
  t.scale_(2.0);
  t.copy_(Tensor::ones({2, 3}, DType::f64));
  CHECK(view.version() == start + 4);
  t.data<double>()[0] = 5.0;  // a raw write is not seen...
  CHECK(t.version() == start + 4);
  t.mark_modified();  // ...until it is declared
  CHECK(view.version() == start + 5);
  // clone() and to() make new storage with its own count.
  CHECK(t.clone().version() == 0);
  CHECK(Tensor().version() == 0);
  // A failed in-place update changes nothing.
  CHECK_THROWS_AS(t.add_(Tensor::ones({3}, DType::f64)), ArgumentError);
  CHECK(t.version() == start + 5);
}
