// Decision events on their way from supervisor threads to JavaScript: a
// bounded queue drained in batches on the JS thread through one
// thread-safe function call per batch. A full queue drops the event and
// counts it (zviz_broker_events_dropped_total); a supervisor never waits.
#pragma once

#include <napi.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "broker/policy.h"

namespace zviz::broker {

/** What the audit record says about the container; shared by all its events. */
struct ContainerLabel {
  std::string id;
  std::string profile;
};

struct DecisionEvent {
  int64_t time_ns = 0;  // CLOCK_REALTIME
  std::shared_ptr<const ContainerLabel> container;
  uint16_t syscall = 0;
  Decision decision = Decision::kAllow;
  Layer layer = Layer::kBroker;
  int32_t errno_value = 0;
  uint64_t latency_ns = 0;
  int32_t pid = 0;
  int32_t rule = -1;
  // Arguments as the broker read them (absent when not read).
  bool has_flags = false;
  int64_t flags = 0;
  std::string path;      // as the workload passed it
  std::string resolved;  // what the rules matched, after resolution
  std::string address;   // connect: printable address
  std::string note;      // why, when the decision was not the rule's (for example a failed read)
};

class EventQueue {
 public:
  static EventQueue& Get();

  /** Installs the JS sink (called with arrays of event objects); replaces any previous one. */
  void SetSink(Napi::Env env, Napi::Function sink, size_t capacity);
  /** Stops delivering (environment teardown); later pushes are dropped and counted. */
  void Close();
  /** From any thread; never blocks on JavaScript. */
  void Push(DecisionEvent&& event);

 private:
  EventQueue() = default;
  static void CallJs(Napi::Env env, Napi::Function sink, std::nullptr_t* context, void* data);
  void Drain(Napi::Env env, Napi::Function sink);

  using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, void, &EventQueue::CallJs>;

  // Guards everything below; held only for pushes, swaps and the
  // non-blocking wake-up call, never while JavaScript runs.
  std::mutex mu_;
  std::deque<DecisionEvent> queue_;
  size_t capacity_ = 0;
  bool drain_pending_ = false;
  bool open_ = false;
  Tsfn tsfn_;
};

}  // namespace zviz::broker
