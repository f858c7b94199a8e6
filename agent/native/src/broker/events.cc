#include "broker/events.h"

#include <fcntl.h>

#include <ctime>
#include <vector>

#include "broker/metrics.h"
#include "broker/syscall_table.h"

namespace zviz::broker {
namespace {

std::string IsoTime(int64_t ns) {
  const time_t seconds = static_cast<time_t>(ns / 1'000'000'000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char buf[40];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>((ns / 1'000'000) % 1000));
  return buf;
}

std::string OpenFlags(int64_t flags) {
  std::string out;
  switch (flags & O_ACCMODE) {
    case O_RDONLY: out = "O_RDONLY"; break;
    case O_WRONLY: out = "O_WRONLY"; break;
    case O_RDWR: out = "O_RDWR"; break;
    default: out = "O_ACCMODE"; break;
  }
  static const struct {
    int64_t bit;
    const char* name;
  } kBits[] = {
      {O_CREAT, "O_CREAT"},       {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},   {O_TRUNC, "O_TRUNC"},
      {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"}, {O_DSYNC, "O_DSYNC"},     {O_DIRECT, "O_DIRECT"},
      {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"}, {O_CLOEXEC, "O_CLOEXEC"},
      {O_PATH, "O_PATH"},         {O_TMPFILE, "O_TMPFILE"},
  };
  for (const auto& bit : kBits) {
    if ((flags & bit.bit) == bit.bit) {
      out += "|";
      out += bit.name;
    }
  }
  return out;
}

}  // namespace

EventQueue& EventQueue::Get() {
  static EventQueue queue;
  return queue;
}

void EventQueue::SetSink(Napi::Env env, Napi::Function sink, size_t capacity) {
  Tsfn fresh = Tsfn::New(env, sink, "zviz-broker-events", 1, 1, nullptr);
  // Decision events must not keep a finished `zviz run` alive.
  fresh.Unref(env);
  Tsfn old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = tsfn_;
    tsfn_ = fresh;
    capacity_ = capacity;
    open_ = true;
    drain_pending_ = false;
  }
  if (old) {
    old.Release();
  }
}

void EventQueue::Close() {
  Tsfn old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!open_) {
      return;
    }
    open_ = false;
    old = tsfn_;
    tsfn_ = Tsfn();
    queue_.clear();
  }
  old.Release();
}

void EventQueue::Push(DecisionEvent&& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!open_ || queue_.size() >= capacity_) {
    BrokerMetrics::Get().EventDropped();
    return;
  }
  queue_.push_back(std::move(event));
  if (!drain_pending_) {
    // One pending call drains everything queued until it runs. napi_queue_full
    // cannot happen (one call at most is pending); napi_closing means the
    // environment is going away and the events go with it.
    if (tsfn_.NonBlockingCall() == napi_ok) {
      drain_pending_ = true;
    }
  }
}

void EventQueue::CallJs(Napi::Env env, Napi::Function sink, std::nullptr_t*, void*) {
  if (env == nullptr || sink.IsEmpty()) {
    return;
  }
  Get().Drain(env, sink);
}

void EventQueue::Drain(Napi::Env env, Napi::Function sink) {
  std::deque<DecisionEvent> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    drain_pending_ = false;
    batch.swap(queue_);
  }
  if (batch.empty()) {
    return;
  }
  const SyscallTable& table = SyscallTable::Get();
  Napi::Array out = Napi::Array::New(env, batch.size());
  uint32_t i = 0;
  for (const DecisionEvent& e : batch) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("timestamp", IsoTime(e.time_ns));
    o.Set("event_type", "syscall");
    o.Set("container_id", e.container ? e.container->id : std::string());
    o.Set("syscall", table.Name(e.syscall));
    Napi::Object args = Napi::Object::New(env);
    if (!e.path.empty()) args.Set("path", e.path);
    if (!e.resolved.empty() && e.resolved != e.path) args.Set("resolved", e.resolved);
    if (e.has_flags) args.Set("flags", OpenFlags(e.flags));
    if (!e.address.empty()) args.Set("address", e.address);
    if (e.rule >= 0) args.Set("rule", e.rule);
    if (!e.note.empty()) args.Set("note", e.note);
    o.Set("args", args);
    o.Set("decision", DecisionName(e.decision));
    o.Set("latency_us", static_cast<double>(e.latency_ns) / 1000.0);
    o.Set("layer", LayerName(e.layer));
    o.Set("pid", e.pid);
    if (e.container && !e.container->profile.empty()) o.Set("profile", e.container->profile);
    if (e.decision == Decision::kDeny) o.Set("errno", e.errno_value);
    out.Set(i++, o);
  }
  sink.Call({out});
}

}  // namespace zviz::broker
