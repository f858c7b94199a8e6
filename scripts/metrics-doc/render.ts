// docs/metrics.md from the agent's metric catalog (agent/src/metrics/catalog.ts):
// every family with its type, labels, unit, help, the component that exports
// it, what it shows before anything happened, and the name users of ZViz's
// monitoring guide or podtrace know it by. Pure: the command line writes the
// file and a test fails when the one checked in is stale.
import { format, resolveConfig } from 'prettier';

import {
  CATALOG,
  RESOURCE_ALERT_THRESHOLDS,
  RESOURCE_TYPES,
  type Component,
  type Guide,
  type MetricSpec,
} from '../../agent/src/metrics/catalog';

export const DOC_PATH = 'docs/metrics.md';

/** Each guide as a reader knows it: ZViz's own, or the product whose guide it is. */
export const GUIDES: Readonly<Record<Guide, string>> = {
  monitoring: 'ZViz monitoring guide',
  podtrace: "podtrace's metrics guide",
  rollout: "zai-proxy's production and canary monitoring guide",
};

/** Sections in the order a reader meets the parts, each with who fills it. */
export const SECTIONS: ReadonlyArray<{ component: Component; title: string; who: string }> = [
  {
    component: 'agent',
    title: 'Agent',
    who: 'The agent core, in every process that serves or prints metrics (`zviz agent`, `zviz metrics serve`, `zviz metrics`).',
  },
  {
    component: 'broker',
    title: 'Broker and security',
    who: 'The broker component: native counters of the seccomp filter and the broker threads, copied at scrape time.',
  },
  {
    component: 'containers',
    title: 'Containers',
    who: 'The broker component’s container manager: every workload of `zviz run` and of the `containers:` configuration.',
  },
  {
    component: 'cgroups',
    title: 'Resources',
    who: 'The broker component, from each container’s cgroup files (v2, or v1 controllers on hybrid and v1 hosts), read every `broker.sample_interval_seconds` (5 s) a slice of containers at a time; a scrape renders the last reading.',
  },
  {
    component: 'audit',
    title: 'Audit',
    who: 'The decision event hub and the audit log writer.',
  },
  {
    component: 'tracer',
    title: 'Tracer',
    who: 'The tracer component, from its BPF maps (docs/tracer.md). `process_name` is filled only when `tracer.labels.process_name` is on.',
  },
];

function code(text: string): string {
  return `\`${text}\``;
}

