export * from './services.js';
export * from './table.js';
export * from './names.js';
export * from './fib.js';
export * from './xdp-context.js';
export { csumDiff, csumPartial } from './checksum.js';
export * from './kfunc.js';
