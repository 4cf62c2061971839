/**
 * `socketkit/resolve`: host and service name look-ups.
 * @module
 */
export {};
