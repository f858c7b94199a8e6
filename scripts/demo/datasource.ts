// The backend datasource executable, driven the way Grafana's plugin host
// drives it: started with the handshake environment, its gRPC address read
// from the first line of its stdout, then queried with the protocol client
// of the backend's own tests (Grafana's services and messages over grpc-js).
import { DECISIONS } from '@zviz/shared/agent-api';
import { AUDIT_FIELDS, DECISIONS_FRAME, HEALTH_FIELDS, SYSCALL_FIELD, TOTAL_FIELD } from '@zviz/shared/frames';
import type { ZVizDataSourceOptions } from '@zviz/shared/query';
import { existsSync, openSync } from 'node:fs';
import { join } from 'node:path';

import type { DecodedFrame } from '../../pkg-backend/src/frames/arrow';
import type { Network } from '../../pkg-backend/src/sdk/handshake';
import { GrafanaClient, type DatasourceConfig } from '../../pkg-backend/test/fixtures/grafana-client';
import type { Child, Processes } from './processes';
import { REPO } from './prometheus';

export const EXECUTABLE = join(
  REPO,
  'dist/datasource',
  `gpx_zviz_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`
);

/** What Grafana's plugin host sets for a backend plugin (go-plugin's handshake). */
const HANDSHAKE_ENV = { grafana_plugin_type: 'datasource', PLUGIN_PROTOCOL_VERSIONS: '2' };

export interface Backend {
  child: Child;
  client: GrafanaClient;
  address: Network;
  config: DatasourceConfig;
}

/** Parses go-plugin's handshake line `1|2|unix|/path|grpc` (or `tcp|host:port`). */
export function parseHandshake(line: string): Network {
  const [core, , network, address, protocol] = line.trim().split('|');
  if (core !== '1' || protocol !== 'grpc' || !address) {
    throw new Error(`not a plugin handshake: ${JSON.stringify(line.slice(0, 200))}`);
  }
  if (network === 'unix') {
    return { network: 'unix', path: address };
  }
  const colon = address.lastIndexOf(':');
  return { network: 'tcp', host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/** Datasource settings as provisioning/datasources/zviz.yaml gives them, for this machine's Prometheus and agent. */
export function datasourceSettings(prometheusUrl: string, agentUrl: string): ZVizDataSourceOptions {
  return { prometheusUrl, agentDiscovery: 'static', agents: [agentUrl], scrapeIntervalSeconds: 2 };
}

export async function startBackend(
  processes: Processes,
  log: string,
  jsonData: ZVizDataSourceOptions
): Promise<Backend> {
  if (!existsSync(EXECUTABLE)) {
    throw new Error(`${EXECUTABLE} is missing; npm run build makes it`);
  }
  const child = processes.start('backend datasource', EXECUTABLE, [], {
    env: { PATH: process.env.PATH ?? '', ...HANDSHAKE_ENV },
    // stdin stays open as Grafana keeps it: the plugin exits when it closes.
    stdio: ['pipe', 'pipe', openSync(log, 'a')],
    log,
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) {
        resolve(out.split('\n')[0]);
      }
    });
    void child.exited.then((code) => reject(new Error(`exited (${code}) before its handshake; see ${log}`)));
    setTimeout(() => reject(new Error(`no handshake within 15 s; see ${log}`)), 15_000).unref();
  });
  const address = parseHandshake(line);
  return {
    child,
    client: new GrafanaClient(address),
    address,
    config: { uid: 'zviz-demo', jsonData: { ...jsonData } },
  };
}

export interface DecisionRow {
  syscall: string;
  counts: Record<string, number>;
  total: number;
}

/** The `decisions` table frame as rows. */
export function decisionRows(frames: readonly DecodedFrame[]): DecisionRow[] {
  const frame = frames.find((f) => f.name === DECISIONS_FRAME);
  if (!frame) {
    return [];
  }
  const column = (name: string) => frame.fields.find((f) => f.name === name)?.values as unknown[] | undefined;
  const syscalls = (column(SYSCALL_FIELD) ?? []) as string[];
  return syscalls.map((syscall, i) => ({
    syscall,
    counts: Object.fromEntries(DECISIONS.filter((d) => column(d)).map((d) => [d, Number((column(d) as unknown[])[i])])),
    total: Number(column(TOTAL_FIELD)?.[i] ?? 0),
  }));
}

/** A frame's rows as objects, field name to value. */
export function frameRows(frame: DecodedFrame | undefined): Array<Record<string, unknown>> {
  if (!frame || frame.fields.length === 0) {
    return [];
  }
  const length = (frame.fields[0].values as unknown[]).length;
  return Array.from({ length }, (_, i) =>
    Object.fromEntries(frame.fields.map((f) => [f.name, (f.values as unknown[])[i]]))
  );
}

export interface Snapshot {
  decisions: DecisionRow[];
  p99Seconds?: number;
  rangeSeconds: number;
  health: Array<Record<string, unknown>>;
  audit: Array<Record<string, unknown>>;
  errors: string[];
}

/** One refresh of the demo's summary: decisions, health and audit in one QueryData call, as a dashboard sends them. */
export async function snapshot(backend: Backend, rangeSeconds: number, now = Date.now()): Promise<Snapshot> {
  const from = now - rangeSeconds * 1000;
  const responses = await backend.client.queryData(
    [
      { refId: 'decisions', model: { queryType: 'decisions', mode: 'count' }, from, to: now },
      { refId: 'health', model: { queryType: 'health' }, from, to: now },
      { refId: 'audit', model: { queryType: 'audit', limit: 20 }, from, to: now },
    ],
    backend.config
  );
  const errors = Object.entries(responses)
    .filter(([, r]) => r.error)
    .map(([refId, r]) => `${refId}: ${r.error}`);
  const decisionsFrame = responses.decisions?.frames.find((f) => f.name === DECISIONS_FRAME);
  const custom = (decisionsFrame?.meta as { custom?: { p99LatencySeconds?: number } } | undefined)?.custom;
  return {
    decisions: decisionRows(responses.decisions?.frames ?? []),
    p99Seconds: custom?.p99LatencySeconds,
    rangeSeconds,
    health: frameRows(responses.health?.frames[0]),
    audit: frameRows(responses.audit?.frames[0]),
    errors,
  };
}

export { AUDIT_FIELDS, HEALTH_FIELDS };
