#!/usr/bin/env node
// `npm test`: makes sure the machine has what the tests need, builds ZViz,
// then runs every test runner of the repository one after another and prints
// one line of totals over all of them: `N passed, N failed`. Exits non-zero
// if anything failed, including a runner that crashed before reporting and a
// runner that left files in the temporary directory it was given.
//
// Environment:
//   ZVIZ_SKIP_SETUP=1   do not install missing Debian or npm packages
//   ZVIZ_SKIP_BUILD=1   test what is already built
//   ZVIZ_ONLY=a,b       run only the runners with these names (typecheck, frontend, packages,
//                       agent, backend, cross-component, conformance, browser, bench)
//   ZVIZ_FAIL_ON_SKIP=1 tests that lack root or a kernel feature fail instead of skipping (CI sets it)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const outerTmp = tmpdir();
const scratch = mkdtempSync(join(outerTmp, 'zviz-test-'));
const uid = process.getuid?.() ?? 0;

/**
 * Caches the tools keep in the temporary directory between runs, on purpose:
 * kept where they are when a runner has a TMPDIR of its own (jest's and
 * Playwright's, pointed back there), or not counted as a leftover (tsx's,
 * which has no setting for it and is rebuilt in about a second).
 */
const TOOL_CACHE = /^tsx-\d+$/;
const JEST_CACHE = join(outerTmp, `jest_${uid.toString(36)}`);
const PLAYWRIGHT_CACHE = join(outerTmp, `playwright-transform-cache-${uid}`);
/** Where the browser tests keep a failed test's trace and screenshots after the run (test/browser/playwright.config.ts). */
const PLAYWRIGHT_RESULTS = join(outerTmp, 'zviz-playwright-results');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: repo,
    stdio: 'inherit',
    ...options,
    env: { ...process.env, ...options.env },
  });
  return result.status ?? 1;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Jest and vitest write the same JSON summary shape. */
