// What is wrong with a profile, located precisely enough to fix it:
// `<file>: <JSON pointer>: <reason>`.
export interface Problem {
  /** RFC 6901 pointer into the profile; "" is the whole document. */
  pointer: string;
  reason: string;
}

export function formatProblem(source: string, problem: Problem): string {
  return `${source}: ${problem.pointer === '' ? '(root)' : problem.pointer}: ${problem.reason}`;
}

export function pointer(...parts: Array<string | number>): string {
  return parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The error of a profile that cannot be used, with every problem found. */
export class ProfileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly Problem[]
  ) {
    super(
      problems.length === 1
        ? formatProblem(source, problems[0])
        : `${source}: ${problems.length} problems:\n${problems.map((p) => `  ${formatProblem(source, p)}`).join('\n')}`
    );
    this.name = 'ProfileError';
  }

  lines(): string[] {
    return this.problems.map((p) => formatProblem(this.source, p));
  }
}
