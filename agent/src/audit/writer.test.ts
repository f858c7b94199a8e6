// The audit log on a temporary directory, with an injected clock: rotation
// by size and by period, gzip, retention, drops, restart.
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { AuditRecord } from '@zviz/shared/agent-api';
import { fill, tmpfs } from '@zviz/test-support/disk';
import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, root } from '@zviz/test-support/requirements';
import { scratchDir } from '@zviz/test-support/scratch';

import { directoryProblem } from '../files/regular-file';
import { AuditLog, auditLine, type AuditLogOptions } from './writer';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2024-01-15T10:30:00.000Z');

function record(n: number): AuditRecord & { seq: number } {
  return {
    seq: n,
    timestamp: new Date(T0 + n).toISOString(),
    event_type: 'syscall',
    container_id: 'abc123',
    syscall: 'openat',
    args: { path: `/etc/file-${n}`, flags: 'O_RDONLY' },
    decision: 'allow',
    latency_us: 45,
    layer: 'broker',
  };
}

let dir: string;
let now: number;
const logs: AuditLog[] = [];

function auditLog(options: Partial<AuditLogOptions> = {}): AuditLog {
  const log = new AuditLog(
    {
      path: join(dir, 'audit.json'),
      maxBytes: 1024 * 1024,
      rotateMs: DAY,
      retentionMs: 90 * DAY,
      compress: false,
      queueSize: 1000,
      ...options,
    },
    { now: () => now }
  );
  logs.push(log);
  return log;
}

const files = () => readdirSync(dir).sort();
const lines = (name: string) => readFileSync(join(dir, name), 'utf8').trimEnd().split('\n');

beforeEach(() => {
  dir = scratchDir('zviz-audit-');
  now = T0;
});

