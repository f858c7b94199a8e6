// Small, synchronous cgroup file access. cgroup files are kernel memory:
// reads and writes do not block on disk.
import { readFileSync, writeFileSync } from 'node:fs';

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function readNumber(path: string): number | undefined {
  return parseNumber(readText(path));
}

/** A file holding one number; undefined for "max", nothing, or a file not read. */
export function parseNumber(content: string | undefined): number | undefined {
  const text = content?.trim();
  if (text === undefined || text === '' || text === 'max') {
    return undefined;
  }
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** "key value" lines (memory.events, cpu.stat, pids.events, memory.oom_control). */
export function readKeyed(path: string): Map<string, number> {
  return parseKeyed(readText(path));
}

export function parseKeyed(content: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (content ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && Number.isFinite(Number(value))) {
      out.set(key, Number(value));
    }
  }
  return out;
}

/** Writes a control file; throws with the file named, since the kernel's reasons are terse. */
export function writeControl(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The code stays readable: a caller retries where a directory was removed under it (ENOENT).
    throw Object.assign(new Error(`cannot write "${value}" to ${path}: ${code ?? (error as Error).message}`), { code });
  }
}

export function readPids(path: string): number[] {
  return (readText(path) ?? '')
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}
