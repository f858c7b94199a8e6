// Types for plugin-rules.mjs, so the TypeScript tests can use it.
export interface Finding {
  rule: string;
  message: string;
}
export interface Findings {
  errors: Finding[];
  warnings: Finding[];
}
export const PLUGIN_ID_PATTERN: RegExp;
export const MIN_GRAFANA: string;
export const EXECUTABLE_ARCHES: Record<string, { elfMachine: number; name: string }>;
export function listFiles(dir: string): string[];
export function checkPluginDir(dir: string, options?: { version?: string; sourceDir?: string }): Findings;
export function checkArchiveRoot(unpacked: string): Findings & { pluginDir?: string };
