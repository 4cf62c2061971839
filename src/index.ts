/**
 * socketkit: network programming for Node.js in TypeScript.
 * @module
 */
export * from './errors.js';
export * from './framing/index.js';
export * from './resolve/index.js';
export * from './server/index.js';
export * from './socket/index.js';
