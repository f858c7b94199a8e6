// The foundation's proof that the toolchain works on this kernel: the broker
// addon answers, and a BPF object compiled from agent/bpf/ loads (through
// the tracer's testing addon), attaches to a tracepoint and counts real syscalls.
import { expect, it } from 'vitest';

import { btf, describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { loadAddon } from '../src/native/load';
import { loadTracerTestingAddon } from './support/tracer-testing-addon';

interface BrokerAddon {
  seccompFeatures(): { filterMode: number; actionsAvailable: string };
}

describeWhere([seccompUserNotif], 'broker addon', () => {
  it('loads and reports the kernel seccomp actions', () => {
    const loaded = loadAddon<BrokerAddon>('zviz_broker');
    if (!loaded.ok) {
      throw new Error(loaded.reason);
    }
    const features = loaded.addon.seccompFeatures();
    expect(features.actionsAvailable.split(' ')).toEqual(expect.arrayContaining(['user_notif', 'errno', 'allow']));
    expect(features.filterMode).toBe(0);
  });
});

describeWhere([root, btf], 'tracer addon', () => {
  it('attaches a BPF program to raw_syscalls:sys_enter and counts this process', () => {
    const loaded = loadTracerTestingAddon();
    if (!loaded.ok) {
      throw new Error(loaded.reason);
    }
    const calls = 5000;
    const counted = loaded.addon.smokeCountSyscalls(calls);
    // The loop's getppid calls, plus the few syscalls the lookup itself makes.
    expect(counted).toBeGreaterThanOrEqual(calls);
    expect(counted).toBeLessThan(calls + 50);
  });
});
