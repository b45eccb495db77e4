package boltstore

import (
	"path/filepath"
	"testing"

	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/workflow/storetest"
)

// TestConformance runs the workflow store suite on a real bbolt file
// shared with the proctoring store and the audit log, as in the server.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		dir := t.TempDir()
		st, err := store.Open(filepath.Join(dir, "kuzet.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		keys, err := audit.LoadOrCreateKeys(filepath.Join(dir, "keys"))
		if err != nil {
			t.Fatal(err)
		}
		l, err := audit.Open(st.DB(), keys, audit.Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		ws, err := New(st.DB())
		if err != nil {
			t.Fatal(err)
		}
		return storetest.Harness{Store: ws, LogSize: l.Size}
	})
}
