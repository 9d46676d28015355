export * from './types.js';
export * from './parse.js';
export * from './query.js';
export * from './ext.js';
export * from './format.js';
export * from './file.js';
export * from './bundled.js';
export * from './core/index.js';
