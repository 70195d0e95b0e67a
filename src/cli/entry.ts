import { stderrDirect } from "./io.js";
import { main } from "./main.js";

stderrDirect();

/** The executable's entry: an exception that escapes is a bug, reported as one, without a stack trace unless POLICYC_DEBUG is set. */
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(
      `policyc: internal error: ${(e as Error).message}\nThis is a bug in policyc; please report it with the policy that caused it.\n` +
        (process.env.POLICYC_DEBUG ? `${(e as Error).stack}\n` : ""),
    );
    process.exitCode = 70;
  },
);
