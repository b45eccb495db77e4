// A tiny key-value store in IndexedDB, the browser storage that survives
// a reload, a browser crash and a network cut: the essay's unacknowledged
// drafts and the grader's signing key (a CryptoKey object, kept as is,
// its private half never extractable).

const dbName = "kuzet";
const storeName = "kv";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(dbName, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(storeName)) req.result.createObjectStore(storeName);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB could not be opened"));
  });
}

function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const t = db.transaction(storeName, mode);
        const req = fn(t.objectStore(storeName));
        // Resolve once the transaction committed, so "stored" means durable.
        t.oncomplete = () => {
          db.close();
          resolve(req.result as T);
        };
        t.onerror = () => {
          db.close();
          reject(t.error ?? new Error("IndexedDB transaction failed"));
        };
        t.onabort = () => {
          db.close();
          reject(t.error ?? new Error("IndexedDB transaction aborted"));
        };
      }),
  );
}

export function idbGet<T>(key: string): Promise<T | undefined> {
  return tx<T | undefined>("readonly", (s) => s.get(key));
}

export function idbPut(key: string, value: unknown): Promise<void> {
  return tx<IDBValidKey>("readwrite", (s) => s.put(value, key)).then(() => undefined);
}
