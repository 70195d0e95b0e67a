/**
 * The scopes (one per host: its statements, the shared ones and its roles')
 * of a program, made once per program for the decision procedure:
 * readAssertions and hostViewsOf both read them, and for a fleet they are
 * one array per host. A program is not changed once loaded, so the first
 * answer stays right; the cache holds it only as long as the program lives.
 */
import { type Scope, scopes } from "../check/scopes.js";
import type { Program } from "../syntax/load.js";

const made = new WeakMap<Program, readonly Scope[]>();

export function scopesOf(program: Program): readonly Scope[] {
  let s = made.get(program);
  if (!s) made.set(program, (s = scopes(program)));
  return s;
}
