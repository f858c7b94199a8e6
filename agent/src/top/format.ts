// Numbers as an operator reads them in a narrow column.

const DASH = '–';

/** 0, 0.25, 12.3, 950, 1.2k, 45.0k, 3.1M: rates per second. */
export function formatRate(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  if (value === 0) {
    return '0';
  }
  if (value < 10) {
    return value.toFixed(value < 1 ? 2 : 1);
  }
  return compact(value);
}

/** 0, 42, 9,999, 12.3k, 4.5M: counts. */
export function formatCount(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  return value < 10_000 ? Math.round(value).toLocaleString('en-US') : compact(value);
}

function compact(value: number): string {
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (value >= size) {
      const scaled = value / size;
      return `${scaled < 100 ? scaled.toFixed(1) : Math.round(scaled)}${suffix}`;
    }
  }
  return Math.round(value).toString();
}

/** 850 ns, 45 µs, 2.5 ms, 1.20 s: latencies given in seconds. */
export function formatSeconds(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  const units: Array<[number, string]> = [
    [1, 's'],
    [1e-3, 'ms'],
    [1e-6, 'µs'],
  ];
  for (const [size, unit] of units) {
    if (value >= size) {
      const scaled = value / size;
      return `${scaled < 10 ? scaled.toFixed(scaled < 1 ? 2 : 1) : Math.round(scaled)} ${unit}`;
    }
  }
  return `${Math.round(value * 1e9)} ns`;
}

/** 512 B, 1.5 KiB, 200 MiB, 1.2 GiB. */
export function formatBytes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return unit === 0
    ? `${Math.round(scaled)} B`
    : `${scaled < 10 ? scaled.toFixed(1) : Math.round(scaled)} ${units[unit]}`;
}

/** 45s, 3m12s, 2h03m, 4d02h. */
export function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return DASH;
  }
  const s = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  }
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** 0.853 → "85%". */
export function formatRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? DASH : `${Math.round(value * 100)}%`;
}

/** Local wall-clock time of day, with milliseconds when asked. */
export function formatClock(ms: number, millis = false): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return millis ? `${hms}.${pad(d.getMilliseconds(), 3)}` : hms;
}
