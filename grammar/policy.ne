# The policy language. The parser is fed ONE top-level statement at a time
# (src/syntax/parser.ts), so `statement` is the start symbol. Every list is
# left-recursive and collected in cons cells that are flattened only by a
# rule ending in ";" or "}": right recursion or EBNF `:*` would make long
# lists quadratic (README.md, "Performance", "How the grammar keeps long
# lists linear", has the measurements).
# Postprocessors are builder names from src/syntax/build.ts, nothing else;
# the builders record every location of a node (keyword, braces, ";") in
# its `loc`, and src/syntax/visit.ts lists each node kind's children.

@preprocessor typescript

@{%
import { tokenTypes } from "./lexer.js";
import * as b from "./build.js";
const lexer = tokenTypes;
%}

@lexer lexer

statement
  -> hostItem                                      {% b.first %}
   | "include" %string ";"                         {% b.include %}
   | "host" %word "{" hostItems "}"                {% b.host %}
   | "role" %word "{" hostItems "}"                {% b.role %}
   | "inventory" %string ";"                       {% b.inventory %}

# What a host block may hold: everything but include and host.
hostItem
  -> "platform" %word ";"                          {% b.platform %}
   | listKind %word "=" values ";"                 {% b.listDef %}
   | "service" %word "{" serviceItems "}"          {% b.service %}
   | "mail" "{" mailItems "}"                      {% b.mail %}
   | "expect" %word %word expectClauses ";"        {% b.expect %}

# An assertion's clauses: `user root from 10.0.0.5 groups wheel, adm`, each
# a word and its value(s). README "Assertions".
expectClauses
  -> null                                          {% b.nil %}
   | expectClauses %word values                    {% b.snocClause %}

# The body of a host block or a role block. `role A, B;` takes roles (README
# "Roles"); it parses in a role block too, so that the loader can refuse it
# there (PC2201).
# An include inside a host or role block parses, so that the loader can say why it
# is not allowed there (PC1014) instead of a bare "unexpected include".
hostItems
  -> null                                          {% b.nil %}
   | hostItems hostItem                            {% b.snoc %}
   | hostItems "include" %string ";"               {% b.snocInclude %}
   | hostItems "role" values ";"                   {% b.snocRoleUse %}

listKind
  -> "users" {% b.first %} | "groups" {% b.first %} | "hosts" {% b.first %}
   | "networks" {% b.first %} | "ttys" {% b.first %} | "shells" {% b.first %}
   | "domains" {% b.first %}

serviceItems
  -> null                                          {% b.nil %}
   | serviceItems serviceItem                      {% b.snoc %}

serviceItem
  -> setting                                       {% b.first %}
   | "stack" "{" stackLines "}"                    {% b.stack %}
   | "acl" %word %word single "{" settings "}"     {% b.acl %}

mailItems
  -> null                                          {% b.nil %}
   | mailItems mailItem                            {% b.snoc %}

mailItem
  -> setting                                       {% b.first %}
   | "listen" single "{" settings "}"              {% b.listen %}

settings
  -> null                                          {% b.nil %}
   | settings setting                              {% b.snoc %}

# NAME;  NAME a, b;  NAME SUB a, b;
setting
  -> %word ";"                                     {% b.setting0 %}
   | %word values ";"                              {% b.setting1 %}
   | %word %word values ";"                        {% b.setting2 %}

values
  -> value                                         {% b.one %}
   | values "," value                              {% b.snoc2 %}

# A list value: a literal, a list reference ($name) or a comma run of them.
value
  -> %word {% b.first %} | %string {% b.first %} | %ref {% b.first %}
   | %run {% b.first %} | %refRun {% b.first %}

# Where exactly one value stands (an acl's file, a listen port). A comma run
# there is reported by parser.ts as PC3050, not as a bare syntax error.
single -> %word {% b.first %} | %string {% b.first %} | %ref {% b.first %}

stackLines
  -> null                                          {% b.nil %}
   | stackLines stackLine                          {% b.snoc %}

# TYPE CONTROL MODULE ARGS;  or the marker `account acls;`
stackLine
  -> %word %word ";"                               {% b.stackAcls %}
   | %word control %word stackArgs ";"             {% b.stackLine %}

control -> %word {% b.first %} | %bracket {% b.first %}

stackArgs
  -> null                                          {% b.nil %}
   | stackArgs stackArg                            {% b.snoc %}

stackArg
  -> %word {% b.first %} | %string {% b.first %} | %bracket {% b.first %} | %run {% b.first %}
   | %word "=" %word                               {% b.keyValue %}
   | %word "=" %string                             {% b.keyValue %}
