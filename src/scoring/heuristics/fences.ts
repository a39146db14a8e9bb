// Code fences: paired fences, and balanced brackets inside code blocks of languages where that is well defined.

export const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/

interface CodeBlock {
  lang: string
  body: string
}

interface FenceScan {
  fences: number
  /** The text ends inside an unclosed fence. */
  openAtEnd: boolean
  blocks: CodeBlock[]
}

export function scanFences(text: string): FenceScan {
  const lines = text.split('\n')
  let fences = 0
  let open: {marker: string; lang: string; start: number} | null = null
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE_LINE.exec(lines[i]!)
    if (!m) continue
    const marker = m[1]!
    if (!open) {
      fences++
      open = {marker, lang: (m[2] ?? '').toLowerCase(), start: i + 1}
    } else if (marker[0] === open.marker[0] && marker.length >= open.marker.length && !m[2]) {
      fences++
      blocks.push({lang: open.lang, body: lines.slice(open.start, i).join('\n')})
      open = null
    }
  }
  if (open) blocks.push({lang: open.lang, body: lines.slice(open.start).join('\n')})
  return {fences, openAtEnd: open !== null, blocks}
}

const HASH_COMMENT_LANGS = new Set(['python', 'py', 'ruby', 'rb', 'sh', 'bash', 'shell', 'zsh', 'yaml', 'yml', 'r', 'perl'])
const SLASH_COMMENT_LANGS = new Set([
  'js', 'javascript', 'jsx', 'ts', 'typescript', 'tsx', 'java', 'c', 'cpp', 'c++', 'cs', 'csharp', 'go', 'kotlin',
  'swift', 'php', 'scala', 'dart', 'json', 'jsonc',
])

/**
 * Bracket balance inside one code block, skipping strings and line comments. Only for
 * languages where that is well defined; other blocks (prose, markdown, rust lifetimes, lisp
 * quotes…) are not judged.
 */
export function bracketsBalanced(code: string, lang: string): boolean | null {
  const hash = HASH_COMMENT_LANGS.has(lang)
  const slash = SLASH_COMMENT_LANGS.has(lang)
  if (!hash && !slash) return null
  const stack: string[] = []
  const pairs: Record<string, string> = {')': '(', ']': '[', '}': '{'}
  let i = 0
  const n = code.length
  while (i < n) {
    const ch = code[i]!
    if ((hash && ch === '#') || (slash && ch === '/' && code[i + 1] === '/')) {
      while (i < n && code[i] !== '\n') i++
      continue
    }
    if (slash && ch === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2)
      i = end < 0 ? n : end + 2
      continue
    }
    if (ch === '"' || ch === "'" || ch === '`') {
      const triple = code.startsWith(ch.repeat(3), i)
      const close = triple ? ch.repeat(3) : ch
      let j = i + close.length
      while (j < n) {
        if (code[j] === '\\') {
          j += 2
          continue
        }
        if (code.startsWith(close, j)) break
        if (!triple && ch !== '`' && code[j] === '\n') break
        j++
      }
      i = j + close.length
      continue
    }
    if (ch === '(' || ch === '[' || ch === '{') stack.push(ch)
    else if (ch === ')' || ch === ']' || ch === '}') {
      if (stack.pop() !== pairs[ch]) return false
    }
    i++
  }
  return stack.length === 0
}


export interface FenceResult {
  fences_ok: boolean
  fences: number
  /** Brackets in code blocks balanced; null when no block was in a checkable language. */
  brackets_ok: boolean | null
}

export function checkFences(text: string | null): FenceResult {
  if (!text) return {fences_ok: true, fences: 0, brackets_ok: null}
  const scan = scanFences(text)
  let brackets: boolean | null = null
  for (const b of scan.blocks) {
    const ok = bracketsBalanced(b.body, b.lang)
    if (ok === null) continue
    brackets = brackets === null ? ok : brackets && ok
  }
  return {fences_ok: scan.fences % 2 === 0 && brackets !== false, fences: scan.fences, brackets_ok: brackets}
}
