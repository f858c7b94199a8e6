// Attack class: the network (issue 14, finding 3). `egress attack` tries every
// way to put a byte in front of a listener on the host (TCP, UDP, a unix
// stream socket by path and by abstract name, a unix datagram socket by path)
// with connect, TCP Fast Open, sendto, sendmsg and sendmmsg with an address,
// and the i386 socketcall forms; each payload names its attempt, so the
// listeners tell which attempts really got through.
//
// What holds (docs/security.md): with `network: none` (strict, and the "no
// network at all" example of docs/profiles.md) no IP or abstract address of
// the host is reachable, a kernel boundary; rules on connect judge every form
// that carries an address (refused, counted, audited); unix sockets of the
// host's file system are reachable only where the file-system view shows
// them, which strict's allow-list view does not.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import {
  ATTACK_BIN,
  attackSuite,
  byProfile,
  HostListeners,
  matrix,
  outcomes,
  REPO,
  Scratch,
  type AttackRun,
  type AttackSuite,
  type Mode,
} from './harness';

const IP = ['tcp-connect', 'tcp-fastopen', 'udp-sendto', 'udp-sendmsg', 'udp-sendmmsg'];
const UNIX_PATH = ['unix-connect', 'unix-dgram-sendto', 'unix-dgram-sendmsg'];
const ABSTRACT = ['abstract-connect'];
const I386 = ['i386-socketcall-connect', 'i386-socketcall-sendto', 'i386-socketcall-sendmsg', 'i386-connect'];
const ATTEMPTS = [...IP, ...UNIX_PATH, ...ABSTRACT, ...I386];

const all = (names: string[], outcome: string) => Object.fromEntries(names.map((n) => [n, outcome]));

/** The "no network at all" example of docs/profiles.md, as written there, on `default`'s seccomp part. */
function docsExample(): object {
  const doc = readFileSync(join(REPO, 'docs', 'profiles.md'), 'utf8');
  const section = doc.slice(doc.indexOf('No network at all'));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  if (!block) {
    throw new Error('docs/profiles.md has no "No network at all" example');
  }
  const zviz = (JSON.parse(`{${block[1]}}`) as { zviz: object }).zviz;
  const base = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', 'default.json'), 'utf8')) as {
    zviz: object;
  };
  return { ...base, zviz: { ...base.zviz, ...zviz } };
}

/** `default` with only `network: none`: the namespace alone, no rule. */
function isolated(): object {
  const base = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', 'default.json'), 'utf8')) as {
    zviz: object;
  };
  return { ...base, zviz: { ...base.zviz, network: 'none' } };
}

interface Expectation {
  outcomes: Record<string, string>;
  /** Attempts whose payload the host's listeners receive. */
  reached: string[];
  /** What `interfaces` lists: "lo" only, or the node's interfaces. */
  loopbackOnly: boolean;
}

function expected(profile: string): Expectation {
  // The ABIs a filter does not list kill the process (the broker answers the kill).
  const killed = all(I386, 'killed SIGKILL');
  // The node's network, but not its abstract names: the container's Landlock domain is scoped for
  // abstract unix sockets (EPERM; docs/security.md, "Landlock scopes"; scopes.test.ts).
  const host = {
    ...all([...IP, ...UNIX_PATH], 'ok'),
    ...all(ABSTRACT, 'errno EPERM'),
    ...all(I386, 'ok'),
  };
  return byProfile<Expectation>(profile, {
    default: { outcomes: host, reached: [...IP, ...UNIX_PATH, ...I386], loopbackOnly: false },
    observe: {
      outcomes: { ...host, ...killed },
      reached: [...IP, ...UNIX_PATH],
      loopbackOnly: false,
    },
    'ci-runner': {
      outcomes: { ...host, ...killed },
      reached: [...IP, ...UNIX_PATH],
      loopbackOnly: false,
    },
    strict: {
      // Only AF_UNIX sockets (the filter: the i386 attempts need an IP
      // socket first); those are refused by the rule on connect, and the
      // host's socket paths are not in its view anyway.
      outcomes: {
        ...all([...IP, ...I386], 'errno ENOSYS'),
        ...all([...UNIX_PATH, ...ABSTRACT], 'errno EACCES'),
      },
      reached: [],
      loopbackOnly: true,
    },
    'no-network': {
      outcomes: all(ATTEMPTS, 'errno ENETUNREACH'),
      reached: [],
      loopbackOnly: true,
    },
    isolated: {
      // The namespace alone: nothing listens on its own loopback, datagrams
      // go nowhere; unix sockets of the host's file system are still there.
      outcomes: {
        'tcp-connect': 'errno ECONNREFUSED',
        'tcp-fastopen': 'errno ECONNREFUSED',
        'udp-sendto': 'ok',
        'udp-sendmsg': 'ok',
        'udp-sendmmsg': 'ok',
        'unix-connect': 'ok',
        'unix-dgram-sendto': 'ok',
        'unix-dgram-sendmsg': 'ok',
        'abstract-connect': 'errno ECONNREFUSED',
        'i386-socketcall-connect': 'errno ECONNREFUSED',
        'i386-socketcall-sendto': 'ok',
        'i386-socketcall-sendmsg': 'ok',
        'i386-connect': 'errno ECONNREFUSED',
      },
      reached: UNIX_PATH,
      loopbackOnly: true,
    },
  });
}

