// The exceptions tapegrad throws. Every message starts with the name of the
// op, option or file it is about.
#pragma once

#include <stdexcept>
#include <string>

namespace tg {

// Base of every tapegrad error: catch this to catch them all.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad argument: wrong shape, rank, dtype or value given to an op or option.
class ArgumentError : public Error {
 public:
  using Error::Error;
};

// Misuse of a tape: mixing tapes, backward twice, a non-scalar loss.
class TapeError : public Error {
 public:
  using Error::Error;
};

// A file that cannot be read or written, or whose contents are wrong.
class FileError : public Error {
 public:
  using Error::Error;
};

// The system refused memory (a tensor's allocation failed).
class MemoryError : public Error {
 public:
  using Error::Error;
};

// A NaN or infinity where a finite number is required.
class NumericError : public Error {
 public:
  using Error::Error;
};

// The processes of a data-parallel run disagree (their parameters' checksums
// differ), or their transport failed (distributed/).
class ReplicaError : public Error {
 public:
  using Error::Error;
};

}  // namespace tg
