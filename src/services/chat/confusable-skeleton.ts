/**
 * The UTS #39 confusable *skeleton* of a string: two strings that look alike have the
 * same skeleton (`ѕerver` with a Cyrillic dze, `Ｓｅｒｖｅｒ`, `ſerver` and `server` all
 * reduce to one). Nicknames are unique, and reserved, by their skeleton.
 *
 * The mapping is Unicode's confusables.txt (the "recommended confusable mapping for
 * IDN"), as shipped by the `unhomoglyph` package (MIT, nodeca); only its data file is
 * used, through a `Map` lookup per code point (the package's own 6 000-way regular
 * expression is slower and not needed):
 *
 * ```
 *   skeleton(X) = NFD( map each code point of NFD(X) through confusables.txt )
 * ```
 *
 * (UTS #39 §4.) A skeleton is for comparing, never for showing: `m` becomes `rn`.
 * @module
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const table = new Map<string, string>(
  Object.entries(require('unhomoglyph/data.json') as Record<string, string>),
);

/** UTS #39 skeleton of `text` (see the module comment). */
export function confusableSkeleton(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFD')) out += table.get(ch) ?? ch;
  return out.normalize('NFD');
}
