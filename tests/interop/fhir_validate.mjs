// Validate a FHIR JSON resource (a Bundle) offline with FHIR.js (npm `fhir`, R4 by default) and print,
// as JSON, whether it is valid and the messages it gives. Usage: node fhir_validate.mjs FILE
import { readFileSync } from "node:fs";
import pkg from "fhir";

const { Fhir } = pkg;
const resource = JSON.parse(readFileSync(process.argv[2], "utf8"));
const result = new Fhir().validate(resource, { errorOnUnexpected: true });
console.log(JSON.stringify({ valid: result.valid, messages: result.messages || [] }));
