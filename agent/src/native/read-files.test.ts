// readFiles: the sampler's batch of cgroup files, read on the thread pool,
// each whole, never through a symbolic link, unreadable ones as null.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { requireBrokerAddon } from './broker-addon';

describe('readFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-read-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads each file whole, in order, with null for those it cannot read', async () => {
    const small = join(dir, 'small');
    const large = join(dir, 'large');
    writeFileSync(small, 'usage_usec 42\n');
    // Longer than one read of the addon's buffer.
    const content = Array.from({ length: 5000 }, (_, i) => `8:${i} rbytes=${i} wbytes=${2 * i}`).join('\n');
    writeFileSync(large, content);
    const texts = await requireBrokerAddon().readFiles([small, join(dir, 'missing'), large, dir, small]);
    expect(texts).toEqual(['usage_usec 42\n', null, content, null, 'usage_usec 42\n']);
  });

  it('reads kernel files, whose size the kernel does not tell', async () => {
    const [status] = await requireBrokerAddon().readFiles(['/proc/self/status']);
    expect(status).toMatch(new RegExp(`^Pid:\\s+${process.pid}$`, 'm'));
  });

  it('does not follow a symbolic link in the last component', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'secret\n');
    symlinkSync(target, join(dir, 'link'));
    expect(await requireBrokerAddon().readFiles([join(dir, 'link'), target])).toEqual([null, 'secret\n']);
  });

  it('keeps at most 1 MiB of a file', async () => {
    const huge = join(dir, 'huge');
    writeFileSync(huge, Buffer.alloc(3 << 20, 'x'));
    const [text] = await requireBrokerAddon().readFiles([huge]);
    expect(text).toHaveLength(1 << 20);
  });

  it('refuses what is not a list of paths, and a path with a NUL byte', () => {
    const addon = requireBrokerAddon();
    expect(() => addon.readFiles('/etc/hostname' as unknown as string[])).toThrow(TypeError);
    expect(() => addon.readFiles([1 as unknown as string])).toThrow(TypeError);
    expect(() => addon.readFiles(['/etc/hostname\0/x'])).toThrow(/NUL/);
  });
});
