// JSON a person reads in Grafana: the audit events' body and args, which
// quote the paths and addresses a workload chose. JSON.stringify escapes the
// C0 controls but leaves DEL, C1, bidirectional overrides and isolates,
// zero-width and other format characters and the line and paragraph
// separators as they are, and a browser acts on them: a right-to-left
// override shows the rest of a path backwards (`/tmp/\u202Ewodahs/cte` reads
// as `/tmp/etc/shadow`), a zero-width character makes two names look alike.
// This is the same JSON value with those as \u escapes: what it says is
// unchanged, and every character of it is shown.
const HIDDEN = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

function escaped(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) {
    out += `\\u${ch.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

/** JSON.stringify(value), with every character a browser would act on instead of show as a \u escape. */
export function visibleJson(value: unknown): string {
  return JSON.stringify(value).replace(HIDDEN, escaped);
}
