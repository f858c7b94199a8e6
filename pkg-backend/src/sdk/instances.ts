// One instance per configured data source, as Grafana's Go SDK keeps them:
// built on first use from the instance settings, reused while the settings
// are unchanged (same uid and lastUpdatedMS), disposed when they change.
import type { DataSourceInstanceSettings } from './types';

export interface Disposable {
  dispose(): void | Promise<void>;
}

interface Entry<T> {
  lastUpdatedMS: number;
  instance: T;
}

export class InstanceManager<T extends Disposable> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly create: (settings: DataSourceInstanceSettings) => T) {}

  /** The instance for these settings; throws what `create` throws (bad settings). */
  get(settings: DataSourceInstanceSettings): T {
    const key = settings.uid || `id:${settings.id}`;
    const entry = this.entries.get(key);
    if (entry && entry.lastUpdatedMS === settings.lastUpdatedMS) {
      return entry.instance;
    }
    const instance = this.create(settings);
    this.entries.set(key, { lastUpdatedMS: settings.lastUpdatedMS, instance });
    if (entry) {
      void entry.instance.dispose();
    }
    return instance;
  }

  get size(): number {
    return this.entries.size;
  }

  async disposeAll(): Promise<void> {
    const instances = [...this.entries.values()].map((e) => e.instance);
    this.entries.clear();
    await Promise.all(instances.map((i) => i.dispose()));
  }
}
