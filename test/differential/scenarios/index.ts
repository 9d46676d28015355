/**
 * Every differential scenario. Each one's kernel answers live in test/golden/<name>.json
 * (recorded with `XDPCHAIN_RECORD_GOLDEN=1 npx vitest run test/differential`).
 */
import { checkByteMasks } from '../../../src/packet/mask.js';
import type { Scenario } from '../scenario.js';
import { chainScenarios } from './chain.js';
import { conntrackScenarios } from './conntrack.js';
import { counterScenarios } from './counters.js';
import { dynptrScenarios } from './dynptr.js';
import { fibLookupScenarios } from './fib-lookup.js';
import { firewallScenarios } from './firewall.js';
import { helperScenarios } from './helpers.js';
import { loadBalancerScenarios } from './load-balancer.js';
import { lpmFilterScenarios } from './lpm-filter.js';
import { maglevLbScenarios } from './maglev-lb.js';
import { natScenarios } from './nat.js';
import { redirectScenarios } from './redirect.js';
import { syncookieScenarios } from './syncookie.js';
import { tailCallScenarios } from './tail-call.js';
import { trivialScenarios } from './trivial.js';
import { vlanScenarios } from './vlan.js';

export function allScenarios(): Scenario[] {
  const all = [
    ...trivialScenarios,
    ...firewallScenarios,
    ...loadBalancerScenarios,
    ...maglevLbScenarios,
    ...natScenarios,
    ...vlanScenarios,
    ...counterScenarios,
    ...lpmFilterScenarios,
    ...helperScenarios,
    ...fibLookupScenarios,
    ...tailCallScenarios,
    ...redirectScenarios,
    ...chainScenarios,
    ...conntrackScenarios,
    ...dynptrScenarios,
    ...syncookieScenarios,
  ];
  const names = new Set<string>();
  for (const s of all) {
    if (names.has(s.name)) throw new Error(`two scenarios are named ${s.name}`);
    names.add(s.name);
    const packets = new Set<string>();
    for (const p of s.packets) {
      checkByteMasks(p.mask ?? [], `scenario ${s.name}, packet ${p.name}`);
      if (packets.has(p.name)) throw new Error(`scenario ${s.name} has two packets named ${p.name}`);
      packets.add(p.name);
    }
  }
  return all;
}
