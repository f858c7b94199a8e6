#include "broker/quiet_thread.h"

#include <pthread.h>
#include <signal.h>

namespace zviz::broker {

int StartQuietThread(void* (*run)(void*), void* arg) {
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  pthread_t thread;
  const int rc = pthread_create(&thread, nullptr, run, arg);
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (rc == 0) {
    pthread_detach(thread);
  }
  return rc;
}

}  // namespace zviz::broker
