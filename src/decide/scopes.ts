/**
 * The scopes (one per host: its statements, the shared ones and its roles')
 * of a program for the decision procedure: check/scopes.ts makes them once
 * per program, so readAssertions, hostViewsOf and the check share them.
 */
import { type Scope, scopes } from "../check/scopes.js";
import type { Program } from "../syntax/load.js";

export function scopesOf(program: Program): readonly Scope[] {
  return scopes(program);
}
