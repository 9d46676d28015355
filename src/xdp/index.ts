export * from './constants.js';
export * from './buffer.js';
export * from './test-run.js';
export * from './netdev.js';
export * from './fabric.js';
export * from './inject-result.js';
export * from './routing.js';
export * from './dispatcher/program.js';
