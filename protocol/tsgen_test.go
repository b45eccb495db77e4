package protocol

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestGeneratedTypeScriptIsCurrent(t *testing.T) {
	want, err := TypeScript(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../proctor-ui/src/gen/protocol.ts")
	if err != nil {
		t.Fatalf("read the generated file: %v (run go run ./protocol/cmd/kuzet-tsgen)", err)
	}
	if !bytes.Equal(bytes.TrimRight(got, "\n"), want) {
		t.Fatal("proctor-ui/src/gen/protocol.ts is stale: run `go run ./protocol/cmd/kuzet-tsgen` from the repository root and commit the result")
	}
}

func TestTypeScriptCoversEveryRuleAndType(t *testing.T) {
	ts, err := TypeScript(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	s := string(ts)
	for _, r := range Rules() {
		if !strings.Contains(s, `"`+string(r.ID)+`"`) {
			t.Errorf("rule %s missing from the RuleID union", r.ID)
		}
	}
	for _, want := range []string{"export interface Event {", "export type ServerToViewerMessage =", `type: "record"; body: FeedRecord`, "export interface SittingSummary extends SittingInfo {", "last_seen?: string;"} {
		if !strings.Contains(s, want) {
			t.Errorf("generated TypeScript lacks %q", want)
		}
	}
}
