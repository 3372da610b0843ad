#include "graph/rng.h"

#include <cmath>

namespace tg {
namespace {

std::uint64_t rotate_left(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

bool Rng::State::operator==(const State& other) const {
  return words == other.words && has_spare_normal == other.has_spare_normal &&
         spare_normal == other.spare_normal;
}

Rng::Rng(std::uint64_t seed) {
  for (auto& word : state_.words) word = splitmix64(seed);
}

namespace {

// One step of xoshiro256** on the four state words: the next draw.
std::uint64_t advance(std::uint64_t& s0, std::uint64_t& s1, std::uint64_t& s2, std::uint64_t& s3) {
  const std::uint64_t result = rotate_left(s1 * 5, 7) * 9;
  const std::uint64_t t = s1 << 17;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotate_left(s3, 45);
  return result;
}

}  // namespace

std::uint64_t Rng::next_u64() {
  auto& s = state_.words;
  return advance(s[0], s[1], s[2], s[3]);
}

void Rng::fill(std::uint64_t* out, std::int64_t count) {
  auto& s = state_.words;
  std::uint64_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
  for (std::int64_t i = 0; i < count; ++i) out[i] = advance(s0, s1, s2, s3);
  s = {s0, s1, s2, s3};
}

double Rng::uniform() {
  // The top 53 bits as a fraction of 2^53.
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double low, double high) { return low + (high - low) * uniform(); }

double Rng::normal() {
  if (state_.has_spare_normal) {
    state_.has_spare_normal = false;
    return state_.spare_normal;
  }
  // Box-Muller: two uniforms give two independent standard normals.
  const double u1 = 1.0 - uniform();  // (0, 1], so log(u1) is finite
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * M_PI * u2;
  state_.spare_normal = radius * std::sin(angle);
  state_.has_spare_normal = true;
  return radius * std::cos(angle);
}

std::uint64_t Rng::below(std::uint64_t bound) {
  if (bound == 0) return 0;
  // Lemire's multiply-shift with rejection of the biased low range.
  const std::uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const unsigned __int128 product = static_cast<unsigned __int128>(next_u64()) * bound;
    if (static_cast<std::uint64_t>(product) >= threshold) {
      return static_cast<std::uint64_t>(product >> 64);
    }
  }
}

std::vector<std::int64_t> Rng::choice(std::int64_t n, std::int64_t count) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(count));
  for (std::int64_t& index : indices) {
    index = static_cast<std::int64_t>(below(static_cast<std::uint64_t>(n)));
  }
  return indices;
}

}  // namespace tg
