package e2e

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	agentapp "kuzet.kz/kuzet/agent/app"
	"kuzet.kz/kuzet/agent/footage"
	"kuzet.kz/kuzet/agent/probe/probetest"
	"kuzet.kz/kuzet/agent/publish"
	"kuzet.kz/kuzet/agent/uplink"
	"kuzet.kz/kuzet/agent/wav"
	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
)

// proctorView logs in as the demo proctor and subscribes.
func proctorView(t *testing.T, ctx context.Context, srv *server) (*kit.Client, *kit.Viewer) {
	t.Helper()
	c, err := kit.Login(srv.ready.URL, srv.ready.Demo.ProctorUser, srv.ready.Demo.ProctorPassword)
	if err != nil {
		t.Fatal(err)
	}
	return c, subscribed(t, ctx, c)
}

// subscribed is c's view channel, subscribed to every sitting c may see.
func subscribed(t *testing.T, ctx context.Context, c *kit.Client) *kit.Viewer {
	t.Helper()
	v, err := c.DialViewer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	if err := v.Send(&protocol.Subscribe{}); err != nil {
		t.Fatal(err)
	}
	return v
}

func eventMatch(rule protocol.RuleID, kind protocol.EventKind, subject string) func(protocol.Message) bool {
	return func(m protocol.Message) bool {
		r, ok := m.(*protocol.Record)
		return ok && r.Event != nil && r.Event.Rule == rule && r.Event.Kind == kind && (subject == "" || r.Event.Subject == subject)
	}
}

func writeFootage(t *testing.T, script string) string {
	t.Helper()
	return writeFootageSized(t, script, 320, 240)
}

func writeFootageSized(t *testing.T, script string, w, h int) string {
	t.Helper()
	scenes, err := footage.ParseScript(script)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "footage.y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := footage.WriteY4M(f, w, h, 10, 7, scenes); err != nil {
		t.Fatal(err)
	}
	return path
}

// Recorded footage as the camera: the agent's analysis raises the camera
// rules, each start with a JPEG snapshot the proctor can open.
func TestCameraRulesFromFootage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	path := writeFootage(t, "face:6s,empty:8s,people=2:4s,covered:5s,face:4s")
	ag := startAgent(t, srv.ready.URL, srv.ready.Demo.SittingToken, filepath.Join(t.TempDir(), "agent"),
		"--camera", "file:"+path, "--mic", "test", "--screen=false", "--no-checks")
	defer ag.stop(t)
	proctor, viewer := proctorView(t, ctx, srv)

	// The 10.1 reference snapshot comes first, with its image.
	if _, err := viewer.Next(ctx, func(m protocol.Message) bool {
		r, ok := m.(*protocol.Record)
		return ok && r.Event != nil && r.Event.Rule == protocol.Rule10_1 && len(r.Event.Evidence) > 0 && r.Event.Evidence[0].Kind == protocol.EvidenceReference
	}); err != nil {
		t.Fatalf("10.1 reference snapshot: %v", err)
	}
	for _, want := range []struct {
		rule    protocol.RuleID
		subject string
	}{{protocol.Rule10_3, ""}, {protocol.Rule10_2, ""}, {protocol.Rule10_5, ""}} {
		m, err := viewer.Next(ctx, eventMatch(want.rule, protocol.KindStart, want.subject))
		if err != nil {
			t.Fatalf("rule %s start: %v", want.rule, err)
		}
		r := m.(*protocol.Record)
		if len(r.Event.Evidence) == 0 || r.Event.Evidence[0].Kind != protocol.EvidenceSnapshot {
			t.Fatalf("rule %s start without a snapshot: %+v", want.rule, r.Event)
		}
		resp, err := proctor.HTTP.Get(srv.ready.URL + "/api/sittings/" + string(r.Sitting) + "/evidence/" + r.Event.Evidence[0].SHA256)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if _, err := jpeg.Decode(bytes.NewReader(body)); err != nil || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("rule %s snapshot is not a JPEG (%s): %v", want.rule, resp.Header.Get("Content-Type"), err)
		}
	}
}

