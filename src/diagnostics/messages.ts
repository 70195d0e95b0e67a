import type { Severity } from "./diagnostic.js";

/**
 * The placeholders of a message template, as a union of their names:
 * `"Cannot read {path}: {reason}."` gives `"path" | "reason"`. Braces around
 * anything but a word (`\u{1 to 6 hex digits}`) are text, as in format().
 */
export type Placeholders<T extends string> = T extends `${string}{${infer K}}${infer Rest}`
  ? K extends `${string}${" " | "{" | "\\"}${string}` | ""
    ? Placeholders<Rest>
    : K | Placeholders<Rest>
  : never;

/**
 * The arguments a message needs: exactly its placeholders, so that a
 * missing or misspelt argument fails to compile. A template only known as
 * `string` (a definition passed around generically) takes any record.
 */
export type MessageArgs<T extends string> = string extends T
  ? Record<string, string | number>
  : [Placeholders<T>] extends [never]
    ? Record<string, never>
    : Record<Placeholders<T>, string | number>;

/** One entry of the message catalogue: a stable code, a severity and a sentence template. */
export interface MessageDef<T extends string = string> {
  code: string;
  severity: Severity;
  text: T;
}

function def<const T extends string>(code: string, severity: Severity, text: T): MessageDef<T> {
  return { code, severity, text };
}

/**
 * Every message policyc prints about a policy. Codes are stable: scripts and
 * CI annotations may match on them. Ranges: PC1xxx input and syntax, PC2xxx
 * names, PC3xxx values and structure, PC4xxx safety, PC5xxx templates and
 * output, PC6xxx assertions and questions about a policy, PC7xxx import,
 * PC9xxx about policyc itself. The README lists them all.
 */
