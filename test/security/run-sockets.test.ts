// Attack class: the node's service sockets and files under /run
// (attacks/run-sockets.c). A host view shows the node's /run, where its
// services listen: /run/docker.sock is root on a Docker node, and elsewhere
// there are systemd's private socket and its notify and journal datagram
// sockets, podman's and a user session's agent sockets, and sockets of
// programs nobody lists. A read-only mount does not stop a connect, and a
// rule on connect is no boundary (the address is read again after the
// check): only a view without them is. /run also holds files a node keeps
// for its own services (/run/secrets, systemd's /run/credentials).
//
// This machine's /run holds none of them, so the test makes a node's /run in
// a mount namespace of its own (unshare; an empty tmpfs over /run first, so
// that nothing is made on the node), with listeners that log every
// connection and datagram they receive, and /etc/resolv.conf a link into
// it, as systemd-resolved makes it. `zviz run` or the agent runs there, and
// the test compares what the workload says with what the listeners saw.
// Abstract unix sockets belong to the network namespace, not the file
// system: a listener of the test's own on one shows what the profile's
// network reaches. Every built-in profile's Landlock domain is scoped for
// abstract unix sockets, so where the network is the node's the connect is
// refused (EPERM; docs/security.md, "Landlock scopes"; scopes.test.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { ATTACK_BIN, AttackAgent, attackSuite, byProfile, matrix, outcomes } from './harness';

const STREAM: Record<string, string> = {
  docker: '/run/docker.sock',
  'docker-var-run': '/var/run/docker.sock',
  'systemd-private': '/run/systemd/private',
  podman: '/run/podman/podman.sock',
  'user-agent': '/run/user/0/gnupg/S.gpg-agent',
  unlisted: `/run/zz-${randomBytes(4).toString('hex')}/api.sock`,
};
const DGRAM: Record<string, string> = {
  'systemd-notify': '/run/systemd/notify',
  'journal-dgram': '/run/systemd/journal/socket',
};
const FILES: Record<string, string> = {
  'run-secrets': '/run/secrets/token',
  'run-credentials': '/run/credentials/job.service/password',
  resolver: '/etc/resolv.conf',
};
const CREATE: Record<string, string> = { 'run-lock': '/run/lock/job.lock' };
const SOCKETS = [...Object.keys(STREAM), ...Object.keys(DGRAM)];
const NAMES = [...SOCKETS, 'abstract', ...Object.keys(FILES), ...Object.keys(CREATE), 'finished'];
const RESOLVER = '/run/systemd/resolve/stub-resolv.conf';

const list = (table: Record<string, string>) =>
  Object.entries(table)
    .map(([label, path]) => `${label}=${path}`)
    .join(',');

/** How the node has /var/run: a link to /run (current distributions, this machine) or a directory of its own. */
type VarRun = 'link' | 'directory';

/**
 * The shell lines that make /var/run a directory in the test's mount
 * namespace: the node's /var is held elsewhere, an empty tmpfs covers /var,
 * and each of its entries but run comes back (directories bound, links copied).
 */
function varRunDirectory(hold: string): string[] {
  return [
    `mkdir -p '${hold}'`,
    `mount --rbind /var '${hold}'`,
    'mount -t tmpfs -o mode=0755 zviz-test-var /var',
    `for e in '${hold}'/*; do n=\${e##*/}; [ "$n" = run ] && continue;`,
    '  if [ -L "$e" ]; then cp -P "$e" /var/; elif [ -d "$e" ]; then mkdir "/var/$n"; mount --rbind "$e" "/var/$n"; fi',
    'done',
    'mkdir -m 0755 /var/run',
  ];
}

/** A node's /run in a mount namespace of its own, its listeners logging to `dir`/log; runs argv there. */
function nodeRun(dir: string, secret: string, resolver: string, varRun: VarRun): (argv: string[]) => string[] {
  const bin = join(ATTACK_BIN, 'run-sockets');
  const specs = [
    ...Object.entries(STREAM)
      // With /var/run a link to /run, the same socket as /run/docker.sock.
      .filter(([label]) => varRun === 'directory' || label !== 'docker-var-run')
      .map(([, path]) => `stream:${path}`),
    ...Object.values(DGRAM).map((path) => `dgram:${path}`),
  ];
  const script = [
    'set -e',
    ...(varRun === 'directory' ? varRunDirectory(join(dir, 'var')) : []),
    'mount -t tmpfs -o mode=0755 zviz-test-run /run',
    'mkdir -p -m 1777 /run/lock',
    'mkdir -p /run/secrets /run/credentials/job.service /run/systemd/resolve',
    `printf %s '${secret}' > /run/secrets/token`,
    `printf %s '${secret}' > /run/credentials/job.service/password`,
    `printf '%s\\n' '${resolver}' > ${RESOLVER}`,
    // /etc/resolv.conf a link into /run, as systemd-resolved makes it (the link itself bound over the file).
    'ln -s ../run/systemd/resolve/stub-resolv.conf /run/.zviz-test-resolv-link',
    `'${bin}' link-over /run/.zviz-test-resolv-link /etc/resolv.conf`,
    `'${bin}' serve '${dir}/log' '${dir}/ready' ${specs.join(' ')} &`,
    `while [ ! -e '${dir}/ready' ]; do sleep 0.02; done`,
    'exec "$@"',
  ].join('\n');
  return (argv) => ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', ...argv];
}

/** Where the payload of `label` must arrive: its own listener, or /run/docker.sock's by the /var/run link. */
function listenerOf(label: string, varRun: VarRun): string {
  return label === 'docker-var-run' && varRun === 'link' ? STREAM.docker : (STREAM[label] ?? DGRAM[label]);
}

