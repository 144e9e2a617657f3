/**
 * The one way every script in scripts/ ends: the exit code `main` returns, or, when it throws, one clean line
 * on stderr and exit 1. Users see the message the library wrote ("scanDataset: … Received: …"), not a stack
 * trace with source lines. Set `PNEUMO_DEBUG=1` to get the stack as well.
 */

/** Environment variable that adds the stack trace to a failure's message. */
export const DEBUG_ENV = "PNEUMO_DEBUG";

/**
 * The text printed for a failure: `error: <message>` (the message's own lines, nothing else).
 * @example
 * errorText(new Error("split: no data. Received: /x")); // "error: split: no data. Received: /x"
 */
export function errorText(error: unknown, opts: { debug?: boolean } = {}): string {
  const message = error instanceof Error ? error.message : String(error);
  const stack = opts.debug && error instanceof Error && error.stack ? `\n${error.stack}` : "";
  return `error: ${message.trimEnd()}${stack}`;
}

/**
 * Run a script's `main` and exit with its code (default 0); a thrown error prints `errorText` and exits 1.
 * @example
 * runCli(() => main(process.argv.slice(2)));
 */
export function runCli(main: () => Promise<number | void> | number | void): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => process.exit(code ?? 0),
      (error: unknown) => {
        console.error(errorText(error, { debug: Boolean(process.env[DEBUG_ENV]) }));
        process.exit(1);
      },
    );
}