function jestLikeTotals(report) {
  // A suite that failed to load, or whose beforeAll failed (its tests then
  // read as skipped), failed without a failing test: count it as one failure.
  const brokenSuites = (report.testResults ?? []).filter(
    (suite) => suite.status === 'failed' && !(suite.assertionResults ?? []).some((test) => test.status === 'failed')
  ).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + brokenSuites,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

function vitestRunner(name, configPath) {
  return {
    name,
    when: () => existsSync(join(repo, configPath)),
    run() {
      const out = join(scratch, `${name}.json`);
      const status = run('npx', ['vitest', 'run', '--config', configPath], { env: { ZVIZ_VITEST_JSON: out } });
      const report = readJson(out);
      if (!report) {
        return { passed: 0, failed: 1, skipped: 0, crashed: status };
      }
      const totals = jestLikeTotals(report);
      // The report is written before the run's global teardown, which fails
      // the run when the tests left files behind (test/support/temp-check.ts),
      // and it has no place for an unhandled error: a run that exits non-zero
      // with every test passed failed all the same.
      if (status !== 0 && totals.failed === 0) {
        console.log(`[fail] ${name}: vitest exited ${status} after its tests passed (see the errors above)`);
        totals.failed = 1;
      }
      return totals;
    },
  };
}

/** Go modules whose tests the conformance runner runs. */
const GO_MODULES = ['test/conformance', 'test/deploy/schema'];

/** Every TypeScript project: the app and its tests, the cross-component tests, each workspace. */
const TS_PROJECTS = ['.', 'test', 'packages/shared', 'packages/agent-client', 'agent', 'pkg-backend'];

const runners = [
  {
    // The bundlers and the test runners strip types without checking them, so
    // a type error in a test or in code only a test reaches would go unseen.
    name: 'typecheck',
    when: () => true,
    run() {
      const totals = { passed: 0, failed: 0, skipped: 0 };
      for (const project of TS_PROJECTS) {
        console.log(`--- tsc --noEmit -p ${project}`);
        if (run('npx', ['tsc', '--noEmit', '-p', project]) === 0) {
          totals.passed++;
        } else {
          totals.failed++;
        }
      }
      return totals;
    },
  },
  {
    name: 'frontend',
    when: () => true,
    run() {
      const out = join(scratch, 'jest.json');
      const status = run('npx', [
        'jest',
        '--ci',
        '--maxWorkers=2',
        `--cacheDirectory=${JEST_CACHE}`,
        '--json',
        `--outputFile=${out}`,
      ]);
      const report = readJson(out);
      return report ? jestLikeTotals(report) : { passed: 0, failed: 1, skipped: 0, crashed: status };
    },
  },
  vitestRunner('packages', 'packages/vitest.config.mts'),
  vitestRunner('agent', 'agent/vitest.config.mts'),
  vitestRunner('backend', 'pkg-backend/vitest.config.mts'),
  vitestRunner('cross-component', 'test/vitest.config.mts'),
  {
    // Go tests: Grafana's plugin SDK driving the backend executable, and the
    // Kubernetes manifests decoded by the API's own types.
    name: 'conformance',
    when: () => GO_MODULES.some((dir) => existsSync(join(repo, dir, 'go.mod'))),
    run() {
      const totals = { passed: 0, failed: 0, skipped: 0 };
      for (const dir of GO_MODULES.filter((d) => existsSync(join(repo, d, 'go.mod')))) {
        console.log(`--- go test ./... in ${dir}`);
        const result = spawnSync('go', ['test', '-json', '-count=1', './...'], {
          cwd: join(repo, dir),
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let failed = 0;
        for (const line of (result.stdout ?? '').split('\n')) {
          if (!line.startsWith('{')) {
            continue;
          }
          const event = JSON.parse(line);
          if (event.Action === 'output') {
            process.stdout.write(event.Output);
          }
          if (!event.Test) {
            continue;
          }
          if (event.Action === 'pass') {
            totals.passed++;
          }
          if (event.Action === 'fail') {
            failed++;
          }
          if (event.Action === 'skip') {
            totals.skipped++;
          }
        }
        if (result.status !== 0 && failed === 0) {
          failed = 1; // the package failed to build or crashed outside a test
        }
        totals.failed += failed;
      }
      return totals;
    },
  },
  {
    name: 'browser',
    when: () => existsSync(join(repo, 'test/browser/playwright.config.ts')),
    run() {
      const out = join(scratch, 'playwright.json');
      const status = run(
        'npx',
        ['playwright', 'test', '-c', 'test/browser/playwright.config.ts', '--reporter=list,json'],
        {
          env: {
            PLAYWRIGHT_JSON_OUTPUT_NAME: out,
            PLAYWRIGHT_TRANSFORM_CACHE_DIR: PLAYWRIGHT_CACHE,
            ZVIZ_PLAYWRIGHT_RESULTS: PLAYWRIGHT_RESULTS,
          },
        }
      );
      const report = readJson(out);
      if (!report) {
        return { passed: 0, failed: 1, skipped: 0, crashed: status };
      }
      const s = report.stats;
      return { passed: s.expected + s.flaky, failed: s.unexpected + (report.errors?.length ?? 0), skipped: s.skipped };
    },
  },
  {
    // Benchmarks are code too: each `npm run bench:*` runs once in its short
    // mode, so one that cannot run on a fresh machine is caught. Their figures
    // are not judged here (docs/benchmarks.md holds the recorded ones).
    name: 'bench',
    when: () => true,
    run() {
      const scripts = Object.keys(readJson(join(repo, 'package.json')).scripts).filter((s) => s.startsWith('bench:'));
      const totals = { passed: 0, failed: 0, skipped: 0 };
      for (const script of scripts) {
        console.log(`--- npm run ${script} (ZVIZ_BENCH_SHORT=1)`);
        const status = run('npm', ['run', script], { env: { ZVIZ_BENCH_SHORT: '1' } });
        if (status === 0) {
          totals.passed++;
        } else {
          console.log(`[fail] npm run ${script} exited ${status}`);
          totals.failed++;
        }
      }
      return totals;
    },
  },
  {
    name: 'grafana-e2e',
    when: () => {
      if (process.env.GRAFANA_URL) {
        return true;
      }
      console.log('[skip] grafana-e2e: @grafana/plugin-e2e specs need a running Grafana; set GRAFANA_URL to run them');
      return false;
    },
    run() {
      const out = join(scratch, 'plugin-e2e.json');
      const status = run('npx', ['playwright', 'test', '--reporter=list,json'], {
        env: { PLAYWRIGHT_JSON_OUTPUT_NAME: out, PLAYWRIGHT_TRANSFORM_CACHE_DIR: PLAYWRIGHT_CACHE },
      });
      const report = readJson(out);
      if (!report) {
        return { passed: 0, failed: 1, skipped: 0, crashed: status };
      }
      const s = report.stats;
      return { passed: s.expected + s.flaky, failed: s.unexpected, skipped: s.skipped };
    },
  },
];

/**
 * Scratch trees the tests keep outside the temporary directory: /var/lib/zviz-*
 * (the security tests' attack trees, outside every directory a profile lets a
 * workload write). A tree made through test/support/scratch.ts' fileScratchDir
 * carries its runner's tag in its name (ZVIZ_RUN_TAG).
 */
const SHARED_SCRATCH = '/var/lib';

function sharedScratch() {
  try {
    return readdirSync(SHARED_SCRATCH)
      .filter((name) => name.startsWith('zviz-'))
      .map((name) => join(SHARED_SCRATCH, name));
  } catch {
    return [];
  }
}

/** Whether anything is mounted at or below `dir`: removing through a bind mount would delete what it shows. */
function mountedUnder(dir) {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) =>
      (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)))
    )
    .some((point) => point === dir || point.startsWith(`${dir}/`));
}

