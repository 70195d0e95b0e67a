#!/usr/bin/env node
import "../dist/policyc.js";
