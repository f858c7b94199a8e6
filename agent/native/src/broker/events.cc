#include "broker/events.h"

#include <fcntl.h>

#include <algorithm>
#include <ctime>
#include <unordered_map>
#include <vector>

#include "broker/metrics.h"
#include "broker/syscall_table.h"

namespace zviz::broker {
namespace {

uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
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

void EventQueue::SetSink(Napi::Env env, Napi::Function wake, const EventLimits& limits) {
  Tsfn fresh = Tsfn::New(env, wake, "zviz-broker-events", 1, 1, nullptr);
  // Decision events must not keep a finished `zviz run` alive.
  fresh.Unref(env);
  Tsfn old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = tsfn_;
    tsfn_ = fresh;
    limits_ = limits;
    open_ = true;
    wake_pending_ = false;
    if (!queue_.empty() && tsfn_.NonBlockingCall() == napi_ok) {
      wake_pending_ = true;
    }
  }
  if (old) {
    old.Release();
  }
}

void EventQueue::SetLimits(const EventLimits& limits) {
  std::lock_guard<std::mutex> lock(mu_);
  limits_ = limits;
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
    for (const DecisionEvent& e : queue_) {
      CountDrop(e.container, false);
    }
    queue_.clear();
  }
  old.Release();
}

bool EventQueue::Admit(const ContainerLabel& label, uint64_t now_ns) {
  EventBudget& b = label.budget;
  if (b.tokens < 0) {
    b.tokens = limits_.burst;
  } else {
    const double earned = static_cast<double>(now_ns - b.refilled_ns) * 1e-9 * limits_.rate;
    b.tokens = std::min(limits_.burst, b.tokens + earned);
  }
  b.refilled_ns = now_ns;
  if (b.tokens < 1) {
    return false;
  }
  b.tokens -= 1;
  return true;
}

void EventQueue::CountDrop(const std::shared_ptr<const ContainerLabel>& label, bool rate_limited) {
  if (!rate_limited) {
    BrokerMetrics::Get().EventDropped();
  }
  if (!label) {
    return;  // every supervisor has a label; the agent-wide counter has it anyway
  }
  EventBudget& b = label->budget;
  ++(rate_limited ? b.rate_limited : b.queue_full);
  if (!b.listed) {
    b.listed = true;
    dropping_.push_back(label);
  }
}

void EventQueue::Push(DecisionEvent&& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (event.container && open_ && !Admit(*event.container, MonotonicNs())) {
    CountDrop(event.container, true);
    return;
  }
  if (!open_ || queue_.size() >= limits_.capacity) {
    CountDrop(event.container, false);
    return;
  }
  queue_.push_back(std::move(event));
  if (!wake_pending_) {
    // One wake-up at a time: JavaScript takes everything queued until the
    // queue is empty, and only then can a push wake it again. napi_closing
    // means the environment is going away and the events go with it.
    if (tsfn_.NonBlockingCall() == napi_ok) {
      wake_pending_ = true;
    }
  }
}

void EventQueue::CallJs(Napi::Env env, Napi::Function wake, std::nullptr_t*, void*) {
  if (env == nullptr || wake.IsEmpty()) {
    return;
  }
  wake.Call({});
}

// A chunk for JavaScript. `fields` holds kFields numbers per event, in this
// order (agent/src/broker/events.ts decodes them): time (ms since the epoch),
// then string indexes for container id, profile, syscall, decision and layer,
// then latency (µs), pid, rule (-1: none), errno (-1: not a denial), then
// string indexes for flags, path, resolved path, address and note (-1: absent).
// `strings` holds each distinct string once, joined by NUL. A string keeps
// every byte the broker read, whatever a workload made of it: a NUL is
// written \0, a backslash \\, and a byte that is not part of well-formed
// UTF-8 \xHH (StringTable::Add), so the record decodes to exactly those bytes.
namespace {

constexpr size_t kFields = 15;

/** The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, surrogates or code points past U+10FFFF), or 0. */
size_t Utf8Length(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // the second byte's range
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

class StringTable {
 public:
  double Add(const std::string& s) {
    const size_t index = count_++;
    if (index > 0) {
      joined_.push_back('\0');
    }
    // JavaScript reads the chunk as UTF-8 and would make every byte that is
    // not UTF-8 U+FFFD: two paths a workload chose to differ only there were
    // recorded alike, and a name spelled as an escape read as the escape.
    // NUL separates the strings: one inside a string would shift every later
    // index of the chunk, and other containers' events would name the wrong
    // container, path or address.
    bool plain = true;
    for (const char c : s) {
      if (c == '\0' || c == '\\' || static_cast<unsigned char>(c) >= 0x80) {
        plain = false;
        break;
      }
    }
    if (plain) {
      joined_.append(s);  // every string the broker makes itself, and most paths
      return static_cast<double>(index);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < s.size();) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == 0) {
        joined_.append("\\0");
        i++;
      } else if (c == '\\') {
        joined_.append("\\\\");
        i++;
      } else if (c < 0x80) {
        joined_.push_back(static_cast<char>(c));
        i++;
      } else if (const size_t n = Utf8Length(s, i); n > 0) {
        joined_.append(s, i, n);
        i += n;
      } else {
        joined_.append("\\x");
        joined_.push_back(kHex[c >> 4]);
        joined_.push_back(kHex[c & 15]);
        i++;
      }
    }
    return static_cast<double>(index);
  }
  double AddOptional(const std::string& s) { return s.empty() ? -1 : Add(s); }
  const std::string& joined() const { return joined_; }