/**
 * What appeared in SHARED_SCRATCH while a runner ran and is still there. The
 * ones with the runner's tag are its own: named, counted as one failure and
 * removed (unless something is still mounted below). Others may belong to
 * another run on the machine: named only.
 */
function sharedLeftovers(runner, tag, before) {
  const appeared = sharedScratch().filter((path) => !before.has(path) && existsSync(path));
  const own = appeared.filter((path) => path.includes(`-${tag}-`));
  const others = appeared.filter((path) => !own.includes(path));
  if (others.length > 0) {
    console.log(
      `[note] ${runner.name}: appeared in ${SHARED_SCRATCH} during the run and still there (another run's, or made` +
        ` without test/support/scratch.ts):\n  ${others.join('\n  ')}`
    );
  }
  if (own.length > 0) {
    const kept = own.filter((path) => mountedUnder(path));
    own.filter((path) => !kept.includes(path)).forEach((path) => rmSync(path, { recursive: true, force: true }));
    console.log(
      `[fail] ${runner.name}: left ${own.length} scratch ${own.length === 1 ? 'tree' : 'trees'} in ${SHARED_SCRATCH}` +
        ` (removed now${kept.length ? `, but for ${kept.join(', ')}: still mounted below` : ''}):\n  ${own.join('\n  ')}`
    );
  }
  return own.length;
}

/**
 * Runs a runner with a temporary directory of its own (TMPDIR, which
 * os.tmpdir(), Go's os.TempDir, Chromium and every process the runner starts
 * read). What is still in it when the runner ends was left behind by the
 * runner, its tools or a process it started: named, counted as one failure
 * and removed. The vitest runners also check their tests' directory inside
 * it (test/support/temp-check.ts), which names the run's own leftovers. The
 * scratch trees of the runner's tests outside it are checked too (sharedLeftovers).
 */
