export * from './errno.js';
export * from './errors.js';
