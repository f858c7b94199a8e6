// The audit log and the agent's own log on a disk that fills up or turns
// read-only, under a workload that keeps making audited decisions. What the
// operator must see: the agent alive and answering, /health saying what is
// wrong in a few bounded words and saying it is fixed within seconds of the
// disk recovering, its own log not flooded, every record either whole in a
// file or counted as dropped, and the files holding only whole JSON records.
//
// Each case mounts a small tmpfs of its own in a temporary directory (root),
// and unmounts it after.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { stopChild } from '@zviz/test-support/processes';
import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, BIN, sample } from '../../agent/test/support/agent-process';
import { fill, MiB, tmpfs } from '@zviz/test-support/disk';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/** What the audit component says while its disk is full or read-only. */
const DISK_FAULT = /ENOSPC|no space|EROFS|read-only/i;

interface AuditHealth {
  status: string;
  reason?: string;
  written: number;
  dropped: number;
  queued: number;
}

async function auditHealth(agent: AgentProcess): Promise<{ audit: AuditHealth; bytes: number; status: string }> {
  const response = await fetch(`${agent.url}/health`);
  const text = await response.text();
  const body = JSON.parse(text);
  return { audit: body.components.audit, bytes: text.length, status: body.status };
}

/** A workload whose every loop makes one audited decision: a refused write outside the workspace. */
function deniedWrites(agent: AgentProcess): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'run',
      '--socket',
      agent.controlSocket,
      '--profile',
      'ci-runner',
      '--',
      'sh',
      '-c',
      'exec 2>/dev/null; while :; do true > /etc/zviz-denied; done',
    ],
    { stdio: 'ignore' }
  );
  cleanups.push(() => stopChild(child));
  return child;
}

