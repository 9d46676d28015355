export * from './services.js';
export * from './table.js';
export * from './fib.js';
export * from './xdp-context.js';
export { csumDiff, csumPartial } from './checksum.js';
export * from './kfunc.js';
export { SyncookieSecret, makeSyncookie, checkSyncookie, MSS_TABLE_IPV4, MSS_TABLE_IPV6, type CookieHeaders } from './syncookie.js';
export { syncookieCount } from './tcp-syncookie.js';
