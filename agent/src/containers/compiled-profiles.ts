// A profile compiled for a workspace, and the broker addon's handle of its
// seccomp programs and policy, made once for every start that uses them.
//
// Compiling a profile for a workspace (1 to 2 ms) and reading its filter and
// policy into the addon (another 1 to 2 ms: some 450 rules through N-API)
// were most of what a start did on the agent's main thread; at a thousand
// containers starting, with a hundred short jobs restarting, they held the
// event loop for tens of milliseconds at a time (docs/benchmarks.md, "A
// thousand containers on one node"). Both depend only on the loaded profile
// (immutable: a changed file is a new LoadedProfile) and the workspace path.
import type { BrokerAddon, PreparedProfile } from '../native/broker-addon';
import type { CompiledProfile } from '../profiles/compile';
import type { LoadedProfile } from '../profiles/profile';

/** Workspaces remembered per profile; past it that profile's start again (a node with ever-new workspaces). */
const WORKSPACES_PER_PROFILE = 256;

export interface ProfileForStart {
  compiled: CompiledProfile;
  /** The addon's handle, or undefined where the addon cannot prepare one (spawn then reads `compiled`). */
  prepared?: PreparedProfile;
}

export class CompiledProfiles {
  private readonly byProfile = new WeakMap<LoadedProfile, Map<string, ProfileForStart>>();

  constructor(private readonly addon: Pick<BrokerAddon, 'prepareProfile'>) {}

  /** The profile compiled for `workspace`; throws what compiling or preparing it throws (nothing is kept then). */
  get(profile: LoadedProfile, workspace: string): ProfileForStart {
    let workspaces = this.byProfile.get(profile);
    const known = workspaces?.get(workspace);
    if (known) {
      return known;
    }
    const compiled = profile.forWorkspace(workspace);
    const entry: ProfileForStart = {
      compiled,
      ...(this.addon.prepareProfile
        ? { prepared: this.addon.prepareProfile({ filter: compiled.filter, policy: compiled.policy }) }
        : {}),
    };
    if (!workspaces || workspaces.size >= WORKSPACES_PER_PROFILE) {
      workspaces = new Map();
      this.byProfile.set(profile, workspaces);
    }
    workspaces.set(workspace, entry);
    return entry;
  }
}
