// The agent this node runs, as `zviz health`, `zviz metrics` and `zviz top`
// reach it: the one client of the agent API (@zviz/agent-client) pointed at
// the configuration's metrics.address, with its credentials and TLS trust.
import { AgentClient } from '@zviz/agent-client/agent';
import { type Auth, HttpClient } from '@zviz/agent-client/http';
import { rootCertificates } from 'node:tls';

import { formatAddress, parseAddress } from '../config/address';
import { MAX_PEM_FILE_BYTES } from '../config/checks';
import type { CoreConfig } from '../config/schema';
import { readRegularText } from '../files/regular-file';
import { VERSION } from '../version';
import { untrustedListener } from './listener-owner';

export interface LocalAgentOptions {
  /** Each request's deadline; a stream's covers its answer's head only. */
  timeoutMs: number;
  /** With TLS, do not verify the agent's certificate. */
  insecure?: boolean;
  /** Basic-auth credentials; the configuration holds only their bcrypt hashes. */
  basic?: { user: string; password: string };
}

export interface LocalAgent {
  client: AgentClient;
  /** `http://127.0.0.1:9090`: where the agent is asked, for messages. */
  baseUrl: string;
  /** Closes the client's idle connections. */
  close(): void;
}

/**
 * The agent at the configuration's metrics.address (loopback when it binds
 * every interface). Throws with the address's problem when it is not one.
 */
export function localAgent(config: CoreConfig, options: LocalAgentOptions): LocalAgent {
  const parsed = parseAddress(config.metrics.address);
  if ('error' in parsed) {
    throw new Error(parsed.error);
  }
  const host = parsed.host === '0.0.0.0' ? '127.0.0.1' : parsed.host === '::' ? '::1' : parsed.host;
  const address = formatAddress({ host, port: parsed.port });
  const tls = config.metrics.tls;
  const auth = config.metrics.auth;
  const credentials: Auth =
    auth.type === 'bearer' && auth.token
      ? { kind: 'bearer', token: auth.token }
      : options.basic
        ? { kind: 'basic', ...options.basic }
        : { kind: 'none' };
  const http = new HttpClient({
    timeoutMs: options.timeoutMs,
    userAgent: `zviz/${VERSION}`,
    // At every request: `zviz top` asks for as long as it runs, and the agent may restart meanwhile.
    checkServer: () => untrustedListener(host, parsed.port),
    tls: {
      skipVerify: options.insecure,
      // A self-signed agent certificate is trusted as its own CA, next to the system's.
      ca:
        tls && !options.insecure
          ? [...rootCertificates, readRegularText(tls.cert_file, MAX_PEM_FILE_BYTES)]
          : undefined,
    },
  });
  const baseUrl = `${tls ? 'https' : 'http'}://${address}`;
  return {
    client: new AgentClient({ name: address, url: baseUrl }, http, credentials),
    baseUrl,
    close: () => http.close(),
  };
}
