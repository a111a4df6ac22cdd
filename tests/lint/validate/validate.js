#!/usr/bin/env node
// Validates SARIF files against the official SARIF 2.1.0 schema (a JSON Schema draft-04
// document, kept beside this file), with ajv. Used by tests/e2e/t_lint.sh.
//   node validate.js FILE.sarif...    exit 0 valid, 1 invalid (errors printed)
// Without the npm packages it checks the required properties by hand, and says so.
'use strict';
const fs = require('fs');
const path = require('path');
let Ajv = null, addFormats = null;
try {
  Ajv = require('ajv-draft-04');
  addFormats = require('ajv-formats');
} catch (e) {
  console.log('validate.js: ajv is not installed (npm ci in tests/lint/validate): checking the required properties only');
}

// Without ajv: the properties SARIF 2.1.0 requires, and those GitHub code scanning reads.
function requiredOnly(doc) {
  const errs = [];
  const need = (c, what) => { if (!c) errs.push(what); };
  need(doc.version === '2.1.0', '/version must be "2.1.0"');
  need(Array.isArray(doc.runs), '/runs must be an array');
  for (const [i, run] of (doc.runs || []).entries()) {
    const d = run.tool && run.tool.driver;
    need(d && typeof d.name === 'string', `/runs/${i}/tool/driver/name is required`);
    const rules = (d && d.rules) || [];
    for (const [k, r] of rules.entries()) need(typeof r.id === 'string', `/runs/${i}/tool/driver/rules/${k}/id is required`);
    for (const [k, r] of (run.results || []).entries()) {
      const at = `/runs/${i}/results/${k}`;
      need(r.message && typeof r.message.text === 'string', `${at}/message/text is required`);
      need(r.ruleIndex === undefined || (Number.isInteger(r.ruleIndex) && r.ruleIndex >= 0 && r.ruleIndex < rules.length), `${at}/ruleIndex out of range`);
      need(['none', 'note', 'warning', 'error', undefined].includes(r.level), `${at}/level is not a SARIF level`);
      for (const l of r.locations || []) {
        const reg = l.physicalLocation && l.physicalLocation.region;
        if (reg) need(reg.startLine >= 1 && (reg.startColumn === undefined || reg.startColumn >= 1), `${at} region must start at 1 or later`);
      }
    }
  }
  return errs;
}

let validate = null;
if (Ajv) {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'sarif-schema-2.1.0.json'), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  validate = ajv.compile(schema);
}
let bad = 0;
for (const f of process.argv.slice(2)) {
  const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
  const errs = validate ? (validate(doc) ? [] : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`)) : requiredOnly(doc);
  if (errs.length) {
    bad++;
    console.log(`${f}: not valid SARIF 2.1.0`);
    for (const e of errs.slice(0, 20)) console.log(`  ${e}`);
  }
}
process.exit(bad ? 1 : 0);
