// A family's series budget. Label sets are admitted in the order they first
// appear and keep their place until their cgroup goes away, so a busy
// container cannot push a quiet one's series out between scrapes. Label sets
// that arrive once the budget is spent fold into one `other` series per
// kind; what they add is accumulated as deltas, so `other` only grows, like
// any counter, even when a folded cgroup later disappears.
//
// First come alone would let one container take the whole budget (a workload
// renaming its threads makes a label set per name with process_name on), and
// every container that came later would fold into `other`. So, given the
// number of containers there may be, each has a reserved share (half the
// budget over that number) that nobody else can take, and the rest is a pool,
// first come, for what containers need beyond their share: the same split as
// the tracer's kernel maps (docs/tracer.md, "Fairness between containers").

export interface Latest {
  ns: number;
  at: number;
}

interface Folded {
  cgroup: bigint;
  values: number[];
}

export interface OtherRow {
  values: number[];
  latest?: Latest;
}

export class SeriesCap {
  private readonly admitted = new Map<string, { cgroup: bigint; series: number }>();
  private readonly folded = new Map<string, Folded>();
  private readonly others = new Map<string, OtherRow>();
  /** The keys admitted or folded for each cgroup. */
  private readonly byCgroup = new Map<bigint, Set<string>>();
  private used = 0;
  private overflowed = 0;
  /** Series admitted per cgroup, and the part of them beyond the reserved shares. */
  private readonly held = new Map<bigint, number>();
  private pooled = 0;
  /** Series each cgroup may always have. */
  readonly reserved: number;
  /** Series beyond the reserved shares, first come. */
  readonly pool: number;

  /**
   * `containers`: how many cgroups there may be (tracer.max_cgroups); without
   * it, nothing is reserved and the whole budget is first come.
   */
  constructor(
    readonly limit: number,
    containers?: number
  ) {
    this.reserved = containers && containers > 0 ? Math.floor(limit / 2 / containers) : 0;
    this.pool = limit - this.reserved * (containers && containers > 0 ? containers : 0);
  }

  /** Whether the label set may be exported as itself; it costs `series` series. */
  admit(key: string, cgroup: bigint, series: number): boolean {
    if (this.admitted.has(key)) {
      return true;
    }
    if (this.folded.has(key)) {
      return false;
    }
    const held = this.held.get(cgroup) ?? 0;
    const beyond = (n: number) => Math.max(0, n - this.reserved);
    const fromPool = beyond(held + series) - beyond(held);
    if (this.pooled + fromPool > this.pool || this.used + series > this.limit) {
      return false;
    }
    this.admitted.set(key, { cgroup, series });
    this.keysOf(cgroup).add(key);
    this.used += series;
    this.held.set(cgroup, held + series);
    this.pooled += fromPool;
    return true;
  }

  /**
   * Adds what a folded label set gained since the last read to the `other`
   * row of its kind. `countIndex` names the value that counts observations.
   */
  fold(kind: string, key: string, cgroup: bigint, values: readonly number[], countIndex: number, latest?: Latest) {
    // Called for every refused label set at every read (tens of thousands at a
    // thousand containers): plain loops, and the last values kept in place.
    let folded = this.folded.get(key);
    const before = folded?.values;
    // A value below the last one means the kernel entry was recreated: all of it is new.
    // A row may grow between reads (a syscall row gains its latency buckets): what it
    // did not have before counts from zero.
    let reset = false;
    if (before) {
      for (let i = 0; i < values.length; i++) {
        if (values[i] < (before[i] ?? 0)) {
          reset = true;
          break;
        }
      }
    }
    let other = this.others.get(kind);
    if (!other) {
      other = { values: [] };
      this.others.set(kind, other);
    }
    while (other.values.length < values.length) {
      other.values.push(0);
    }
    for (let i = 0; i < values.length; i++) {
      other.values[i] += values[i] - (before && !reset ? (before[i] ?? 0) : 0);
    }
    this.overflowed += values[countIndex] - (before && !reset ? (before[countIndex] ?? 0) : 0);
    if (latest && latest.at > 0 && (!other.latest || latest.at > other.latest.at)) {
      other.latest = { ns: latest.ns, at: latest.at };
    }
    if (!folded) {
      folded = { cgroup, values: [] };
      this.folded.set(key, folded);
      this.keysOf(cgroup).add(key);
    }
    folded.values.length = values.length;
    for (let i = 0; i < values.length; i++) {
      folded.values[i] = values[i];
    }
  }

  private keysOf(cgroup: bigint): Set<string> {
    let keys = this.byCgroup.get(cgroup);
    if (!keys) {
      keys = new Set();
      this.byCgroup.set(cgroup, keys);
    }
    return keys;
  }

  otherRows(): ReadonlyMap<string, OtherRow> {
    return this.others;
  }

  /** Drops a cgroup's label sets; their budget is free again. */
  forget(cgroup: bigint): void {
    // Through the cgroup's own keys: with short jobs ending every second among
    // tens of thousands of label sets, a scan of every key per removal added up.
    for (const key of this.byCgroup.get(cgroup) ?? []) {
      const entry = this.admitted.get(key);
      if (entry) {
        this.admitted.delete(key);
        this.used -= entry.series;
      }
      this.folded.delete(key);
    }
    this.byCgroup.delete(cgroup);
    this.pooled -= Math.max(0, (this.held.get(cgroup) ?? 0) - this.reserved);
    this.held.delete(cgroup);
  }

  /** Observations folded into `other` since the agent started. */
  get overflow(): number {
    return this.overflowed;
  }
}
