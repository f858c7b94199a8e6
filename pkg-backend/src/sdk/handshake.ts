// go-plugin's handshake, as Grafana's plugin host performs it: the host
// starts the executable with a magic cookie and the protocol versions it
// speaks in the environment; the plugin answers with one stdout line naming
// the negotiated version and where its gRPC server listens.

/** Grafana's handshake constants (the same for data source and app plugins). */
export const MAGIC_COOKIE_KEY = 'grafana_plugin_type';
export const MAGIC_COOKIE_VALUE = 'datasource';
export const CORE_PROTOCOL_VERSION = 1;
/** The only version of Grafana's plugin protocol this SDK speaks. */
export const PLUGIN_PROTOCOL_VERSION = 2;

export class HandshakeError extends Error {}

/** Throws with a message for a person when the process was not started by Grafana. */
export function checkMagicCookie(env: NodeJS.ProcessEnv): void {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    throw new HandshakeError(
      'This is a Grafana backend plugin: Grafana starts it and talks to it over gRPC; it is not meant to be run by hand. ' +
        `(The environment lacks ${MAGIC_COOKIE_KEY}=${MAGIC_COOKIE_VALUE}.) ` +
        "Install the plugin into Grafana's plugin directory instead."
    );
  }
}

/**
 * The protocol version to answer with. go-plugin sends the versions it
 * accepts in PLUGIN_PROTOCOL_VERSIONS; without it, it expects the plugin's
 * own version.
 */
export function negotiateVersion(env: NodeJS.ProcessEnv): number {
  const offered = env.PLUGIN_PROTOCOL_VERSIONS;
  if (!offered) {
    return PLUGIN_PROTOCOL_VERSION;
  }
  const versions = offered.split(',').map((v) => Number.parseInt(v.trim(), 10));
  if (!versions.includes(PLUGIN_PROTOCOL_VERSION)) {
    throw new HandshakeError(
      `Grafana offers plugin protocol version(s) ${offered}, this plugin speaks version ${PLUGIN_PROTOCOL_VERSION}: ` +
        "use a Grafana release from the plugin's supported range"
    );
  }
  return PLUGIN_PROTOCOL_VERSION;
}

export type Network = { network: 'unix'; path: string } | { network: 'tcp'; host: string; port: number };

/** `CORE|APP|NETWORK|ADDR|PROTOCOL`, the line go-plugin reads from stdout. */
export function handshakeLine(version: number, address: Network): string {
  const addr = address.network === 'unix' ? address.path : `${address.host}:${address.port}`;
  return `${CORE_PROTOCOL_VERSION}|${version}|${address.network}|${addr}|grpc\n`;
}
