#!/usr/bin/env node
// CommonJS (see bin/package.json): a CommonJS entry starts faster than an ES module.
require("../dist/policyc.cjs");
