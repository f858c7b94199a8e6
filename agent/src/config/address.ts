// HOST:PORT listen addresses, as in `--addr` and `metrics.address`.
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The address, or why it is not one, in words that fit after "<where>: ". */
export function parseAddress(value: string): ListenAddress | { error: string } {
  const example = 'expected HOST:PORT, for example 127.0.0.1:9090, 0.0.0.0:9090 or [::1]:9090';
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (!match) {
    return { error: `"${value}" is not an address: ${example}` };
  }
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (!host) {
    return { error: `"${value}" has no host: ${example} (0.0.0.0 listens on every interface)` };
  }
  if (match[1] !== undefined && isIP(host) !== 6) {
    return { error: `"${value}": only IPv6 addresses go in brackets` };
  }
  if (match[1] === undefined && isIP(host) === 0 && !HOSTNAME.test(host)) {
    return { error: `"${value}": "${host}" is neither an IP address nor a host name` };
  }
  if (port < 1 || port > 65535) {
    return { error: `"${value}": port ${port} is out of range 1-65535` };
  }
  return { host, port };
}

export function formatAddress({ host, port }: ListenAddress): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
