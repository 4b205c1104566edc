export * from './types.js';
export * from './clock.js';
export * from './events.js';
export * from './errors.js';
