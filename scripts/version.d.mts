// Types for version.mjs, so the TypeScript tests can use it.
export const WORKSPACES: string[];
export const TEXT_PLACES: Array<{ file: string; pattern: RegExp }>;
export function projectVersion(repo?: string): string;
export function changelogHeading(changelog: string, version: string): RegExpExecArray | undefined;
export function versionPlaces(repo?: string): Array<{ place: string; version: string | undefined }>;
export function disagreements(repo?: string): string[];
export function stampChangelog(changelog: string, version: string, date: string): string;
export function propagate(repo?: string, options?: { date?: string; stamp?: boolean }): string;
