// npm run generate:metrics-doc [-- --check]
//
// Writes docs/metrics.md from the agent's metric catalog; --check only says
// whether the file checked in is up to date (exit 1 when stale).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DOC_PATH, renderMetricsDoc } from './render';

const REPO = join(__dirname, '..', '..');

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const path = join(REPO, DOC_PATH);
  const wanted = await renderMetricsDoc(REPO);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === wanted) {
    console.log(`${DOC_PATH} is up to date`);
    return 0;
  }
  if (check) {
    console.error(`stale: ${DOC_PATH}\nrun: npm run generate:metrics-doc`);
    return 1;
  }
  writeFileSync(path, wanted);
  console.log(`wrote ${DOC_PATH}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`generate:metrics-doc: ${error.message}`);
    process.exitCode = 1;
  }
);