/** A unix datagram socket on the host (node has none): `egress listen PATH` outside the sandbox. */
class DatagramListener {
  readonly received: string[] = [];
  private child?: ChildProcess;
  constructor(readonly path: string) {}

  async start(): Promise<void> {
    const child = spawn(join(ATTACK_BIN, 'egress'), ['listen', this.path], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^dgram ([0-9a-f]*)$/.exec(line);
        if (match) {
          this.received.push(Buffer.from(match[1], 'hex').toString());
        } else if (line === 'listening ok') {
          this.received.push('');
        }
      }
    });
    await waitFor('the datagram listener', async () => this.received.includes(''));
  }

  stop(): void {
    this.child?.kill('SIGKILL');
  }
}

/** The attempts whose payload ("zviz-NAME") reached a listener. */
function reachedNames(listeners: HostListeners, datagrams: DatagramListener): string[] {
  const payloads = [
    ...listeners.seen
      .map((entry) => /^\w+ data ([0-9a-f]+)$/.exec(entry)?.[1])
      .filter((hex): hex is string => hex !== undefined)
      .map((hex) => Buffer.from(hex, 'hex').toString()),
    ...datagrams.received,
  ];
  const names = new Set<string>();
  for (const payload of payloads) {
    for (const match of payload.matchAll(/zviz-([a-z0-9-]+?)(?=zviz-|$)/g)) {
      names.add(match[1]);
    }
  }
  return [...names].sort();
}

