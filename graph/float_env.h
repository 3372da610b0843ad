// Subnormal floats are flushed to zero on every thread that computes.
//
// Arithmetic on a subnormal float (|x| < 1.18e-38 in float32, 2.2e-308 in
// float64) takes a slow microcode path on Intel cores, tens of times slower
// per operation (AMD's cost is much smaller). Training drifts into them:
// Adam's moments of a gradient that decays to zero pass through every
// subnormal on the way, and a whole run slowed 2.5x from its 700th step on
// an Intel Xeon. So tapegrad sets the x86 MXCSR flags FTZ (a result that
// would be subnormal is 0) and DAZ (a subnormal input reads as 0):
//   - on the calling thread when a Tape is made and when an optimizer steps,
//   - on every worker thread at the start of each parallel_for region.
// The flags are per thread and stay set after tapegrad returns, so code of
// yours on those threads sees them too. Results differ from strict IEEE
// only where a value would have been subnormal.
//
// This is process-wide state, the one documented here: set_flush_denormals
// (false) turns it off (and clears the flags on the calling thread; workers
// follow at their next parallel region).
#pragma once

namespace tg {

// On by default.
void set_flush_denormals(bool on);
bool flush_denormals();

// Makes this thread's FTZ/DAZ flags follow the setting above. Cheap (one
// register read when they already do): called where compute starts.
void enter_compute();

// True when this thread's FTZ and DAZ flags are both set (for tests).
bool thread_flushes_denormals();

}  // namespace tg
