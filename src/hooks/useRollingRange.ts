// The time range the app pages query: the last N minutes, moving forward at
// the refresh interval the app's settings give.
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
