// Keeps a scrape's collection and a change of the agent's state (the end of
// a reload) apart. A scrape asks its sources one after the other and lets
// the event loop run between slices; a reload that set the variant and its
// counters in such a gap was seen half: the new reload count beside the old
// variant. With the gate, a scrape sees the state before a change or after
// it, never a mix. Changes are meant to be short: scrapes that start while
// one waits or runs wait for it.
export class SnapshotGate {
  private collecting = 0;
  private readonly drained: Array<() => void> = [];
  /** The change under way or waiting for collections to end; undefined when none. */
  private changing: Promise<void> | undefined;

  /**
   * Runs a scrape's collection. Collections share the gate with each other;
   * one that starts while a change waits or runs goes after it, so a steady
   * stream of scrapes cannot hold a reload off for ever.
   */
  async collect<T>(collection: () => Promise<T>): Promise<T> {
    while (this.changing) {
      await this.changing;
    }
    this.collecting++;
    try {
      return await collection();
    } finally {
      if (--this.collecting === 0) {
        this.drained.splice(0).forEach((resume) => resume());
      }
    }
  }

  /** Runs a change once no collection is under way; collections wait for its end. */
  async change<T>(change: () => Promise<T>): Promise<T> {
    while (this.changing) {
      await this.changing;
    }
    let ended!: () => void;
    this.changing = new Promise<void>((resolve) => (ended = resolve));
    try {
      if (this.collecting > 0) {
        await new Promise<void>((resume) => this.drained.push(resume));
      }
      return await change();
    } finally {
      this.changing = undefined;
      ended();
    }
  }
}
