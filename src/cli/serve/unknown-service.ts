/**
 * The message for a service name `serve` does not know: every known name (the opt-in
 * ones too) and, for a near miss, "did you mean", as commander says for subcommands.
 * @module
 */
import { allServices } from '../../services/registry.js';
import { closestMatch } from '../closest-match.js';

/** `unknown service "ecoh" (did you mean echo?) (known: echo, …, exec)`. */
export function unknownServiceMessage(name: string): string {
  const names = allServices.map((s) => s.name);
  const near = closestMatch(name, names);
  const hint = near === undefined ? '' : ` (did you mean ${near}?)`;
  return `unknown service ${JSON.stringify(name)}${hint} (known: ${names.join(', ')})`;
}
