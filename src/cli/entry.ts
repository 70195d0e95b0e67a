import { main } from "./main.js";

/** The executable's entry: any exception that escapes is a bug, reported as one, without a stack trace unless asked. */
try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(
    `policyc: internal error: ${(e as Error).message}\nThis is a bug in policyc; please report it with the policy that caused it.\n` +
      (process.env.POLICYC_DEBUG ? `${(e as Error).stack}\n` : ""),
  );
  process.exitCode = 70;
}
