import { join } from 'node:path';
import { loadRegions } from '../../src/config/regions.js';
import type { PersonFacts } from '../../src/policy/decide.js';

/** The shipped region table: the tests check the rules as they really ship. */
export const shipped = loadRegions(join(import.meta.dirname, '..', '..', 'config'));

export function region(code: string) {
  const found = shipped.get(code);
  if (!found) throw new Error(`region ${code} missing from config/regions.json`);
  return found;
}

export const standardAdult: PersonFacts = { level: 'standard', birthDate: '1985-06-15', isChild: undefined };
export const confirmedAdult: PersonFacts = { level: 'confirmed', birthDate: '1979-01-02', isChild: undefined };
export const simplifiedAdult: PersonFacts = { level: 'simplified', birthDate: '1985-06-15', isChild: undefined };
/** 10 years old on 2024-09-01. */
export const simplifiedChild: PersonFacts = { level: 'simplified', birthDate: '2014-03-14', isChild: undefined };
