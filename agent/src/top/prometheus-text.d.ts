// Types for parse-prometheus-text-format, which ships none. Values stay the
// strings of the exposition ("+Inf", "NaN" included); histogram and summary
// samples are grouped under their family.
declare module 'parse-prometheus-text-format' {
  interface PlainSample {
    value: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
  }
  interface HistogramSample {
    buckets: Record<string, string>;
    count: string;
    sum: string;
    labels?: Record<string, string>;
  }
  interface SummarySample {
    quantiles: Record<string, string>;
    count: string;
    sum: string;
    labels?: Record<string, string>;
  }
  interface Family {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: Array<PlainSample | HistogramSample | SummarySample>;
  }
  function parsePrometheusTextFormat(text: string): Family[];
  export = parsePrometheusTextFormat;
}
