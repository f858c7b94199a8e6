import { dateTime, type TimeRange } from '@grafana/data';
import { useEffect, useMemo, useState } from 'react';

/** A time range ending now that moves forward every `seconds` (never when 0); `tick` changes with it. */
export function useRollingRange(minutes: number, seconds: number): { range: TimeRange; tick: number } {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!seconds) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), seconds * 1000);
    return () => clearInterval(timer);
  }, [seconds]);
  const range = useMemo(
    () => ({ from: dateTime(now - minutes * 60_000), to: dateTime(now), raw: { from: `now-${minutes}m`, to: 'now' } }),
    [now, minutes]
  );
  return { range, tick: now };
}

/** Runs `load` whenever `key` changes; keeps the previous value while reloading. */
export function useLoad<T>(load: () => Promise<T>, key: string): { value?: T; error?: string; loading: boolean } {
  const [state, setState] = useState<{ value?: T; error?: string; key?: string }>({});
  useEffect(() => {
    let cancelled = false;
    load().then(
      (value) => !cancelled && setState({ value, key }),
      (err) => !cancelled && setState((s) => ({ ...s, key, error: err?.data?.message ?? err?.message ?? String(err) }))
    );
    return () => {
      cancelled = true;
    };
    // `key` names what `load` does.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return { value: state.value, error: state.key === key ? state.error : undefined, loading: state.key !== key };
}
