import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { prepareWorkloads, runArgs } from './workloads';

const dir = mkdtempSync(join(tmpdir(), 'zviz-demo-workloads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('writes each workload its workspace and runs it under a built-in profile', () => {
  const workloads = prepareWorkloads(dir);
  expect(workloads.map((w) => [w.name, w.profile])).toEqual([
    ['ci-build', 'ci-runner'],
    ['untrusted-tool', 'strict'],
    ['noisy', 'default'],
  ]);
  expect(readFileSync(join(dir, 'workspaces/ci-build/ci.sh'), 'utf8')).toContain('cc -O1 -o hello hello.c');
  expect(readFileSync(join(dir, 'workspaces/untrusted-tool/input.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
});

it('hands a workload to the agent with zviz run, limits and all', () => {
  const noisy = prepareWorkloads(dir)[2];
  expect(runArgs(noisy, '/tmp/d/agent.sock', 'noisy', 9090)).toEqual([
    'run',
    '--socket',
    '/tmp/d/agent.sock',
    '--profile',
    'default',
    '--name',
    'noisy',
    '--workdir',
    noisy.workdir,
    '-e',
    'AGENT_PORT=9090',
    '--memory',
    '64M',
    '--cpus',
    '0.5',
    '--pids',
    '16',
    '--',
    '/usr/bin/perl',
    '-e',
    expect.stringContaining('syscall(101, 16, 1, 0, 0) for 1 .. 40'),
  ]);
});
