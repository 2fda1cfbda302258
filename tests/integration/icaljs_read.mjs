// icaljs_read.mjs: read an iCalendar object on stdin with Mozilla's ical.js
// (Thunderbird's parser) and print what a client sees as JSON: calendar
// properties and, per VEVENT, UID, SEQUENCE, start/end as UTC instants,
// STATUS, CLASS, SUMMARY, ORGANIZER and attendees with their parameters.
// Used by tests/integration/test_invites_interop.py (node + npm ical.js).
import ICAL from "ical.js";

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;

const comp = new ICAL.Component(ICAL.parse(text));
for (const tz of comp.getAllSubcomponents("vtimezone"))
	ICAL.TimezoneService.register(new ICAL.Timezone(tz));
const val = (c, name) => {
	const v = c.getFirstPropertyValue(name);
	return v === null || v === undefined ? null : v.toString();
};
const out = {
	method: val(comp, "method"),
	name: val(comp, "name"),
	x_wr_calname: val(comp, "x-wr-calname"),
	refresh_interval: val(comp, "refresh-interval"),
	x_published_ttl: val(comp, "x-published-ttl"),
	events: [],
};
for (const v of comp.getAllSubcomponents("vevent")) {
	const ev = new ICAL.Event(v);
	out.events.push({
		uid: ev.uid,
		sequence: ev.sequence,
		start: ev.startDate.toJSDate().toISOString(),
		end: ev.endDate.toJSDate().toISOString(),
		minutes: ev.duration.toSeconds() / 60,
		status: val(v, "status"),
		class: val(v, "class"),
		summary: ev.summary,
		dtstamp: val(v, "dtstamp"),
		organizer: val(v, "organizer"),
		attendees: v.getAllProperties("attendee").map((p) => ({
			value: p.getFirstValue(),
			cn: p.getParameter("cn") ?? null,
			partstat: p.getParameter("partstat") ?? null,
			rsvp: p.getParameter("rsvp") ?? null,
		})),
	});
}
process.stdout.write(JSON.stringify(out));
