// A page's asynchronous load (its queries) as React state: value, error and
// whether a newer load is under way.
import { useEffect, useState } from 'react';

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
