import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { onUserPath, XdpchainError } from '../errors/index.js';
import { fromHex, toHex } from '../packet/bytes.js';
import type { Program } from '../runtime/program.js';
import type { Runtime } from '../runtime/runtime.js';
import { xdpActionName } from '../xdp/constants.js';
import type { XdpMd } from '../xdp/test-run.js';
import { intOption } from './object.js';
import { emit } from './output.js';

/** The packet options of `test-run` and `prog run`, as commander gives them. */
export interface PacketRunOptions {
  data?: string;
  hex?: string;
  ctx?: string;
  repeat: string;
  dataOut?: string;
  budget?: string;
  json?: boolean;
}

/** Add the options that say what packet to run and how (bpftool prog run's data_in, ctx_in, repeat). */
export function addPacketRunOptions(cmd: Command): Command {
  return cmd
    .option('--data <file>', 'packet bytes from a file')
    .option('--hex <hex>', 'packet bytes as hex')
    .option('--ctx <json>', 'xdp_md input, e.g. {"ingress_ifindex":1,"data":8}')
    .option('--repeat <n>', 'runs on the same buffer (0 counts as 1)', '1')
    .option('--data-out <file>', 'write the output packet here')
    .option('--budget <n>', 'instruction budget per run')
    .option('--json', 'print JSON');
}

function parseCtx(text: string): Partial<XdpMd> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new XdpchainError('EINVAL', `--ctx is not JSON: ${(e as Error).message}`);
  }
  const fields: Record<string, keyof XdpMd> = {
    data: 'data',
    data_meta: 'dataMeta',
    dataMeta: 'dataMeta',
    data_end: 'dataEnd',
    dataEnd: 'dataEnd',
    ingress_ifindex: 'ingressIfindex',
    ingressIfindex: 'ingressIfindex',
    rx_queue_index: 'rxQueueIndex',
    rxQueueIndex: 'rxQueueIndex',
    egress_ifindex: 'egressIfindex',
    egressIfindex: 'egressIfindex',
  };
  const out: Partial<XdpMd> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const f = fields[k];
    if (!f)
      throw new XdpchainError(
        'EINVAL',
        `--ctx field "${k}" is not one of xdp_md's (data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex)`,
      );
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new XdpchainError('EINVAL', `--ctx field "${k}" must be a non-negative integer`);
    out[f] = v;
  }
  return out;
}

/** Run one packet through a loaded program as BPF_PROG_TEST_RUN does, and print what came out. */
export function runPacketAndReport(rt: Runtime, prog: Program, opts: PacketRunOptions): void {
  if (!!opts.data === !!opts.hex) throw new XdpchainError('EINVAL', 'give the packet with exactly one of --data FILE or --hex HEX');
  const data = opts.data ? new Uint8Array(onUserPath(`--data ${opts.data}`, () => readFileSync(opts.data!))) : fromHex(opts.hex!);
  const out = rt.testRun(prog, {
    data,
    ctx: opts.ctx ? parseCtx(opts.ctx) : undefined,
    repeat: intOption(opts.repeat, '--repeat'),
    budget: opts.budget ? intOption(opts.budget, '--budget') : undefined,
  });
  if (opts.dataOut) onUserPath(`--data-out ${opts.dataOut}`, () => writeFileSync(opts.dataOut!, out.dataOut));
  const report = {
    program: prog.name,
    retval: out.retval,
    action: xdpActionName(out.retval),
    durationNs: Math.round(out.durationNs),
    dataOut: toHex(out.dataOut),
    ...(out.ctxOut ? { ctxOut: out.ctxOut } : {}),
    ...(out.fault ? { fault: out.fault.message } : {}),
    trace: rt.traceLines.map((l) => l.text),
  };
  emit(opts, report, (r) =>
    [
      ...(r.fault ? [`fault: ${r.fault}`] : []),
      ...r.trace.map((t) => `trace: ${t}`),
      `Return value: ${r.retval} (${r.action}), duration (average): ${r.durationNs}ns`,
      ...(opts.dataOut ? [] : [`data_out (${out.dataOut.length} bytes): ${r.dataOut}`]),
      ...(r.ctxOut ? [`ctx_out: ${JSON.stringify(r.ctxOut)}`] : []),
    ].join('\n'),
  );
}
