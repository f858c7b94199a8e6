// Cgroups a previous agent (or a standalone run whose zviz process died) left
// behind are cleaned at the next start. One that cannot be removed is left
// for the start after: it must not keep this start from happening
// (docs/security.md, "Cgroups below a container's").
import { describe, expect, it } from 'vitest';

import type { CgroupDriver, ContainerCgroup } from '../cgroups/cgroup';
import type { BrokerAddon } from '../native/broker-addon';
import { ContainerManager } from './manager';

function leftover(id: string, removable: boolean, removed: string[]): ContainerCgroup {
  return {
    id,
    path: `/cgroups/${id}`,
    procs: () => [],
    kill: () => undefined,
    drain: async () => true,
    remove: async () => {
      if (!removable) {
        throw new Error(`cannot remove cgroup /cgroups/${id}: EBUSY`);
      }
      removed.push(id);
    },
  } as unknown as ContainerCgroup;
}

describe('cleaning leftover container cgroups', () => {
  it('removes the ones it can and warns of the others, without failing', async () => {
    const removed: string[] = [];
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const cgroups = {
      kind: 'v2',
      root: '/cgroups',
      controllers: [],
      existing: () => ['a', 'stuck', 'b'],
      open: (id: string) => leftover(id, id !== 'stuck', removed),
      create: () => {
        throw new Error('not used');
      },
      removeGroup: () => undefined,
    } as CgroupDriver;
    const manager = new ContainerManager({
      addon: {} as BrokerAddon,
      cgroups,
      warn: (message, detail) => warnings.push([message, detail]),
    });
    await expect(manager.cleanLeftovers()).resolves.toEqual(['a', 'b']);
    expect(removed).toEqual(['a', 'b']);
    expect(warnings).toEqual([
      [
        'a leftover container cgroup could not be removed',
        { id: 'stuck', path: '/cgroups/stuck', error: 'cannot remove cgroup /cgroups/stuck: EBUSY' },
      ],
    ]);
  });
});
