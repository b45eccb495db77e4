package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
)

// TestProctorTakenOffASittingStopsSeeingIt is issue 16's finding 10: a
// proctor removed from a sitting kept its open video. Failed before: the
// watching peer went on receiving frames after the assignment changed.
// Now the server closes the peer, and the proctor's list comes again
// without the sitting.
func TestProctorTakenOffASittingStopsSeeingIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	d := srv.ready.Demo
	ag := startAgent(t, srv.ready.URL, d.SittingToken, filepath.Join(t.TempDir(), "agent"))
	defer ag.stop(t)

	_, viewer := proctorView(t, ctx, srv)
	if _, err := viewer.Next(ctx, func(m protocol.Message) bool { _, ok := m.(*protocol.Sittings); return ok }); err != nil {
		t.Fatal(err)
	}
	sitting := protocol.SittingID(d.SittingID)
	sub, err := viewer.Watch(ctx, sitting, "v-assign", false)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := kit.WaitFor(ctx, "100 packets of the assigned sitting", func() bool { return sub.Packets.Load() >= 100 }); err != nil {
		t.Fatal(err)
	}

	admin, err := kit.Login(srv.ready.URL, d.AdminUser, d.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Do("PUT", "/api/sittings/"+d.SittingID+"/proctors", map[string][]string{"proctors": {}}, nil); err != nil {
		t.Fatal(err)
	}
	m, err := viewer.Next(ctx, func(m protocol.Message) bool { _, ok := m.(*protocol.Sittings); return ok })
	if err != nil {
		t.Fatalf("no new list after the proctor was taken off: %v", err)
	}
	for _, s := range m.(*protocol.Sittings).Sittings {
		if s.ID == sitting {
			t.Fatalf("the new list still has the sitting: %+v", m)
		}
	}
	// In-flight packets may land; then nothing more.
	time.Sleep(time.Second)
	before := sub.Packets.Load()
	time.Sleep(3 * time.Second)
	if after := sub.Packets.Load(); after > before+5 {
		t.Fatalf("the peer received %d more packets in 3 s after the proctor was taken off the sitting", after-before)
	}
	// Watching it again is refused.
	if _, err := viewer.Watch(ctx, sitting, "v-again", false); err == nil {
		t.Fatal("a new watch of the unassigned sitting was answered")
	}
}
