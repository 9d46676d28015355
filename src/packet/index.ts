export * from './bytes.js';
export * from './checksum.js';
export * from './layers.js';
export * from './build.js';
export * from './parse.js';
export * from './kinds.js';
export * from './mask.js';
