// Checking and creating the app's ZViz datasource through Grafana's HTTP API.
import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { ZVIZ_DATASOURCE_TYPE } from '@zviz/shared/plugin-ids';

export type DatasourceCheck =
  | { state: 'missing' }
  | { state: 'wrong-type'; type: string }
  | { state: 'ok' | 'error'; name: string; message: string };

async function call<T>(method: string, url: string, data?: unknown): Promise<T> {
  const r = await lastValueFrom(
    getBackendSrv().fetch<T>({ method, url, data, showErrorAlert: false, showSuccessAlert: false })
  );
  return r.data;
}

function errorText(err: unknown): string {
  const e = err as { data?: { message?: string }; message?: string };
  return e?.data?.message ?? e?.message ?? String(err);
}

/** Whether the datasource exists, is a ZViz one, and what its health check (CheckHealth) says. */
export async function checkDatasource(uid: string): Promise<DatasourceCheck> {
  let ds: { name: string; type: string };
  try {
    ds = await call('GET', `/api/datasources/uid/${encodeURIComponent(uid)}`);
  } catch (err) {
    if ((err as { status?: number }).status === 404) {
      return { state: 'missing' };
    }
    throw new Error(errorText(err));
  }
  if (ds.type !== ZVIZ_DATASOURCE_TYPE) {
    return { state: 'wrong-type', type: ds.type };
  }
  try {
    const health = await call<{ status: string; message: string }>(
      'GET',
      `/api/datasources/uid/${encodeURIComponent(uid)}/health`
    );
    return { state: health.status === 'OK' ? 'ok' : 'error', name: ds.name, message: health.message };
  } catch (err) {
    // A failing health check answers 400 with the plugin's message.
    return { state: 'error', name: ds.name, message: errorText(err) };
  }
}

export interface NewDatasource {
  uid: string;
  prometheusUrl: string;
  agentJob: string;
}

export async function createDatasource({ uid, prometheusUrl, agentJob }: NewDatasource): Promise<void> {
  try {
    await call('POST', '/api/datasources', {
      name: 'ZViz',
      uid,
      type: ZVIZ_DATASOURCE_TYPE,
      access: 'proxy',
      jsonData: { prometheusUrl, agentDiscovery: 'prometheus', agentJob },
    });
  } catch (err) {
    throw new Error(errorText(err));
  }
}

export async function saveAppSettings(pluginId: string, enabled: boolean, pinned: boolean, jsonData: object) {
  await call('POST', `/api/plugins/${pluginId}/settings`, { enabled, pinned, jsonData });
}
