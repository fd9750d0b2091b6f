// Shared by the commands that show progress (autopay run, import). cli-progress would do this too;
// a 30-character bar did not seem worth a dependency.

/** A one-line progress bar on stderr; on a pipe or file, a line every tenth instead. */
export function progressBar(label: string) {
  const stream = process.stderr;
  let lastTenth = -1;
  return {
    update(done: number, total: number) {
      const fraction = total === 0 ? 1 : Math.min(1, done / total);
      if (stream.isTTY) {
        const width = 30;
        const filled = Math.round(fraction * width);
        stream.write(
          `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} (${percent(fraction)})`,
        );
        return;
      }
      const tenth = Math.floor(fraction * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        stream.write(`${label} ${done}/${total} (${percent(fraction)})\n`);
      }
    },
    end() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

function percent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`;
}
