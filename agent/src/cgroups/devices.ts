// The devices a container may use, in one list for both places that enforce
// it: the kernel's device cgroup (v1 devices.allow, written by driver.ts) and
// the broker, which opens files on the workload's behalf from a thread of the
// agent, where the container's cgroup does not apply (native devices.h).
// Docker's default list, less what belongs to the host here: /dev/console is
// the node's console, not one of the container's own, and no terminal of the
// host (/dev/tty0-63, the serial ports /dev/ttyS*, the screen contents
// /dev/vcs*) is on it. Nodes are made with mknod only for devices on the list
// (and only by a workload that has CAP_MKNOD, which no built-in profile grants).

/** devices.allow rules: TYPE MAJOR:MINOR ACCESS (r read, w write, m mknod). */
export const CONTAINER_DEVICES: readonly string[] = [
  'c 1:3 rwm', // null
  'c 1:5 rwm', // zero
  'c 1:7 rwm', // full
  'c 1:8 rwm', // random
  'c 1:9 rwm', // urandom
  'c 5:0 rwm', // tty (a workload has no controlling terminal: ENXIO)
  'c 5:2 rwm', // ptmx
  'c 136:* rwm', // pts
];
