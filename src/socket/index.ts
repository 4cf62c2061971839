/**
 * `socketkit/socket`: BSD sockets, the promise way.
 * @module
 */
export {};