/** What the listeners of `dir` received from the run tagged `tag`: "LABEL" for each payload, "LABEL at PATH" at another listener. */
function received(dir: string, tag: string, varRun: VarRun): string[] {
  let log = '';
  try {
    log = readFileSync(join(dir, 'log'), 'utf8');
  } catch {
    return [];
  }
  const got: string[] = [];
  for (const line of log.split('\n')) {
    const match = /^(\S+) data ([0-9a-f]+)$/.exec(line);
    const [label, from] = match ? Buffer.from(match[2], 'hex').toString().trim().split(' ') : [];
    if (match && from === tag) {
      got.push(match[1] === listenerOf(label, varRun) ? label : `${label} at ${match[1]}`);
    }
  }
  return got;
}

attackSuite("attack: the node's service sockets and files under /run", (suite) => {
  const secret = `ZVIZ-RUN-SECRET-${randomBytes(16).toString('hex')}`;
  const secretRead = `read ${Buffer.from(secret).toString('hex')}`;
  const resolver = `nameserver 127.0.0.53 # zviz-test-${randomBytes(8).toString('hex')}`;
  const resolverRead = `read ${Buffer.from(`${resolver}\n`).toString('hex')}`;
  const dirs: string[] = [];
  // Short: a socket path holds at most 107 bytes.
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-'));
    dirs.push(dir);
    return dir;
  };
  const layouts: VarRun[] = ['link', 'directory'];
  const agentDirs = Object.fromEntries(layouts.map((layout) => [layout, newDir()])) as Record<VarRun, string>;
  const agents: Partial<Record<VarRun, AttackAgent>> = {};
  const abstractName = `zviz-attack-run-${randomBytes(6).toString('hex')}`;
  const abstractSeen: string[] = [];
  let abstract: Server | undefined;

  beforeAll(async () => {
    abstract = createServer((socket) => {
      socket.on('data', (d) => abstractSeen.push(d.toString().trim()));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => abstract!.listen(`\0${abstractName}`, resolve));
    for (const layout of layouts) {
      agents[layout] = await AttackAgent.start({ wrap: nodeRun(agentDirs[layout], secret, resolver, layout) });
    }
  }, 180_000);

  afterAll(async () => {
    for (const layout of layouts) {
      await agents[layout]?.stop();
    }
    await new Promise<void>((resolve) => (abstract ? abstract.close(() => resolve()) : resolve()));
    for (const dir of dirs) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const expected = (profile: string) => {
    const all = (names: string[], outcome: string) => Object.fromEntries(names.map((n) => [n, outcome]));
    const host = {
      ...all(SOCKETS, 'ok'),
      // The node's network, but its abstract names are scoped out by Landlock (docs/security.md, "Landlock scopes").
      abstract: 'errno EPERM',
      'run-secrets': secretRead,
      'run-credentials': secretRead,
      resolver: resolverRead,
      'run-lock': 'ok',
      finished: 'ok',
    };
    return byProfile(profile, {
      // The host's /run, as root reads it (Known limits).
      default: { outcomes: host, reached: SOCKETS },
      observe: { outcomes: host, reached: SOCKETS },
      // A /run of its own: nothing of the node's but the resolver's file, which /etc/resolv.conf names.
      'ci-runner': {
        outcomes: {
          ...host,
          ...all(SOCKETS, 'errno ENOENT'),
          'run-secrets': 'errno ENOENT',
          'run-credentials': 'errno ENOENT',
        },
        // The node's network, whose abstract names the Landlock scope keeps out.
        reached: [],
      },
      // Not in its view; the broker's rules on connect and sendto answer first; its own network.
      strict: {
        outcomes: {
          ...all(SOCKETS, 'errno EACCES'),
          abstract: 'errno EACCES',
          // Reads are the kernel's, decided by the view (docs/security.md, "Emulated opens"): not there.
          'run-secrets': 'errno ENOENT',
          'run-credentials': 'errno ENOENT',
          // Not in its view (nor is any network to resolve names on).
          resolver: 'errno ENOENT',
          'run-lock': 'errno EACCES',
          finished: 'ok',
        },
        reached: [],
      },
    });
  };

  const cases = layouts.flatMap((layout) => matrix().map(([profile, mode]) => [profile, mode, layout] as const));
  it.each(cases)(
    '%s (%s), /var/run a %s: what the workload reaches of the node /run',
    async (profile, mode, layout) => {
      const tag = randomBytes(8).toString('hex');
      const dir = mode === 'standalone' ? newDir() : agentDirs[layout];
      const run = await suite.run({
        profile,
        mode,
        program: 'run-sockets',
        env: {
          ZVIZ_ATTACK_STREAM: list(STREAM),
          ZVIZ_ATTACK_DGRAM: list(DGRAM),
          ZVIZ_ATTACK_FILES: list(FILES),
          ZVIZ_ATTACK_CREATE: list(CREATE),
          ZVIZ_ATTACK_ABSTRACT: abstractName,
          ZVIZ_ATTACK_TAG: tag,
        },
        agent: agents[layout],
        ...(mode === 'standalone' ? { wrap: nodeRun(dir, secret, resolver, layout) } : {}),
        timeoutMs: 120_000,
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      const want = expected(profile);
      expect(outcomes(run, NAMES), detail).toEqual(want.outcomes);
      // Give what was sent a moment to arrive, then compare what each listener received.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const reached = [
        ...received(dir, tag, layout),
        ...abstractSeen.filter((line) => line.endsWith(` ${tag}`)).map(() => 'abstract'),
      ];
      expect(reached.sort(), detail).toEqual([...want.reached].sort());
      await suite.expectContained(run, { outsideUnchanged: true });
      expect(await agents[layout]!.notAlive(), 'the agent of the test').toBeUndefined();
    }
  );
});
