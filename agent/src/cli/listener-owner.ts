// Who listens at the agent's address on this machine, as the kernel says
// (/proc/net/tcp, /proc/net/tcp6). `zviz health`, `zviz metrics` and
// `zviz top` send the agent's credentials to whatever answers there, and a
// port above 1024 is any local user's to bind while the agent is not running
// (stopped, restarting, failed: when an operator asks it how it is). So they
// first look at the listener's owner, as `zviz run` looks at the control
// socket's (docs/security.md, "The agent against local users").
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

const LISTEN = '0A';

export interface Listener {
  /** The bound address, as Node spells it (`127.0.0.1`, `::`, `::ffff:127.0.0.1`). */
  host: string;
  port: number;
  uid: number;
}

/** An IPv4 address of /proc/net/tcp: one 32-bit word in the machine's byte order (little-endian here). */
function ipv4(hex: string): string {
  const word = Buffer.from(hex, 'hex');
  return [...word.reverse()].join('.');
}

/** An IPv6 address of /proc/net/tcp6: four 32-bit words, each in the machine's byte order. */
function ipv6(hex: string): string {
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) {
    Buffer.from(hex.slice(i * 8, i * 8 + 8), 'hex')
      .reverse()
      .copy(bytes, i * 4);
  }
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push(bytes.readUInt16BE(i).toString(16));
  }
  return canonicalIPv6(groups.join(':'));
}

/** `::1`, `::`, `fe80::1`: the longest run of zero groups folded, as Node spells addresses. */
function canonicalIPv6(full: string): string {
  const groups = full.split(':');
  let best = { start: -1, length: 0 };
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  if (best.length < 2) {
    return groups.join(':');
  }
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

/** The listening sockets of one /proc/net/tcp or tcp6 text. */
export function parseListeners(text: string, family: 4 | 6): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || fields[3] !== LISTEN) {
      continue;
    }
    const [address, port] = fields[1].split(':');
    listeners.push({
      host: family === 4 ? ipv4(address) : ipv6(address),
      port: parseInt(port, 16),
      uid: Number(fields[7]),
    });
  }
  return listeners;
}

/** Every listening TCP socket of this network namespace. */
export function tcpListeners(read: (path: string) => string = (path) => readFileSync(path, 'utf8')): Listener[] {
  const listeners: Listener[] = [];
  for (const [path, family] of [
    ['/proc/net/tcp', 4],
    ['/proc/net/tcp6', 6],
  ] as const) {
    try {
      listeners.push(...parseListeners(read(path), family));
    } catch {
      // No IPv6 on this machine.
    }
  }
  return listeners;
}

/** Whether a connection to `host` could be accepted by a socket bound to `bound`. */
function accepts(bound: string, host: string): boolean {
  if (bound === host) {
    return true;
  }
  if (isIPv4(host)) {
    return bound === '0.0.0.0' || bound === '::' || bound === `::ffff:${host}`;
  }
  return isIPv6(host) && bound === '::';
}

/**
 * Why `host:port` must not be trusted with the agent's credentials, or
 * undefined: a socket that could accept the connection is owned by a uid other
 * than root's and this process's (the agent runs as one of them). No listener
 * at all is no reason: the connection is refused.
 */
export function untrustedListener(
  host: string,
  port: number,
  listeners: Listener[] = tcpListeners(),
  trusted: readonly number[] = [0, process.getuid?.() ?? 0]
): string | undefined {
  // A name other than localhost may name this machine too (its own name in
  // /etc/hosts, a DNS name of one of its addresses), and which address it
  // names is the resolver's to say at connect time: every listener of this
  // machine's at the port could be the one that answers, so each is asked
  // for. A stranger's listener at that port refuses an agent elsewhere too:
  // the message names it, and an address instead of the name avoids it.
  const named = host !== 'localhost' && !isIPv4(host) && !isIPv6(host);
  const hosts = host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
  const owner = listeners.find(
    (l) => l.port === port && (named || hosts.some((h) => accepts(l.host, h))) && !trusted.includes(l.uid)
  );
  if (!owner) {
    return undefined;
  }
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return (
    `${where} is served by a program of uid ${owner.uid}, not by root: not sending it the agent's ` +
    `credentials or believing its answers (another user's program listens where the agent should; is the agent running?)`
  );
}