 private:
  std::string joined_;
  size_t count_ = 0;
};

}  // namespace

Napi::Value EventQueue::TakeEvents(Napi::Env env, size_t max) {
  std::vector<DecisionEvent> batch;
  bool more = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t n = std::min(max, queue_.size());
    batch.reserve(n);
    for (size_t i = 0; i < n; i++) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    more = !queue_.empty();
    if (!more) {
      wake_pending_ = false;
    }
  }
  if (batch.empty()) {
    return env.Undefined();
  }
  const SyscallTable& table = SyscallTable::Get();
  StringTable strings;
  std::unordered_map<const ContainerLabel*, std::pair<double, double>> labels;
  std::unordered_map<uint16_t, double> syscalls;
  double decisions[kDecisionCount];
  double layers[kLayerCount];
  std::fill(std::begin(decisions), std::end(decisions), -1);
  std::fill(std::begin(layers), std::end(layers), -1);
  const double empty = strings.Add("");

  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, batch.size() * kFields * sizeof(double));
  double* out = static_cast<double*>(buffer.Data());
  for (const DecisionEvent& e : batch) {
    std::pair<double, double> label{empty, -1};
    if (e.container) {
      auto [it, fresh] = labels.try_emplace(e.container.get(), label);
      if (fresh) {
        it->second = {strings.Add(e.container->id), strings.AddOptional(e.container->profile)};
      }
      label = it->second;
    }
    auto [sys, fresh_sys] = syscalls.try_emplace(e.syscall, 0);
    if (fresh_sys) {
      sys->second = strings.Add(table.Name(e.syscall));
    }
    double& decision = decisions[static_cast<size_t>(e.decision)];
    if (decision < 0) {
      decision = strings.Add(DecisionName(e.decision));
    }
    double& layer = layers[static_cast<size_t>(e.layer)];
    if (layer < 0) {
      layer = strings.Add(LayerName(e.layer));
    }
    out[0] = static_cast<double>(e.time_ns / 1'000'000);
    out[1] = label.first;
    out[2] = label.second;
    out[3] = sys->second;
    out[4] = decision;
    out[5] = layer;
    out[6] = static_cast<double>(e.latency_ns) / 1000.0;
    out[7] = e.pid;
    out[8] = e.rule >= 0 ? e.rule : -1;
    out[9] = e.decision == Decision::kDeny ? e.errno_value : -1;
    out[10] = e.has_flags ? strings.Add(OpenFlags(e.flags)) : -1;
    out[11] = strings.AddOptional(e.path);
    out[12] = e.resolved != e.path ? strings.AddOptional(e.resolved) : -1;
    out[13] = strings.AddOptional(e.address);
    out[14] = strings.AddOptional(e.note);
    out += kFields;
  }
  Napi::Object chunk = Napi::Object::New(env);
  chunk.Set("fields", Napi::Float64Array::New(env, batch.size() * kFields, buffer, 0));
  chunk.Set("strings", Napi::String::New(env, strings.joined()));
  chunk.Set("more", Napi::Boolean::New(env, more));
  return chunk;
}

Napi::Value EventQueue::TakeDrops(Napi::Env env) {
  std::vector<std::shared_ptr<const ContainerLabel>> dropping;
  std::vector<std::pair<uint64_t, uint64_t>> counts;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropping.swap(dropping_);
    counts.reserve(dropping.size());
    for (const auto& label : dropping) {
      EventBudget& b = label->budget;
      counts.emplace_back(b.rate_limited, b.queue_full);
      b.rate_limited = 0;
      b.queue_full = 0;
      b.listed = false;
    }
  }
  Napi::Array out = Napi::Array::New(env, dropping.size());
  for (size_t i = 0; i < dropping.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("container", dropping[i]->id);
    o.Set("rateLimited", static_cast<double>(counts[i].first));
    o.Set("queueFull", static_cast<double>(counts[i].second));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace zviz::broker
