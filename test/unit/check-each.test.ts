/**
 * README "Architecture": hosts stream through the check. checkEach hands
 * on a host before the next is lowered, and `check` (compile with
 * keepFiles: false) keeps no host's model past its emit unless an `expect`
 * asks about it; check() still gives every host's model.
 */
import { describe, expect, it } from "vitest";
import { check, checkEach } from "../../src/check/check.js";
import { compile } from "../../src/compile.js";
import { DiagnosticBag } from "../../src/diagnostics/diagnostic.js";
import { load } from "../../src/syntax/load.js";
import { TEMPLATES } from "../helpers.js";

const FLEET = [
  "platform debian;",
  'role web { service httpd { acl user allow "/etc/security/web.users" { entries $admins; } } }',
  "host h0 { role web; users admins = root, $nosuch0; }",
  "host h1 { role web; users admins = root, $nosuch1; }",
  "host h2 { role web; users admins = root, $nosuch2; }",
  "",
].join("\n");

function loaded(text: string) {
  const bag = new DiagnosticBag();
  const program = load("fleet.policy", new TextEncoder().encode(text), bag)!;
  expect(bag.items).toEqual([]);
  return { program, bag };
}

describe("checkEach: one host at a time", () => {
  it("hands on each host before it lowers the next", () => {
    const { program, bag } = loaded(FLEET);
    const seen: string[][] = [];
    for (const host of checkEach(program, bag)) {
      seen.push([host.name!, ...bag.items.map((d) => d.message.match(/"(nosuch\d)"/)?.[1] ?? d.code)]);
    }
    expect(seen).toEqual([
      ["h0", "nosuch0"],
      ["h1", "nosuch0", "nosuch1"],
      ["h2", "nosuch0", "nosuch1", "nosuch2"],
    ]);
  });

  it("check() collects every host's model, as checkEach gives them", () => {
    const a = loaded(FLEET);
    const b = loaded(FLEET);
    const all = check(a.program, a.bag);
    expect(all.hosts.map((h) => h.name)).toEqual(["h0", "h1", "h2"]);
    expect([...checkEach(b.program, b.bag)].map((h) => h.name)).toEqual(["h0", "h1", "h2"]);
    expect(b.bag.items.map((d) => d.message)).toEqual(a.bag.items.map((d) => d.message));
  });

  it("compile without files keeps no host's model, but those an expect asks about", () => {
    const text = FLEET.replace(/, \$nosuch\d/g, "");
    const bytes = (t: string) => new TextEncoder().encode(t);
    const dropped = compile("fleet.policy", bytes(text), { templates: TEMPLATES, keepFiles: false });
    expect(dropped.fileCount).toBe(6);
    expect(dropped.hosts).toEqual(["h0", "h1", "h2"]);
    expect(dropped.build!.hosts).toEqual([]);
    const asked = compile("fleet.policy", bytes(text.replace("host h1 {", "host h1 { expect allow httpd user root;")), {
      templates: TEMPLATES,
      keepFiles: false,
    });
    expect(asked.assertions!.map((a) => `${a.host} ${a.passed}`)).toEqual(["h1 true"]);
    expect(asked.build!.hosts.map((h) => h.name)).toEqual(["h1"]);
    const kept = compile("fleet.policy", bytes(text), { templates: TEMPLATES });
    expect(kept.build!.hosts.map((h) => h.name)).toEqual(["h0", "h1", "h2"]);
    expect(kept.files!.length).toBe(6);
  });
});
