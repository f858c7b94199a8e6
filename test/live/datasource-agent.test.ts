// The backend executable against a real agent process and a real Prometheus
// scraping it: discovery through up{job="zviz"}, the agent's /health as a
// table row, "Save & test", PromQL on the agent's own series, and the live
// stream opened on the agent and closed when Grafana cancels.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { TestPrometheus } from '@zviz/test-support/prometheus';
import { binary, describeWhere, file } from '@zviz/test-support/requirements';

import { GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import type { Network } from '../../pkg-backend/src/sdk/handshake';

const REPO = join(__dirname, '..', '..');
const AGENT = join(REPO, 'agent/bin/zviz.js');
const EXECUTABLE = join(REPO, 'dist/datasource', `gpx_zviz_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`);

async function streamClients(agentUrl: string): Promise<number> {
  const text = await (await fetch(`${agentUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('zviz_api_stream_clients '));
  return Number(line?.split(' ')[1] ?? NaN);
}

describeWhere(
  [
    binary('prometheus'),
    file(join(REPO, 'agent/dist/zviz.js'), 'needs the built agent (npm run build)'),
    file(EXECUTABLE, 'needs the built backend executable (npm run build)'),
  ],
  'the backend datasource with a live agent and Prometheus',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-live-ds-'));
    let agent: ChildProcess | undefined;
    let plugin: ChildProcess | undefined;
    let prom: TestPrometheus | undefined;
    let client: GrafanaClient | undefined;
    let agentAddress = '';
    let config: { uid: string; jsonData: Record<string, unknown> };

    beforeAll(async () => {
      const port = await freePort();
      agentAddress = `127.0.0.1:${port}`;
      writeFileSync(join(dir, 'config.yaml'), `logging:\n  audit:\n    path: ${join(dir, 'audit.json')}\n`);
      agent = spawn(process.execPath, [AGENT, 'agent', '--config', join(dir, 'config.yaml'), '--addr', agentAddress], {
        stdio: 'ignore',
        env: { ...process.env, ZVIZ_VARIANT: 'production' },
      });
      await waitFor('the agent to answer /health', async () => (await fetch(`http://${agentAddress}/health`)).ok);
      prom = await TestPrometheus.start({ scrape: [{ job: 'zviz', targets: [agentAddress] }] });
      await prom.waitForSamples('zviz_build_info{job="zviz"}');

      plugin = spawn(EXECUTABLE, [], {
        env: { PATH: process.env.PATH ?? '', grafana_plugin_type: 'datasource', PLUGIN_PROTOCOL_VERSIONS: '2' },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      const line = await new Promise<string>((resolve) =>
        plugin!.stdout!.once('data', (c: Buffer) => resolve(c.toString()))
      );
      const [, , network, address] = line.trim().split('|');
      expect(network).toBe('unix');
      client = new GrafanaClient({ network: 'unix', path: address } as Network);
      config = {
        uid: 'live',
        jsonData: { prometheusUrl: prom.url, agentDiscovery: 'prometheus', agentJob: 'zviz', scrapeIntervalSeconds: 1 },
      };
    });

    afterAll(async () => {
      client?.close();
      plugin?.kill('SIGTERM');
      agent?.kill('SIGTERM');
      await prom?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('finds the agent through Prometheus and reads its /health into a table row', async () => {
      const now = Date.now();
      const { A } = await client!.queryData(
        [{ refId: 'A', model: { queryType: 'health' }, from: now - 60_000, to: now }],
        config
      );
      expect(A.error).toBe('');
      const row = Object.fromEntries(A.frames[0].fields.map((f) => [f.name, f.values[0]]));
      expect(row).toMatchObject({
        agent: agentAddress,
        status: 'healthy',
        version: '0.1.0',
        variant: 'production',
        error: '',
      });
      expect(row.component_http).toBe('ok');
    });

    it('passes "Save & test" against the live Prometheus and agent', async () => {
      const health = await client!.checkHealth(config);
      expect(health.status).toBe('OK');
      expect(health.message).toBe(
        `Prometheus at ${prom!.url}: OK, 1 agent reports zviz_build_info; 1 of 1 agent reachable`
      );
    });

    it("queries the agent's own series through PromQL, as an alert rule would", async () => {
      const now = Date.now();
      const { A } = await client!.queryData(
        [
          {
            refId: 'A',
            model: { queryType: 'promql', expr: 'zviz_build_info', instant: true },
            from: now - 60_000,
            to: now,
          },
        ],
        config,
        { FromAlert: 'true' }
      );
      expect(A.frames).toHaveLength(1);
      expect(A.frames[0].fields[1].labels).toMatchObject({
        job: 'zviz',
        instance: agentAddress,
        version: '0.1.0',
        variant: 'production',
      });
      expect(A.frames[0].fields[1].values).toEqual([1]);
    });

    it("reads the agent's decision ring as an (empty) audit frame", async () => {
      const now = Date.now();
      const { A } = await client!.queryData(
        [{ refId: 'A', model: { queryType: 'audit', limit: 5000 }, from: now - 60_000, to: now }],
        config
      );
      expect(A.error).toBe('');
      expect(A.frames[0].name).toBe('audit');
      expect(A.frames[0].fields[0].values).toEqual([]);
    });

    it("opens the agent's decision stream for a Grafana Live subscriber and closes it on cancel", async () => {
      const agentUrl = `http://${agentAddress}`;
      expect(await streamClients(agentUrl)).toBe(0);
      const call = client!.runStream('decisions', config);
      call.on('error', () => undefined);
      await waitFor('the backend to subscribe to the agent', async () => (await streamClients(agentUrl)) === 1);
      call.cancel();
      await waitFor('the agent stream to close', async () => (await streamClients(agentUrl)) === 0);
    });
  }
);
