// The agent runs as root and writes into directories the configuration names:
// its log, the audit log and its rotated files, containers' output, the
// control socket. A directory another local user can change lets that user
// put a symbolic link where the agent is about to write (the audit log
// appended to /etc/passwd, a rotated file compressed into /etc/cron.d), or
// their own socket where `zviz run` hands over its terminal. The kernel's
// fs.protected_symlinks guards only sticky world-writable directories, and is
// off on some hosts (it is here). So every directory the agent writes into
// must be one only root (or the agent's own user) can change, and so must
// every directory on the way to it, as OpenSSH's StrictModes asks of a
// user's ~/.ssh. Group-writable directories are accepted: a group's write is
// granted by the administrator (Ubuntu's /var/log is root:syslog 0775).
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

const STICKY = 0o1000;
const OTHERS_WRITE = 0o002;

function trusted(uid: number, ownUid: number): boolean {
  return uid === 0 || uid === ownUid;
}

/** The path and each directory above it, outermost first. */
function chain(path: string): string[] {
  const out: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    out.push(current);
    if (dirname(current) === current) {
      return out.reverse();
    }
  }
}

/** lstat, or undefined when nothing is at `path`; other errors throw. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}

/**
 * What another local user could do to `dir` or the way to it; undefined
 * when only root or `ownUid` can change it. `dir` need not exist yet: the
 * directories the agent will make are its own, so the nearest one that
 * exists is judged, and when that one lets every user create entries (a
 * sticky /tmp), the check is made again once the agent has made the rest
 * (callers check again right before they write).
 */
export function untrustedDirectory(dir: string, ownUid = process.getuid?.() ?? 0): string | undefined {
  const wanted = resolve(dir);
  let existing = wanted;
  while (lstatOrUndefined(existing) === undefined && dirname(existing) !== existing) {
    existing = dirname(existing);
  }
  const judge = (path: string, info: Stats, final: boolean): string | undefined => {
    if (!trusted(info.uid, ownUid)) {
      return `${path} belongs to uid ${info.uid}, who could put a link or a file of their own there`;
    }
    if (info.isDirectory() && (info.mode & OTHERS_WRITE) !== 0) {
      if (final) {
        return `${path} is writable by every user, who could put a link or a file of their own there`;
      }
      if ((info.mode & STICKY) === 0) {
        return `${path} is writable by every user, who could replace what lies below it`;
      }
    }
    return undefined;
  };
  // As written: a link on the way (/var/run -> /run) must itself be one only
  // root could have made or could change.
  for (const path of chain(existing)) {
    const info = lstatSync(path);
    const problem = judge(path, info, path === wanted);
    if (problem) {
      return problem;
    }
  }
  // And where it leads.
  const real = realpathSync(existing);
  for (const path of chain(real)) {
    const problem = judge(path, statSync(path), existing === wanted && path === real);
    if (problem) {
      return problem;
    }
  }
  return undefined;
}
