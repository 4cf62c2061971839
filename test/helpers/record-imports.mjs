// `node --import ./test/helpers/record-imports.mjs …`: appends the URL of every module the
// program resolves (ESM resolution, which also resolves the entry of each CommonJS
// package an ES module imports) to the file named by SOCKETKIT_RECORD_IMPORTS.
import { register } from 'node:module';

register('./record-imports-hook.mjs', import.meta.url);
