// The PII detector (src/records/pii.ts): what it finds, with its kind and exact span, and what it must leave alone in
// prompts full of numbers and code. The negatives include numbers with a card's or an IBAN's shape that fail only the
// checksum: without Luhn or mod-97 they would be found.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {findPii, ibanValid, luhnValid, piiKinds, redactPii, type PiiKind} from '../../src/records/index.js'

/** Text, then each span expected in it as [kind, the text it covers]. */
const POSITIVES: [string, [PiiKind, string][]][] = [
  ['mail jane.doe+tag@example.co.uk today', [['email', 'jane.doe+tag@example.co.uk']]],
  ['Contact: ops@kt-gateway.io.', [['email', 'ops@kt-gateway.io']]],
  ['card 4111 1111 1111 1111 exp 12/27', [['card', '4111 1111 1111 1111']]],
  ['card 4111 1111 1111 1111 12/27', [['card', '4111 1111 1111 1111']]],
  ['paid with 5555555555554444.', [['card', '5555555555554444']]],
  ['amex 3782-822463-10005 ok', [['card', '3782-822463-10005']]],
  ['discover 6011-1111-1111-1117', [['card', '6011-1111-1111-1117']]],
  ['SSN 123-45-6789 on file', [['ssn', '123-45-6789']]],
  ['IBAN DE89370400440532013000', [['iban', 'DE89370400440532013000']]],
  ['to GB82 WEST 1234 5698 7654 32 please', [['iban', 'GB82 WEST 1234 5698 7654 32']]],
  ['iban: DE89 3704 0044 0532 0130 00 OK', [['iban', 'DE89 3704 0044 0532 0130 00']]],
  ['call +1 415 555 2671 now', [['phone', '+1 415 555 2671']]],
  ['UK office +44 (0)20 7946-0958.', [['phone', '+44 (0)20 7946-0958']]],
  ['compact +4930123456789', [['phone', '+4930123456789']]],
  ['US (415) 555-2671 or 415-555-2671 or 415.555.2671', [['phone', '(415) 555-2671'], ['phone', '415-555-2671'], ['phone', '415.555.2671']]],
  ['client 192.168.1.20 and 10.0.0.1.', [['ip', '192.168.1.20'], ['ip', '10.0.0.1']]],
  ['range 10.0.0.1-10.0.0.255', [['ip', '10.0.0.1'], ['ip', '10.0.0.255']]],
  ['{"email":"a.b@corp.example","ip":"8.8.8.8"}', [['email', 'a.b@corp.example'], ['ip', '8.8.8.8']]],
]

const NEGATIVES: string[] = [
  'Order #20231205-000123 shipped; order number 1733412345675 (a millisecond timestamp that passes Luhn)',
  'timestamp 2026-12-05T10:20:30.123Z and date 2026-12-05, 05/12/2026',
  'version 1.2.3.4.5, Chrome/120.0.6099.109, v1.2.3.4, 10.0.0, 256.1.1.1, 01.02.03.04',
  'uuid 123e4567-e89b-12d3-a456-426614174000, commit 3f786850e387550fdab836ed7e6dc881de23001b',
  'Luhn-invalid 4111111111111112 and 4111 1111 1111 1112',
  'Luhn-valid but no card network: 1234567812345670',
  'invalid IBANs DE89370400440532013001, GB82 WEST 1234 5698 7654 33, DE00370400440532013000',
  'amount 1,234,567.89 and $12,345,678.90; total 12345678 + 87654321 = 99999999',
  'const re = /\\d{3}-\\d{2}-\\d{4}/; if (n > 1234567890123) return arr[12].map((x) => x * 2) // 0.1 + 0.2',
  'SSN-like but never issued: 000-12-3456, 666-12-3456, 900-12-3456, 123-00-4567, 123-45-0000',
  'ticket 123-456-7890, ref 555-123-4567, id 12345678901234567890',
  'assets icon@2x.png and logo@3x.jpg; npm i left-pad@1.3.0; user@localhost',
  'math: x +1234567 and a+12345678 and 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1',
]

describe('PII detector', () => {
  for (const [text, want] of POSITIVES) {
    test(`finds ${want.map((w) => w[0]).join(', ')} in ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.deepEqual(
        findPii(text).map((s) => [s.kind, text.slice(s.start, s.end)]),
        want,
      )
    })
  }

  for (const text of NEGATIVES) {
    test(`finds nothing in ${JSON.stringify(text.slice(0, 50))}`, () => {
      assert.deepEqual(findPii(text), [])
    })
  }

  test('the checksums themselves: Luhn and mod-97 accept the valid numbers and refuse one changed digit', () => {
    assert.equal(luhnValid('4111111111111111'), true)
    assert.equal(luhnValid('4111111111111112'), false)
    assert.equal(ibanValid('DE89370400440532013000'), true)
    assert.equal(ibanValid('DE89370400440532013001'), false)
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 32'), true)
  })

  test('redaction replaces each span with its kind, the rest untouched', () => {
    const text = 'Mail jane@example.com, card 4111-1111-1111-1111, SSN 123-45-6789, IBAN GB82WEST12345698765432, tel +33 1 23 45 67 89, host 172.16.0.4, build 1.2.3.4.5.'
    assert.equal(
      redactPii(text),
      'Mail [redacted:email], card [redacted:card], SSN [redacted:ssn], IBAN [redacted:iban], tel [redacted:phone], host [redacted:ip], build 1.2.3.4.5.',
    )
    assert.deepEqual(piiKinds(text), ['email', 'card', 'ssn', 'iban', 'phone', 'ip'])
    assert.equal(redactPii('nothing here 2026-12-05'), 'nothing here 2026-12-05')
  })

  test('a long run of digits and dots finds nothing (a pattern with ambiguous repetition would hang on it)', () => {
    // A regular expression with ambiguous repetition would take seconds here; the test fails on a wrong result only.
    const text = `+${'1 '.repeat(5000)}x ${'1.'.repeat(5000)} ${'9'.repeat(5000)}`
    assert.deepEqual(findPii(text), [])
  })
})
