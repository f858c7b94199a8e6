// The profiles an agent has loaded, by their text. A container start
// validates its profile and compiles it once with libseccomp (profile.ts):
// tens of milliseconds on the JavaScript thread, the agent's own largest
// stall while a busy node starts containers (docs/benchmarks.md, bench:load).
// The same text on the same host always loads to the same result, so the
// agent keeps the last few and a start with an unchanged profile skips both.
// The file is read at every start and its text is the key: an edited profile
// is loaded afresh, and a profile that fails is never kept.
import type { BrokerAddon } from '../native/broker-addon';
import { readProfile } from './load';
import { loadProfileText, type LoadedProfile } from './profile';

export class ProfileCache {
  private readonly loaded = new Map<string, LoadedProfile>();

  constructor(
    private readonly addon: BrokerAddon,
    private readonly capacity = 32
  ) {}

  /** As loadProfile, from the cache when the profile's text is one loaded before. */
  load(reference: string): LoadedProfile {
    const text = readProfile(reference);
    const key = `${text.source}\u0000${text.name}\u0000${text.builtin}\u0000${text.text}`;
    const hit = this.loaded.get(key);
    if (hit) {
      this.loaded.delete(key); // most recently used last
      this.loaded.set(key, hit);
      return hit;
    }
    const profile = loadProfileText(text, this.addon);
    this.loaded.set(key, profile);
    while (this.loaded.size > this.capacity) {
      this.loaded.delete(this.loaded.keys().next().value as string);
    }
    return profile;
  }

  get size(): number {
    return this.loaded.size;
  }
}
