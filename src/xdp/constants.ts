/** XDP frame geometry and limits, as in the kernel's BPF_PROG_TEST_RUN (DESIGN §4). */
export const XDP_FRAME_SIZE = 4096;
export const XDP_PACKET_HEADROOM = 256;
/** sizeof(struct xdp_frame): the start of the headroom that adjust_head/adjust_meta may not reach. */
export const XDP_FRAME_DESCRIPTOR = 40;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) reserved at the end of the frame. */
export const XDP_TAILROOM = 320;
/** Largest linear packet a test-run accepts without fragments: 4096 - 256 - 320. */
export const XDP_MAX_LINEAR = XDP_FRAME_SIZE - XDP_PACKET_HEADROOM - XDP_TAILROOM;
export const ETH_HLEN = 14;
/** Metadata length is a multiple of 4 that fits skb_shared_info's u8 meta_len (xdp_metalen_invalid). */
export const XDP_METADATA_MAX = 255;
/** Largest metadata a test-run accepts in ctx_in: the usable headroom (observed: 216 ok, 220 EINVAL). */
export const XDP_TEST_RUN_METADATA_MAX = XDP_PACKET_HEADROOM - XDP_FRAME_DESCRIPTOR;
/** Fragments hold at most a page each, and a frame has at most MAX_SKB_FRAGS of them. */
export const XDP_FRAG_SIZE = 4096;
export const MAX_SKB_FRAGS = 17;
/** sizeof(struct xdp_md): six u32 fields. */
export const XDP_MD_SIZE = 24;

export const XdpMdField = {
  data: 0,
  data_end: 4,
  data_meta: 8,
  ingress_ifindex: 12,
  rx_queue_index: 16,
  egress_ifindex: 20,
} as const;

/**
 * xdp_md's 24 bytes are followed by a private tail out of every program's reach (the region ends
 * at 24): the frame and the redirect target, for compiled helpers (src/xdp/buffer.ts keeps them).
 */
export const XdpCtxHidden = {
  /** u32: the frame's first byte (xdp_buff's data_hard_start). */
  hardStart: XDP_MD_SIZE,
  /** u32: how many fragments follow the linear part. */
  frags: XDP_MD_SIZE + 4,
  /** u32: RedirectKind of the target a redirect helper set. */
  redirectKind: XDP_MD_SIZE + 8,
  /** u32: the target's ifindex (RedirectKind.ifindex) or map id (RedirectKind.map). */
  redirectTarget: XDP_MD_SIZE + 12,
  /** u32: the map key. */
  redirectKey: XDP_MD_SIZE + 16,
  /** u32: the flags kept with the target. */
  redirectFlags: XDP_MD_SIZE + 20,
  /**
   * u32: data_end as the last receive left it (NEVER_LOADED before any; 0 once adjust_tail ran):
   * while data_end is still there, no byte past it can have been written, so the next receive
   * clears only up to it.
   */
  loadedEnd: XDP_MD_SIZE + 24,
} as const;
export const XDP_CTX_PRIVATE_BYTES = 28;
/** XdpCtxHidden.loadedEnd of a buffer whose frame's bytes are unknown. */
export const NEVER_LOADED = 0xffffffff;

/** What XdpCtxHidden.redirectKind holds. */
export const RedirectKind = { none: 0, ifindex: 1, map: 2 } as const;

export const XdpAction = {
  ABORTED: 0,
  DROP: 1,
  PASS: 2,
  TX: 3,
  REDIRECT: 4,
} as const;
export type XdpActionName = keyof typeof XdpAction;

const ACTION_NAMES = Object.keys(XdpAction) as XdpActionName[];

/** `XDP_PASS` for 2; unknown codes as `unknown(7)` (the kernel treats them as ABORTED on a netdev). */
export function xdpActionName(code: number): string {
  const n = ACTION_NAMES[code];
  return n === undefined ? `unknown(${code})` : `XDP_${n}`;
}

/** Parse `XDP_PASS`, `pass`, `PASS` or a number. */
export function parseXdpAction(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const key = text.toUpperCase().replace(/^XDP_/, '') as XdpActionName;
  return key in XdpAction ? XdpAction[key] : undefined;
}

/** Loopback's ifindex: the test-run's default ingress device. */
export const LOOPBACK_IFINDEX = 1;

/** The above, as the engines' inline frame helpers take it. */
export const XDP_CONTEXT_LAYOUT = {
  data: XdpMdField.data,
  dataEnd: XdpMdField.data_end,
  dataMeta: XdpMdField.data_meta,
  hardStart: XdpCtxHidden.hardStart,
  frags: XdpCtxHidden.frags,
  loadedEnd: XdpCtxHidden.loadedEnd,
  redirect: {
    kind: XdpCtxHidden.redirectKind,
    target: XdpCtxHidden.redirectTarget,
    key: XdpCtxHidden.redirectKey,
    flags: XdpCtxHidden.redirectFlags,
    ifindexKind: RedirectKind.ifindex,
    mapKind: RedirectKind.map,
    redirectAction: XdpAction.REDIRECT,
    abortedAction: XdpAction.ABORTED,
  },
  frameDescriptor: XDP_FRAME_DESCRIPTOR,
  frameSize: XDP_FRAME_SIZE,
  tailroom: XDP_TAILROOM,
  ethHlen: ETH_HLEN,
  metadataMax: XDP_METADATA_MAX,
} as const;
