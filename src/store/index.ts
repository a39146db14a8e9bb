// Public face of src/store/.
export {type DB, describeSqliteError, openDb, resolveDbPath, schemaVersion} from './db.js'
export {type EventQuery, type EventRow, EventWriter, IMPORT_ID_INDEX, REPLAYABLE_INDEX, SUMMARY_COLUMNS, applyStoredColumns, buildEventWhere, countEvents, eventSelect, iterateEvents, iterateEventsRaw, maxRowid, recordToRow, recordToValues, rowToEvent, rowValues} from './events.js'
export {migrations} from './migrations.js'
export {type Arm, type PendingItem, type ResultRow, ResultWriter, type RunRow, type RunStatus, createRun, getRun, listRuns, pendingWork, resultCounts, setRunStatus} from './runs.js'
