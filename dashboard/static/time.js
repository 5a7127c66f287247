// Times in the site's zone, whatever the browser's: the desk, the reports and the filters all
// speak the station's wall time (Asia/Shanghai by default), as the staff do.

function offsetMs(tz, at) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(at);
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second")) - at.getTime();
}

// "YYYY-MM-DDTHH:MM" (an <input type="datetime-local">) at the site -> UTC ISO string.
export function wallToIso(local, tz) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local || "");
  if (!m) return undefined;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let at = wall - offsetMs(tz, new Date(wall));
  at = wall - offsetMs(tz, new Date(at)); // again, in case the guess crossed a DST change
  return new Date(at).toISOString();
}

// A moment -> "YYYY-MM-DDTHH:MM" at the site (the value a datetime-local input shows).
export function isoToWall(at, tz) {
  const d = at instanceof Date ? at : new Date(at);
  return new Date(d.getTime() + offsetMs(tz, d)).toISOString().slice(0, 16);
}

// How long to a deadline or past it: "2d 03:15" (days, hours, minutes) for deadlines days
// away, else to the second, "1:02:03" or "02:03".
export function duration(ms, days = false) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const pad = (n) => String(n).padStart(2, "0");
  if (days) {
    const d = Math.floor(s / 86400);
    return `${d ? `${d}d ` : ""}${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}`;
  }
  const hh = Math.floor(s / 3600);
  return `${hh ? `${hh}:` : ""}${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

// A countdown in the page's own words: "<page>.left" before the deadline, "<page>.overdue_by"
// after it (`left` in ms, negative when overdue).
export function countdownText(t, page, left, days = false) {
  return t(left < 0 ? `${page}.overdue_by` : `${page}.left`, { time: duration(left, days) });
}
