// Path prefixes of broker rules and filesystem settings. Rules match the
// path of the file the broker resolved (symlinks followed), so prefixes are
// written as absolute, normalised paths; `${workspace}` stands for the
// container's working directory. "pipe:", "socket:" and "anon_inode:" match
// objects without a path (reopened through /proc/<pid>/fd or /dev/stdout).
export const WORKSPACE = '${workspace}';
export const PSEUDO_PREFIXES = ['pipe:', 'socket:', 'anon_inode:'] as const;
/** What an allow-list view holds besides the profile's steps (agent/native/src/spawn/allow_list_view.cc). */
export const ALLOW_LIST_VIEW_MOUNTS = ['/proc', '/dev'] as const;

/** Linux's limits (PATH_MAX counts the terminating NUL; NAME_MAX is per component), in bytes. */
const PATH_MAX_BYTES = 4095;
const NAME_MAX_BYTES = 255;

export function checkPathPrefix(text: string): string | undefined {
  if ((PSEUDO_PREFIXES as readonly string[]).includes(text)) {
    return undefined;
  }
  const rest = text.startsWith(WORKSPACE) ? text.slice(WORKSPACE.length) : text;
  // Checked before anything that quotes the text: these are the ones that could be huge.
  if (text.includes('\0')) {
    return 'contains a NUL byte, which no path can (native code would cut the path there)';
  }
  const bytes = Buffer.byteLength(rest);
  if (bytes > PATH_MAX_BYTES) {
    return `is ${bytes} bytes long; a path has at most ${PATH_MAX_BYTES} (PATH_MAX)`;
  }
  const long = rest.split('/').find((part) => Buffer.byteLength(part) > NAME_MAX_BYTES);
  if (long !== undefined) {
    return `has a component of ${Buffer.byteLength(long)} bytes ("${long.slice(0, 20)}…"); a component has at most ${NAME_MAX_BYTES} (NAME_MAX)`;
  }
  if (!text.startsWith(WORKSPACE) && !text.startsWith('/')) {
    return `"${text}" is neither an absolute path, \${workspace}/..., nor one of ${PSEUDO_PREFIXES.join(', ')}`;
  }
  if (rest !== '' && !rest.startsWith('/')) {
    return `"${text}": \${workspace} must be followed by "/" or nothing`;
  }
  const parts = rest.split('/').slice(1);
  if (parts.some((p) => p === '.' || p === '..')) {
    return `"${text}": rules match resolved paths, so "." and ".." never occur in them`;
  }
  if (rest.includes('//')) {
    return `"${text}": "//" never occurs in a resolved path`;
  }
  if (text.includes('${') && !text.startsWith(WORKSPACE)) {
    return `"${text}": the only variable is \${workspace}, at the start`;
  }
  return undefined;
}

/** A checked prefix with `${workspace}` replaced and any trailing "/" removed (except for "/"). */
export function expandPathPrefix(text: string, workspace: string): string {
  if ((PSEUDO_PREFIXES as readonly string[]).includes(text)) {
    return text;
  }
  let path = text.startsWith(WORKSPACE) ? workspace.replace(/\/+$/, '') + text.slice(WORKSPACE.length) : text;
  while (path.length > 1 && path.endsWith('/')) {
    path = path.slice(0, -1);
  }
  return path === '' ? '/' : path;
}