attackSuite('attack: the network (connect, sendto, sendmsg, sendmmsg, TCP Fast Open, i386 socketcall)', (suite) => {
  let profileDir: Scratch;
  const customProfiles: Record<string, string> = {};

  beforeAll(() => {
    profileDir = Scratch.create();
    for (const [name, profile] of Object.entries({ 'no-network': docsExample(), isolated: isolated() })) {
      const path = join(profileDir.outside, `${name}.json`);
      writeFileSync(path, JSON.stringify(profile));
      customProfiles[name] = path;
    }
  });

  afterAll(() => profileDir?.remove());

  async function attack(s: AttackSuite, profile: string, mode: Mode) {
    const scratch = Scratch.create();
    const listeners = new HostListeners(join(scratch.outside, 'stream.sock'));
    const datagrams = new DatagramListener(join(scratch.outside, 'dgram.sock'));
    await listeners.start();
    await datagrams.start();
    try {
      const run = await s.run({
        profile: customProfiles[profile] ?? profile,
        mode,
        scratch,
        program: 'egress',
        args: ['attack'],
        env: { ...listeners.env(), ZVIZ_ATTACK_DGRAM: datagrams.path },
      });
      // Whatever got through has arrived by now (loopback).
      await new Promise((r) => setTimeout(r, 300));
      return { run, reached: reachedNames(listeners, datagrams) };
    } finally {
      await listeners.stop();
      datagrams.stop();
    }
  }

  function checkInterfaces(run: AttackRun, loopbackOnly: boolean) {
    const line = run.results.get('interfaces') ?? '';
    if (loopbackOnly) {
      expect(['ok lo', 'errno ENOSYS']).toContain(line);
    } else {
      expect(line).toMatch(/^ok lo,.+/);
    }
  }

  it.each([...matrix(), ...matrix(['no-network', 'isolated'])])(
    '%s (%s): reaches exactly what the profile lets it reach',
    async (profile, mode) => {
      const { run, reached } = await attack(suite, profile, mode);
      const want = expected(profile);
      expect(outcomes(run, ATTEMPTS)).toEqual(want.outcomes);
      expect(reached).toEqual([...want.reached].sort());
      checkInterfaces(run, want.loopbackOnly);
      await suite.expectContained(run);
    }
  );

  it('counts and audits every refused form under the "no network at all" example (agent)', async () => {
    const before = suite.agent().audit().length;
    const { run } = await attack(suite, 'no-network', 'agent');
    expect(run.summary).toMatch(/refused: .*connect \d/);
    const refusals = () =>
      suite
        .agent()
        .audit()
        .slice(before)
        .filter((r) => r.container_id === run.containerId && r.decision === 'deny');
    const forms = ['connect', 'sendto', 'sendmsg', 'sendmmsg', 'socketcall'];
    // The audit writer flushes in batches: the i386 forms, tried last, may land a batch later.
    await waitFor('a refusal of every form in the audit log', async () =>
      forms.every((syscall) => refusals().some((r) => r.syscall === syscall))
    ).catch(() => undefined);
    const records = refusals();
    // Under load (CI with other work on 2 cores) the i386 forms' records were
    // once missing after the wait: say whether the agent counted them as
    // dropped, and what the workload saw, so the cause is in the failure.
    const lost = (await (await fetch(`${suite.agent().url}/metrics`)).text())
      .split('\n')
      .filter((line) => /^zviz_(container_events_dropped_total|audit_events_dropped_total)\b/.test(line))
      .join('\n');
    for (const syscall of forms) {
      expect(
        records.filter((r) => r.syscall === syscall).length,
        `${syscall} refusals in the audit log; dropped counts:\n${lost}\nthe workload said:\n${run.stdout}` +
          `\nrecords: ${records.map((r) => `${r.syscall} ${JSON.stringify(r.args)}`).join('\n')}`
      ).toBeGreaterThan(0);
    }
    // Every record is whole. The abstract name was sent as the whole sun_path,
    // padded with NUL bytes; a NUL in an event string once shifted every later
    // string of the agent's event chunk, so records after it (of any
    // container) named no syscall or the wrong address.
    expect(records.filter((r) => r.syscall === '').map((r) => JSON.stringify(r))).toEqual([]);
    const abstract = records
      .map((r) => String((r.args as Record<string, unknown> | undefined)?.address ?? ''))
      .filter((a) => a.startsWith('unix:@'));
    expect(abstract.length).toBeGreaterThan(0);
    for (const address of abstract) {
      // sun_path is 108 bytes: a leading NUL, then 107 of the name, its padding shown as '@' (as ss shows it).
      expect(address).toMatch(/^unix:@zviz-attack-[0-9a-f]+@+$/);
      expect(address).toHaveLength('unix:@'.length + 107);
    }
    // The record names where it was going.
    const addresses = records.map((r) => (r.args as Record<string, unknown> | undefined)?.address);
    expect(addresses.some((a) => typeof a === 'string' && a.startsWith('127.0.0.1:'))).toBe(true);
    expect(addresses.some((a) => typeof a === 'string' && a.startsWith('unix:/'))).toBe(true);
  });

  it('ci-runner (agent) logs sendto, sendmsg and sendmmsg with an address, not just connect', async () => {
    const before = suite.agent().audit().length;
    const { run } = await attack(suite, 'ci-runner', 'agent');
    const forms = ['connect', 'sendto', 'sendmsg', 'sendmmsg'];
    const loggedNow = () =>
      suite
        .agent()
        .audit()
        .slice(before)
        .filter((r) => r.container_id === run.containerId && r.decision === 'log')
        .map((r) => r.syscall);
    await waitFor('every form in the audit log', async () => forms.every((s) => loggedNow().includes(s))).catch(
      () => undefined
    );
    const logged = loggedNow();
    for (const syscall of forms) {
      expect(logged, syscall).toContain(syscall);
    }
  });
});
