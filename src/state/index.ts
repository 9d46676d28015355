export * from './session.js';
export * from './snapshot.js';
export * from './lock.js';
export * from './dispatcher-state.js';
export * from './mprog-state.js';
export * from './capture-state.js';
export * from './conntrack-state.js';
export * from './syncookie-state.js';
