// Installing the bundled alert rule templates as Grafana-managed rules,
// through Grafana's alerting provisioning API.
import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { ALERT_TEMPLATES, ruleGroupRequests } from '../alerts/templates';
import type { GrafanaRulePayloads } from '../alerts/types';

export interface InstalledRule {
  uid: string;
  title: string;
  folderUID: string;
  ruleGroup: string;
  labels?: Record<string, string>;
  data?: Array<{ datasourceUid: string }>;
}

export const PROVISIONING_RULES = '/api/v1/provisioning/alert-rules';

export async function installedRules(): Promise<Map<string, InstalledRule>> {
  const rules = await getBackendSrv().get<InstalledRule[]>(PROVISIONING_RULES, undefined, undefined, {
    showErrorAlert: false,
  });
  return new Map((rules ?? []).map((r) => [r.uid, r]));
}

async function request<T>(method: string, url: string, data?: unknown): Promise<T> {
  const response = await lastValueFrom(
    getBackendSrv().fetch<T>({ method, url, data, showErrorAlert: false, showSuccessAlert: false })
  );
  return response.data;
}

function message(err: unknown): string {
  const e = err as { status?: number; data?: { message?: string }; message?: string };
  const text = e?.data?.message ?? e?.message ?? String(err);
  return e?.status === 403 ? `${text} (installing alert rules needs the Editor or Admin role)` : text;
}

/** Creates the templates' folder when it does not exist yet. */
async function ensureFolder(templates: GrafanaRulePayloads): Promise<void> {
  try {
    await request('GET', `/api/folders/${encodeURIComponent(templates.folder.uid)}`);
  } catch (err) {
    if ((err as { status?: number }).status !== 404) {
      throw new Error(`Checking folder "${templates.folder.title}": ${message(err)}`);
    }
    await request('POST', '/api/folders', { uid: templates.folder.uid, title: templates.folder.title }).catch((e) => {
      throw new Error(`Creating folder "${templates.folder.title}": ${message(e)}`);
    });
  }
}

/**
 * Installs (or updates: PUT replaces a whole group) every template group,
 * querying the given ZViz datasource. Returns one line per group.
 */
export async function installTemplates(datasourceUid: string, templates = ALERT_TEMPLATES): Promise<string[]> {
  await ensureFolder(templates);
  const done: string[] = [];
  for (const r of ruleGroupRequests(datasourceUid, templates)) {
    try {
      await request(r.method, r.url, r.body);
      done.push(`${r.body.title}: ${r.body.rules.length} rules`);
    } catch (err) {
      throw new Error(
        `Installing group ${r.body.title}: ${message(err)}${done.length ? ` (installed before it: ${done.join(', ')})` : ''}`
      );
    }
  }
  return done;
}

export { message as apiErrorMessage };
