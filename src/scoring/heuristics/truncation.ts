// Truncation: cut by max_tokens, or an answer that visibly stops early (open fence, open JSON, no final punctuation).
import {FENCE_LINE, scanFences} from './fences.js'
import {safeJsonParse} from './json.js'
import {TRUNCATION_MIN_CHARS} from './thresholds.js'

function openJsonDepth(text: string): number {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (inString) {
      if (ch === '\\') i++
      else if (ch === '"') inString = false
    } else if (ch === '"') inString = true
    else if (ch === '{' || ch === '[') depth++
    else if (ch === '}' || ch === ']') depth--
  }
  return inString ? depth + 1 : depth
}

export interface TruncationResult {
  truncated: boolean
  by_finish_reason: boolean
  /** The text ends inside an unclosed code fence. */
  open_fence: boolean
  /** A JSON-looking answer stops with brackets (or a string) still open. */
  open_json: boolean
  /** Prose that stops without terminal punctuation. */
  no_terminal: boolean
}

const TERMINAL_END = /[.!?\u2026\u3002\uff01\uff1f\u061f\u0964"'`)\]}*_~>|\u300d\u300f\u00bb]$/u
const EMOJI_END = /\p{Extended_Pictographic}\uFE0F?$/u
const STRUCTURAL_LINE = /^\s*(?:[-*+\u2022]\s|\d+[.)]\s|#{1,6}\s|>|\||-{3,}|={3,}|\*{3,})/

function looksLikeCode(lines: string[]): boolean {
  const nonEmpty = lines.filter((l) => l.trim() !== '')
  if (nonEmpty.length < 3) return false
  let codeish = 0
  for (const l of nonEmpty) if (/[;{}]\s*$|^\s{2,}\S|^\t|^\s*(?:def|class|import|from|return|const|let|var|function)\b/.test(l)) codeish++
  return codeish / nonEmpty.length >= 0.4
}

/**
 * Truncation: finish_reason 'length', or the text ends inside a code fence, or a JSON-looking
 * answer ends with open brackets, or (fallback) prose of at least 60 characters ends without
 * terminal punctuation. Lists, tables, headings, URLs, emoji and code count as ended.
 */
export function detectTruncation(text: string | null, finishReason: string | null): TruncationResult {
  const result: TruncationResult = {
    truncated: false,
    by_finish_reason: false,
    open_fence: false,
    open_json: false,
    no_terminal: false,
  }
  if (finishReason === 'length') {
    result.by_finish_reason = true
    result.truncated = true
  }
  const t = (text ?? '').trimEnd()
  if (t.trim() === '' || finishReason === 'tool_calls' || finishReason === 'content_filter') return result
  const fences = scanFences(t)
  if (fences.openAtEnd) result.open_fence = true
  const start = t.trimStart()[0]
  if (result.open_fence) {
    // Already truncated inside a code block.
  } else if (start === '{' || start === '[') {
    if (!safeJsonParse(t).ok && openJsonDepth(t) > 0) result.open_json = true
  } else {
    // Only the prose after the last closing fence can be cut mid-sentence.
    const lines = t.split('\n')
    let from = 0
    if (fences.fences > 0) {
      for (let i = lines.length - 1; i >= 0; i--) {
        if (FENCE_LINE.test(lines[i]!)) {
          from = i + 1
          break
        }
      }
    }
    const prose = lines.slice(from)
    const proseText = prose.join('\n').trim()
    const last = (prose[prose.length - 1] ?? '').trim()
    const minChars = fences.fences > 0 ? 20 : TRUNCATION_MIN_CHARS
    const ended =
      proseText.length < minChars ||
      TERMINAL_END.test(last) ||
      EMOJI_END.test(last) ||
      /\bhttps?:\/\/\S+$/.test(last) ||
      STRUCTURAL_LINE.test(last) ||
      looksLikeCode(prose)
    result.no_terminal = !ended
  }
  result.truncated = result.by_finish_reason || result.open_fence || result.open_json || result.no_terminal
  return result
}