// The proctor asks for a room scan (rule 10.7); the candidate turns the
// camera all the way round (footage of a steady 360° pan) and the result
// reaches the proctor.
func TestRoomScanOnCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	// Two turns in 40 s loop seamlessly: 18° a second, a full turn in 20 s.
	path := writeFootage(t, "pan=720/60:40s")
	ag := startAgent(t, srv.ready.URL, srv.ready.Demo.SittingToken, filepath.Join(t.TempDir(), "agent"),
		"--camera", "file:"+path, "--mic", "test", "--screen=false", "--no-checks")
	defer ag.stop(t)
	_, viewer := proctorView(t, ctx, srv)
	sitting := protocol.SittingID(srv.ready.Demo.SittingID)
	if err := kit.WaitFor(ctx, "the agent", func() bool { return srv.ready.Link.Connected(sitting) }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // past the slow start of the pan
	if err := srv.ready.Link.Command(sitting, &protocol.Command{ID: "c-scan", Kind: protocol.CommandRoomScan, Time: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	m, err := viewer.Next(ctx, eventMatch(protocol.Rule10_7, protocol.KindInstant, "roomscan"))
	if err != nil {
		t.Fatalf("room scan result: %v", err)
	}
	ev := m.(*protocol.Record).Event
	deg, _ := strconv.Atoi(ev.Args["degrees"])
	if ev.Args["reason"] != "passed" || deg < 345 || deg > 375 || ev.Severity != protocol.SeverityInfo {
		t.Fatalf("room scan result %+v, want passed at about 360°", ev.Args)
	}
}

// Speech at the microphone (real espeak-ng speech in a WAV file played as
// the microphone) reaches the proctor as Opus, and the agent's voice
// detector reports a suspected rule 10.8 span.
func TestMicrophoneSpeechIsHeardAndReported(t *testing.T) {
	espeak, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("could not check: espeak-ng (Debian package espeak-ng) is missing")
	}
	dir := t.TempDir()
	speech := filepath.Join(dir, "speech.wav")
	text := "Сәлеметсіз бе. Мен емтихан тапсырып отырмын, маған көмектесіңізші, екінші сұрақтың жауабы қандай болады?"
	if out, err := exec.Command(espeak, "-v", "kk", "-s", "150", "-w", speech, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	// Speech, then 4 s of silence, looped by the agent.
	f, err := os.Open(speech)
	if err != nil {
		t.Fatal(err)
	}
	a, err := wav.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	samples := append(a.Mono(), make([]float32, 4*a.Format.SampleRate)...)
	mic := filepath.Join(dir, "mic.wav")
	out, err := os.Create(mic)
	if err != nil {
		t.Fatal(err)
	}
	if err := wav.Encode(out, a.Format.SampleRate, 1, samples); err != nil {
		t.Fatal(err)
	}
	out.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	ag := startAgent(t, srv.ready.URL, srv.ready.Demo.SittingToken, filepath.Join(t.TempDir(), "agent"),
		"--mic", "file:"+mic, "--screen=false", "--no-checks")
	defer ag.stop(t)
	_, viewer := proctorView(t, ctx, srv)
	sitting := protocol.SittingID(srv.ready.Demo.SittingID)
	sub, err := viewer.WatchAll(ctx, sitting, "v-mic")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := kit.WaitFor(ctx, "Opus from the microphone", func() bool {
		tr := sub.Track("microphone")
		return tr != nil && tr.Frames.Load() >= 50
	}); err != nil {
		t.Fatal(err)
	}
	m, err := viewer.Next(ctx, eventMatch(protocol.Rule10_8, protocol.KindStart, "speech"))
	if err != nil {
		t.Fatalf("speech span: %v", err)
	}
	if ev := m.(*protocol.Record).Event; ev.Severity != protocol.SeveritySuspected {
		t.Fatalf("speech event %+v, want suspected", ev)
	}
}

// The screen, captured from a real X server (Xvfb), reaches the proctor's
// focus view as its own track next to the camera.
func TestScreenTrackFromXvfb(t *testing.T) {
	display := probetest.Xvfb(t)
	t.Setenv("DISPLAY", display)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	ag := startAgent(t, srv.ready.URL, srv.ready.Demo.SittingToken, filepath.Join(t.TempDir(), "agent"),
		"--mic", "test", "--screen-fps", "2", "--no-checks")
	defer ag.stop(t)
	_, viewer := proctorView(t, ctx, srv)
	sub, err := viewer.WatchAll(ctx, protocol.SittingID(srv.ready.Demo.SittingID), "v-screen")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := kit.WaitFor(ctx, "screen frames and camera frames", func() bool {
		scr := sub.Track("screen")
		return scr != nil && scr.Frames.Load() >= 4 && sub.Frames.Load() >= 20
	}); err != nil {
		t.Fatal(err)
	}
}

// No microphone (no sound server, no card) and no screen (no display) are
// each reported to the proctor; the camera keeps streaming.
func TestMissingMicrophoneAndScreenAreReported(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("XDG_RUNTIME_DIR", empty)
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(empty, "none"))
	if _, err := os.Stat("/dev/snd"); err == nil {
		t.Skip("could not check: this machine has a sound card, so a microphone may exist")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	ag := startAgent(t, srv.ready.URL, srv.ready.Demo.SittingToken, filepath.Join(t.TempDir(), "agent"), "--mic", "auto", "--no-checks")
	defer ag.stop(t)
	_, viewer := proctorView(t, ctx, srv)
	if _, err := viewer.Next(ctx, eventMatch(protocol.Rule10_11, protocol.KindStart, "screen:capture")); err != nil {
		t.Fatalf("no-screen report: %v", err)
	}
	m, err := viewer.Next(ctx, eventMatch(protocol.Rule10_8, protocol.KindStart, "microphone"))
	if err != nil {
		t.Fatalf("no-microphone report: %v", err)
	}
	if ev := m.(*protocol.Record).Event; ev.Key != "vad.mic.missing.start" {
		t.Fatalf("microphone event %+v, want the missing-microphone text", ev)
	}
	sub, err := viewer.Watch(ctx, protocol.SittingID(srv.ready.Demo.SittingID), "v-cam", true)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := kit.WaitFor(ctx, "camera frames", func() bool { return sub.Frames.Load() >= 20 }); err != nil {
		t.Fatal(err)
	}
}

// On a 150 kbit/s uplink the congestion controller lowers the target and
// the stream keeps working at lower quality: frames keep arriving and
// keyframes decode, also in the seconds after the link dropped out (the
// server's requests to resend what it lost must not drown the link). The
// camera is footage with a real picture and sensor noise, which the
// encoder would spend its whole share on.
func TestSlowUplinkKeepsTheStreamWorking(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := writeFootageSized(t, "face:8s", 640, 480)
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	pubCh := make(chan *publish.Publisher, 1)
	upCh := make(chan *uplink.Conn, 1)
	ag := startAgentWith(t, srv.ready.URL, srv.ready.Demo.SittingToken, filepath.Join(t.TempDir(), "agent"),
		agentapp.Hooks{Media: func(p *publish.Publisher) { pubCh <- p }, Uplink: func(u *uplink.Conn) { upCh <- u }},
		"--camera", "file:"+path, "--mic", "test", "--no-checks", "--uplink-kbps", "150")
	up := <-upCh
	defer ag.stop(t)
	pub := <-pubCh
	_, viewer := proctorView(t, ctx, srv)
	sub, err := viewer.WatchAll(ctx, protocol.SittingID(srv.ready.Demo.SittingID), "v-slow")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for i := 0; i < 8; i++ { // the estimator settles
		time.Sleep(2 * time.Second)
		if os.Getenv("KUZET_DEBUG_UPLINK") != "" {
			sent, dropped := up.Stats()
			t.Logf("t=%ds link sent %d dropped %d target %d shares %v", 2*(i+1), sent, dropped, pub.Target(), pub.Shares())
		}
	}
	// A Wi-Fi drop-out of a second and a half: the server asks again for
	// what it missed, and the link must not drown in resent packets when
	// it comes back.
	up.SetDown(true)
	time.Sleep(1500 * time.Millisecond)
	up.SetDown(false)
	time.Sleep(4 * time.Second)
	f0, k0 := sub.Frames.Load(), sub.Keyframes.Load()
	sent0, dropped0 := up.Stats()
	cam := sub.Track("camera")
	if cam == nil {
		t.Fatal("no camera track")
	}
	b0 := cam.Bytes.Load()
	time.Sleep(10 * time.Second)
	frames := sub.Frames.Load() - f0
	kbps := float64(cam.Bytes.Load()-b0) * 8 / 10 / 1000
	target := pub.Target()
	sent, dropped := up.Stats()
	t.Logf("150 kbit/s uplink: camera %d frames in 10 s, %.0f kbit/s payload; estimator target %d bit/s; shares %v; link sent %d packets, dropped %d",
		frames, kbps, target, pub.Shares(), sent, dropped)
	// The footage runs at 10 fps: most frames must arrive whole.
	if frames < 70 {
		t.Fatalf("the camera delivered %d of 100 frames in 10 s over a 150 kbit/s link", frames)
	}
	if sent1, dropped1 := up.Stats(); dropped1-dropped0 > (sent1-sent0)/20 {
		t.Fatalf("the link dropped %d of %d packets in 10 s (%d before): the agent sends more than the link carries", dropped1-dropped0, sent1-sent0, dropped0)
	}
	if sub.Keyframes.Load() == k0 && k0 == 0 {
		t.Fatal("no keyframe decoded over the slow link")
	}
	if target == 0 || target > 180_000 {
		t.Fatalf("the bandwidth estimate is %d bit/s on a 150 kbit/s link; it did not follow the link", target)
	}
}
