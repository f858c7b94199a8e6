// Threads of the broker's own that no signal handler of the agent may run
// on: every signal is blocked before pthread_create, so the thread starts
// with them blocked (there is no instant at which Node's handlers could
// interrupt it), and a clone3 made from it starts with them blocked too.
#pragma once

namespace zviz::broker {

/** Runs `run(arg)` on a new detached thread with every signal blocked; 0, or pthread_create's error. */
int StartQuietThread(void* (*run)(void*), void* arg);

}  // namespace zviz::broker
