// Attack class: the audit trail's names (attacks/audit-names.c). A refused
// open is audited with the path the broker read, and the workload chose its
// bytes: two names that differ only in bytes that are not UTF-8
// (`zviz-name-\xff`, `zviz-name-\xfe`), the four characters `\xff` spelled
// out, and a valid UTF-8 name. The record must name each exactly: bytes
// that are not UTF-8 are written `\xHH` and a backslash `\\` (and a NUL
// `\0`), so every record decodes back to the bytes the broker judged
// (docs/security.md, "Paths and addresses in audit events"). Through the
// agent, whose audit log holds the records; profiles that do not broker opens
// audit none of them, which the test states.
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, outcomes, PROFILES } from './harness';

const NAMES: Record<string, Buffer> = {
  'bad-ff': Buffer.from([...Buffer.from('zviz-name-'), 0xff]),
  'bad-fe': Buffer.from([...Buffer.from('zviz-name-'), 0xfe]),
  literal: Buffer.from('zviz-name-\\xff'),
  utf8: Buffer.from('zviz-name-é'),
};

/** The bytes a recorded name stands for: `\\` a backslash, `\0` a NUL, `\xHH` a byte; the rest UTF-8. */
function recordedBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === '\\') {
      out.push(0x5c);
      i++;
    } else if (text[i] === '\\' && text[i + 1] === '0') {
      out.push(0);
      i++;
    } else if (text[i] === '\\' && text[i + 1] === 'x' && /^[0-9a-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      out.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      const code = text.codePointAt(i)!;
      out.push(...Buffer.from(String.fromCodePoint(code)));
      if (code > 0xffff) {
        i++;
      }
    }
  }
  return Buffer.from(out);
}

attackSuite('attack: names in the audit trail', (suite) => {
  it.each(PROFILES)('%s (agent): every refused name is recorded as the bytes it was', async (profile) => {
    const before = suite.agent().audit().length;
    const run = await suite.run({ profile, mode: 'agent', program: 'audit-names' });
    const detail = `${run.stdout}\n${run.stderr}`;
    const refused = byProfile(profile, {
      strict: 'errno EACCES',
      'ci-runner': 'errno EACCES',
      default: 'ok',
      observe: 'ok',
    });
    expect(outcomes(run, [...Object.keys(NAMES), 'finished']), detail).toEqual({
      ...Object.fromEntries(Object.keys(NAMES).map((name) => [name, refused])),
      finished: 'ok',
    });
    if (refused === 'ok') {
      // The kernel made the opens: nothing brokered, nothing recorded. The files are the workload's to leave.
      await suite.expectContained(run);
      return;
    }
    const recorded = () =>
      suite
        .agent()
        .audit()
        .slice(before)
        .filter((r) => r.container_id === run.containerId && r.decision === 'deny')
        .map((r) => String((r.args as { path?: string }).path ?? ''))
        .filter((path) => path.includes('zviz-name-'));
    await waitFor('the four refusals in the audit log', async () => recorded().length >= 4).catch(() => undefined);
    const paths = recorded();
    const outside = Buffer.from(`${run.scratch.outside}/`);
    expect(
      paths.map((path) => recordedBytes(path).toString('hex')),
      paths.join('\n')
    ).toEqual(Object.values(NAMES).map((name) => Buffer.concat([outside, name]).toString('hex')));
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
