import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { Model } from "../check/model.js";
import { headerText } from "./header.js";
import { targets } from "./registry.js";
import type { OutputFile } from "./Target.js";
import { TemplateStore } from "./templates.js";

/** The files a model produces, sorted by path; identical claims on one path are merged. */
export interface Emitted {
  files: OutputFile[];
  templates: string[];
}

/** Runs every target for the model's platform and merges their files. */
export function emit(model: Model, templateRoot: string, diagnostics: DiagnosticBag): Emitted {
  const templates = new TemplateStore(templateRoot, model.platform, diagnostics);
  const ctx = { model, templates, header: headerText(model.source.path), diagnostics };
  const byPath = new Map<string, OutputFile>();
  for (const target of targets) {
    if (!target.platforms.includes(model.platform)) continue;
    for (const file of target.emit(ctx)) {
      const prior = byPath.get(file.path);
      if (!prior) {
        byPath.set(file.path, file);
      } else if (prior.content === file.content && prior.mode === file.mode) {
        prior.origins.push(...file.origins);
      } else {
        diagnostics.report(
          Messages.FileConflict,
          file.origins[0],
          { path: "/" + file.path, first: prior.producer, second: file.producer },
          prior.origins[0] ? [{ message: `${capitalize(prior.producer)} is here.`, span: prior.origins[0] }] : undefined,
        );
      }
    }
  }
  const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, templates: [...templates.used].sort() };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
