#include "distributed/replicas.h"

#include <fmt/format.h>

#include <cstring>

#include "graph/dtype.h"
#include "graph/errors.h"

namespace tg {

void sum_in_rank_order(Replicas& replicas, std::vector<double>& values) {
  if (replicas.size() == 1) return;
  const std::size_t n = values.size();
  const std::vector<unsigned char> all = replicas.all_gather(values.data(), n * sizeof(double));
  std::vector<double> block(n);
  for (int r = 0; r < replicas.size(); ++r) {
    std::memcpy(block.data(), all.data() + r * n * sizeof(double), n * sizeof(double));
    for (std::size_t i = 0; i < n; ++i) values[i] = r == 0 ? block[i] : values[i] + block[i];
  }
}

namespace {

class Exchanged : public Replicas::Pending {
 public:
  explicit Exchanged(std::vector<unsigned char> all) : all_(std::move(all)) {}
  std::vector<unsigned char> wait() override { return std::move(all_); }

 private:
  std::vector<unsigned char> all_;
};

}  // namespace

std::unique_ptr<Replicas::Pending> Replicas::start_all_gather(std::vector<unsigned char> bytes) {
  return std::make_unique<Exchanged>(all_gather(bytes.data(), bytes.size()));
}

namespace {

// The tensors' values one after another, as T, padded with zeros to `padded`.
template <class T>
std::vector<T> flatten(const std::vector<Tensor>& tensors, std::size_t padded) {
  std::vector<T> flat;
  flat.reserve(padded);
  for (const Tensor& t : tensors) flat.insert(flat.end(), t.data<T>(), t.data<T>() + t.numel());
  flat.resize(padded, T(0));
  return flat;
}

template <class T>
std::vector<Tensor> average(Replicas& replicas, const std::vector<Tensor>& tensors) {
  const std::size_t k = static_cast<std::size_t>(replicas.size());
  std::size_t n = 0;
  for (const Tensor& t : tensors) n += static_cast<std::size_t>(t.numel());
  const std::size_t chunk = (n + k - 1) / k;  // elements each process sums
  const std::vector<T> mine = flatten<T>(tensors, chunk * k);
  // received[r * chunk + i]: rank r's value i of this process's chunk.
  const std::vector<unsigned char> bytes = replicas.all_to_all(mine.data(), chunk * sizeof(T));
  std::vector<T> received(chunk * k);
  std::memcpy(received.data(), bytes.data(), bytes.size());
  std::vector<T> mean(chunk);
  for (std::size_t i = 0; i < chunk; ++i) {
    double sum = 0;
    for (std::size_t r = 0; r < k; ++r) sum += static_cast<double>(received[r * chunk + i]);
    mean[i] = static_cast<T>(sum / static_cast<double>(k));
  }
  const std::vector<unsigned char> all = replicas.all_gather(mean.data(), chunk * sizeof(T));
  std::vector<Tensor> means;
  std::size_t offset = 0;
  for (const Tensor& t : tensors) {
    Tensor out = Tensor::empty(t.shape(), t.dtype());
    std::memcpy(out.data<T>(), all.data() + offset * sizeof(T), t.bytes());
    offset += static_cast<std::size_t>(t.numel());
    means.push_back(out);
  }
  return means;
}

}  // namespace

std::vector<Tensor> average_in_rank_order(Replicas& replicas, const std::vector<Tensor>& tensors) {
  if (tensors.empty()) return {};
  for (const Tensor& t : tensors) {
    if (t.dtype() != tensors.front().dtype()) {
      throw ArgumentError(
          fmt::format("average_in_rank_order: the tensors must share one dtype, got {} and {}",
                      name_of(tensors.front().dtype()), name_of(t.dtype())));
    }
  }
  return dispatch(tensors.front().dtype(),
                  [&](auto zero) { return average<decltype(zero)>(replicas, tensors); });
}

OverlappedAverage::OverlappedAverage(Replicas& replicas, const std::vector<Parameter>& parameters,
                                     std::size_t bucket_bytes)
    : replicas_(replicas), parameters_(parameters), bucket_of_(parameters.size()) {
  std::size_t bytes = 0;
  for (std::size_t i = parameters_.size(); i-- > 0;) {
    if (buckets_.empty() || bytes >= bucket_bytes) {
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().push_back(i);
    bucket_of_[i] = buckets_.size() - 1;
    bytes += parameters_[i].value().bytes();
  }
  for (const auto& bucket : buckets_) missing_.push_back(bucket.size());
  pending_.resize(buckets_.size());
}

void OverlappedAverage::ready(const Parameter& parameter) {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (parameters_[i].value().raw_data() != parameter.value().raw_data()) continue;
    const std::size_t bucket = bucket_of_[i];
    if (--missing_[bucket] == 0) start(bucket);
    break;
  }
  for (auto& pending : pending_) {
    if (pending) pending->progress();
  }
}

void OverlappedAverage::start(std::size_t bucket) {
  std::vector<unsigned char> bytes;
  for (std::size_t i : buckets_[bucket]) {
    const Tensor& grad = parameters_[i].grad();
    const auto* p = static_cast<const unsigned char*>(grad.raw_data());
    bytes.insert(bytes.end(), p, p + grad.bytes());
  }
  pending_[bucket] = replicas_.start_all_gather(std::move(bytes));
}

void OverlappedAverage::finish() {
  for (std::size_t bucket = 0; bucket < buckets_.size(); ++bucket) {
    if (!pending_[bucket]) start(bucket);
  }
  const int k = replicas_.size();
  for (std::size_t bucket = 0; bucket < buckets_.size(); ++bucket) {
    const std::vector<unsigned char> all = pending_[bucket]->wait();
    const std::size_t per_rank = all.size() / static_cast<std::size_t>(k);
    std::size_t offset = 0;
    for (std::size_t i : buckets_[bucket]) {
      const Tensor& grad = parameters_[i].grad();
      Tensor mean = Tensor::empty(grad.shape(), grad.dtype());
      dispatch(grad.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const std::size_t n = static_cast<std::size_t>(grad.numel());
        std::vector<T> block(n);
        std::vector<double> sum(n, 0.0);
        for (int r = 0; r < k; ++r) {
          std::memcpy(block.data(), all.data() + r * per_rank + offset, grad.bytes());
          for (std::size_t e = 0; e < n; ++e) sum[e] += static_cast<double>(block[e]);
        }
        T* out = mean.data<T>();
        for (std::size_t e = 0; e < n; ++e) out[e] = static_cast<T>(sum[e] / k);
      });
      offset += grad.bytes();
      parameters_[i].grad() = mean;
    }
    pending_[bucket].reset();
  }
}

