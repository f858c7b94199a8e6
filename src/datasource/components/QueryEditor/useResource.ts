import { useEffect, useState } from 'react';

export interface ResourceState<T> {
  value?: T;
  loading: boolean;
  error?: string;
}

/** Loads one backend resource for a picker; a failed load leaves the picker usable with typed values. */
export function useResource<T>(load: () => Promise<T>, key: string): ResourceState<T> {
  const [state, setState] = useState<ResourceState<T> & { key?: string }>({ loading: true });
  useEffect(() => {
    let cancelled = false;
    load().then(
      (value) => !cancelled && setState({ value, loading: false, key }),
      (err) =>
        !cancelled && setState({ loading: false, key, error: err?.data?.message ?? err?.message ?? 'request failed' })
    );
    return () => {
      cancelled = true;
    };
    // `key` names what `load` fetches; a new function with the same key is the same request.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state.key === key ? state : { loading: true };
}

export function toOptions(values: string[] | undefined): Array<{ label: string; value: string }> {
  return (values ?? []).map((v) => ({ label: v, value: v }));
}
