// HOST:PORT listen addresses, as in `--addr` and `metrics.address`.
import { isIP } from 'node:net';

import { quote } from '../text/quote';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * A DNS host name. Its last label is never all digits (RFC 3696, 2): a name
 * like 256.1.1.1, 1.2.3 or 0x7f.1 is a malformed IPv4 address, which the
 * resolver would still turn into some address (inet_aton reads 0x7f.1 as
 * 127.0.0.1).
 */
const HOSTNAME =
  /^(?=.{1,253}$)(?!(?:.*\.)?\d+$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The address, or why it is not one, in words that fit after "<where>: ". */
export function parseAddress(value: string): ListenAddress | { error: string } {
  const example = 'expected HOST:PORT, for example 127.0.0.1:9090, 0.0.0.0:9090 or [::1]:9090';
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const shown = quote(value);
  if (!match) {
    return { error: `${shown} is not an address: ${example}` };
  }
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (!host) {
    return { error: `${shown} has no host: ${example} (0.0.0.0 listens on every interface)` };
  }
  if (match[1] !== undefined && isIP(host) !== 6) {
    return { error: `${shown}: only IPv6 addresses go in brackets` };
  }
  if (match[1] === undefined && isIP(host) === 0 && !HOSTNAME.test(host)) {
    return { error: `${shown}: ${quote(host)} is neither an IP address nor a host name` };
  }
  if (port < 1 || port > 65535) {
    return { error: `${shown}: port ${port} is out of range 1-65535` };
  }
  return { host, port };
}

export function formatAddress({ host, port }: ListenAddress): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
