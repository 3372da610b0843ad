#include "graph/replicas.h"

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
