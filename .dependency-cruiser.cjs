// kt's architecture, checked by `npm test` (test/architecture.test.ts). Each folder under src/ is one part with a
// public face (its index.ts); parts depend only on the parts below them, so data flows one way:
// formats -> records -> store -> replay / gateway -> analysis -> gate -> report, with app/ (use cases),
// cli/ (command helpers) and commands/ (oclif) on top. Each folder's index.ts says what it owns.
/** Which parts each part may import (besides itself). */
const LAYERS = {
  util: [],
  records: ['util'],
  stats: ['util'],
  wire: ['records', 'util'],
  formats: ['wire', 'records', 'util'],
  providers: ['wire', 'records', 'stats', 'util'],
  config: ['providers', 'records', 'util'],
  store: ['records', 'util'],
  scoring: ['wire', 'providers', 'config', 'records', 'stats', 'util'],
  replay: ['providers', 'config', 'store', 'wire', 'records', 'stats', 'util'],
  gateway: ['providers', 'config', 'store', 'scoring', 'wire', 'records', 'stats', 'util'],
  analysis: ['store', 'scoring', 'replay', 'records', 'stats', 'util'],
  gate: ['analysis', 'util'],
  report: ['analysis', 'gate', 'scoring', 'records', 'stats', 'util'],
  app: ['report', 'gate', 'analysis', 'gateway', 'replay', 'scoring', 'store', 'config', 'providers', 'formats', 'wire', 'records', 'stats', 'util'],
  cli: ['app', 'report', 'gate', 'analysis', 'gateway', 'replay', 'scoring', 'store', 'config', 'providers', 'formats', 'wire', 'records', 'stats', 'util'],
  commands: ['cli', 'app', 'report', 'gate', 'analysis', 'gateway', 'replay', 'scoring', 'store', 'config', 'providers', 'formats', 'wire', 'records', 'stats', 'util'],
}
/** Parts whose every file is public: use cases and command helpers, imported one by one so a command loads only what it runs. */
const OPEN = ['app', 'cli', 'commands']

const parts = Object.keys(LAYERS)
const layerRules = parts.map((from) => ({
  name: `layer-${from}`,
  comment: `src/${from}/ may import only: ${LAYERS[from].join(', ') || 'nothing else in src/'}`,
  severity: 'error',
  from: {path: `^src/${from}/`},
  to: {path: `^src/(?!(?:${[from, ...LAYERS[from]].join('|')})/)`},
}))

module.exports = {

  forbidden: [
    {name: 'no-circular', comment: 'no import cycles', severity: 'error', from: {path: '^src/'}, to: {circular: true}},
    ...layerRules,
    {
      name: 'public-face',
      comment: "another part's internals: import its index.ts",
      severity: 'error',
      from: {path: '^src/([^/]+)/'},
      to: {path: `^src/(?!(?:${OPEN.join('|')})/)([^/]+)/(?!index\\.ts$)`, pathNot: '^src/$1/'},
    },
    {
      name: 'sqlite-only-in-store',
      comment: 'only src/store/ talks to SQLite',
      severity: 'error',
      from: {path: '^src/', pathNot: '^src/store/'},
      to: {path: 'node_modules/(@types/)?better-sqlite3/'},
    },
    {
      name: 'no-src-to-tests',
      severity: 'error',
      from: {path: '^src/'},
      to: {path: '^(test|bench|fixtures)/'},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    exclude: {path: '^dist/'},
  },
}
