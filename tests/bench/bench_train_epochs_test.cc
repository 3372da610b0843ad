// The train_epochs workload (bench/train_epochs.h) without timing
// anything: its subnormal counting (which DAZ must not fool), its per-epoch
// arithmetic, and a tiny run on small IDX files that checks the record's
// fields, the two cases and that the flushing setting is restored.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench/train_epochs.h"
#include "bench/workloads.h"
#include "graph/errors.h"
#include "graph/float_env.h"
#include "graph/tensor.h"
#include "report/json.h"
#include "tests/support/data_bytes.h"
#include "tests/support/test_folder.h"

using namespace tg;
using namespace tg::bench;

namespace {

// A float32 tensor holding exactly these bit patterns (a float written on a
// flushing thread would already be 0).
Tensor floats_from_bits(const std::vector<std::uint32_t>& bits) {
  Tensor t = Tensor::empty({static_cast<std::int64_t>(bits.size())});
  std::memcpy(t.data<float>(), bits.data(), bits.size() * sizeof(std::uint32_t));
  return t;
}

// 0, -0, the smallest and largest subnormal and a negative one, FLT_MIN
// (normal), 1, infinity, NaN: three subnormals.
const std::vector<std::uint32_t> kMixedBits = {0x00000000u, 0x80000000u, 0x00000001u,
                                               0x007fffffu, 0x80400000u, 0x00800000u,
                                               0x3f800000u, 0x7f800000u, 0x7fc00000u};

void write_file(const std::string& path, const testing::Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Fashion-MNIST's layout with 5000 + 64 training images (5000 are held out as
// validation) and 10 test images.
std::string write_small_fashion_mnist() {
  const std::string folder = testing::fresh_test_folder("small_fashion_mnist");
  const auto labels = [](std::uint32_t n) {
    std::vector<std::uint8_t> values(n);
    for (std::uint32_t i = 0; i < n; ++i) values[i] = static_cast<std::uint8_t>(i % 10);
    return values;
  };
  write_file(folder + "/train-images-idx3-ubyte", testing::idx_images_bytes(5064, 28, 28));
  write_file(folder + "/train-labels-idx1-ubyte", testing::idx_labels_bytes(labels(5064)));
  write_file(folder + "/t10k-images-idx3-ubyte", testing::idx_images_bytes(10, 28, 28));
  write_file(folder + "/t10k-labels-idx1-ubyte", testing::idx_labels_bytes(labels(10)));
  return folder;
}

std::vector<Json> run_tiny(const std::string& folder, const std::string& case_filter) {
  std::vector<Json> records;
  BenchContext context;
  context.emit = [&](const Record& record) { records.push_back(Json::parse(record.line(1.0))); };
  context.case_filter = case_filter;
  context.epochs = 2;
  context.iterations_per_epoch = 2;
  context.data_dir = folder;
  run_train_epochs(context);
  return records;
}

}  // namespace

TEST_CASE("count_subnormal_floats reads the bits, so DAZ on this thread does not hide them") {
  set_flush_denormals(true);
  REQUIRE(thread_flushes_denormals());
  CHECK(count_subnormal_floats(floats_from_bits(kMixedBits)) == 3);
  set_flush_denormals(false);
  CHECK(count_subnormal_floats(floats_from_bits(kMixedBits)) == 3);
  set_flush_denormals(true);
  CHECK(count_subnormal_floats(Tensor::full({4}, 1e-310, DType::f64)) == 0);  // float32 only
}

TEST_CASE("count_subnormals counts the float32 slots of an optimizer state, slot by slot") {
  OptimizerState state;
  state.rule = "adam";
  state.slots.emplace("W/m", floats_from_bits(kMixedBits));
  state.slots.emplace("W/t", Tensor::full({}, 3.0, DType::f64));
  state.slots.emplace("W/v", floats_from_bits({0x00000001u, 0x3f800000u}));
  const SubnormalCount count = count_subnormals(state);
  CHECK(count.values == 11);
  CHECK(count.subnormal == 4);
  REQUIRE(count.by_slot.size() == 2);
  CHECK(count.by_slot[0] == std::pair<std::string, std::int64_t>{"W/m", 3});
  CHECK(count.by_slot[1] == std::pair<std::string, std::int64_t>{"W/v", 1});
}

TEST_CASE("add_epoch_rates gives images/s per epoch and the last epoch's rate over the second's") {
  Record record("train_epochs");
  add_epoch_rates(record, 64, 10, {2.0, 1.0, 1.25});
  const Json fields = Json::parse(record.line(1.0));
  CHECK(fields["epoch_s"] == Json({2.0, 1.0, 1.25}));
  CHECK(fields["epoch_images_per_s"] == Json({320.0, 640.0, 512.0}));
  CHECK(fields["last_over_second"].get<double>() == doctest::Approx(0.8));

  Record one("train_epochs");
  add_epoch_rates(one, 64, 10, {0.5});
  const Json single = Json::parse(one.line(1.0));
  CHECK(single["epoch_images_per_s"] == Json({1280.0}));
  CHECK_FALSE(single.contains("last_over_second"));
}

TEST_CASE("train_epochs runs both cases on IDX files and reports every field") {
  const std::string folder = write_small_fashion_mnist();
  const std::vector<Json> records = run_tiny(folder, "");
  REQUIRE(records.size() == 2);
  // The main job's model on 1x28x28 images: conv1.weight 32x1x7x7, conv1.bias,
  // bn1.gamma, bn1.beta (32 each), fc2.weight 6272x100, fc2.bias (100),
  // fc3.weight 100x10, fc3.bias (10); Adam keeps m and v of each.
  const std::int64_t parameters = 1568 + 3 * 32 + 627200 + 100 + 1000 + 10;
  for (const Json& r : records) {
    CAPTURE(r.dump());
    CHECK(r["impl"] == "tapegrad");
    CHECK(r["workload"] == "train_epochs");
    CHECK(r["train_images"] == 64);
    CHECK(r["N"] == 64);
    CHECK(r["epochs"] == 2);
    CHECK(r["iterations_per_epoch"] == 2);
    REQUIRE(r["epoch_s"].size() == 2);
    REQUIRE(r["epoch_images_per_s"].size() == 2);
    for (const Json& rate : r["epoch_images_per_s"]) CHECK(rate.get<double>() > 0);
    CHECK(r.contains("last_over_second"));
    CHECK(r["adam_state_values"] == 2 * parameters);
    REQUIRE(r["adam_subnormals"].size() == 2);
    CHECK(r["adam_subnormals_by_slot"].size() == 16);
    CHECK(r["adam_subnormals_by_slot"].contains("fc2.weight/m"));
    // Decayed once, at the second epoch.
    CHECK(r["lr_last"].get<double>() == doctest::Approx(1e-3 * 0.8));
    CHECK(r.contains("other_cpu_pct"));
    CHECK(r.contains("cpu_window_s"));
  }
  CHECK(records[0]["case"] == "flush_denormals");
  CHECK(records[0]["flush_denormals"] == true);
  // Flushed to zero: not a single subnormal can be stored.
  CHECK(records[0]["adam_subnormals"] == Json({0, 0}));
  CHECK(records[1]["case"] == "keep_denormals");
  CHECK(records[1]["flush_denormals"] == false);
  // The same seeds and data: the two cases start alike.
  CHECK(records[0]["final_loss"].get<double>() ==
        doctest::Approx(records[1]["final_loss"].get<double>()).epsilon(1e-3));
  CHECK(flush_denormals());  // the keep_denormals case restored the setting
}

TEST_CASE("train_epochs runs only the cases --case names, and needs its data") {
  const std::string folder = write_small_fashion_mnist();
  const std::vector<Json> records = run_tiny(folder, "keep");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["case"] == "keep_denormals");
  CHECK(flush_denormals());
  CHECK_THROWS_AS(run_tiny(folder + "/nowhere", ""), FileError);
}
