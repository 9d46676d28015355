import type { Program } from '../runtime/program.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Netdev } from '../xdp/netdev.js';

/** What a device's XDP hook runs, in one line. */
export function xdpDescription(rt: Runtime, d: Netdev): string | null {
  if (!d.hook) return null;
  const link = rt.xdp.linkOf(d);
  return `${d.hook.description}${link ? ` via link ${link.id}` : ''}`;
}

/** bpftool-like lines for `prog show`. */
export function programLines(p: Program, extra: { object?: string; chain?: string[]; target?: string; boundTo?: string } = {}): string {
  const i = p.info();
  const gpl = /GPL/.test(i.license) ? '  gpl' : '';
  return [
    `${i.id}: ${i.type}  name ${i.name}  tag ${i.tag}${gpl}`,
    `\tloaded_at ${i.loadedAt}  run_cnt ${i.runCount}  run_time_ns ${i.runTimeNs}  engine ${i.engine}`,
    `\tinsns ${i.instructions}${i.mapIds.length ? `  map_ids ${i.mapIds.join(',')}` : ''}${extra.object ? `  object ${extra.object}` : ''}`,
    ...(extra.boundTo ? [`\tbound to ${extra.boundTo} (device-bound)`] : []),
    ...(extra.target ? [`\treplaces ${extra.target}`] : []),
    ...(extra.chain?.length ? [`\tchain ${extra.chain.join('  ')}`] : []),
  ].join('\n');
}
