// Files named by the configuration that are not what they should be: a FIFO
// (reading it waits for a writer forever), /dev/zero (never ends), /dev/full
// (every write fails), a file far too large, a path that is no path. At start
// the agent refuses them with exit code 2 and a line naming the key and why,
// within seconds; on SIGHUP it refuses the reload the same way and keeps
// answering. Never a hang, never a stack trace.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { AgentProcess, BIN, sample } from '../../agent/test/support/agent-process';

const scratch = mkdtempSync(join(tmpdir(), 'zviz-config-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let serial = 0;
function fifo(): string {
  const path = join(scratch, `fifo-${serial++}`);
  execFileSync('mkfifo', [path]);
  return path;
}

function bigFile(bytes: number): string {
  const path = join(scratch, `big-${serial++}`);
  writeFileSync(path, 'x'.repeat(bytes));
  return path;
}

/** `zviz agent` with this configuration; a hang is killed after 15 s and shows as status null. */
function startWith(config: Record<string, unknown> | string, configPath = join(scratch, `config-${serial++}.yaml`)) {
  if (typeof config !== 'string' || configPath !== config) {
    writeFileSync(
      configPath,
      typeof config === 'string'
        ? config
        : stringify({
            metrics: { address: '127.0.0.1:1' },
            // Private names, should anything start after all.
            broker: { control_socket: join(scratch, 'never.sock'), cgroup_group: `zviz-test-files-${process.pid}` },
            logging: { audit: { enabled: false } },
            ...config,
          })
    );
  }
  const started = Date.now();
  const result = spawnSync(process.execPath, [BIN, 'agent', '--config', configPath], {
    encoding: 'utf8',
    cwd: scratch, // where a relative logging.output would land
    timeout: 15_000,
    killSignal: 'SIGKILL', // a process blocked in open() of a FIFO cannot run its SIGTERM handler
    env: { ...process.env, ZVIZ_METRICS_ADDR: '', ZVIZ_CONFIG: '' },
  });
  return { status: result.status, stderr: result.stderr, seconds: (Date.now() - started) / 1000 };
}

function expectRefused(result: ReturnType<typeof startWith>, line: string | RegExp): void {
  expect(result.status, `exit status (null: killed after ${result.seconds} s); stderr:\n${result.stderr}`).toBe(2);
  expect(result.stderr).toMatch(/^zviz: configuration refused \(\d+ errors?\); nothing was started:$/m);
  if (typeof line === 'string') {
    expect(result.stderr).toContain(line);
  } else {
    expect(result.stderr).toMatch(line);
  }
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('at start, a bad file named by the configuration is refused with the key that names it', () => {
  it.each([
    ['a FIFO', fifo, 'is a FIFO; only a regular file is read'],
    ['/dev/zero', () => '/dev/zero', 'is a character device; only a regular file is read'],
    ['a 100 KiB file', () => bigFile(100 * 1024), 'is 100 KiB; at most 64 KiB is read'],
  ])('metrics.auth.token_file: %s', (_what, make, reason) => {
    const path = make();
    expectRefused(
      startWith({ metrics: { address: '127.0.0.1:1', auth: { type: 'bearer', token_file: path } } }),
      `metrics.auth.token_file: cannot read ${path}: ${reason}`
    );
  });

  it.each([
    ['cert_file', 'a FIFO', fifo, 'is a FIFO; only a regular file is read'],
    ['cert_file', '/dev/zero', () => '/dev/zero', 'is a character device; only a regular file is read'],
    ['key_file', 'a FIFO', fifo, 'is a FIFO; only a regular file is read'],
    ['key_file', '/dev/zero', () => '/dev/zero', 'is a character device; only a regular file is read'],
    ['key_file', 'a 2 MiB file', () => bigFile(2 * 1024 * 1024), 'is 2 MiB; at most 1 MiB is read'],
  ])('metrics.tls.%s: %s', (key, _what, make, reason) => {
    const path = make();
    const tls = { cert_file: join(scratch, 'absent.pem'), key_file: join(scratch, 'absent.pem'), [key]: path };
    expectRefused(
      startWith({ metrics: { address: '127.0.0.1:1', tls } }),
      `metrics.tls.${key}: cannot read ${path}: ${reason}`
    );
  });

  it.each([
    ['a FIFO', fifo, 'is a FIFO; only a regular file is read'],
    ['/dev/zero', () => '/dev/zero', 'is a character device; only a regular file is read'],
    ['a 2 MiB file', () => bigFile(2 * 1024 * 1024), 'is 2 MiB; at most 1 MiB is read'],
  ])('the configuration file itself: %s', (_what, make, reason) => {
    const path = make();
    expectRefused(startWith(path, path), `${path}: cannot read the configuration file: ${reason}`);
  });

  it.each([
    ['a FIFO', fifo, 'is a FIFO; logs are written to regular files only'],
    ['/dev/full', () => '/dev/full', 'is a character device; logs are written to regular files only'],
    // The agent's stdout is a pipe or socket here (spawnSync), as under most supervisors.
    [
      '/dev/stdout',
      () => '/dev/stdout',
      /is a (FIFO|socket); logs are written to regular files only \(write stdout for the agent's own\)/,
    ],
  ])('logging.output: %s', (_what, make, reason) => {
    const path = make();
    const result = startWith({ logging: { output: path, audit: { enabled: false } } });
    expectRefused(
      result,
      typeof reason === 'string'
        ? `logging.output: ${path} ${reason}`
        : new RegExp(`logging\\.output: ${path} ${reason.source}`)
    );
  });

  it.each([
    [' ', '" " is neither stderr, stdout nor an absolute file path'],
    ['zviz.log', '"zviz.log" is neither stderr, stdout nor an absolute file path'],
  ])('logging.output: %j', (output, reason) => {
    expectRefused(startWith({ logging: { output, audit: { enabled: false } } }), `logging.output: ${reason}`);
  });

  it('logging.audit.path: a FIFO; a container output: a relative path', () => {
    const audit = fifo();
    const stdout = fifo();
    const result = startWith({
      logging: { audit: { path: audit } },
      containers: [
        { name: 'c', command: ['true'], stdout },
        { name: 'd', command: ['true'], stdout: 'out.log' },
      ],
    });
    expectRefused(result, `logging.audit.path: ${audit} is a FIFO; logs are written to regular files only`);
    expect(result.stderr).toContain(
      'containers.1.stdout: "out.log" is neither null, inherit nor an absolute file path'
    );
    // What lies at a container's output path is judged when that container
    // starts: the file may be in a workspace its workload changes, and no
    // workload may make the agent refuse its configuration
    // (test/security/container-outputs.test.ts).
    expect(result.stderr).not.toContain('containers.0.stdout');
  });
});

describe('on SIGHUP, a bad file is a refused reload; the agent keeps answering', () => {
  let agent: AgentProcess;
  let failures = 0;
  beforeAll(async () => {
    agent = await AgentProcess.start({ variant: 'production', logging: { format: 'json' } });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  function config(extra: Record<string, unknown>): string {
    return stringify({
      variant: 'canary',
      logging: { format: 'json', audit: { path: join(agent.dir, 'audit.json') } },
      broker: { control_socket: agent.controlSocket, cgroup_group: `zviz-test-agent-${agent.port}` },
      ...extra,
      metrics: { address: `127.0.0.1:${agent.port}`, ...(extra.metrics as object) },
    });
  }

  async function refusedReload(text: string | (() => void), message: string): Promise<void> {
    if (typeof text === 'string') {
      agent.rewrite(text);
    } else {
      text();
    }
    agent.signal('SIGHUP');
    failures++;
    const metrics = await waitFor(
      'the refused reload to be counted',
      async () => {
        const m = await agent.metrics();
        return sample(m, 'zviz_config_reloads_total{result="failure"}') === failures ? m : undefined;
      },
      { timeoutMs: 10_000 }
    );
    expect(sample(metrics, 'zviz_config_last_reload_successful')).toBe(0);
    expect(metrics).toContain('variant="production"');
    expect(agent.log).toContain(message);
    expect((await fetch(`${agent.url}/health`)).status).toBe(200);
  }

  it('a FIFO as token_file', async () => {
    const path = fifo();
    await refusedReload(
      config({ metrics: { auth: { type: 'bearer', token_file: path } } }),
      `metrics.auth.token_file: cannot read ${path}: is a FIFO`
    );
  });

  it('/dev/zero as key_file', async () => {
    await refusedReload(
      config({ metrics: { tls: { cert_file: '/dev/zero', key_file: '/dev/zero' } } }),
      'metrics.tls.key_file: cannot read /dev/zero: is a character device'
    );
  });

  it('/dev/full as logging.output', async () => {
    await refusedReload(
      config({ logging: { output: '/dev/full', audit: { path: join(agent.dir, 'audit.json') } } }),
      'logging.output: /dev/full is a character device'
    );
  });

  it('the configuration file replaced by a FIFO', async () => {
    await refusedReload(() => {
      unlinkSync(agent.configPath);
      execFileSync('mkfifo', [agent.configPath]);
    }, `${agent.configPath}: cannot read the configuration file: is a FIFO`);
  });
});
