export * from './collection-spec.js';
export * from './map-spec.js';
export * from './program-spec.js';
export * from './edit.js';
