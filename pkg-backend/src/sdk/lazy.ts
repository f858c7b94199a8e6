// A plugin whose implementation loads after the handshake: Grafana waits for
// the handshake line, so everything the handshake does not need (Arrow,
// metrics, HTTP clients, the handlers) loads in the moment after it.
import type { BackendPlugin } from './types';

type Handler = Exclude<keyof BackendPlugin, 'prepare'>;

export function lazyPlugin(handlers: readonly Handler[], load: () => BackendPlugin): BackendPlugin {
  let loaded: BackendPlugin | undefined;
  const get = () => (loaded ??= load());
  const plugin: BackendPlugin = { prepare: () => void get() };
  for (const name of handlers) {
    // Each forwarder keeps the handler's own signature.
    (plugin as Record<string, unknown>)[name] = (...args: unknown[]) =>
      (get()[name] as (...a: unknown[]) => unknown).apply(get(), args);
  }
  return plugin;
}
