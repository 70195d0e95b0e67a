/**
 * Names policyc keeps for itself in an output tree. They live with the
 * targets, which refuse outputs that would collide with them (PC3031); the
 * writer in output/, a later phase, imports them from here.
 */

/** The folder of the manifest, the journal and the lock, at the output root. */
export const STATE_DIR = ".policyc";

/** Every temporary policyc creates is named this, and nothing else: the next build may remove what matches. */
export const TEMP_PREFIX = ".policyc-tmp-";
export const TEMP_NAME = /^\.policyc-tmp-[0-9a-f]{32}$/;
