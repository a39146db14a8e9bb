/**
 * An error meant for the user: its message is complete (names the file, line or config path)
 * and is printed without a stack trace. `exitCode` follows kt's convention (1 failure, 2 usage).
 */
export class KtError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode = 1) {
    super(message)
    this.name = 'KtError'
    this.exitCode = exitCode
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * A message folded onto one line: V8's JSON.parse errors quote the text around the fault, raw line breaks included,
 * and a per-file error or reason is printed and stored as one line.
 */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ')
}
