// An explicit, seedable random generator (xoshiro256**, seeded through
// splitmix64). Every random draw in tapegrad goes through one of these, so a
// seed fixes a run, and the state can be saved in a checkpoint.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace tg {

class Rng {
 public:
  // Everything needed to continue the exact same sequence.
  struct State {
    std::array<std::uint64_t, 4> words{};
    bool has_spare_normal = false;
    double spare_normal = 0.0;
    bool operator==(const State& other) const;
  };

  explicit Rng(std::uint64_t seed = 0);

  std::uint64_t next_u64();
  // out[0..count) = the next `count` next_u64() draws, in order (a loop that
  // keeps the state in registers: dropout draws one per two elements).
  void fill(std::uint64_t* out, std::int64_t count);
  double uniform();                          // [0, 1)
  double uniform(double low, double high);   // [low, high)
  double normal();                           // N(0, 1), Box-Muller
  std::uint64_t below(std::uint64_t bound);  // uniform integer in [0, bound), unbiased
  // `count` indices into [0, n) drawn uniformly with replacement, like
  // np.random.choice(n, count): one below(n) per index, in order.
  std::vector<std::int64_t> choice(std::int64_t n, std::int64_t count);

  State state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

 private:
  State state_;
};

}  // namespace tg
