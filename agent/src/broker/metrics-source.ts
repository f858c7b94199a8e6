// The broker's families, copied from native memory at scrape time. The
// supervisors count every decision in native atomics; nothing here runs per
// syscall.
import { BROKER_LATENCY_BUCKETS, DENIAL_LAYERS } from '../metrics/catalog';
import type { FamilySamples, HistogramSample, Labels, MetricSource, ValueSample } from '../metrics/source';
import type { BrokerAddon } from '../native/broker-addon';

export const BROKER_FAMILIES = [
  'zviz_broker_requests_total',
  'zviz_broker_decisions_total',
  'zviz_broker_latency_seconds',
  'zviz_broker_inflight',
  'zviz_broker_errors_total',
  'zviz_broker_events_dropped_total',
  'zviz_broker_paced_seconds_total',
  'zviz_broker_installs_interrupted_total',
  'zviz_security_denials_total',
  'zviz_seccomp_violations_total',
] as const;

export class BrokerMetricSource implements MetricSource {
  readonly families = BROKER_FAMILIES;
  // One labels object per series across scrapes: the renderer caches their rendered form.
  private readonly decisionLabels = new Map<string, Labels>();
  private readonly layerLabels = new Map<string, Labels>(DENIAL_LAYERS.map((layer) => [layer, { layer }]));
  private static readonly NONE: Labels = {};

  constructor(
    private readonly addon: BrokerAddon,
    /** Refusals by cgroup limits (OOM kills, pids-limit hits), counted by the container manager. */
    private readonly cgroupDenials: () => number
  ) {}

  collect(): Map<string, FamilySamples> {
    const m = this.addon.metrics();
    if (m.latencyBuckets.length !== BROKER_LATENCY_BUCKETS.length) {
      throw new Error(
        `the broker addon has ${m.latencyBuckets.length} latency buckets, the catalog ${BROKER_LATENCY_BUCKETS.length}`
      );
    }
    const none = BrokerMetricSource.NONE;
    const one = (value: number): ValueSample[] => [{ labels: none, value }];
    const denials: ValueSample[] = DENIAL_LAYERS.map((layer) => ({
      labels: this.layerLabels.get(layer) as Labels,
      value: layer === 'cgroup' ? this.cgroupDenials() : m.denials[layer],
    }));
    const latency: HistogramSample[] = [
      { labels: none, buckets: m.latencyBuckets, sum: m.latencySumSeconds, count: m.latencyCount },
    ];
    const decisionLabels = (syscall: string, decision: string): Labels => {
      const key = `${syscall}/${decision}`;
      let labels = this.decisionLabels.get(key);
      if (!labels) {
        labels = { syscall, decision };
        this.decisionLabels.set(key, labels);
      }
      return labels;
    };
    return new Map<string, FamilySamples>([
      ['zviz_broker_requests_total', one(m.requests)],
      [
        'zviz_broker_decisions_total',
        m.decisions.map((d) => ({ labels: decisionLabels(d.syscall, d.decision), value: d.count })),
      ],
      ['zviz_broker_latency_seconds', latency],
      ['zviz_broker_inflight', one(m.inflight)],
      ['zviz_broker_errors_total', one(m.errors)],
      ['zviz_broker_events_dropped_total', one(m.eventsDropped)],
      ['zviz_broker_paced_seconds_total', one(m.pacedSeconds)],
      ['zviz_broker_installs_interrupted_total', one(m.installsInterrupted)],
      ['zviz_security_denials_total', denials],
      ['zviz_seccomp_violations_total', one(m.violations)],
    ]);
  }
}
