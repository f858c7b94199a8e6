#include "broker/spawn_thread.h"

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>

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
    // Every signal blocked from birth: no handler of the agent ever runs on
    // this thread, and a clone3 made from it starts with them blocked (the
    // child resets them before unblocking).
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pthread_t thread;
    const int rc = pthread_create(&thread, nullptr, Run, nullptr);
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    if (rc != 0) {
      *error = std::string("cannot start the thread that starts workloads: ") + strerror(rc);
      return false;
    }
    pthread_detach(thread);
    q.started = true;
  }
  q.work.push_back(std::move(work));
  q.ready.notify_one();
  return true;
}

}  // namespace zviz::broker
