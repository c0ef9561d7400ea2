// Read an .ics file with ical.js (the parser of Thunderbird and Nextcloud) and print, as JSON,
// every VEVENT's start and end: a date, or the UTC instant ical.js computes from the file's own
// VTIMEZONE. Usage: node icaljs_read.mjs FILE
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const errors = [];
const events = {};
try {
  const root = new ICAL.Component(ICAL.parse(readFileSync(process.argv[2], "utf8")));
  for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
  }
  const show = (time) => {
    if (time.isDate) return time.toString();
    return time.toJSDate().toISOString().replace(".000Z", "Z");
  };
  for (const vevent of root.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    if (event.startDate.zone && event.startDate.zone.tzid === "floating" && !event.startDate.isDate) {
      errors.push(`${event.uid}: start read as floating time`);
    }
    events[event.uid] = [show(event.startDate), show(event.endDate)];
  }
} catch (error) {
  errors.push(String(error));
}
console.log(JSON.stringify({ errors, events }));
