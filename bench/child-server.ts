// A fake server for a benchmark, in a child process so its work is not counted as kt's. The child runs `script` (an
// ES module) that prints one JSON line once it listens, then answers each line on its stdin with one JSON line (its
// counters), and exits when its stdin closes, so it dies with the benchmark.
import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'

export interface ChildServer<Hello, Stats> {
  hello: Hello
  /** The child's counters, asked for now. */
  stats(): Promise<Stats>
  stop(): Promise<void>
}

export async function startChildServer<Hello, Stats>(script: string, what: string): Promise<ChildServer<Hello, Stats>> {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['pipe', 'pipe', 'inherit']})
  const waiting: ((line: string) => void)[] = []
  let out = ''
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl)
      out = out.slice(nl + 1)
      waiting.shift()?.(line)
    }
  })
  const hello = await new Promise<Hello>((resolve, reject) => {
    waiting.push((line) => resolve(JSON.parse(line) as Hello))
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it listened`)))
  })
  return {
    hello,
    stats: () =>
      new Promise<Stats>((resolve) => {
        waiting.push((line) => resolve(JSON.parse(line) as Stats))
        child.stdin!.write('stats\n')
      }),
    async stop() {
      if (child.exitCode !== null) return
      child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await once(child, 'exit')
      clearTimeout(timer)
    },
  }
}
