// The start's deadline and the watchdog of the launch (spawn_deadline.h).
#include "broker/spawn_deadline.h"


#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "broker/kernel.h"
#include "broker/quiet_thread.h"

namespace zviz::broker {
namespace {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

/** The one watch: what the watchdog thread looks at, under `mu`. */
struct Watch {
  std::mutex mu;
  std::condition_variable changed;
  bool started = false;
  bool armed = false;
  bool fired = false;
  int64_t deadline_ns = 0;
  const int* slot = nullptr;
};

Watch& TheWatch() {
  static Watch* watch = new Watch();  // never destroyed: the thread may outlive static destructors
  return *watch;
}

void* Run(void*) {
  Watch& w = TheWatch();
  std::unique_lock<std::mutex> lock(w.mu);
  for (;;) {
    w.changed.wait(lock, [&w] { return w.armed; });
    while (w.armed && !w.fired) {
      const int64_t now = NowNs();
      if (now >= w.deadline_ns) {
        // Written by the kernel before the first process ran (CLONE_PIDFD);
        // -1 while clone3 has not got that far, and then there is nothing
        // to kill yet: the spawn thread sees the deadline passed when clone3
        // returns.
        const int pidfd = __atomic_load_n(w.slot, __ATOMIC_ACQUIRE);
        if (pidfd >= 0) {
          sys::PidfdSendSignal(pidfd, SIGKILL);
        }
        w.fired = true;
        break;
      }
      w.changed.wait_for(lock, std::chrono::nanoseconds(w.deadline_ns - now));
    }
    w.changed.wait(lock, [&w] { return !w.armed; });
  }
  return nullptr;
}

}  // namespace

StartDeadline::StartDeadline(int timeout_ms)
    : timeout_ms_(timeout_ms), at_ns_(NowNs() + static_cast<int64_t>(timeout_ms) * 1'000'000) {}

int StartDeadline::RemainingMs() const {
  const int64_t left = at_ns_ - NowNs();
  // Rounded up: poll(2) with 0 would not wait at all for the last fraction of a millisecond.
  return left <= 0 ? 0 : static_cast<int>((left + 999'999) / 1'000'000);
}

LaunchWatch::LaunchWatch(const StartDeadline& deadline, const int* pidfd_slot) {
  Watch& w = TheWatch();
  std::lock_guard<std::mutex> lock(w.mu);
  if (!w.started) {
    const int rc = StartQuietThread(Run, nullptr);
    if (rc != 0) {
      error_ = std::string("cannot start the thread that bounds a start's time: ") + strerror(rc);
      return;
    }
    w.started = true;
  }
  w.deadline_ns = NowNs() + static_cast<int64_t>(deadline.RemainingMs()) * 1'000'000;
  w.slot = pidfd_slot;
  w.fired = false;
  w.armed = true;
  armed_ = true;
  w.changed.notify_all();
}

void LaunchWatch::Disarm() {
  if (!armed_) {
    return;
  }
  Watch& w = TheWatch();
  std::lock_guard<std::mutex> lock(w.mu);
  fired_ = w.fired;
  w.armed = false;
  w.slot = nullptr;
  armed_ = false;
  w.changed.notify_all();
}

LaunchWatch::~LaunchWatch() { Disarm(); }

std::string StartTimedOut(const StartDeadline& deadline, const std::string& waiting_for) {
  const int ms = deadline.timeout_ms();
  const std::string limit = ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
  return "the container did not start within " + limit + " (broker.start_timeout_seconds): still " + waiting_for +
         "; its processes were killed";
}

}  // namespace zviz::broker