void copy_from_first(Replicas& replicas, const std::vector<Tensor>& tensors) {
  if (replicas.size() == 1) return;
  std::string mine;
  for (const Tensor& t : tensors) {
    mine.append(static_cast<const char*>(t.raw_data()), t.bytes());
  }
  const std::string first = replicas.broadcast(mine);
  std::size_t offset = 0;
  for (Tensor t : tensors) {
    std::memcpy(t.raw_data(), first.data() + offset, t.bytes());
    t.mark_modified();
    offset += t.bytes();
  }
}

std::vector<int> ranks_differing_from_first(Replicas& replicas, std::uint64_t value) {
  const std::vector<unsigned char> all = replicas.all_gather(&value, sizeof value);
  std::vector<std::uint64_t> values(static_cast<std::size_t>(replicas.size()));
  std::memcpy(values.data(), all.data(), all.size());
  std::vector<int> differing;
  for (int r = 1; r < replicas.size(); ++r) {
    if (values[r] != values[0]) differing.push_back(r);
  }
  return differing;
}

std::uint64_t checksum(const std::vector<Tensor>& tensors) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const Tensor& t : tensors) {
    const auto* p = static_cast<const unsigned char*>(t.raw_data());
    for (std::size_t i = 0; i < t.bytes(); ++i) {
      hash = (hash ^ p[i]) * 1099511628211ull;
    }
  }
  return hash;
}

}  // namespace tg
