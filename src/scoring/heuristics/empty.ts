// An empty answer: no text, or a literal that stands for nothing.
const EMPTY_LITERALS = new Set(['', '{}', '[]', 'null', '""', "''", 'undefined'])

export function isEmptyText(text: string | null): boolean {
  return text === null || EMPTY_LITERALS.has(text.trim())
}