/** Every line of every audit file in `dir`, parsed; a line that is not whole JSON fails the test. */
function records(dir: string): number {
  let count = 0;
  for (const name of readdirSync(dir).filter((n) => n.startsWith('audit'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    expect(text === '' || text.endsWith('\n'), `${name} ends in the middle of a record`).toBe(true);
    for (const line of text.split('\n').filter((l) => l !== '')) {
      expect(() => JSON.parse(line), `${name}: ${line.slice(0, 80)}`).not.toThrow();
      count++;
    }
  }
  return count;
}

async function eventsProduced(agent: AgentProcess): Promise<number> {
  const metrics = await agent.metrics();
  return metrics
    .split('\n')
    .filter((l) => l.startsWith('zviz_audit_events_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describeWhere([root, seccompUserNotif], 'the audit log on a full disk', () => {
  beforeAll(() => {
    // The tools the test needs, to fail with a reason rather than midway.
    execFileSync('sh', ['-c', 'command -v mount umount fallocate df']);
  });

  it('drops and counts while full, says so briefly, recovers within seconds under steady load, keeps files whole', async () => {
    const disk = tmpfs(64 * MiB, cleanups);
    const logDir = join(disk, 'audit');
    mkdirSync(logDir);
    const agent = await AgentProcess.start({
      logging: { format: 'json', audit: { path: join(logDir, 'audit.json'), queue_size: 1000 } },
    });
    cleanups.push(async () => void (await agent.stop()));
    const filler = fill(disk, 256 * 1024);

    const workload = deniedWrites(agent);
    const full = await waitFor(
      'the audit log to report the full disk',
      async () => {
        const h = await auditHealth(agent);
        return h.audit.status !== 'ok' && /ENOSPC|no space/i.test(h.audit.reason ?? '') ? h : undefined;
      },
      { timeoutMs: 30_000 }
    );
    expect(full.status).toBe('degraded');

    // Three seconds of steady load on the full disk.
    const logBefore = agent.log.length;
    const droppedBefore = full.audit.dropped;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const during = await auditHealth(agent);
    expect(agent.child.exitCode).toBeNull();
    expect(during.audit.status).toBe('degraded');
    expect(during.audit.reason!.length).toBeLessThan(300);
    expect(during.bytes).toBeLessThan(4096);
    expect(during.audit.dropped).toBeGreaterThan(droppedBefore);
    const logGrowth = agent.log.slice(logBefore);
    expect(logGrowth.length, `the agent's log grew by:\n${logGrowth.slice(0, 2000)}`).toBeLessThan(8 * 1024);
    const metrics = await agent.metrics();
    expect(sample(metrics, 'zviz_audit_events_dropped_total')).toBeGreaterThanOrEqual(during.audit.dropped);
    // A write error is an attempt, not an event: retries are spaced, not one per event.
    expect(sample(metrics, 'zviz_audit_write_errors_total')).toBeLessThan(100);

    // Space comes back while the workload goes on.
    unlinkSync(filler);
    const writtenAtFree = during.audit.written;
    const recovered = await waitFor(
      'the audit log to write again',
      async () => {
        const h = await auditHealth(agent);
        return !DISK_FAULT.test(h.audit.reason ?? '') && h.audit.written > writtenAtFree ? h : undefined;
      },
      { timeoutMs: 10_000 }
    );
    // Either ok, or degraded only for the drops of the last seconds (they stay visible for 10 s).
    expect(recovered.audit.reason ?? '').not.toMatch(DISK_FAULT);

    await stopChild(workload);
    const settled = await waitFor(
      'the queue to drain and the audit log to be ok',
      async () => {
        const h = await auditHealth(agent);
        return h.audit.queued === 0 && h.audit.status === 'ok' ? h.audit : undefined;
      },
      { timeoutMs: 30_000 }
    );
    // Nothing lost without a count: every event the audit log was handed is written or counted as dropped.
    const produced = await eventsProduced(agent);
    const last = (await auditHealth(agent)).audit;
    expect(last.written + last.dropped).toBe(produced);
    expect(last.written).toBe(settled.written);

    expect(await agent.stop()).toBe(0);
    // The files hold exactly the records counted as written, each whole.
    expect(records(logDir)).toBe(last.written);
  });

  it('rotated files end in whole records and `written` counts only what reached the disk', async () => {
    const disk = tmpfs(16 * MiB, cleanups);
    const logDir = join(disk, 'audit');
    mkdirSync(logDir);
    const agent = await AgentProcess.start({
      // Small files: many rotations, each a chance to cut a record.
      logging: { format: 'json', audit: { path: join(logDir, 'audit.json'), max_size_mb: 0.05, queue_size: 2000 } },
    });
    cleanups.push(async () => void (await agent.stop()));
    const filler = fill(disk, 512 * 1024);
    const workload = deniedWrites(agent);
    await waitFor(
      'the disk to fill',
      async () => /ENOSPC|no space/i.test((await auditHealth(agent)).audit.reason ?? ''),
      { timeoutMs: 30_000 }
    );
    await stopChild(workload);
    unlinkSync(filler);
    const settled = await waitFor(
      'the queue to drain and the audit log to be ok',
      async () => {
        const h = await auditHealth(agent);
        return h.audit.queued === 0 && h.audit.status === 'ok' ? h.audit : undefined;
      },
      { timeoutMs: 30_000 }
    );
    expect(settled.written + settled.dropped).toBe(await eventsProduced(agent));
    expect(await agent.stop()).toBe(0);
    expect(readdirSync(logDir).length).toBeGreaterThan(2);
    expect(records(logDir)).toBe(settled.written);
  });
});

describeWhere([root, seccompUserNotif], 'the audit log on a read-only disk', () => {
  it('reports the disk, counts what it drops, and opens the file within seconds of the disk turning writable', async () => {
    const disk = tmpfs(4 * MiB, cleanups);
    mkdirSync(join(disk, 'audit'));
    execFileSync('mount', ['-o', 'remount,ro', disk]);
    const audit = join(disk, 'audit', 'audit.json');
    const agent = await AgentProcess.start({ logging: { format: 'json', audit: { path: audit, queue_size: 500 } } });
    cleanups.push(async () => void (await agent.stop()));
    const workload = deniedWrites(agent);

    const broken = await waitFor('events to be dropped', async () => {
      const h = await auditHealth(agent);
      return h.audit.dropped > 0 ? h : undefined;
    });
    expect(broken.status).toBe('degraded');
    expect(broken.audit.status).not.toBe('ok');
    expect(broken.audit.reason).toMatch(/read-only|EROFS/);
    expect(broken.audit.reason!.length).toBeLessThan(300);
    expect(existsSync(audit)).toBe(false);

    execFileSync('mount', ['-o', 'remount,rw', disk]);
    await waitFor(
      'the audit log to open and write',
      async () => {
        const h = await auditHealth(agent);
        return !DISK_FAULT.test(h.audit.reason ?? '') && h.audit.written > 0 ? h : undefined;
      },
      { timeoutMs: 10_000 }
    );
    await stopChild(workload);
    const settled = await waitFor('the queue to drain', async () => {
      const h = await auditHealth(agent);
      return h.audit.queued === 0 ? h.audit : undefined;
    });
    expect(settled.written + settled.dropped).toBe(await eventsProduced(agent));
    expect(await agent.stop()).toBe(0);
    expect(records(join(disk, 'audit'))).toBe(settled.written);
  });
});
