// A process stuck in a write transaction on a SQLite file: it opens DB with DRIVER, takes the
// write lock (BEGIN EXCLUSIVE and a write), says `locked` and never commits, until it is killed.
import { openSqliteFile, type SqliteDriverName } from '../../src/store/sqlite-driver.js';

const db = openSqliteFile(process.env.DB ?? '', process.env.DRIVER as SqliteDriverName);
db.exec('PRAGMA busy_timeout = 5000');
db.exec('BEGIN EXCLUSIVE');
db.exec(`INSERT INTO surefetch_requests (key, value) VALUES ('lock-holder', '{}') ON CONFLICT (key) DO NOTHING`);
process.stdout.write('locked\n');
// The timer keeps the handle reachable: a collected handle would close and release the lock.
setInterval(() => db, 60_000);
