#include "broker/spawn_thread.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>

#include "broker/quiet_thread.h"

namespace zviz::broker {
namespace {

struct Queue {
  std::mutex mu;
  std::condition_variable ready;
  std::deque<std::function<void()>> work;
  bool started = false;
};

Queue& TheQueue() {
  static Queue* queue = new Queue();  // never destroyed: the thread may outlive static destructors
  return *queue;
}

void* Run(void*) {
  Queue& q = TheQueue();
  for (;;) {
    std::function<void()> next;
    {
      std::unique_lock<std::mutex> lock(q.mu);
      q.ready.wait(lock, [&q] { return !q.work.empty(); });
      next = std::move(q.work.front());
      q.work.pop_front();
    }
    next();
  }
  return nullptr;
}

}  // namespace

bool RunOnSpawnThread(std::function<void()> work, std::string* error) {
  Queue& q = TheQueue();
  std::lock_guard<std::mutex> lock(q.mu);
  if (!q.started) {
    // No handler of the agent ever runs on this thread, and the clone3s made
    // from it start with every signal blocked (the child resets them before
    // unblocking).
    const int rc = StartQuietThread(Run, nullptr);
    if (rc != 0) {
      *error = std::string("cannot start the thread that starts workloads: ") + strerror(rc);
      return false;
    }
    q.started = true;
  }
  q.work.push_back(std::move(work));
  q.ready.notify_one();
  return true;
}

}  // namespace zviz::broker
