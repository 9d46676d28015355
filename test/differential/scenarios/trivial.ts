import { ipv4UdpFrame } from '../../../src/packet/index.js';
import type { Scenario } from '../scenario.js';
import { frameCase, metaCase, standardCases } from './common.js';

const frame = ipv4UdpFrame();

/** BPF_PROG_TEST_RUN's own input rules, seen through the simplest program. */
const ctxEdgeCases = [
  frameCase('ctx-ingress-lo', frame, { ctx: { ingressIfindex: 1 } }),
  frameCase('ctx-ingress-lo-queue-0', frame, { ctx: { ingressIfindex: 1, rxQueueIndex: 0 } }),
  frameCase('ctx-queue-without-ingress', frame, { ctx: { rxQueueIndex: 1 } }),
  frameCase('ctx-queue-beyond-device', frame, { ctx: { ingressIfindex: 1, rxQueueIndex: 1 } }),
  frameCase('ctx-unknown-ifindex', frame, { ctx: { ingressIfindex: 999 } }),
  metaCase('ctx-meta-8', 8, frame),
  metaCase('ctx-meta-32', 32, frame),
  metaCase('ctx-meta-36', 36, frame),
  metaCase('ctx-meta-212', 212, frame),
  metaCase('ctx-meta-216', 216, frame),
  metaCase('ctx-meta-220', 220, frame),
  metaCase('ctx-meta-252', 252, frame),
  metaCase('ctx-meta-256', 256, frame),
  metaCase('ctx-meta-unaligned-6', 6, frame),
  // The 14-byte minimum is checked on metadata + frame together.
  metaCase('ctx-meta-8-frame-13', 8, frame.slice(0, 13)),
  metaCase('ctx-meta-8-frame-6', 8, frame.slice(0, 6)),
  // Beyond the linear 3520 bytes the test-run builds a multi-buffer frame (fragments).
  ...[3521, 8192, 16384, 65535, 65536, 73152, 73153].map((n) => frameCase(`frame-${n}`, ipv4UdpFrame({ payload: n - 42 }))),
  frameCase('frame-repeat-0', frame, { repeat: 0 }),
];

export const trivialScenarios: Scenario[] = [
  { name: 'xdp-pass', object: 'progs/build/xdp_pass.o', program: 'xdp_pass', packets: [...standardCases(), ...ctxEdgeCases] },
  { name: 'xdp-drop', object: 'progs/build/xdp_drop.o', program: 'xdp_drop', packets: standardCases() },
  { name: 'xdp-aborted', object: 'progs/build/xdp_aborted.o', program: 'xdp_aborted', packets: standardCases() },
  { name: 'xdp-tx', object: 'progs/build/xdp_tx.o', program: 'xdp_tx', packets: standardCases() },
];
