// How the plugin learns that Grafana is gone when Grafana could not say so
// (SIGKILL, OOM kill, a crash): go-plugin's Shutdown call and SIGTERM cover
// every orderly stop, and the kernel re-parents an orphan to init or a
// subreaper, so a changed parent process id means the host died.
//
// stdin says nothing: go-plugin hands the plugin Grafana's own stdin, which
// may be /dev/null, a terminal, or a pipe that was at end-of-file before
// Grafana started (`echo | grafana server`); Go plugins never read it.

/** How often the parent process id is compared; a getppid() call costs nothing. */
export const HOST_POLL_MS = 1000;

/**
 * Calls `onGone` once when the process that started the plugin has died.
 * The timer does not keep the process alive. Returns a function that stops watching.
 */
export function watchHost(onGone: (why: string) => void, pollMs = HOST_POLL_MS): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    const now = process.ppid;
    if (now !== parent) {
      clearInterval(timer);
      onGone(`the plugin host (process ${parent}) is gone; process ${now} adopted the plugin`);
    }
  }, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}
