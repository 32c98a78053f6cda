/** Told what the audit starts reading next, so that a big sale does not look like a hang. */
export type Progress = (what: string) => void;

const REDRAW_MS = 250;

/**
 * One line on a terminal, redrawn in place with the seconds spent so far, and erased when the audit is done, so
 * that the report starts on a clean screen. Off a terminal (a pipe, a file, CI) the audit says nothing on stderr.
 */
export function terminalProgress(stream: NodeJS.WriteStream): { progress: Progress; done(): void } {
  if (!stream.isTTY) return { progress: () => undefined, done: () => undefined };
  const started = Date.now();
  let current = 'starting';
  const draw = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`\r\x1b[2Kaudit: ${current}… ${seconds} s`);
  };
  const timer = setInterval(draw, REDRAW_MS).unref();
  return {
    progress: (what) => {
      current = what;
      draw();
    },
    done: () => {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}
