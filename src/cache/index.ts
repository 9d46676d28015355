export * from './disk-cache.js';
export * from './location.js';
export * from './module-cache.js';
