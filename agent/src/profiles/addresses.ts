// Connect address matches of broker rules:
//   "10.0.0.0/8"  "192.168.1.5"  "192.168.1.5:443"  "*:53"
//   "fd00::/8"  "[::1]:5432"  "unix:/run/postgresql/"  "unix:@abstract-name"
import { isIP } from 'node:net';

export interface NetworkMatch {
  address: string;
  prefix: number;
  port?: number;
}

export type AddressMatch = { kind: 'network'; network: NetworkMatch } | { kind: 'unix'; prefix: string };

export function parseAddress(text: string): AddressMatch | { error: string } {
  if (text.startsWith('unix:')) {
    const prefix = text.slice('unix:'.length);
    if (prefix === '' || (!prefix.startsWith('/') && !prefix.startsWith('@'))) {
      return { error: 'a unix address is unix:/path/prefix or unix:@abstract-name' };
    }
    return { kind: 'unix', prefix };
  }
  let host = text;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1];
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const [h, p] = text.split(':');
    host = h;
    port = Number(p);
    if (!/^\d+$/.test(p)) {
      return { error: `invalid port in "${text}"` };
    }
  }
  if (port !== undefined && (port < 1 || port > 65535)) {
    return { error: `port out of range in "${text}"` };
  }
  let prefix: number | undefined;
  const slash = host.indexOf('/');
  if (slash >= 0) {
    const bits = host.slice(slash + 1);
    host = host.slice(0, slash);
    if (!/^\d+$/.test(bits)) {
      return { error: `invalid prefix length in "${text}"` };
    }
    prefix = Number(bits);
  }
  if (host === '*') {
    if (port === undefined) {
      return { error: '"*" needs a port, for example "*:53"' };
    }
    // Any IPv4 or IPv6 address on that port: two networks, expanded by the caller.
    return { kind: 'network', network: { address: '*', prefix: 0, port } };
  }
  const family = isIP(host);
  if (family === 0) {
    return { error: `"${text}" is not an IP address, CIDR network, or unix:/path (names are not resolved)` };
  }
  const width = family === 4 ? 32 : 128;
  if (prefix !== undefined && prefix > width) {
    return { error: `prefix /${prefix} is longer than the ${width} bits of the address` };
  }
  return { kind: 'network', network: { address: host, prefix: prefix ?? width, port } };
}

/** The networks the native policy takes ("*" becomes both families' everything). */
export function nativeNetworks(match: NetworkMatch): NetworkMatch[] {
  if (match.address === '*') {
    return [
      { address: '0.0.0.0', prefix: 0, port: match.port },
      { address: '::', prefix: 0, port: match.port },
    ];
  }
  return [match];
}
