import { describe, expect, it } from 'vitest';

import { parseListeners, tcpListeners, untrustedListener, type Listener } from './listener-owner';

// As the kernel writes them (6.18): 127.0.0.1:9090 of uid 0, 0.0.0.0:19391 of uid 65534, an
// established connection of uid 65534 (not a listener), and in tcp6 [::1]:9090, [::]:8080 and
// [::ffff:127.0.0.1]:7070.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12309307 1 00000000781b71d8 100 0 0 10 0
   1: 00000000:4BAF 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 12316252 1 0000000038e61b11 100 0 0 10 0
   2: 0100007F:2382 0100007F:D6A2 01 00000000:00000000 00:00000000 00000000 65534        0 12316253 1 0000000038e61b11 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:2382 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0
   1: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1 0 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1B9E 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 3 1 0 100 0 0 10 0
`;

describe('the listeners of /proc/net/tcp and tcp6', () => {
  it('reads each listening socket with its address, port and owner, and nothing else', () => {
    expect(parseListeners(TCP, 4)).toEqual([
      { host: '127.0.0.1', port: 9090, uid: 0 },
      { host: '0.0.0.0', port: 19375, uid: 65534 },
    ]);
    expect(parseListeners(TCP6, 6)).toEqual([
      { host: '::1', port: 9090, uid: 1000 },
      { host: '::', port: 8080, uid: 1000 },
      { host: '::ffff:127.0.0.1', port: 7070, uid: 1000 },
    ]);
  });

  it("reads this machine's own", () => {
    // Whatever this machine listens on: every entry has a port and a uid.
    for (const l of tcpListeners()) {
      expect(l.port).toBeGreaterThan(0);
      expect(Number.isInteger(l.uid)).toBe(true);
    }
  });
});

describe("who may be sent the agent's credentials", () => {
  const listeners: Listener[] = [...parseListeners(TCP, 4), ...parseListeners(TCP6, 6)];
  const trusted = [0];

  it('a listener of root, or none at all', () => {
    expect(untrustedListener('127.0.0.1', 9090, listeners, trusted)).toBeUndefined();
    expect(untrustedListener('127.0.0.1', 9999, listeners, trusted)).toBeUndefined();
    expect(untrustedListener('192.0.2.7', 9090, listeners, trusted)).toBeUndefined();
    expect(untrustedListener('agent.example', 9090, listeners, [0, 1000])).toBeUndefined();
  });

  it("not another user's at the port when the agent is asked by a name, which may name this machine", () => {
    expect(untrustedListener('agent.example', 19375, listeners, trusted)).toMatch(
      /^agent\.example:19375 is served by a program of uid 65534,/
    );
  });

  it("not another user's, bound to the address, a wildcard or the IPv4-mapped address", () => {
    expect(untrustedListener('127.0.0.1', 19375, listeners, trusted)).toBe(
      "127.0.0.1:19375 is served by a program of uid 65534, not by root: not sending it the agent's credentials " +
        "or believing its answers (another user's program listens where the agent should; is the agent running?)"
    );
    expect(untrustedListener('::1', 9090, listeners, trusted)).toMatch(
      /^\[::1\]:9090 is served by a program of uid 1000,/
    );
    expect(untrustedListener('::1', 8080, listeners, trusted)).toMatch(/uid 1000/);
    expect(untrustedListener('127.0.0.1', 8080, listeners, trusted)).toMatch(/uid 1000/);
    expect(untrustedListener('127.0.0.1', 7070, listeners, trusted)).toMatch(/uid 1000/);
    expect(untrustedListener('localhost', 9090, listeners, trusted)).toMatch(/uid 1000/);
    expect(untrustedListener('::1', 9090, listeners, [0, 1000])).toBeUndefined();
  });
});