function runWithOwnTmp(runner) {
  const dir = mkdtempSync(join(outerTmp, 'zviz-run-'));
  // As /tmp is: tests run workloads as other users, who make files there too.
  chmodSync(dir, 0o1777);
  const tag = dir.slice(dir.lastIndexOf('-') + 1);
  const sharedBefore = new Set(sharedScratch());
  const saved = { TMPDIR: process.env.TMPDIR, ZVIZ_RUN_TAG: process.env.ZVIZ_RUN_TAG };
  process.env.TMPDIR = dir;
  process.env.ZVIZ_RUN_TAG = tag;
  let totals;
  try {
    totals = runner.run();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  }
  const sharedLeft = sharedLeftovers(runner, tag, sharedBefore);
  const left = readdirSync(dir).filter((name) => !TOOL_CACHE.test(name));
  let removed = true;
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    removed = false;
    console.log(`[fail] ${runner.name}: could not remove its temporary directory ${dir}: ${error.message}`);
  }
  if (left.length > 0) {
    console.log(
      `[fail] ${runner.name}: left ${left.length} entries in its temporary directory ${dir}` +
        ` (removed now):\n  ${left.join('\n  ')}`
    );
  }
  if (left.length > 0 || !removed || sharedLeft > 0) {
    return { ...totals, failed: totals.failed + 1, leftovers: left.length + sharedLeft };
  }
  return totals;
}

/**
 * Tracked files that differ from the commit, or undefined outside a git
 * checkout. The README promises that its commands leave a clone's tracked
 * files unchanged; a run that changes one (a rewritten lockfile, a
 * regenerated fixture) fails.
 */
function trackedChanges() {
  const result = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repo, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n').filter(Boolean) : undefined;
}

function main() {
  const trackedBefore = trackedChanges();
  let setupFailed = false;
  if (process.env.ZVIZ_SKIP_SETUP !== '1') {
    setupFailed = run('bash', ['scripts/setup.sh']) !== 0;
  }
  if (!setupFailed && process.env.ZVIZ_SKIP_BUILD !== '1') {
    setupFailed = run('npm', ['run', 'build']) !== 0;
  }
  if (setupFailed) {
    console.log('\nsetup or build failed; no tests ran');
    console.log('0 passed, 1 failed');
    return 1;
  }

  const only = process.env.ZVIZ_ONLY?.split(',').map((s) => s.trim());
  const results = [];
  for (const runner of runners) {
    if (only && !only.includes(runner.name)) {
      continue;
    }
    if (!runner.when()) {
      continue;
    }
    console.log(`\n=== ${runner.name} ===`);
    const started = Date.now();
    const totals = runWithOwnTmp(runner);
    results.push({ name: runner.name, seconds: (Date.now() - started) / 1000, ...totals });
  }

  const trackedAfter = trackedChanges();
  if (trackedBefore && trackedAfter) {
    const changed = trackedAfter.filter((line) => !trackedBefore.includes(line));
    if (changed.length > 0) {
      console.log(`\nthe run changed tracked files:\n  ${changed.join('\n  ')}`);
    }
    results.push({
      name: 'tracked files',
      seconds: 0,
      passed: changed.length ? 0 : 1,
      failed: changed.length ? 1 : 0,
      skipped: 0,
    });
  }

  console.log('\n=== summary ===');
  for (const r of results) {
    const crash = r.crashed !== undefined ? ` (runner exited ${r.crashed} without a report)` : '';
    const leftovers = r.leftovers ? ` (left ${r.leftovers} entries in its TMPDIR or ${SHARED_SCRATCH})` : '';
    console.log(
      `${r.name.padEnd(16)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed ${String(r.skipped).padStart(4)} skipped  ${r.seconds.toFixed(1)}s${crash}${leftovers}`
    );
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || results.length === 0 ? 1 : 0;
}

const code = main();
rmSync(scratch, { recursive: true, force: true });
process.exit(code);
