// Grafana loads plugin module.js files with SystemJS as AMD modules whose
// dependencies (react, @grafana/*, ...) are Grafana's own. This loader does
// the same with the real packages bundled into the harness.
type Factory = (...deps: unknown[]) => unknown;

let pending: { deps: string[]; factory: Factory } | undefined;

export function installDefine() {
  const define = (deps: string[], factory: Factory) => {
    pending = { deps, factory };
  };
  (define as unknown as { amd: boolean }).amd = true;
  (window as unknown as { define: typeof define }).define = define;
}

export async function loadAmdModule<T>(url: string, shared: Record<string, unknown>): Promise<T> {
  await new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.appendChild(script);
  });
  const mod = pending;
  pending = undefined;
  if (!mod) {
    throw new Error(`${url} did not call define()`);
  }
  const args = mod.deps.map((dep) => {
    if (dep === 'module') {
      return { uri: url };
    }
    if (!(dep in shared)) {
      throw new Error(`${url} needs "${dep}", which Grafana shares with plugins but the harness does not provide`);
    }
    return shared[dep];
  });
  return mod.factory(...args) as T;
}
