// The unit the HTTP server's per-client limits count by. One IPv4 address is
// one client; an IPv6 client gets a whole /64 from its provider as readily as
// one address, so the /64 is the client there (as in nginx's and Envoy's
// usual limit keys). IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are the IPv4
// client they name.
import { isIPv6 } from 'node:net';

export function clientKey(address: string | undefined): string {
  if (!address) {
    return 'unknown';
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) {
    return mapped[1];
  }
  if (!isIPv6(address)) {
    return address;
  }
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head, tail] = address.split('%')[0].split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  // A trailing dotted IPv4 part (::1.2.3.4) holds two groups; the /64 never reaches it.
  const missing = 8 - left.length - right.length;
  const all = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right];
  return all.map((g) => (g.includes('.') ? g : (parseInt(g, 16) || 0).toString(16)));
}
