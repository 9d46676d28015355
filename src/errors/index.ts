export * from './errno.js';
export * from './errors.js';
export * from './system.js';
