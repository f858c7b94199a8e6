// Exit codes of every zviz command.
export const EXIT = {
  ok: 0,
  /** A runtime failure (cannot listen, a component broke), or `zviz health` found the agent not healthy. */
  failure: 1,
  /** Bad usage: unknown flag, bad value, or a configuration file that does not validate. */
  usage: 2,
  /** `zviz health`: no answer from the agent. */
  unreachable: 3,
} as const;

/** Thrown by a command to end with a message and an exit code. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** Extra lines printed after the message (e.g. every configuration error). */
    readonly details: readonly string[] = []
  ) {
    super(message);
  }
}
