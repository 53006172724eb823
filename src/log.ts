// One line per event on stdout: `<ISO time> <EVENT> key=value ...`.
export type LogFields = Record<string, string | number | boolean | null | undefined>;
type Sink = (line: string) => void;

// A reader that goes away (`prepaid serve | head`, a dead logger) makes stdout emit EPIPE as
// an 'error' event, which would end the process: the appliance keeps running, unlogged.
let stdoutGone = false;
let stdoutWatched = false;
function toStdout(line: string): void {
  if (stdoutGone) return;
  if (!stdoutWatched) {
    stdoutWatched = true;
    process.stdout.on('error', () => {
      stdoutGone = true;
    });
  }
  process.stdout.write(line + '\n');
}

let sink: Sink = toStdout;

/** Tests silence or capture the log through this. */
export function setLogSink(s: Sink): void {
  sink = s;
}

function fmt(v: unknown): string {
  const s = String(v);
  return /^[\w.:/+@,-]*$/.test(s) && s !== '' ? s : JSON.stringify(s);
}

let serviceOn = true;

/** The `serviceLog` general parameter: whether calls leave their trace in the log. */
export function setServiceLog(on: boolean): void {
  serviceOn = on;
}

/**
 * The per-call trace (offered, connected, ended, settled, refused...), which the `Service
 * log` parameter turns off; errors, security and system events always go through log().
 */
export function serviceLog(event: string, fields: LogFields = {}): void {
  if (serviceOn) log(event, fields);
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
