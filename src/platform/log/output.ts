/**
 * What a command is for a person to read: `serve`'s start-up banner, a summary, a key printed once.
 * The one place that writes such lines (lint refuses `console` elsewhere in src/): everything else
 * a process has to say is a log line through the logger (`logger.ts`), which goes elsewhere
 * and can be turned down.
 */
export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A command's failure, for the person who ran it (the exit code says the rest). */
export function complain(line: string): void {
  process.stderr.write(`${line}\n`);
}
