/**
 * src/api.ts restates the types a caller of the programmatic API sees (so
 * dist/api.d.ts stands alone, README "Programmatic API") instead of importing
 * them from the compiler, and src/verify/pam-real.ts restates a PAM request's
 * fields (verify may not import decide). These assertions pin each restatement to the
 * internal type it describes: `tsc -p tsconfig.json` (part of `npm run build`
 * and `npm run typecheck`; tsconfig includes test/) fails when one side gains,
 * loses or changes a field, optional or not, and the other does not follow.
 */
import { describe, expectTypeOf, it } from "vitest";
import type { Diagnostic, Location, Manifest, MailQuestion, PamQuestion } from "../../src/api.js";
import type { DiagnosticJson, Position } from "../../src/cli/report.js";
import type { MailRequest, PamRequest } from "../../src/decide/request.js";
import type { Manifest as InternalManifest } from "../../src/output/manifest.js";
import type { PamProbe } from "../../src/verify/pam-real.js";

describe("the API's own types stay the internal ones they restate (checked by tsc)", () => {
  it("Manifest is src/output/manifest.ts's Manifest", () => {
    expectTypeOf<Manifest>().toEqualTypeOf<InternalManifest>();
  });

  it('PamQuestion is a PamRequest (without the what-if `files`) with kind: "pam"', () => {
    expectTypeOf<Omit<PamQuestion, "kind">>().toEqualTypeOf<Omit<PamRequest, "files">>();
    expectTypeOf<PamQuestion["kind"]>().toEqualTypeOf<"pam">();
  });

  it('MailQuestion is a MailRequest with kind: "mail"', () => {
    expectTypeOf<Omit<MailQuestion, "kind">>().toEqualTypeOf<MailRequest>();
    expectTypeOf<MailQuestion["kind"]>().toEqualTypeOf<"mail">();
  });

  it("Diagnostic and Location are what diagnosticJson returns (the --format json form)", () => {
    expectTypeOf<Diagnostic>().toEqualTypeOf<DiagnosticJson>();
    expectTypeOf<Location>().toEqualTypeOf<Position>();
  });

  it("verify's PamProbe (test --real) carries a PamRequest's account and items under the same names (verify may not import decide)", () => {
    expectTypeOf<Omit<PamProbe, "pamService">>().toEqualTypeOf<Pick<PamRequest, "user" | "rhost" | "tty" | "ruser" | "groups" | "shell">>();
  });
});
