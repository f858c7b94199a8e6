// Path prefixes of broker rules and filesystem settings. Rules match the
// path of the file the broker resolved (symlinks followed), so prefixes are
// written as absolute, normalised paths; `${workspace}` stands for the
// container's working directory. "pipe:", "socket:" and "anon_inode:" match
// objects without a path (reopened through /proc/<pid>/fd or /dev/stdout).
export const WORKSPACE = '${workspace}';
export const PSEUDO_PREFIXES = ['pipe:', 'socket:', 'anon_inode:'] as const;

export function checkPathPrefix(text: string): string | undefined {
  if ((PSEUDO_PREFIXES as readonly string[]).includes(text)) {
    return undefined;
  }
  const rest = text.startsWith(WORKSPACE) ? text.slice(WORKSPACE.length) : text;
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
