// Tests read a source's families back into samples: a source that renders
// off the main thread (the tracer) hands the registry exposition lines
// (RenderedSamples), and its tests check the numbers in them.
import { CATALOG_BY_NAME } from '../../src/metrics/catalog';
import {
  RenderedSamples,
  type FamilySamples,
  type HistogramSample,
  type Labels,
  type ValueSample,
} from '../../src/metrics/source';

function parseLine(line: string): { name: string; labels: Record<string, string>; value: number } {
  const brace = line.indexOf('{');
  const space = line.lastIndexOf(' ');
  const name = brace >= 0 && brace < space ? line.slice(0, brace) : line.slice(0, space);
  const labels: Record<string, string> = {};
  if (brace >= 0 && brace < space) {
    let i = brace + 1;
    while (line[i] !== '}') {
      const eq = line.indexOf('="', i);
      const key = line.slice(i, eq);
      let value = '';
      i = eq + 2;
      while (line[i] !== '"') {
        if (line[i] === '\\') {
          i++;
          value += line[i] === 'n' ? '\n' : line[i];
        } else {
          value += line[i];
        }
        i++;
      }
      labels[key] = value;
      i++;
      if (line[i] === ',') {
        i++;
      }
    }
  }
  const text = line.slice(space + 1);
  return { name, labels, value: text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text) };
}

/** The samples of one family's rendered lines, in order. */
export function samplesOfRendered(family: string, rendered: RenderedSamples): FamilySamples {
  const spec = CATALOG_BY_NAME.get(family);
  if (!spec) {
    throw new Error(`${family} is not a catalog family`);
  }
  const lines = Buffer.from(rendered.body).toString('utf8').split('\n').filter(Boolean).map(parseLine);
  if (spec.type !== 'histogram') {
    return lines.map((l): ValueSample => ({ labels: l.labels, value: l.value }));
  }
  const per = (spec.buckets ?? []).length + 3;
  const out: HistogramSample[] = [];
  for (let i = 0; i < lines.length; i += per) {
    const group = lines.slice(i, i + per);
    const { le: _le, ...labels } = group[0].labels;
    out.push({
      labels: labels as Labels,
      buckets: group.slice(0, per - 3).map((l) => l.value),
      sum: group[per - 2].value,
      count: group[per - 1].value,
    });
  }
  return out;
}

/** A collect() result with every rendered family read back into samples. */
export function readBack(out: Map<string, FamilySamples | RenderedSamples>): Map<string, FamilySamples> {
  return new Map(
    [...out].map(([name, samples]) => [
      name,
      samples instanceof RenderedSamples ? samplesOfRendered(name, samples) : samples,
    ])
  );
}