/** Table cells cannot hold a bare `|`. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function unitOf(spec: MetricSpec): string {
  if (spec.unit) {
    return spec.unit;
  }
  const base = spec.type === 'counter' ? spec.name.replace(/_total$/, '') : spec.name;
  if (base.endsWith('_timestamp_seconds') || base.endsWith('_start_time_seconds')) {
    return 'seconds (Unix time)';
  }
  for (const unit of ['seconds', 'bytes', 'ratio']) {
    if (base.endsWith(`_${unit}`)) {
      return unit;
    }
  }
  return spec.type === 'counter' ? 'count' : 'number';
}

function initialOf(spec: MetricSpec): string {
  switch (spec.initial) {
    case 'zero':
      return spec.labels.length === 0 ? '0' : '0 for each value';
    case 'value':
      return 'a value';
    default:
      return 'HELP/TYPE only';
  }
}

function knownAsOf(spec: MetricSpec): string {
  return (spec.knownAs ?? []).map((k) => `${code(k.name)} (${GUIDES[k.guide]})`).join(', ');
}

function table(specs: readonly MetricSpec[]): string {
  const rows = specs.map((spec) =>
    [
      code(spec.name),
      spec.type,
      spec.labels.length ? spec.labels.map(code).join(', ') : '',
      unitOf(spec),
      initialOf(spec),
      cell(spec.help),
      knownAsOf(spec),
    ]
      .map((c) => ` ${c} `)
      .join('|')
  );
  return [
    '| family | type | labels | unit | before any event | help | known as |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `|${r}|`),
  ].join('\n');
}

function notes(specs: readonly MetricSpec[]): string[] {
  const lines: string[] = [];
  for (const spec of specs) {
    if (spec.lintException) {
      lines.push(`- ${code(spec.name)}: ${spec.lintException}`);
    }
    if (spec.note) {
      lines.push(`- ${code(spec.name)}: ${spec.note}`);
    }
  }
  return lines;
}

function guideIndex(guide: Guide): string {
  const rows = CATALOG.flatMap((spec) =>
    (spec.knownAs ?? []).filter((k) => k.guide === guide).map((k) => `| ${code(k.name)} | ${code(spec.name)} |`)
  );
  return ['| name in the guide | ZViz family |', '|---|---|', ...rows].join('\n');
}

export function metricsDocMarkdown(): string {
  const exceptions = CATALOG.filter((spec) => spec.lintException);
  const parts: string[] = [
    '<!-- Generated from agent/src/metrics/catalog.ts by `npm run generate:metrics-doc`; do not edit. -->',
    '',
    '# Metrics',
    '',
    `The agent exports ${CATALOG.length} metric families, every one listed here from the catalog the agent builds its registry from (\`agent/src/metrics/catalog.ts\`); a test fails when this page and the catalog disagree. \`GET /metrics\` serves them in the Prometheus text format, or OpenMetrics 1.0 when the scraper asks for it; \`zviz metrics\` prints them to stdout.`,
    '',
    '## Names',
    '',
    `The names, types and meanings in ZViz's monitoring guide are a contract: users copy them into queries, alerts, recording rules and runbooks. They are served exactly as the guide prints them. Families the guide does not name follow Prometheus' conventions: base units, \`_total\` on counters only, no type in the name. Names from other products' guides (${GUIDES.podtrace}, ${GUIDES.rollout}) are mapped onto conforming ZViz names (the last column, and the index at the end).`,
    '',
    `Where the naming lint of \`promtool check metrics\` and the guide disagree, the guide wins. \`promtool check metrics\` therefore reports exactly ${exceptions.length === 1 ? 'one objection' : `${exceptions.length} objections`} on a full exposition, and nothing else (a test holds it to that):`,
    '',
    ...exceptions.map((spec) => `- ${code(spec.name)} (${spec.type}): ${spec.lintException}`),
    '',
    '## Before anything happened',
    '',
    'Every family is in the exposition, with `# HELP` and `# TYPE`, from the moment the agent serves `/metrics`: a user sees what exists, and a dashboard query is known to be right before its first series. Families whose labels are none or come from a closed list (decisions, layers, states) also show a 0 sample for each of them as soon as their component runs, so panels show 0, not "No data". Families labelled by container, syscall or anything else not known in advance show only `# HELP` and `# TYPE` until their first series: a 0 under an invented label value would be a lie. The "before any event" column says which is which. A component that is not running (the broker without root, the tracer without BTF) exports no samples at all; `/health` says why.',
    '',
    '## Ended containers',
    '',
    "A container's series do not vanish when it ends. When `zviz run` returns, or a configured container is removed, its cgroup is removed at once, but its final counters (`zviz_cpu_usage_seconds`, `zviz_io_read_bytes_total`, `zviz_io_write_bytes_total`, `zviz_container_restarts_total`, OOM kills, pids-limit hits), its info, its final state (`zviz_container_state`) and its exit code stay in the exposition for `metrics.ended_container_retention_seconds`, then are deleted (its tracer series with them). Without this a CI job shorter than the scrape interval would never be seen, and every job's last increments would be lost. The default is two scrape intervals plus 5 s (`metrics.scrape_interval_seconds`, 15 by default, so 35 s), so at least two scrapes see the final values; set the interval to Prometheus' `scrape_interval` for this job. While it is kept, an ended container counts in `zviz_containers_total` and `zviz_containers_by_state` in its final state. Gauges of a running workload (memory in use, resource usage, utilization, alert level, uptime) are not kept.",
    '',
    '## Resources',
    '',
    `\`resource_type\` is one of ${RESOURCE_TYPES.map(code).join(', ')}. Limits come from \`zviz run --memory/--cpus/--pids/--io-read-bps/--io-write-bps\` or a configured container's \`limits\` (\`memory\`, \`cpus\`, \`pids\`, \`io_read_bps\`, \`io_write_bps\`). An I/O limit is set on every disk (io.max on cgroup v2, the blkio throttle files on v1 and hybrid hosts); \`io\`'s usage and limit are those of the limited direction (read or write) nearest its limit, so usage / limit is the utilization that matters, and without an I/O limit \`io\` is reads and writes together, with no limit. On v1 and hybrid hosts the kernel throttles the I/O a workload issues itself (reads, and writes with O_DIRECT); buffered writes, which the kernel writes back from the page cache, are not charged to it there (cgroup v2 charges them). The alert level is 1, 2 or 3 from a utilization of ${RESOURCE_ALERT_THRESHOLDS.map((t) => `${Math.round(t * 100)} %`).join(', ')}; a resource without a limit has neither.`,
  ];
  for (const section of SECTIONS) {
    const specs = CATALOG.filter((spec) => spec.component === section.component);
    if (specs.length === 0) {
      continue;
    }
    parts.push('', `## ${section.title}`, '', section.who, '', table(specs));
    const n = notes(specs);
    if (n.length > 0) {
      parts.push('', ...n);
    }
  }
  parts.push(
    '',
    '## Index by guide',
    '',
    ...(['monitoring', 'podtrace', 'rollout'] as const).flatMap((guide) => [
      `${GUIDES[guide]}:`,
      '',
      guideIndex(guide),
      '',
    ])
  );
  return parts.join('\n');
}

/** The page, formatted as the repository's prettier settings format Markdown. */
export async function renderMetricsDoc(repoRoot: string): Promise<string> {
  const options = (await resolveConfig(`${repoRoot}/${DOC_PATH}`)) ?? {};
  return format(metricsDocMarkdown(), { ...options, parser: 'markdown', filepath: `${repoRoot}/${DOC_PATH}` });
}
