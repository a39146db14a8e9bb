// The SQLite store: the only part that speaks SQL. One module per table (events, imports, runs and results,
// scores and pairs, a run's provider batches), migrations, opening and locking. May import records/ and util/.
export {type DB, describeSqliteError, openDb, probeWrite, readSnapshot, resolveDbPath, schemaVersion, setBusyTimeout, versionOnDisk} from './db.js'
export {type EventQuery, EventWriter, buildEventWhere, countEvents, eventSelect, gatewaySpend, getEvent, iterateEvents, iterateEventsRaw, maxRowid, metadataNodes, wantsScores} from './events.js'
export {migrations} from './migrations.js'
export {aaItemCount, createRun, findRuns, releaseRunLease, renewRunLease, takeRunLease, type RunLease, getRun, inTransaction, listRuns, recordedAnswers, replayableEventIds, setRunOptions, setRunStatus, withRollback, type RecordedAnswer, type RunRow, type RunStatus} from './runs.js'
export {pendingCount, pendingWork, resultCounts, resultsFor, resultSummaryRows, ResultWriter, type PendingItem, type ResultRow, type ResultSummaryRow} from './results.js'
export {judgeRows, judgeRowsOfResults, resultsToScore, resultsWithScores, runItemsWithPairs, type RunItemWithPair, type ScoredResult, scoringState, storedJudgeRecords, writeScores, type JudgeRow, type PairRow, type ResultToScore, type ScoreRow} from './scores.js'
export {ImportStore, type ImportCounts} from './imports.js'
export {busyHolder} from './owner.js'
export {batchItems, insertBatch, iterateBatchWork, markBatchCollected, runBatches, updateBatch, type BatchItem, type BatchRow, type BatchUpdate, type NewBatch} from './batches.js'
