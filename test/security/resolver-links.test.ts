// Attack class: the node's /etc/resolv.conf made a link to something a
// ci-runner job's own /run hides (attacks/run-sockets.c). A host view's
// steps on a node's link are bound where the link leads (host-links.ts), so
// that the resolver's file under /run is held before the job's /run tmpfs
// covers it and is bound into it. The link is anyone's who writes the
// node's /etc: root, and a `default` or `observe` workload, whose writes land
// on the node. Pointed at /run/docker.sock, the node's Docker socket was
// bound into every later ci-runner job's own /run, and the job reached it
// there and through /etc/resolv.conf (checked by hand: the listener got the
// job's bytes both ways); at a directory or a root-only file under /run, the
// rest of the node's /run would come with it. Here a node's /run is made in a
// mount namespace of its own (as run-sockets.test.ts makes it), its
// /etc/resolv.conf a link to each, and the listeners say what reached them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { ATTACK_BIN, AttackAgent, attackSuite, MODES, outcomes } from './harness';

const STREAM: Record<string, string> = {
  docker: '/run/docker.sock',
  'systemd-private': '/run/systemd/private',
  'via-resolver': '/etc/resolv.conf',
};
const FILES: Record<string, string> = { token: '/run/secrets/token', resolver: '/etc/resolv.conf' };
const NAMES = [...Object.keys(STREAM), ...Object.keys(FILES), 'finished'];
const RESOLVER = '/run/systemd/resolve/stub-resolv.conf';

/** Where the node's /etc/resolv.conf leads, by case. */
const TARGETS: Record<string, string> = {
  'the resolver file': RESOLVER,
  "Docker's socket": '/run/docker.sock',
  "systemd's directory": '/run/systemd',
  'a secret only root reads': '/run/secrets/token',
};

const list = (table: Record<string, string>) =>
  Object.entries(table)
    .map(([label, path]) => `${label}=${path}`)
    .join(',');

/** A node's /run in a mount namespace of its own, /etc/resolv.conf a link to `target`; runs argv there. */
function nodeRun(dir: string, secret: string, resolver: string, target: string): (argv: string[]) => string[] {
  const bin = join(ATTACK_BIN, 'run-sockets');
  const script = [
    'set -e',
    'mount -t tmpfs -o mode=0755 zviz-test-run /run',
    'mkdir -p /run/secrets /run/systemd/resolve',
    `printf %s '${secret}' > /run/secrets/token`,
    'chmod 0600 /run/secrets/token',
    `printf '%s\\n' '${resolver}' > ${RESOLVER}`,
    'chmod 0644 ' + RESOLVER,
    `ln -s '${target}' /run/.zviz-test-resolv-link`,
    `'${bin}' link-over /run/.zviz-test-resolv-link /etc/resolv.conf`,
    `'${bin}' serve '${dir}/log' '${dir}/ready' stream:/run/docker.sock stream:/run/systemd/private &`,
    `while [ ! -e '${dir}/ready' ]; do sleep 0.02; done`,
    'exec "$@"',
  ].join('\n');
  return (argv) => ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', ...argv];
}

/** The listeners that received the run's payload (tagged `tag`). */
function reached(dir: string, tag: string): string[] {
  let log = '';
  try {
    log = readFileSync(join(dir, 'log'), 'utf8');
  } catch {
    return [];
  }
  return log
    .split('\n')
    .map((line) => /^(\S+) data ([0-9a-f]+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && Buffer.from(m[2], 'hex').toString().trim().endsWith(` ${tag}`))
    .map((m) => m[1]);
}

attackSuite("attack: the node's /etc/resolv.conf a link into what ci-runner's /run hides", (suite) => {
  const secret = `ZVIZ-RUN-SECRET-${randomBytes(16).toString('hex')}`;
  const resolver = `nameserver 127.0.0.53 # zviz-test-${randomBytes(8).toString('hex')}`;
  const resolverRead = `read ${Buffer.from(`${resolver}\n`).toString('hex')}`;
  const dirs: string[] = [];
  const agents: AttackAgent[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-'));
    dirs.push(dir);
    return dir;
  };

  afterAll(async () => {
    for (const agent of agents) {
      await agent.stop();
    }
    dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  const cases = Object.keys(TARGETS).flatMap((what) => MODES.map((mode) => [what, mode] as const));
  it.each(cases)(
    'ci-runner, the link to %s (%s): only a file every user may read is bound into its /run',
    async (what, mode) => {
      const target = TARGETS[what];
      const tag = randomBytes(8).toString('hex');
      const dir = newDir();
      const wrap = nodeRun(dir, secret, resolver, target);
      let agent: AttackAgent | undefined;
      if (mode === 'agent') {
        agent = await AttackAgent.start({ wrap });
        agents.push(agent);
      }
      const run = await suite.run({
        profile: 'ci-runner',
        mode,
        program: 'run-sockets',
        env: {
          ZVIZ_ATTACK_STREAM: list(STREAM),
          ZVIZ_ATTACK_FILES: list(FILES),
          // The program asks for every list: a datagram to nowhere and a file in its own /tmp.
          ZVIZ_ATTACK_DGRAM: 'nowhere=/run/zviz-nowhere',
          ZVIZ_ATTACK_CREATE: 'own-tmp=/tmp/zviz-resolver-links',
          ZVIZ_ATTACK_ABSTRACT: `zviz-nobody-${tag}`,
          ZVIZ_ATTACK_TAG: tag,
        },
        ...(agent ? { agent } : { wrap }),
        timeoutMs: 120_000,
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      const legit = target === RESOLVER;
      expect(outcomes(run, NAMES), detail).toEqual({
        docker: 'errno ENOENT',
        'systemd-private': 'errno ENOENT',
        // The resolver's file is bound into its /run; any other target is not there, and the link dangles.
        'via-resolver': legit ? 'errno ECONNREFUSED' : 'errno ENOENT',
        token: 'errno ENOENT',
        resolver: legit ? resolverRead : 'errno ENOENT',
        finished: 'ok',
      });
      // Give what was sent a moment to arrive, then ask the listeners.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(reached(dir, tag), detail).toEqual([]);
      expect(run.stdout, detail).not.toContain(Buffer.from(secret).toString('hex'));
      await suite.expectContained(run, { outsideUnchanged: true });
      if (agent) {
        expect(await agent.notAlive(), 'the agent of the test').toBeUndefined();
      }
    }
  );
});
