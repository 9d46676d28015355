export * from './tuple.js';
export * from './status.js';
export * from './layout.js';
export * from './entry.js';
export * from './table.js';
export * from './nat.js';
export * from './format.js';
export * from './request.js';