export const Messages = {
  // PC1xxx: reading and parsing
  UnexpectedToken: def("PC1001", "error", "Unexpected {found}; expected {expected}."),
  UnexpectedEnd: def("PC1002", "error", "The policy ends inside a statement; expected {expected}."),
  InvalidCharacter: def("PC1003", "error", "Invalid character {char} in the policy."),
  UnterminatedString: def("PC1004", "error", "This string is not closed with a quote before the end of the line."),
  InvalidEscape: def(
    "PC1005",
    "error",
    'Invalid escape sequence {escape} in a string; valid escapes are \\\\, \\", \\n, \\t, \\xHH and \\u{1 to 6 hex digits}.',
  ),
  EmptyPolicy: def("PC1006", "error", "The policy has no statements."),
  InvalidUtf8: def("PC1007", "error", "The policy is not valid UTF-8 (first invalid byte at offset {offset})."),
  ByteOrderMark: def("PC1008", "error", "The policy starts with a byte order mark; save it as UTF-8 without a BOM."),
  CarriageReturn: def("PC1009", "error", "Carriage return (CR) in the policy; save it with LF line ends."),
  UnreadableFile: def("PC1010", "error", "Cannot read {path}: {reason}."),
  IncludeUnreadable: def("PC1011", "error", 'Cannot include "{path}": {reason}.'),
  IncludeOutside: def(
    "PC1012",
    "error",
    'Cannot include "{path}": includes must stay inside {root}, the folder of the policy given on the command line.',
  ),
  IncludeCycle: def("PC1013", "error", '"{path}" is already being included: {chain}.'),
  IncludeInHost: def("PC1014", "error", "include is only allowed at the top level of a policy, not inside a host block."),
  NotRegularFile: def(
    "PC1015",
    "error",
    "Cannot read {path}: it is {what}, not a regular file; a policy and the files it includes must be regular files.",
  ),
  FileTooLarge: def("PC1016", "error", "Cannot read {path}: it is larger than {limit}, the most policyc reads from one policy file."),
  PolicyTooLarge: def(
    "PC1017",
    "error",
    'Cannot include "{path}": the policy with its includes would be larger than {limit} in all (a file included again counts again).',
  ),
  TooManyIncludes: def(
    "PC1018",
    "error",
    'Cannot include "{path}": the policy already includes files {limit} times, the most policyc follows.',
  ),

  // PC1020-PC1039: syntax mistakes answered with what to write (README "Common mistakes")
  UnknownKeyword: def("PC1020", "error", 'Unknown {what}; did you mean "{guess}"?'),
  SingleQuotes: def("PC1021", "error", "Single quotes do not make a string in a policy; write {suggestion} in double quotes."),
  ForeignComment: def(
    "PC1022",
    "error",
    '"{opener}" does not start a comment in a policy; comments start with "#" and run to the end of the line.',
  ),
  AclShape: def(
    "PC1023",
    "error",
    'An access list is written acl ITEM SENSE FILE { ... }, as in acl user allow "/etc/ssh.acl" { entries alice; }; {problem}.',
  ),
  MissingSemicolon: def("PC1024", "error", 'Missing ";" after {after}: every statement, setting and stack line ends with ";".'),
  SemicolonAfterBlock: def("PC1025", "error", 'A block ends at its "}"; remove this ";".'),
  SettingWithEquals: def("PC1026", "error", 'A setting takes no "=": write {name} VALUE; instead.'),
  ListWithoutEquals: def("PC1027", "error", 'A list is defined with "=" after its name: write {kind} {name} = VALUE, ...; instead.'),
  UnquotedInclude: def("PC1028", "error", 'include takes its path in double quotes: write include "{path}"; instead.'),
  TrailingComma: def("PC1029", "error", 'A list does not end with ","; remove it or add the value that is missing.'),

  // PC2xxx: names
  // PC1040-PC1049: inventories (README "Hosts from an inventory")
  InventoryUnreadable: def("PC1040", "error", "Cannot read inventory {path}: {reason}."),
  InventoryMalformed: def("PC1041", "error", "This is not an Ansible inventory policyc reads: {reason}."),
  InventoryGroupWithoutRole: def(
    "PC1042",
    "warning",
    'Inventory group "{group}" has no role of its name: its hosts ({count}) take nothing from it.',
  ),
  // PC2200-PC2249: roles (README "Roles")
  IncludeInRole: def("PC2200", "error", 'include is only allowed at the top level of a policy, not inside role "{role}".'),
  RoleInRole: def(
    "PC2201",
    "error",
    'Role "{role}" takes roles; only a host block may say `role NAME, ...;`: list the roles in the hosts.',
  ),
  RoleNameNotWord: def("PC2202", "error", "A role is named by a bare word, not {value}."),
  UnknownRole: def("PC2203", "error", 'No role is named "{name}"{hint}.'),
  DuplicateRole: def("PC2204", "error", 'Role "{name}" is defined more than once.'),
  UnusedRole: def("PC2205", "warning", 'No host takes role "{name}": its statements are not built.'),
  RoleTakenTwice: def("PC2206", "error", 'Host "{host}" takes role "{name}" twice.'),
  DuplicateList: def("PC2001", "error", 'List "{name}" is defined more than once.'),
  DuplicateService: def("PC2002", "error", 'Service "{name}" is defined more than once.'),
  DuplicatePamService: def(
    "PC2003",
    "error",
    'Services "{first}" and "{second}" both use PAM service "{pam}" and would both write /etc/pam.d/{pam}.',
  ),
  DuplicateSetting: def("PC2004", "error", '"{name}" is set more than once in {block}.'),
  ListKindMismatch: def("PC2005", "error", 'List "{name}" is a {kind} list, but {context} takes {expected}.'),
  LikelyTypo: def("PC2006", "warning", '"{value}" is a literal {what}; did you mean the list ${name}?'),
  DuplicatePlatform: def("PC2007", "error", "The platform is set more than once."),
  DuplicateMail: def("PC2008", "error", "There is more than one mail block."),
  ListCycle: def("PC2009", "error", 'List "{name}" includes itself: {path}.'),
  DuplicateHost: def("PC2010", "error", 'Host "{name}" is defined more than once.'),
  UnknownListRef: def(
    "PC2011",
    "error",
    'There is no {kind} list "{name}"{suggestion}; if it is defined in another file, an include may be missing.',
  ),
  AmbiguousLiteral: def(
    "PC2012",
    "error",
    '"{value}" is also the name of a {kind} list; write ${value} for the list, or "{value}" in quotes for the literal.',
  ),
  MisplacedDollar: def(
    "PC2013",
    "error",
    '"{text}": "$" may only start a list reference such as $staff; write a literal that holds "$" in quotes.',
  ),
  RefNotAllowed: def("PC2014", "error", "{ref} is a list reference, but {name} takes literal values, not lists."),

  // PC3xxx: values and structure
  UnknownPlatform: def("PC3001", "error", 'Unknown platform "{name}"; expected one of: {expected}.'),
  UnknownRelease: def("PC3060", "error", 'Unknown release "{release}" of platform {name}; known: {expected}.'),
  MissingPlatform: def("PC3002", "error", 'The policy does not name its platform; add "platform debian;" or "platform redhat;".'),
  UnknownSetting: def("PC3003", "error", 'Unknown setting "{name}" in {block}; expected one of: {expected}.'),
  SettingShape: def("PC3004", "error", '"{name}" takes {expected}.'),
  UnknownItem: def("PC3005", "error", 'Unknown access list item "{value}"; expected one of: {expected}.'),
  UnknownSense: def("PC3006", "error", 'Unknown sense "{value}"; expected "allow" or "deny".'),
  UnknownOnerr: def("PC3007", "error", 'onerr takes "succeed" or "fail", not "{value}".'),
  ApplyIgnored: def("PC3008", "error", "pam_listfile ignores apply with item={item}: apply only restricts tty and rhost lists."),
  MissingSetting: def("PC3009", "error", '{block} needs "{name}".'),
  InvalidValue: def("PC3010", "error", '"{value}" is not a valid {what}: {reason}.'),
  FileConflict: def("PC3011", "error", "{path} is written by {first} and by {second} with different content."),
  UnknownMechanism: def("PC3012", "error", 'Unknown SASL mechanism "{value}"; expected one of: {expected}.'),
  TrustNotOffered: def("PC3013", "error", 'Mechanism "{value}" is trusted for relaying but not offered; add it to "auth mechanisms".'),
  UnknownPamType: def("PC3014", "error", 'Unknown PAM type "{value}"; expected auth, account, password or session.'),
  InvalidPamControl: def("PC3015", "error", 'Invalid PAM control "{value}": {reason}.'),
  StackMarker: def("PC3016", "error", 'A two-word stack line must be "account acls;", which places the access lists.'),
  DuplicateListen: def("PC3017", "error", 'Two listen sockets are named "{name}"; sendmail needs a unique name for each.'),
  MissingListen: def("PC3018", "error", 'The mail block has no "listen": sendmail would not accept mail.'),
  UnknownAuthOption: def("PC3019", "error", 'Unknown auth option "{value}"; expected one of: {expected}.'),
  RelayAuthWithoutMechanisms: def("PC3020", "error", '"relay authenticated" needs "auth mechanisms" to offer SMTP AUTH.'),
  AccountsWithoutAuth: def("PC3021", "error", 'SASL accounts are listed but no "auth mechanisms" are offered.'),
  EmptyEntry: def("PC3022", "error", "Empty entry: pam_listfile skips empty lines, so it can never match."),
  EntryWhitespace: def(
    "PC3023",
    "error",
    'Entry "{value}" has leading or trailing white space; pam_listfile compares exactly, so it would never match.',
  ),
  EntryControl: def("PC3024", "error", "Entry has a control character ({char}); it would corrupt the list file."),
  BadListFilePath: def("PC3027", "error", 'List file "{value}" {reason}.'),
  EntryTooLong: def(
    "PC3028",
    "error",
    "Entry is {bytes} bytes long; Linux-PAM before 1.6 cuts list lines at 255 bytes and would read the rest as another entry.",
  ),
  OneValueExpected: def("PC3050", "error", "{what} takes one {noun}, not a list of {count}; {hint}."),
  M4Reserved: def(
    "PC3029",
    "error",
    '{what} "{value}" would reach m4 text with the word "{token}", which m4 or sendmail-cf defines as a macro and would expand.',
  ),
  PamArgBackslash: def(
    "PC3032",
    "error",
    'PAM module argument "{value}" ends in a backslash: pam.d reads that as a line continuation and joins the next line to this one.',
  ),
  PamLineTooLong: def(
    "PC3033",
    "error",
    "Line {line} of /etc/pam.d/{pam} would be {bytes} bytes long ({what}); Linux-PAM reads a pam.d line in pieces of at most 1023 bytes and parses the rest as a new line, so a generated line must stay under 1023 bytes.",
  ),
  PamLineContinues: def(
    "PC3034",
    "error",
    "Line {line} of /etc/pam.d/{pam} ends in a backslash ({what}): Linux-PAM would join the next non-comment line, such as a pam_listfile line, to it.",
  ),
  SmtpsWithoutModifier: def(
    "PC3040",
    "error",
    'Port {port} is SMTPS, where clients start TLS at once, but its modifiers lack "s": sendmail would speak plain text there; add s to the modifiers.',
  ),
  AuthRequiredWithoutAuth: def(
    "PC3083",
    "warning",
    'The socket "{name}" requires SMTP AUTH (modifier a), but the mail block offers none (no auth mechanisms): sendmail answers every MAIL there with 530 5.7.0, so it takes no mail. Add auth mechanisms, or drop modifier a.',
  ),
  SmtpsWithoutTls: def(
    "PC3041",
    "error",
    'The socket "{name}" speaks SMTPS (modifier s), which needs "tls certificate", "tls key", "tls ca" and "tls ca-path"; without them no client could connect.',
  ),
  PathConflict: def("PC3030", "error", "{first} writes the file {file}, but {second} needs it to be a folder for {path}."),
  ReservedPath: def("PC3031", "error", "{producer} would write {path}, a name policyc reserves for {what}."),

  // PC4xxx: safety
  EmptyAllowList: def("PC4001", "error", "This allow list has no entries: pam_listfile would deny everyone."),
  OnerrSucceed: def("PC4002", "warning", "onerr succeed fails open: if {file} is missing or unreadable, everyone is let in."),
  LoginWithoutAdmin: def(
    "PC4003",
    "warning",
    'This allow list on the login service "{pam}" names no administrator ({admins}): one mistake in it locks out the people who could fix it.',
  ),
  PlaintextWithoutTls: def(
    "PC4004",
    "warning",
    '{value} sends the password in clear text; add "auth options noplaintext;" and a "tls certificate" and "tls key", so that sendmail offers it only over an encrypted connection.',
  ),
  NoUsableMechanism: def(
    "PC4008",
    "warning",
    'With "auth options noplaintext" sendmail offers {value} only after STARTTLS, and the policy sets no "tls certificate": clients will be offered no AUTH mechanism.',
  ),
  DigestObsolete: def("PC4005", "warning", "DIGEST-MD5 is obsolete (RFC 6331); prefer SCRAM-SHA-256, or PLAIN over TLS."),
  CramWeak: def(
    "PC4006",
    "warning",
    "CRAM-MD5 is weak: the server keeps the plaintext password and a captured exchange can be attacked offline; prefer SCRAM-SHA-256, or PLAIN over TLS.",
  ),
  BackendCannotVerify: def(
    "PC4007",
    "warning",
    'saslauthd checks only plaintext passwords, so {value} cannot work with "auth backend saslauthd"; use sasldb for it.',
  ),
  RelayNetworkShared: def(
    "PC4015",
    "warning",
    "Relay network {network} holds {what}: behind NAT, a published container port or a proxy every client can appear to come from there, and would relay without authentication.",
  ),
  MixedScript: def(
    "PC4020",
    "error",
    'Entry "{value}" mixes {scripts} letters and looks like "{skeleton}"; pam_listfile compares bytes, so it would not match the name it looks like.',
  ),
  CompatibilityForm: def(
    "PC4021",
    "error",
    'Entry "{value}" holds {char}, a compatibility form that looks like "{plain}"; write "{normal}" if that is the name meant.',
  ),
  LookAlike: def(
    "PC4022",
    "warning",
    'Entry "{value}" is written in {script} letters but looks exactly like "{skeleton}"; make sure it is not meant to be that name.',
  ),
  UnsafeAllowed: def("PC4100", "warning", "Allowed by unsafe ({reason}): {message}"),
  OpenRelay: def("PC4101", "error", "Open relay: {detail}."),
  AclBypass: def("PC4102", "error", 'The account line "{line}" {detail}.'),
  UnusedUnsafe: def("PC4103", "warning", "unsafe {code} overrides nothing in this block."),
  BadUnsafe: def(
    "PC4104",
    "error",
    'unsafe takes the code of a check that can be overridden ({expected}) and a reason in quotes, e.g. unsafe PC4101 "lab network";.',
  ),
  UnsetItemLockout: def("PC4105", "error", 'This {item} allow list on the PAM service "{pam}" denies everyone: {why}.'),
  UnknownPortName: def(
    "PC3070",
    "error",
    'Port "{port}" is not a TCP service name in {source}, where sendmail looks it up{suggestion}; write a port number from 1 to 65535 or a name the file has.',
  ),
  BadGreetPause: def("PC3065", "error", 'greet pause takes a whole number of milliseconds from 0 to {max}, not "{value}".'),
  PamNoAccountStack: def(
    "PC3080",
    "warning",
    "/etc/pam.d/{pam} has no account line, so Linux-PAM runs the account lines of /etc/pam.d/other for it; Red Hat's other denies everyone (pam_deny), so no one would pass its account check. Add an account line to the stack (account include password-auth;).",
  ),
  PamOnlyApplyLists: def(
    "PC3081",
    "warning",
    "The account stack of /etc/pam.d/{pam} is only access lists with apply ({lists}): pam_listfile ignores every user they do not apply to, and an account stack where every module ignores the user refuses them (Linux-PAM's PAM_PERM_DENIED), so everyone else would be refused. Add the platform's account stack after the lists ({stack}).",
  ),
  NullokSmtpAuth: def(
    "PC3082",
    "warning",
    'With "auth backend saslauthd" the PAM service "smtp" checks SMTP AUTH passwords, and this file gets its auth stack from {included}: an account whose password field is empty is accepted with any password, so it could relay. Lock every account without a password (passwd -l NAME), or give service smtp a stack of its own without nullok.',
  ),
  WeakGreetPause: def(
    "PC4025",
    "warning",
    "greet pause {ms} is shorter than the {stock} ms of {platform}'s stock sendmail.mc: spam bots that send before the greeting are refused only within that pause.",
  ),
  PasswordlessSmtpAuth: def(
    "PC4115",
    "error",
    'The auth line "{line}" of the PAM service "smtp" {detail}; with "auth backend saslauthd" saslauthd checks SMTP AUTH passwords through this stack, so a client could relay without a password.',
  ),
  ForeignListFile: def(
    "PC4110",
    "error",
    "List file {file} is {owner}; writing an access list over it would {harm}. Choose a file of its own, such as /etc/{name}.acl.",
  ),

  // PC5xxx: templates and output
  RootUnreadable: def("PC5060", "error", "Cannot compare with the deployed root {root}: {reason}."),
  DeployedUnreadable: def(
    "PC5070",
    "error",
    "Cannot read the deployed file {path}: {reason}; it was not compared, and nothing is reported as drift.",
  ),
  DeployedRecordInvalid: def(
    "PC5076",
    "error",
    "The deploy record {path} is not a policyc manifest: {reason}; nothing was compared, and nothing is reported as drift.",
  ),
  TemplateMissing: def("PC5001", "error", "Template {path} is missing: {reason}."),
  TemplatePlaceholder: def("PC5002", "error", "Template {path} line {line} has an unknown placeholder {{{name}}}; known: {expected}."),
  OutputFailed: def("PC5003", "error", "Cannot write {path}: {reason}."),
  OutputSymlink: def("PC5004", "error", "Refusing to write through the symbolic link {path} in the output tree."),
  TemplateMissesPlaceholder: def(
    "PC5006",
    "error",
    "Template {path} has no {{{name}}}, but the policy has lines for it; they would be left out.",
  ),
  TemplatePlaceholderInComment: def(
    "PC5020",
    "error",
    "Template {path} line {line} has {{{name}}} inside a comment, so the lines it stands for would be commented out; put it on a line of its own.",
  ),
  TemplatePlaceholderNotAlone: def(
    "PC5021",
    "error",
    "Template {path} line {line} has {{{name}}} inside a line, but it stands for several lines; put it on a line of its own.",
  ),
  OutputNotPlain: def(
    "PC5005",
    "error",
    "{path} would contain {what} at line {line}; generated files must be plain text with LF line ends (check the templates).",
  ),
  OutputLocked: def(
    "PC5010",
    "error",
    "Another policyc build ({holder}) is writing {out}; nothing was written. Run it again when that build has finished (if no policyc is running, remove {lock}).",
  ),
  DepfileName: def(
    "PC5011",
    "error",
    "Cannot write the dependency file {depfile}: make cannot represent the file name {path}, which has {what}; nothing was written.",
  ),
  OutputInterrupted: def(
    "PC5012",
    "error",
    "{out} holds an unfinished build ({what}): a build is running or was interrupted, so files may be a mix of two builds; run policyc build to repair it.",
  ),
  OutputStray: def(
    "PC5030",
    "error",
    "{out} holds {path}, which the policy does not produce and build does not remove (policyc did not write it, or it was edited since): a copy of {out} would deploy it. Remove it.",
  ),

  // PC70xx: policyc import (reading a host's files into a policy)
  ImportPamLine: def("PC7001", "warning", "This pam.d line cannot be represented in the policy: {why}; the policy has it as a comment."),
  ImportListEntry: def("PC7002", "warning", "{value} cannot be imported as it is: {why}; the policy has a comment instead."),
  ImportMcUnknownMacro: def(
    "PC7003",
    "warning",
    "Unknown macro {name} in the .mc: it is not m4's or sendmail-cf's, so the policy has it as a comment and the generated .mc does not have it.",
  ),
  ImportMcSetting: def(
    "PC7004",
    "warning",
    "This .mc line cannot be represented in the mail block: {why}; the policy has a comment instead.",
  ),
  ImportMailFile: def(
    "PC7005",
    "warning",
    "{path}: this cannot be represented in the mail block: {why}; the policy has a comment instead.",
  ),
  ImportUnreadable: def("PC7006", "warning", "{path} is not imported: {why}."),
  ImportRoot: def("PC7007", "error", "Cannot import {path}: {reason}."),
  ImportUnsafe: def(
    "PC7009",
    "warning",
    "The host is configured in a way policyc refuses ({code}: {message}); the imported policy allows it with unsafe {code} in {block}: review it.",
  ),
  ImportNotPolicy: def(
    "PC7008",
    "error",
    "The imported policy does not pass policyc check ({count}, shown above): the host is configured in a way policyc refuses; nothing was written.",
  ),

  // PC2100-PC2119: assertions (`expect`), read before they are run
  ExpectVerdict: def("PC2100", "error", 'expect takes allow or deny (a PAM service) or accept or refuse (relay), not "{found}".'),
  ExpectClause: def("PC2101", "error", '"{key}" is not a clause of {what}; it takes {expected}.'),
  ExpectMissing: def("PC2102", "error", "This assertion needs {clause}."),
  ExpectNoService: def("PC2103", "error", 'The assertion names service "{name}", which {where} does not define{names}.'),
  ExpectDuplicateClause: def("PC2104", "error", '"{key}" is given more than once in this assertion.'),
  ExpectOneValue: def("PC2105", "error", '"{key}" takes one value, not {count}.'),
  ExpectNoMail: def("PC2106", "error", "The assertion is about relaying, but {where} has no mail block."),

  // PC6001-PC6049: assertions that fail
  AssertionFailed: def("PC6001", "error", "Assertion failed{on}: expected {expected}, but {service} would {actual} user {user}: {reason}."),
  AssertionFailedMail: def(
    "PC6002",
    "error",
    "Assertion failed{on}: expected {expected}, but sendmail would {actual} mail to {recipient}: {reason}.",
  ),
  AssertionUndecidable: def("PC6003", "error", "The assertion cannot be decided{on}: {reason}."),

  // PC6010-PC6029: reading the old version from git, running assertions on the real software
  GitRevisionUnreadable: def("PC6010", "error", "Cannot read the old version from git: {reason}."),
  RealAssertionFailed: def(
    "PC6011",
    "error",
    "Assertion failed on the real software{on}: expected {expected}, but {tool} answered {actual}: {output}.",
  ),
  RealUnavailable: def("PC6012", "error", "Cannot run the assertions on the real software: {reason}."),

  // PC9xxx: about policyc itself
  HostsWorkerFailed: def("PC5080", "error", "A worker thread of --jobs failed ({reason}); nothing was written. Run again with --jobs 1."),
  TooManyWarnings: def("PC5050", "error", "{warnings}, more than --max-warnings {max} allows; nothing written."),
  TooManyDiagnostics: def("PC9001", "warning", "{count} more diagnostics are not shown."),
} satisfies Record<string, MessageDef>;
