import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { scratchDir } from '@zviz/test-support/scratch';

import { listDisks } from './block-devices';

describe('disks an I/O limit applies to', () => {
  it('lists whole disks with a medium, by major:minor, and leaves out empty loop and zram devices', () => {
    const sys = scratchDir('zviz-sys-block-');
    const disk = (name: string, dev: string, size: string) => {
      mkdirSync(join(sys, name));
      writeFileSync(join(sys, name, 'dev'), `${dev}\n`);
      writeFileSync(join(sys, name, 'size'), `${size}\n`);
    };
    disk('vda', '254:0', '536870912');
    disk('loop0', '7:0', '0');
    disk('zram0', '253:0', '0');
    disk('nvme0n1', '259:0', '1000215216');
    expect(listDisks(sys)).toEqual([
      { name: 'nvme0n1', device: '259:0' },
      { name: 'vda', device: '254:0' },
    ]);
    expect(listDisks(join(sys, 'missing'))).toEqual([]);
  });

  it('finds at least one disk on this machine', () => {
    expect(listDisks().length).toBeGreaterThan(0);
  });
});
