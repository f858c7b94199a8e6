// Decision events on their way from supervisor threads to JavaScript.
//
// Each container has an event budget (a token bucket: a rate and a burst):
// what a container decides beyond it is counted against the container and
// never queued, so one flooding workload cannot crowd out the others' events
// or the agent's event loop. Admitted events wait in one bounded queue; a full
// queue drops the event and counts it, against the container too
// (zviz_broker_events_dropped_total, zviz_container_events_dropped_total). A
// supervisor never waits.
//
// JavaScript is woken through a thread-safe function when the queue turns
// non-empty and then pulls the events in chunks (TakeEvents), yielding the
// event loop between chunks. A chunk crosses into JavaScript as one
// Float64Array of numeric fields and one array of the distinct strings it
// needs; the objects are built in JavaScript (agent/src/broker/events.ts),
// not field by field through Node-API, which cost several microseconds an
// event.
#pragma once

#include <napi.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker/policy.h"

namespace zviz::broker {

/**
 * A container's event budget and the drops not yet collected by JavaScript.
 * Guarded by the EventQueue's mutex.
 */
struct EventBudget {
  double tokens = -1;  // < 0: not started; filled to the burst on first use
  uint64_t refilled_ns = 0;
  uint64_t rate_limited = 0;
  uint64_t queue_full = 0;
  bool listed = false;  // in EventQueue::dropping_
};

/** What the audit record says about the container; shared by all its events. */
struct ContainerLabel {
  std::string id;
  std::string profile;
  // Per container, not per event; lives here so a push needs no lookup.
  // Guarded by the EventQueue's mutex (the label itself is otherwise const).
  mutable EventBudget budget;
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

struct EventLimits {
  /** Events waiting for JavaScript, at most. */
  size_t capacity = 8192;
  /** Per container: events a second admitted on average, and at most at once. */
  double rate = 1000;
  double burst = 5000;
};

class EventQueue {
 public:
  static EventQueue& Get();

  /**
   * Installs the JS wake-up (called without arguments when events are
   * waiting; it should call TakeEvents until that says the queue is empty)
   * and the limits; replaces any previous sink.
   */
  void SetSink(Napi::Env env, Napi::Function wake, const EventLimits& limits);
  /** New limits for the queue and every container's budget (a reload). */
  void SetLimits(const EventLimits& limits);
  /** Stops delivering (environment teardown); later pushes are dropped and counted. */
  void Close();
  /** From any thread; never blocks on JavaScript. */
  void Push(DecisionEvent&& event);
  /**
   * Up to `max` events, oldest first, as { fields: Float64Array, strings:
   * string (NUL-separated), more: boolean } (layout in events.cc), or
   * undefined when none wait. A take that empties the queue re-arms the wake-up.
   */
  Napi::Value TakeEvents(Napi::Env env, size_t max);
  /** Drops per container since the previous call: [{ container, rateLimited, queueFull }]. */
  Napi::Value TakeDrops(Napi::Env env);

 private:
  EventQueue() = default;
  static void CallJs(Napi::Env env, Napi::Function wake, std::nullptr_t* context, void* data);
  bool Admit(const ContainerLabel& label, uint64_t now_ns);
  void CountDrop(const std::shared_ptr<const ContainerLabel>& label, bool rate_limited);

  using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, void, &EventQueue::CallJs>;

  // Guards everything below and every label's budget; held only for pushes,
  // takes and the non-blocking wake-up call, never while JavaScript runs.
  std::mutex mu_;
  std::deque<DecisionEvent> queue_;
  EventLimits limits_;
  // Labels with drops not yet taken, each once.
  std::vector<std::shared_ptr<const ContainerLabel>> dropping_;
  // Drops of events without a label (none are expected), not yet taken.
  uint64_t unlabelled_drops_ = 0;
  bool wake_pending_ = false;
  bool open_ = false;
  Tsfn tsfn_;
};

}  // namespace zviz::broker
