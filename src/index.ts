export * from './errors/index.js';
export * from './isa/index.js';
export * from './vm/index.js';
export * from './cache/index.js';
export * from './btf/index.js';
export * from './object-spec/index.js';
export * from './packet/index.js';
export * from './maps/index.js';
export * from './conntrack/index.js';
export * from './elf/index.js';
export * from './helpers/index.js';
export * from './runtime/index.js';
export * from './xdp/index.js';
export * from './pcap/index.js';

