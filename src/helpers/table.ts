import { helperTable, type HelperSpec, type HelperTable } from '../vm/helper.js';
import { conntrackKfuncs } from './conntrack.js';
import { KfuncTable } from './kfunc.js';
import { rxMetadataKfuncs } from './rx-metadata.js';
import { dynptrHelpers, dynptrKfuncs } from './dynptr.js';
import { checksumHelpers } from './checksum.js';
import { controlHelpers } from './control.js';
import { environmentHelpers } from './environment.js';
import { eventHelpers } from './events.js';
import { fibHelper } from './fib.js';
import { mapHelpers } from './maps.js';
import { redirectHelpers } from './redirect.js';
import type { HelperServices } from './services.js';
import { tcpSyncookieHelpers } from './tcp-syncookie.js';
import { traceHelpers } from './trace.js';
import { xdpPacketHelpers } from './xdp-packet.js';

/** Every helper an XDP program may call, bound to one runtime's services: the single id → implementation table. */
export function xdpHelpers(s: HelperServices): HelperSpec[] {
  return [
    ...mapHelpers(s),
    ...environmentHelpers(s),
    ...traceHelpers(s),
    ...controlHelpers(s),
    ...redirectHelpers(s),
    ...eventHelpers(s),
    ...checksumHelpers,
    ...xdpPacketHelpers,
    ...dynptrHelpers,
    fibHelper(s.network),
    ...tcpSyncookieHelpers(s),
  ];
}

export function xdpHelperTable(s: HelperServices): HelperTable {
  return helperTable(xdpHelpers(s));
}

/** Every kfunc an XDP program may call, bound to one runtime's services. */
export function xdpKfuncTable(s: HelperServices): KfuncTable {
  return new KfuncTable([...rxMetadataKfuncs(), ...dynptrKfuncs(), ...conntrackKfuncs(s)]);
}
