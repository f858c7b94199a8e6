// Where the gRPC server listens. Like go-plugin's own Go servers on Unix, a
// Unix domain socket, here inside a fresh directory only this user can enter:
// no port to collide with, nothing reachable from the network. When no socket
// can be made (a read-only or too deep temporary directory), a loopback TCP
// port in go-plugin's PLUGIN_MIN_PORT..PLUGIN_MAX_PORT range.
import { type Server, ServerCredentials } from '@grpc/grpc-js';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Network } from './handshake';

export interface Listening {
  address: Network;
  /** Removes the socket directory, if any. */
  cleanup(): void;
}

/** Longest socket path Linux accepts (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;

function bind(server: Server, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target, ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port)
    );
  });
}

function groupId(group: string): number {
  if (/^\d+$/.test(group)) {
    return Number(group);
  }
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === group);
  if (!line) {
    throw new Error(`PLUGIN_UNIX_SOCKET_GROUP names unknown group ${group}`);
  }
  return Number(line.split(':')[2]);
}

async function listenUnix(server: Server, env: NodeJS.ProcessEnv): Promise<Listening> {
  const dir = mkdtempSync(join(env.PLUGIN_UNIX_SOCKET_DIR || tmpdir(), 'zviz-plugin-'));
  const path = join(dir, 'plugin.sock');
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw new Error(`socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes`);
    }
    await bind(server, `unix:${path}`);
    // go-plugin lets the host name a group that may also connect.
    const group = env.PLUGIN_UNIX_SOCKET_GROUP;
    if (group) {
      const gid = groupId(group);
      chownSync(dir, -1, gid);
      chownSync(path, -1, gid);
      chmodSync(dir, 0o750);
      chmodSync(path, 0o660);
    }
    return { address: { network: 'unix', path }, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

async function listenTcp(server: Server, env: NodeJS.ProcessEnv): Promise<Listening> {
  const min = Number(env.PLUGIN_MIN_PORT || 10000);
  const max = Number(env.PLUGIN_MAX_PORT || 25000);
  if (!(min > 0 && max >= min && max < 65536)) {
    throw new Error(
      `PLUGIN_MIN_PORT=${env.PLUGIN_MIN_PORT} and PLUGIN_MAX_PORT=${env.PLUGIN_MAX_PORT} make no port range`
    );
  }
  for (let port = min; port <= max; port++) {
    try {
      await bind(server, `127.0.0.1:${port}`);
      return { address: { network: 'tcp', host: '127.0.0.1', port }, cleanup: () => undefined };
    } catch {
      // taken; try the next one, as go-plugin does
    }
  }
  throw new Error(`no free TCP port on 127.0.0.1 between ${min} and ${max}`);
}

export async function listen(
  server: Server,
  env: NodeJS.ProcessEnv,
  onFallback: (why: string) => void
): Promise<Listening> {
  if (env.ZVIZ_PLUGIN_NETWORK !== 'tcp') {
    try {
      return await listenUnix(server, env);
    } catch (error) {
      onFallback((error as Error).message);
    }
  }
  return listenTcp(server, env);
}
