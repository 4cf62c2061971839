// Placeholder: the promise-based Socket is being written (see the foundation issue).
export declare class Socket {}
