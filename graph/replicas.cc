#include "graph/replicas.h"

#include <cstring>

#include "graph/dtype.h"

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

std::vector<Tensor> average_in_rank_order(Replicas& replicas, const std::vector<Tensor>& tensors) {
  // All tensors in one message, each as its dtype's bytes.
  std::size_t bytes = 0;
  for (const Tensor& t : tensors) bytes += t.bytes();
  std::vector<unsigned char> mine(bytes);
  std::size_t offset = 0;
  for (const Tensor& t : tensors) {
    std::memcpy(mine.data() + offset, t.raw_data(), t.bytes());
    offset += t.bytes();
  }
  const std::vector<unsigned char> all = replicas.all_gather(mine.data(), bytes);
  const int k = replicas.size();
  std::vector<Tensor> means;
  offset = 0;
  for (const Tensor& t : tensors) {
    Tensor mean = Tensor::empty(t.shape(), t.dtype());
    dispatch(t.dtype(), [&](auto zero) {
      using T = decltype(zero);
      const std::int64_t n = t.numel();
      std::vector<double> sum(static_cast<std::size_t>(n), 0.0);
      std::vector<T> block(static_cast<std::size_t>(n));
      for (int r = 0; r < k; ++r) {
        std::memcpy(block.data(), all.data() + r * bytes + offset, t.bytes());
        for (std::int64_t i = 0; i < n; ++i) sum[i] += static_cast<double>(block[i]);
      }
      T* out = mean.data<T>();
      for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(sum[i] / k);
    });
    offset += t.bytes();
    means.push_back(mean);
  }
  return means;
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
