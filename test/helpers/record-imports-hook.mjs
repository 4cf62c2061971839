// The resolve hook of record-imports.mjs. It runs on the loader thread, so it writes
// synchronously to the file instead of messaging the main thread.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const file = process.env.SOCKETKIT_RECORD_IMPORTS;
  if (file) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
