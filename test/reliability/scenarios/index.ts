/** Every reliability scenario, in the order they run. */
import type { Scenario } from '../lib/scenario.js';
import { ABUSE } from './abuse.js';
import { FAULTS } from './faults.js';
import { fuzzCodecs, fuzzServices } from './fuzz.js';
import { SOAK } from './soak.js';

export const SCENARIOS: Scenario[] = [fuzzCodecs, fuzzServices, ...ABUSE, ...FAULTS, ...SOAK];
