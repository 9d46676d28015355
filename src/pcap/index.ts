export * from './types.js';
export * from './read.js';
export * from './write.js';
export * from './file.js';
export * from './link-types.js';
export * from './ethernet.js';
export * from './frame-batch.js';
export * from './frame-stream.js';
