// One line per event on stdout: `<ISO time> <EVENT> key=value ...`.
export type LogFields = Record<string, string | number | boolean | null | undefined>;
type Sink = (line: string) => void;

let sink: Sink = (line) => process.stdout.write(line + '\n');

/** Tests silence or capture the log through this. */
export function setLogSink(s: Sink): void {
  sink = s;
}

function fmt(v: unknown): string {
  const s = String(v);
  return /^[\w.:/+@,-]*$/.test(s) && s !== '' ? s : JSON.stringify(s);
}

export function log(event: string, fields: LogFields = {}): void {
  let line = `${new Date().toISOString()} ${event}`;
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${fmt(v)}`;
  try {
    sink(line);
  } catch {
    // a closed stdout must never take the appliance down
  }
}
