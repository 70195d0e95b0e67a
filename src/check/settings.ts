import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Messages } from "../diagnostics/messages.js";
import type { SourceFile } from "../diagnostics/source.js";
import type { Setting, Value, Word } from "../syntax/ast.js";
import { eachRef, valueCount } from "../syntax/build.js";
import { closest, orList } from "./suggest.js";

/** How many values a setting takes. */
export type Arity = "none" | "one" | "many" | "any";

/** The settings a block accepts: `name` or `name sub` keys. */
export type Schema = Record<string, { arity: Arity; repeat?: boolean; lists?: boolean; expected: string }>;

/** A setting as read against its schema. */
export interface ReadSetting {
  readonly key: string;
  readonly setting: Setting;
  /** Its values (for a long list, read them with eachValueSpan(read.source, ...)). */
  readonly values: Value[];
  /** What to pass to eachValueSpan(): the setting itself, or no values when its only word was the sub-keyword. */
  readonly source: { values: Value[] };
}

/**
 * A ReadSetting whose `values` is read from its source only when asked (a
 * long list's values are made on the first read). One class, so that every
 * read setting shares one hidden class and one getter: an object literal with
 * a getter of its own makes a hidden class, a descriptor array and an accessor
 * pair per object, all in V8's old space, where they stayed as garbage until
 * the next full collection (README "Performance": 13 MB of a fleet's peak).
 */
class Read implements ReadSetting {
  constructor(
    readonly key: string,
    readonly setting: Setting,
    readonly source: { values: Value[] },
  ) {}

  get values(): Value[] {
    return this.source.values;
  }
}

/** A schema's setting names (`name` of each key, in order) and those taking a sub-keyword (`name sub` keys). */
const schemaNames = new WeakMap<Schema, { names: ReadonlySet<string>; withSub: ReadonlySet<string> }>();

/** The names of a schema, made once: every block of every host of a fleet is read against one of a few schemas. */
function namesOf(schema: Schema): { names: ReadonlySet<string>; withSub: ReadonlySet<string> } {
  let found = schemaNames.get(schema);
  if (!found) {
    const keys = Object.keys(schema);
    found = {
      names: new Set(keys.map((k) => k.split(" ")[0]!)),
      withSub: new Set(keys.filter((k) => k.includes(" ")).map((k) => k.split(" ")[0]!)),
    };
    schemaNames.set(schema, found);
  }
  return found;
}

/**
 * Reads the settings of one block against a schema: unknown names (with a
 * suggestion), settings given twice, and the wrong number of values are
 * reported; the valid ones are returned by key.
 */
export function readSettings(
  file: SourceFile,
  settings: Setting[],
  schema: Schema,
  block: string,
  diagnostics: DiagnosticBag,
): Map<string, ReadSetting[]> {
  const out = new Map<string, ReadSetting[]>();
  const { names, withSub } = namesOf(schema);
  for (const setting of settings) {
    const name = setting.name.value;
    let sub: Word | null = setting.sub;
    let source: { values: Value[] } = setting;
    let count = valueCount(setting);
    const takesSub = withSub.has(name);
    if (!names.has(name)) {
      const known = [...names];
      const guess = closest(name, known, { transpositions: true });
      diagnostics.report(
        Messages.UnknownSetting,
        { file, ...setting.name.loc },
        {
          name,
          block,
          expected: guess ? `${orList(known)} (did you mean "${guess}"?)` : orList(known),
        },
      );
      continue;
    }
    if (takesSub && !sub) {
      const first = count === 1 ? setting.values[0] : undefined;
      if (first?.kind === "Word") {
        sub = first;
        source = { values: [] };
        count = 0;
      } else {
        const subs = Object.keys(schema).filter((k) => k.startsWith(name + " "));
        diagnostics.report(
          Messages.SettingShape,
          { file, ...setting.loc },
          {
            name,
            expected: `one of: ${orList(subs.map((s) => `"${s} ..."`))}`,
          },
        );
        continue;
      }
    }
    const key = sub && takesSub ? `${name} ${sub.value}` : name;
    const rule = schema[key];
    if (!rule || (!takesSub && sub)) {
      if (takesSub) {
        const subs = Object.keys(schema)
          .filter((k) => k.startsWith(name + " "))
          .map((k) => k.slice(name.length + 1));
        const guess = closest(sub!.value, subs, { transpositions: true });
        diagnostics.report(
          Messages.UnknownSetting,
          { file, ...sub!.loc },
          {
            name: key,
            block,
            expected: orList(subs.map((s) => `${name} ${s}`)) + (guess ? ` (did you mean "${name} ${guess}"?)` : ""),
          },
        );
      } else {
        diagnostics.report(Messages.SettingShape, { file, ...setting.loc }, { name, expected: schema[name]!.expected });
      }
      continue;
    }
    const n = count;
    const ok = rule.arity === "none" ? n === 0 : rule.arity === "one" ? n === 1 : rule.arity === "many" ? n >= 1 : true;
    if (!ok) {
      diagnostics.report(Messages.SettingShape, { file, ...setting.loc }, { name: key, expected: rule.expected });
      continue;
    }
    if (!rule.lists) {
      // Only settings that take lists (`lists: true`) may name one: elsewhere
      // a `$name` would otherwise be read as the literal text "$name".
      let refs = 0;
      eachRef(source, (name, start, end) => {
        if (refs++ === 0) diagnostics.report(Messages.RefNotAllowed, { file, start, end }, { ref: "$" + name, name: key });
      });
      if (refs > 0) continue;
    }
    const list = out.get(key);
    if (list && !rule.repeat) {
      diagnostics.report(Messages.DuplicateSetting, { file, ...setting.loc }, { name: key, block }, [
        { message: "First set here.", span: { file, ...list[0]!.setting.loc } },
      ]);
      continue;
    }
    const read: ReadSetting = new Read(key, setting, source);
    if (list) list.push(read);
    else out.set(key, [read]);
  }
  return out;
}