afterEach(async () => {
  await Promise.all(logs.splice(0).map((log) => log.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('audit records', () => {
  it("write the documented fields in their order (docs/agent.md, Audit log), then the optional ones, without the API's seq", () => {
    expect(auditLine({ ...record(1), pid: 42, errno: 13 })).toBe(
      '{"timestamp":"2024-01-15T10:30:00.001Z","event_type":"syscall","container_id":"abc123","syscall":"openat",' +
        '"args":{"path":"/etc/file-1","flags":"O_RDONLY"},"decision":"allow","latency_us":45,"layer":"broker","pid":42,"errno":13}\n'
    );
  });
});

describe('AuditLog', () => {
  it('appends one JSON record a line, creating the directory', async () => {
    dir = join(dir, 'nested', 'dir');
    const log = auditLog();
    await log.open();
    log.enqueue([record(1), record(2)]);
    log.enqueue([record(3)]);
    await log.flush();
    expect(lines('audit.json').map((l) => JSON.parse(l).args.path)).toEqual([
      '/etc/file-1',
      '/etc/file-2',
      '/etc/file-3',
    ]);
    expect(log.written).toBe(3);
  });

  it('continues the existing file after a restart', async () => {
    const first = auditLog();
    await first.open();
    first.enqueue([record(1)]);
    await first.close();
    // Same day (the rotation period looks at the file's mtime, on our clock).
    utimesSync(join(dir, 'audit.json'), new Date(now), new Date(now));
    now += HOUR;
    const second = auditLog();
    await second.open();
    second.enqueue([record(2)]);
    await second.flush();
    expect(files()).toEqual(['audit.json']);
    expect(lines('audit.json')).toHaveLength(2);
  });

  it('drops and counts what does not fit the queue, without waiting', async () => {
    const log = auditLog({ queueSize: 5 });
    await log.open();
    log.enqueue(Array.from({ length: 8 }, (_, i) => record(i)));
    expect(log.dropped).toBe(3);
    await log.flush();
    expect(lines('audit.json')).toHaveLength(5);
    expect(log.collect().get('zviz_audit_events_dropped_total')).toEqual([{ labels: {}, value: 3 }]);
  });

  it('rotates before a write would pass the size limit', async () => {
    const size = Buffer.byteLength(auditLine(record(1)));
    const log = auditLog({ maxBytes: size * 3 });
    await log.open();
    for (let i = 1; i <= 7; i++) {
      now += 1000;
      log.enqueue([record(i)]);
      await log.flush();
    }
    const rotated = files().filter((f) => f !== 'audit.json');
    expect(rotated).toEqual(['audit-2024-01-15T10-30-04-000Z.json', 'audit-2024-01-15T10-30-07-000Z.json']);
    expect(rotated.map(lines).map((l) => l.length)).toEqual([3, 3]);
    expect(lines('audit.json')).toHaveLength(1);
  });

  it('rotates when a new UTC-aligned period starts, also across a restart', async () => {
    const log = auditLog({ rotateMs: DAY });
    await log.open();
    log.enqueue([record(1)]);
    await log.flush();
    now = Date.parse('2024-01-15T23:59:59.000Z');
    log.enqueue([record(2)]);
    await log.flush();
    expect(files()).toEqual(['audit.json']);
    await log.close();

    // The file was last written on the 15th (its mtime says so); the agent
    // comes back on the 16th and the first write starts a new file.
    utimesSync(join(dir, 'audit.json'), new Date(now), new Date(now));
    now = Date.parse('2024-01-16T00:00:01.000Z');
    const restarted = auditLog({ rotateMs: DAY });
    await restarted.open();
    restarted.enqueue([record(3)]);
    await restarted.flush();
    expect(files()).toEqual(['audit-2024-01-16T00-00-01-000Z.json', 'audit.json']);
    expect(lines('audit-2024-01-16T00-00-01-000Z.json')).toHaveLength(2);
    expect(lines('audit.json')).toHaveLength(1);
  });

  it('gzips rotated files when compress is on', async () => {
    const log = auditLog({ maxBytes: 10, compress: true });
    await log.open();
    log.enqueue([record(1)]);
    await log.flush();
    now += 1000;
    log.enqueue([record(2)]);
    await log.close();
    expect(files()).toEqual(['audit-2024-01-15T10-30-01-000Z.json.gz', 'audit.json']);
    const unzipped = gunzipSync(readFileSync(join(dir, 'audit-2024-01-15T10-30-01-000Z.json.gz'))).toString('utf8');
    expect(JSON.parse(unzipped).args.path).toBe('/etc/file-1');
  });

  it('compresses rotated files a crash left uncompressed, when it opens', async () => {
    writeFileSync(join(dir, 'audit-2024-01-10T00-00-00-000Z.json'), auditLine(record(9)));
    writeFileSync(join(dir, 'audit-2024-01-10T00-00-00-000Z.json.gz.partial'), 'half');
    const log = auditLog({ compress: true });
    await log.open();
    expect(files()).toContain('audit-2024-01-10T00-00-00-000Z.json.gz');
    expect(files()).not.toContain('audit-2024-01-10T00-00-00-000Z.json');
  });

  it('deletes rotated files older than the retention, and nothing else', async () => {
    const keep = ['audit-2024-01-02T00-00-00-000Z.json.gz', 'audit-2024-01-14T00-00-00-000Z.json', 'other.json'];
    const expire = ['audit-2023-10-01T00-00-00-000Z.json.gz', 'audit-2023-12-31T23-00-00-000Z-1.json'];
    for (const name of [...keep, ...expire]) {
      writeFileSync(join(dir, name), '{}\n');
    }
    const log = auditLog({ retentionMs: 14 * DAY });
    await log.open();
    expect(files()).toEqual([...keep, 'audit.json'].sort());

    // Time passes: the next maintenance (hourly in the agent) expires more.
    now = Date.parse('2024-01-20T00:00:01.000Z');
    await log.maintain();
    expect(files()).toEqual(['audit-2024-01-14T00-00-00-000Z.json', 'audit.json', 'other.json']);
  });

  it('keeps rotated files forever with retention 0', async () => {
    writeFileSync(join(dir, 'audit-2000-01-01T00-00-00-000Z.json'), '{}\n');
    const log = auditLog({ retentionMs: 0 });
    await log.open();
    expect(existsSync(join(dir, 'audit-2000-01-01T00-00-00-000Z.json'))).toBe(true);
  });

  it('keeps events queued while the file cannot be opened, retries, and writes them once it can', async () => {
    const log = auditLog();
    await log.open();
    // A path that cannot be created: a file stands where the directory should be.
    writeFileSync(join(dir, 'blocker'), '');
    await expect(log.configure({ ...optionsOf(log), path: join(dir, 'blocker', 'audit.json') })).rejects.toThrow(
      /^cannot open .*blocker\/audit\.json: ENOTDIR/
    );
    log.enqueue([record(1)]);
    // Several retries later: still one short reason, nothing dropped, the event waiting.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(log.writeErrors).toBeGreaterThanOrEqual(2);
    expect(log.writeErrors).toBeLessThan(6);
    expect(log.outage).toMatchObject({ opened: false, attempts: log.writeErrors });
    expect(log.lastError!.match(/cannot open/g)).toHaveLength(1);
    expect(log.lastError!.length).toBeLessThan(300);
    expect({ queued: log.queued, dropped: log.dropped, written: log.written }).toEqual({
      queued: 1,
      dropped: 0,
      written: 0,
    });

    await log.configure({ ...optionsOf(log), path: join(dir, 'audit.json') });
    await log.flush();
    expect(log.outage).toBeUndefined();
    expect(lines('audit.json').map((l) => JSON.parse(l).args.path)).toEqual(['/etc/file-1']);
    expect(log.written).toBe(1);
  });

  it('counts what is still queued as dropped when it closes while failing', async () => {
    const log = auditLog();
    await log.open();
    writeFileSync(join(dir, 'blocker'), '');
    await log.configure({ ...optionsOf(log), path: join(dir, 'blocker', 'audit.json') }).catch(() => undefined);
    log.enqueue([record(1), record(2)]);
    await log.close();
    expect({ queued: log.queued, dropped: log.dropped, written: log.written }).toEqual({
      queued: 0,
      dropped: 2,
      written: 0,
    });
  });
});

describeWhere([root], 'AuditLog on a full disk (a tmpfs of its own)', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    // Close the writers before their file system goes.
    await Promise.all(logs.splice(0).map((log) => log.close()));
    for (const cleanup of cleanups.splice(0).reverse()) {
      cleanup();
    }
  });

  it('cuts off the record a full disk split, keeps it queued, and writes it whole when space returns', async () => {
    const disk = tmpfs(256 * 1024, cleanups);
    dir = join(disk, 'log');
    const log = auditLog({ queueSize: 10_000 });
    await log.open();
    const filler = fill(disk, 8192);
    const batch = Array.from({ length: 200 }, (_, i) => record(i)); // about 48 KiB
    log.enqueue(batch);
    await log.flush();

    expect(log.outage?.reason).toMatch(/^writing .*audit\.json failed: ENOSPC/);
    const text = readFileSync(join(dir, 'audit.json'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const onDisk = text.split('\n').filter(Boolean);
    onDisk.forEach((line) => expect(() => JSON.parse(line)).not.toThrow());
    expect(onDisk.length).toBeGreaterThan(0);
    expect(log.written).toBe(onDisk.length);
    expect(log.queued).toBe(batch.length - onDisk.length);
    expect(log.dropped).toBe(0);

    unlinkSync(filler);
    await waitFor('the queue written and the outage over', async () => log.queued === 0 && log.outage === undefined, {
      timeoutMs: 5000,
      intervalMs: 25,
    });
    const all = lines('audit.json').map((l) => JSON.parse(l).args.path);
    expect(all).toEqual(batch.map((r) => r.args.path));
    expect(log.written).toBe(batch.length);
  });

  it('under steady load: spaced retries, a reason that never grows, drops counted, back at the next retry once there is space', async () => {
    const disk = tmpfs(256 * 1024, cleanups);
    dir = join(disk, 'log');
    const log = auditLog({ queueSize: 100 });
    await log.open();
    const filler = fill(disk, 0);
    let n = 0;
    const load = setInterval(() => log.enqueue(Array.from({ length: 20 }, () => record(n++))), 20);
    cleanups.push(() => clearInterval(load));

    await new Promise((resolve) => setTimeout(resolve, 3000));
    const reason = log.lastError!;
    expect(reason).toMatch(/ENOSPC/);
    expect(reason.length).toBeLessThan(300);
    // Retries at 0.25, 0.5, 1, 2 s... not one per event.
    expect(log.writeErrors).toBeLessThan(10);
    expect(log.dropped).toBeGreaterThan(0);

    unlinkSync(filler);
    const failedBefore = log.writeErrors;
    await waitFor('the outage over and a line written', async () => log.outage === undefined && log.written > 0, {
      timeoutMs: 10_000,
      intervalMs: 25,
    });
    // Back at the next retry once there is space: at most one more failed
    // attempt (a write already under way when the space came back).
    expect(log.writeErrors - failedBefore).toBeLessThanOrEqual(1);
    clearInterval(load);
    await log.flush();
    expect(log.written + log.dropped + log.queued).toBe(n);
    expect(lines('audit.json')).toHaveLength(log.written);
  });
});

function optionsOf(log: AuditLog): AuditLogOptions {
  return (log as unknown as { options: AuditLogOptions }).options;
}

// docs/security.md, The agent against local users: the directory check is made again right
// before the file is opened, so a directory another user made after the configuration was
// checked (under a sticky one, where the check judged the nearest directory that existed) is
// caught too. The user's link would have had the agent append its records to a root file.
describeWhere([root], 'AuditLog against a local user', () => {
  /** A uid (and gid) no account of the test machine uses. */
  const STRANGER = 54_321;

  it('refuses the directory another user made meanwhile under a sticky one: their link is not followed, the events wait', async () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const victim = join(dir, 'victim');
    const victimText = 'root:x:0:0:root:/root:/bin/bash\n';
    writeFileSync(victim, victimText, { mode: 0o644 });
    const theirs = join(shared, 'zviz');
    const path = join(theirs, 'audit.json');
    // What the configuration's check saw: no directory yet, the sticky one above it accepted.
    expect(directoryProblem(path)).toBeUndefined();
    // Meanwhile the user makes the directory and puts a link where the audit log goes.
    mkdirSync(theirs);
    chownSync(theirs, STRANGER, STRANGER);
    symlinkSync(victim, path);
    lchownSync(path, STRANGER, STRANGER);

    const log = auditLog({ path });
    await expect(log.open()).rejects.toThrow(/another user can change/);
    log.enqueue([record(1)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(readFileSync(victim, 'utf8')).toBe(victimText);
    expect({ queued: log.queued, written: log.written }).toEqual({ queued: 1, written: 0 });
    expect(log.lastError).toContain('another user can change');
  });
});
