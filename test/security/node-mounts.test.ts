// Attack class: the mounts a node holds for its other workloads
// (attacks/node-mounts.c). On a Kubernetes node every pod's secrets,
// configmaps and service account tokens are tmpfs mounts under
// /var/lib/kubelet/pods/UID/volumes, and every container's root file system
// a mount under /run/containerd: hundreds to thousands of them. A host view
// is a copy of the node's mount namespace and carries every one of them
// along (docs/security.md, "Mounts of the node"). Under `strict` (an
// allow-list view) none may be in the view; under `ci-runner` (the host's
// tree, read-only) the node's pods and containers are hidden, and no step of
// the view may copy the node's mounts a second time; `default` and
// `observe` show the host's tree as root reads it, another pod's secret
// included (docs/security.md, Known limits), and hold them at most twice.
//
// This machine is no Kubernetes node, so the test makes one's mounts in a
// mount namespace of its own (unshare; an empty tmpfs over /var/lib and
// /run first, so that nothing is made on the node), runs `zviz run` or the
// agent there, and asks the workload what it read and how many mounts its
// view holds: a count, not a time.
import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { AttackAgent, attackSuite, byProfile, matrix, outcomes, Scratch } from './harness';

const PODS = 240; // secret volumes, three a pod
const ROOTS = 60; // containers' root file systems
const MADE = PODS + ROOTS;
const POD_SECRET = '/var/lib/kubelet/pods/pod0/volumes/kubernetes.io~secret/s0/token';
const ROOTFS_SECRET = '/run/containerd/io.containerd.runtime.v2.task/k8s.io/c0/rootfs/etc/secret';

/** The shell script that makes a node's pod and container mounts, each holding `secret`. */
function nodeMounts(secret: string): string {
  return [
    'set -e',
    'mount -t tmpfs -o mode=0755 zviz-test-var-lib /var/lib',
    'mount -t tmpfs -o mode=0755 zviz-test-run /run',
    `i=0; while [ $i -lt ${PODS} ]; do`,
    '  d=/var/lib/kubelet/pods/pod$((i/3))/volumes/kubernetes.io~secret/s$i',
    `  mkdir -p $d; mount -t tmpfs -o size=16k,mode=0755 tmpfs $d; printf %s '${secret}' > $d/token; i=$((i+1))`,
    'done',
    `i=0; while [ $i -lt ${ROOTS} ]; do`,
    '  d=/run/containerd/io.containerd.runtime.v2.task/k8s.io/c$i/rootfs',
    `  mkdir -p $d; mount -t tmpfs -o size=16k,mode=0755 tmpfs $d; mkdir $d/etc; printf %s '${secret}' > $d/etc/secret; i=$((i+1))`,
    'done',
  ].join('\n');
}

attackSuite("attack: the node's mounts of other pods and containers", (suite) => {
  const secret = `ZVIZ-POD-SECRET-${randomBytes(16).toString('hex')}`;
  const secretHex = Buffer.from(secret).toString('hex');
  const wrap = (argv: string[]) => [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    `${nodeMounts(secret)}\nexec "$@"`,
    'sh',
    ...argv,
  ];
  let agent: AttackAgent | undefined;

  beforeAll(async () => {
    agent = await AttackAgent.start({ wrap });
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
  });

  it.each(matrix())('%s (%s): what the view shows of them, and how many mounts it holds', async (profile, mode) => {
    const run = await suite.run({
      profile,
      mode,
      program: 'node-mounts',
      env: { ZVIZ_ATTACK_POD_SECRET: POD_SECRET, ZVIZ_ATTACK_ROOTFS_SECRET: ROOTFS_SECRET },
      agent,
      // Not under /var/lib, which the namespace's empty tmpfs hides.
      scratch: Scratch.create({}, '/var/cache'),
      // Standalone, zviz run makes the container from its own namespace; through the agent, the agent does.
      ...(mode === 'standalone' ? { wrap } : {}),
      timeoutMs: 120_000,
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    const got = outcomes(run, ['pod-secret', 'rootfs-secret', 'pods', 'mounts', 'node-mounts', 'finished']);
    const [read, pods] = byProfile(profile, {
      // Not in the view, whose reads are the kernel's.
      strict: ['errno ENOENT', 'errno ENOENT'],
      // Hidden under the profile's empty tmpfs.
      'ci-runner': ['errno ENOENT', 'errno ENOENT'],
      default: [`read ${secretHex}`, `ok ${PODS / 3}`],
      observe: [`read ${secretHex}`, `ok ${PODS / 3}`],
    });
    expect({ ...got, mounts: undefined, 'node-mounts': undefined }, detail).toEqual({
      'pod-secret': read,
      'rootfs-secret': read,
      pods,
      mounts: undefined,
      'node-mounts': undefined,
      finished: 'ok',
    });
    const total = Number(got.mounts.replace(/^ok /, ''));
    const node = Number(got['node-mounts'].replace(/^ok /, ''));
    if (profile === 'strict') {
      // The allow-list view holds what it lists, whatever the node mounts.
      expect({ node, few: total < 100 }, detail).toEqual({ node: 0, few: true });
    } else if (profile === 'ci-runner') {
      // The namespace's own copy of each, under the covers, and no second one.
      expect({ node, total: total < MADE + 150 }, detail).toEqual({ node: MADE, total: true });
    } else {
      // The namespace's copy of each; standalone, the pins of /var and /var/log (the default audit
      // directory, /var/log/zviz) copy the /var/lib ones again (docs/security.md, "Mounts of the node").
      expect(node, detail).toBe(mode === 'standalone' ? MADE + PODS : MADE);
    }
    await suite.expectContained(run, { outsideUnchanged: true });
    expect(await agent!.notAlive(), 'the agent of the test').toBeUndefined();
  });
});
