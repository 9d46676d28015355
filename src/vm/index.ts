export * from './address-space.js';
export * from './engine.js';
export * from './helper.js';
export * from './run-state.js';
export * from './module-store.js';
