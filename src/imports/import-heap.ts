// `policypay import` keeps little alive (a batch of rows, and each file's natural keys for its
// duplicate check, about 75 bytes a row) but allocates fast, and V8 left to itself lets its old
// space grow well past what it holds before collecting: 333 MB of RSS for 100,000 customers.
// Capped at this, the same import peaked at 266 MB and was no slower (40.9 s against 42.4 s);
// at 128 MB it collected so often that it took 71 s (docs/import.md, Speed). A file of some
// millions of rows needs more: NODE_OPTIONS=--max-old-space-size=… set by the caller wins.
export const IMPORT_HEAP_MB = 192;
