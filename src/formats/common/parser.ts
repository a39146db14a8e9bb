// The parser shape most JSON formats share: every item must be a JSON object, anything else is rejected with
// what the format expected there.
import {isObject, type Json} from '../../wire/index.js'
import type {FormatContext, FormatParser, Item, Outcome} from '../types.js'

export function objectParser(expected: string, parse: (v: Json, item: Item, ctx: FormatContext) => Iterable<Outcome>): FormatParser {
  return {
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      if (!isObject(item.value)) {
        yield {kind: 'reject', reason: `expected a JSON object${expected ? ` (${expected})` : ''}`, locator: item.locator}
        return
      }
      yield* parse(item.value, item, ctx)
    },
  }
}
