// Attack class: what of the host's file system a workload sees (issue 14,
// finding 6: `strict` let /etc/shadow- be read, because a list of secrets to
// refuse always misses one). `strict`'s view is now an allow-list
// (docs/profiles.md, "filesystem"): the workspace, the system's programs and
// libraries, a minimal /etc, a private /tmp, the container's /proc and a
// minimal /dev; nothing else exists in it, so no secret has to be named, and
// no service socket of the host (/run, /var/run) can be reached. The other
// built-in profiles show the host's tree; their rows state what that means.
import { existsSync, lstatSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes, readHash, REPO, Scratch } from './harness';

const hostFile = (path: string) => readHash(readFileSync(path));

/** The /etc entries of strict's allow-list that this host has. */
function strictEtc(): string[] {
  const strict = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', 'strict.json'), 'utf8')) as {
    zviz: { filesystem: { readOnly: string[] } };
  };
  return strict.zviz.filesystem.readOnly
    .filter((path) => path.startsWith('/etc/'))
    .filter((path) => {
      try {
        lstatSync(path);
        return true;
      } catch {
        return false;
      }
    })
    .map((path) => path.slice('/etc/'.length))
    .sort();
}

const DEVICES = [
  'fd',
  'full',
  'null',
  'ptmx',
  'pts',
  'random',
  'shm',
  'stderr',
  'stdin',
  'stdout',
  'tty',
  'urandom',
  'zero',
];

function expected(profile: string, scratch: Scratch): Record<string, string> {
  const secret = readHash(scratch.secret);
  // The host's tree as it is: whatever root can read.
  const hostView = {
    'etc-shadow': hostFile('/etc/shadow'),
    'etc-shadow-backup': existsSync('/etc/shadow-') ? hostFile('/etc/shadow-') : 'errno ENOENT',
    'etc-gshadow': hostFile('/etc/gshadow'),
    'scratch-secret': secret,
    'etc-passwd': hostFile('/etc/passwd'),
    run: 'ok',
    'var-run': 'ok',
    'host-socket': 'ok',
    'host-socket-connect': 'ok',
    'root-home': 'ok',
    sys: 'ok',
    'tmp-write': 'ok',
  };
  return byProfile<Record<string, string>>(profile, {
    default: { ...hostView, 'mkdir-root': 'ok', 'mkdir-usr': 'ok' },
    observe: { ...hostView, 'mkdir-root': 'ok', 'mkdir-usr': 'ok' },
    // Reads are not its business; the read-only mounts are its boundary for writes. Its /run is
    // its own (docs/security.md, "The node's /run"; run-sockets.test.ts): the socket is not there.
    'ci-runner': {
      ...hostView,
      'host-socket': 'errno ENOENT',
      'host-socket-connect': 'errno ENOENT',
      'mkdir-root': 'errno EROFS',
      'mkdir-usr': 'errno EROFS',
    },
    strict: {
      // Absent from the view: strict's reads are the kernel's (docs/security.md, "Emulated opens").
      'etc-shadow': 'errno ENOENT',
      'etc-shadow-backup': 'errno ENOENT',
      'etc-gshadow': 'errno ENOENT',
      'scratch-secret': 'errno ENOENT',
      'etc-passwd': hostFile('/etc/passwd'),
      run: 'errno ENOENT',
      'var-run': 'errno ENOENT',
      'host-socket': 'errno ENOENT',
      // The rule on connect answers first; the socket is not in the view either (above).
      'host-socket-connect': 'errno EACCES',
      'root-home': 'errno ENOENT',
      sys: 'errno ENOENT',
      'tmp-write': 'ok',
      'mkdir-root': 'errno EROFS',
      'mkdir-usr': 'errno EROFS',
      // The directories the view makes to hold its mounts are listed where the rules allow
      // it (/etc: its read rule), by a rule of its Landlock domain on the view's own directory;
      // / is refused, as the rules refuse it (docs/security.md, "Emulated opens").
      etc: `ok ${strictEtc().join(',')}`,
      'root-dir': 'errno EACCES',
      dev: `ok ${DEVICES.join(',')}`,
    },
  });
}

/** A service socket of the host under /run, recording every connection. */
async function hostSocket(path: string): Promise<{ connections: () => number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    connections: () => sockets.length,
    close: async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Lists compared as sets: readdir order is the file system's. */
function sortedList(outcome: string): string {
  const match = /^ok (.*)$/.exec(outcome);
  return match ? `ok ${match[1].split(',').sort().join(',')}` : outcome;
}

attackSuite("attack: the host's file system (strict's allow-list view)", (suite) => {
  it.each(matrix())('%s (%s): sees what the profile shows, and no more', async (profile, mode) => {
    const scratch = Scratch.create();
    const socketPath = `/run/${scratch.tag}.sock`;
    const socket = await hostSocket(socketPath);
    try {
      const run = await suite.run({
        profile,
        mode,
        scratch,
        program: 'view',
        env: { ZVIZ_ATTACK_HOST_SOCKET: socketPath },
      });
      const want = expected(profile, scratch);
      const got = outcomes(run, Object.keys(want));
      for (const list of ['etc', 'dev', 'root-dir']) {
        if (list in got) {
          got[list] = sortedList(got[list]);
        }
      }
      expect(got).toEqual(want);
      // What really happened on the host, not just what the program says.
      const reached = want['host-socket-connect'] === 'ok';
      expect(socket.connections() > 0, 'the host socket was reached').toBe(reached);
      const hostTmp = existsSync(join('/tmp', scratch.tag));
      // strict's and ci-runner's /tmp is a tmpfs of their own (shared-host.test.ts).
      expect(hostTmp, "the workload's /tmp file on the host").toBe(profile !== 'strict' && profile !== 'ci-runner');
      expect(existsSync(join('/', scratch.tag)), 'a directory in the host root').toBe(want['mkdir-root'] === 'ok');
      await suite.expectContained(run, { outsideUnchanged: true, secretKept: profile === 'strict' });
    } finally {
      await socket.close();
      // What the profiles without a file-system boundary let through, named after this run.
      rmSync(join('/tmp', scratch.tag), { force: true });
      for (const dir of [join('/', scratch.tag), join('/usr', scratch.tag)]) {
        if (existsSync(dir)) {
          rmdirSync(dir);
        }
      }
    }
  });
});
